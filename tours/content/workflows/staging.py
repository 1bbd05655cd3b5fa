"""Files uploaded for an import, kept on the server between the preview and the confirmation.

Each upload gets a folder of its own, ``<root>/<token>/``, named by a random token: the
bytes of each file under a number (never under the name the browser sent, so a name
cannot reach outside the folder) and ``manifest.json`` with the files' names and roles,
the account that uploaded them, when, and the options chosen so far.  Only that account
can read it back; confirming or cancelling removes it, and :func:`purge_expired` removes
what was left longer than ``max_age_s``.  Nothing of it ever travels in a cookie.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tours.errors import NotFound
from tours.text import single_line

#: The roles a file can have in an import (``bidean import FILE``, ``--route``, ``--stops``,
#: ``--districts``).
ROLES = ("tour", "route", "stops", "districts")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
_MANIFEST = "manifest.json"
NAME_MAX = 200


class StagingNotFound(NotFound):
    """No staged upload under this token for this account (never made, used, or expired)."""


@dataclass(frozen=True)
class StagedFile:
    """One uploaded file: its role, the name it had on the coordinator's computer, its bytes."""

    role: str
    name: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Staged:
    """An upload waiting for its confirmation."""

    token: str
    account_id: int
    created: float
    files: list[StagedFile]
    options: dict[str, Any] = field(default_factory=dict)


def file_name(raw: str, fallback: str) -> str:
    """The name a browser sent, made a label: its last part, storable (:func:`label`)."""
    return label(PurePosixPath(raw.replace("\\", "/")).name, fallback)


def label(name: str, fallback: str) -> str:
    """``name`` on one line, at most ``NAME_MAX`` characters, without control characters
    (a NUL broke the confirmation: no column takes it) or lone surrogates."""
    text = single_line(name).encode("utf-8", "replace").decode("utf-8")
    return text[:NAME_MAX].strip() or fallback


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 bits


def _folder(root: Path, token: str) -> Path:
    if not _TOKEN.fullmatch(token):
        raise StagingNotFound(token)
    return root / token


def stage(
    root: Path,
    account_id: int,
    files: list[StagedFile],
    options: dict[str, Any] | None = None,
    now: float | None = None,
) -> Staged:
    """Keep ``files`` under a new token for ``account_id``; returns what was staged."""
    for item in files:
        if item.role not in ROLES:
            raise ValueError(f"unknown role {item.role!r}")
    staged = Staged(new_token(), account_id, time.time() if now is None else now, files)
    staged.options = dict(options or {})
    _write(root, staged)
    return staged


def restore(root: Path, staged: Staged) -> None:
    """Put back an upload taken by :func:`discard` when storing it failed, so that the
    coordinator can confirm it again instead of uploading the files anew."""
    _write(root, staged)


def _write(root: Path, staged: Staged) -> None:
    folder = _folder(root, staged.token)
    folder.mkdir(parents=True, mode=0o700)
    for number, item in enumerate(staged.files):
        (folder / str(number)).write_bytes(item.data)
    _write_manifest(folder, staged)


def _write_manifest(folder: Path, staged: Staged) -> None:
    manifest = {
        "account_id": staged.account_id,
        "created": staged.created,
        "files": [{"role": f.role, "name": f.name} for f in staged.files],
        "options": staged.options,
    }
    scratch = folder / f".{_MANIFEST}.{secrets.token_hex(4)}"
    scratch.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    os.replace(scratch, folder / _MANIFEST)


def load(
    root: Path, token: str, account_id: int, max_age_s: float, now: float | None = None
) -> Staged:
    """The upload staged under ``token`` by ``account_id``; raises :class:`StagingNotFound`
    when there is none, it is another account's, or it is older than ``max_age_s``."""
    folder = _folder(root, token)
    try:
        manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        if manifest["account_id"] != account_id:
            raise StagingNotFound(token)
        now = time.time() if now is None else now
        if now - float(manifest["created"]) > max_age_s:
            shutil.rmtree(folder, ignore_errors=True)
            raise StagingNotFound(token)
        files = [
            StagedFile(
                item["role"],
                label(item["name"], item["role"]),  # staged before names were cleaned
                (folder / str(number)).read_bytes(),
            )
            for number, item in enumerate(manifest["files"])
        ]
    except (OSError, ValueError, KeyError, TypeError):
        raise StagingNotFound(token) from None
    return Staged(token, account_id, float(manifest["created"]), files, manifest["options"])


def add_files(root: Path, staged: Staged, files: list[StagedFile]) -> None:
    """Add files to a staged upload (a route given in the preview), numbered after its own."""
    folder = _folder(root, staged.token)
    for item in files:
        if item.role not in ROLES:
            raise ValueError(f"unknown role {item.role!r}")
        (folder / str(len(staged.files))).write_bytes(item.data)
        staged.files.append(item)
    _write_manifest(folder, staged)


def save_options(root: Path, staged: Staged) -> None:
    """Record the options chosen in the preview (the files stay as they were)."""
    _write_manifest(_folder(root, staged.token), staged)


def discard(root: Path, token: str, account_id: int) -> bool:
    """Remove the upload (confirmed or cancelled); False when there was none for the
    account, or another request removed it first."""
    try:
        folder = _folder(root, token)
        manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    except (StagingNotFound, OSError, ValueError):
        return False
    if manifest.get("account_id") != account_id:
        return False
    # A rename is atomic: of two confirmations at once, only one removes the upload.
    gone = root / f".removed-{token}-{secrets.token_hex(4)}"
    try:
        os.rename(folder, gone)
    except OSError:
        return False
    shutil.rmtree(gone, ignore_errors=True)
    return True


def purge_expired(root: Path, max_age_s: float, now: float | None = None) -> int:
    """Remove every upload older than ``max_age_s`` (and broken leftovers); returns how many."""
    now = time.time() if now is None else now
    removed = 0
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        if not folder.is_dir() or not _TOKEN.fullmatch(folder.name):
            continue
        manifest = folder / _MANIFEST
        try:
            created = float(json.loads(manifest.read_text(encoding="utf-8"))["created"])
        except (OSError, ValueError, KeyError, TypeError):
            # A folder still being written has no manifest yet: judge it by its own age.
            created = folder.stat().st_mtime
        if now - created > max_age_s:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
