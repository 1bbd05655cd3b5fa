"""Translation files: one CSV per target language for translators working offline.

Format (UTF-8 with a byte order mark, so spreadsheets read it as UTF-8; comma-separated,
RFC 4180 quoting, so texts may hold commas, quotes and line breaks)::

    tour,version,stop_id,field,source_language,source_text,language,text

First a row per text of the tour itself (``title``, ``summary``), with an empty
``stop_id``; then one row per counted stop (tour order) and field (``name``, ``story``,
and ``script`` only when the caller includes it).  ``source_text`` is the text in the
source language (the tour's first language) for reference; ``text`` is the translation,
filled in by the translator (empty: no translation yet).  ``version`` is the tour
version the file was made from: a file made for an older version is refused (export
again).

Spreadsheet formulas: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would run as a formula in a spreadsheet, so it is written with a leading
``'``.  A cell that really starts with ``'`` gets one more, so the import can always take
exactly one leading ``'`` away and give back the original text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tours.content.translation.translations import TOUR_FIELDS, TOUR_ROW, StopRef
from tours.i18n import is_valid_tag, normalize_tag
from tours.text import breaks_lines, unstorable

HEADER = (
    "tour", "version", "stop_id", "field", "source_language", "source_text", "language", "text",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
#: Longest text accepted per field (characters); scripts use ``guides.scripts.SCRIPT_MAX``.
TEXT_LIMITS = {"title": 200, "summary": 20_000, "name": 200, "story": 20_000}
#: Texts that must stay on one line (a title is a header, a name a label).
ONE_LINE = frozenset({"title", "name"})
#: A translation file bigger than this is refused before it is read.
MAX_BYTES = 5 * 1024 * 1024
BOM = "\ufeff"


def protect(value: object) -> str:
    """A cell a spreadsheet shows as text; ``unprotect`` gives the original back."""
    text = "" if value is None else str(value)
    return QUOTE + text if text.startswith((*FORMULA_START, QUOTE)) else text


def unprotect(text: str) -> str:
    return text[1:] if text.startswith(QUOTE) else text


def write_csv(
    slug: str,
    version: int,
    stops: Iterable[StopRef],
    fields: Iterable[str],
    source_language: str,
    language: str,
    tour: StopRef | None = None,
) -> str:
    """The translation file for ``language`` (with its current texts filled in); with
    ``tour`` (``translations.tour_texts``) its title and summary rows come first."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    fields = tuple(fields)
    refs = [(tour, TOUR_FIELDS)] if tour is not None else []
    refs += [(stop, fields) for stop in stops]
    for stop, names in refs:
        for name in names:
            row = (
                slug,
                version,
                stop.id,
                name,
                source_language,
                stop.text(name, source_language),
                language,
                stop.text(name, language),
            )
            writer.writerow([protect(v) for v in row])
    return BOM + out.getvalue()


@dataclass(frozen=True)
class CsvProblem:
    """Something wrong in a translation file: ``row`` is the file's line-of-records number
    (1 is the header), ``column`` the column's name (or "" for the whole row)."""

    row: int
    column: str
    message: str

    def to_text(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedFile:
    """The texts of a valid file (``{(stop id, field): text}``, empty cells left out),
    or the problems that make it invalid (then nothing may be stored)."""

    language: str = ""
    version: int | None = None
    texts: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: list[CsvProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _decode(data: bytes, parsed: ParsedFile) -> str | None:
    if len(data) > MAX_BYTES:
        parsed.problems.append(
            CsvProblem(0, "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        )
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        parsed.problems.append(
            CsvProblem(
                row,
                "",
                f"The file is not UTF-8 (byte {exc.start + 1} cannot be read). Save it as"
                ' "CSV UTF-8" in your spreadsheet and try again.',
            )
        )
        return None
    return text.removeprefix(BOM)


def read_csv(
    data: bytes,
    *,
    slug: str,
    version: int,
    stop_ids: Iterable[str],
    fields: Iterable[str],
    limits: Mapping[str, int],
    tour_fields: Iterable[str] = TOUR_FIELDS,
) -> ParsedFile:
    """Check a translation file for tour ``slug`` at ``version``; collect every problem.

    A row with an empty ``stop_id`` is a text of the tour itself, one of ``tour_fields``."""
    parsed = ParsedFile()
    text = _decode(data, parsed)
    if text is None:
        return parsed
    known_stops = set(stop_ids)
    # The tour's own row takes its fields; every stop row ("*") the stop fields.
    allowed = {TOUR_ROW: tuple(tour_fields), "*": tuple(fields)}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        parsed.problems.append(
            CsvProblem(reader.line_num, "", f"The file is not valid CSV ({exc}).")
        )
        return parsed
    if not rows:
        parsed.problems.append(CsvProblem(1, "", "The file is empty: export it again."))
        return parsed
    header = [unprotect(c).strip() for c in rows[0]]
    if header != list(HEADER):
        wrong = next(
            (i for i, name in enumerate(HEADER) if i >= len(header) or header[i] != name),
            len(HEADER),
        )
        found = header[wrong] if wrong < len(header) else "nothing"
        expected = HEADER[wrong] if wrong < len(HEADER) else "no further column"
        parsed.problems.append(
            CsvProblem(
                1,
                found if wrong < len(header) else "",
                f"The header must be {','.join(HEADER)}; column {wrong + 1} is {found!r}"
                f" where {expected!r} was expected. Export the file again.",
            )
        )
        return parsed
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue  # a blank line a spreadsheet left at the end
        if len(raw) != len(HEADER):
            parsed.problems.append(
                CsvProblem(number, "", f"The row has {len(raw)} cells; it must have {len(HEADER)}.")
            )
            continue
        row = dict(zip(HEADER, (unprotect(c) for c in raw), strict=True))
        _check_row(parsed, number, row, slug, version, known_stops, allowed, limits, seen)
    if parsed.version is None and parsed.ok:
        parsed.problems.append(CsvProblem(2, "", "The file has no rows: export it again."))
    return parsed


def _check_row(
    parsed: ParsedFile,
    number: int,
    row: dict[str, str],
    slug: str,
    version: int,
    known_stops: set[str],
    allowed: dict[str, tuple[str, ...]],
    limits: Mapping[str, int],
    seen: dict[tuple[str, str], int],
) -> None:
    def problem(column: str, message: str) -> None:
        parsed.problems.append(CsvProblem(number, column, message))

    if row["tour"] != slug:
        problem("tour", f"This row is for tour {row['tour']!r}, not {slug!r}.")
    try:
        row_version = int(row["version"])
    except ValueError:
        problem("version", f"{row['version']!r} is not a version number.")
    else:
        first = parsed.version is None
        parsed.version = row_version if first else parsed.version
        if row_version == parsed.version and not first:
            pass  # a wrong version is said once, on the first row that has it
        elif row_version < version:
            problem(
                "version",
                f"The file was made for version {row_version}, but the tour is now at version"
                f" {version}. Export the file again and copy your translations into it.",
            )
        elif row_version > version:
            problem("version", f"Tour {slug!r} has no version {row_version}.")
    language = row["language"].strip()
    if not is_valid_tag(language):
        problem("language", f"{language!r} is not a language tag such as pl or pt-BR.")
    else:
        language = normalize_tag(language)
        if not parsed.language:
            parsed.language = language
        elif language != parsed.language:
            problem(
                "language",
                f"The file mixes languages ({parsed.language} and {language}): one file per"
                " language.",
            )
    stop_id, name = row["stop_id"], row["field"]
    if stop_id != TOUR_ROW and stop_id not in known_stops:
        problem("stop_id", f"The tour has no stop {stop_id!r}. Do not change the stop ids.")
    fields = allowed[TOUR_ROW] if stop_id == TOUR_ROW else allowed["*"]
    if name not in fields:
        problem("field", f"{name!r} is not a field of this file ({', '.join(fields)}).")
        return
    key = (stop_id, name)
    if key in seen:
        what = f"The tour's {name}" if stop_id == TOUR_ROW else f"{stop_id} {name}"
        problem("", f"{what} appears twice (also in row {seen[key]}); keep one row.")
        return
    seen[key] = number
    text = row["text"]
    limit = limits.get(name)
    if limit is not None and len(text) > limit:
        problem("text", f"The {name} is {len(text)} characters long; at most {limit} fit.")
    if unstorable(text):
        problem("text", "The text holds a NUL character or broken Unicode; remove it.")
    elif name in ONE_LINE and breaks_lines(text):
        problem("text", f"A {'title' if name == 'title' else 'stop name'} must be on one line.")
    if text.strip():
        parsed.texts[key] = text
