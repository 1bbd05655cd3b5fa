"""Searching for unique markers wherever a copy could stay: every row and column of the
database (JSON, blobs and stored emails decoded), every file under a folder (its bytes,
in each form text is written in), and every file of a zip.

The withdrawal tests search with these: a marker found nowhere after a withdrawal, and
found where it should be before it, proves the withdrawal reached every copy.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine


def strings(value: Any) -> Iterator[str]:
    """Every text a stored value holds: itself, its JSON, its bytes read as UTF-8 and, for
    an email, its text parts decoded (base64, quoted-printable)."""
    if value is None or isinstance(value, (int, float, bool)):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
        yield from email_texts(value)
    elif isinstance(value, (dict, list, tuple)):
        yield json.dumps(value, ensure_ascii=False, default=str)
    else:
        yield str(value)


def email_texts(raw: bytes) -> Iterator[str]:
    """The decoded text parts of ``raw`` when it is an email; nothing otherwise."""
    try:
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        for part in parsed.walk():
            if part.get_content_maintype() == "text":
                yield str(part.get_content())
    except Exception:  # not an email
        return


def rows_holding(engine: Engine, markers: Iterable[str]) -> dict[str, set[str]]:
    """Every table of the database, every column of every row: where each marker is
    (``{marker: {"table.column", …}}``, only markers found).  The tables are read from
    the database itself, not from the models a test happened to import."""
    markers = list(markers)
    found: dict[str, set[str]] = {}
    tables = MetaData()
    tables.reflect(bind=engine)
    with engine.connect() as conn:
        for table in tables.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    for text in strings(value):
                        for marker in markers:
                            if marker in text:
                                found.setdefault(marker, set()).add(f"{table.name}.{column.name}")
    return found


def byte_forms(marker: str) -> set[bytes]:
    """How ``marker`` may be written in a file: UTF-8, and JSON with non-ASCII escaped
    (SQLite keeps JSON columns so)."""
    return {marker.encode(), json.dumps(marker)[1:-1].encode("ascii")}


def files_holding(root: Path, markers: Iterable[str]) -> dict[str, set[str]]:
    """Every file under ``root``: which hold each marker (``{marker: {relative path, …}}``),
    searched in their bytes, and ``.eml`` files in their decoded parts too."""
    markers = list(markers)
    found: dict[str, set[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        texts = list(email_texts(data)) if path.suffix == ".eml" else []
        for marker in markers:
            if any(form in data for form in byte_forms(marker)) or any(
                marker in text for text in texts
            ):
                found.setdefault(marker, set()).add(str(path.relative_to(root)))
    return found


def files_with_bytes(root: Path, needle: bytes) -> list[str]:
    """The files under ``root`` holding ``needle`` (a piece of a photo or recording)."""
    files = (p for p in root.rglob("*") if p.is_file())
    return sorted(str(p.relative_to(root)) for p in files if needle in p.read_bytes())


def zip_texts(body: bytes) -> dict[str, str]:
    """Each file of a zip, read as UTF-8."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name).decode("utf-8", "replace") for name in archive.namelist()}
