"""Storing checked tour files: each valid file a new tour version, in its own transaction.

The checking is :mod:`tours.content.checking.pipeline`'s; this is the step after it
that touches the database (``bidean import`` goes through
:mod:`tours.content.workflows.intake`, which also assembles drafts).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tours.content.checking.pipeline import (
    ValidationOptions,
    ValidationResult,
    validate_path,
    without_gc,
)
from tours.db import transaction
from tours.tour.store import StoredTour, save_tour

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportOutcome:
    """One file of an import: its validation, and what was stored (None if nothing)."""

    file: str
    result: ValidationResult
    stored: StoredTour | None

    @property
    def ok(self) -> bool:
        return self.stored is not None


def import_paths(
    sessions: sessionmaker[Session],
    paths: Iterable[str | os.PathLike[str]],
    options: ValidationOptions | None = None,
    validate: Callable[[Path, ValidationOptions], ValidationResult] = validate_path,
) -> list[ImportOutcome]:
    """Validate each file and store each valid one as a new tour version.

    Every file is stored in its own transaction, so one bad file (or one database error)
    never takes the others down with it, and an invalid file stores nothing at all.
    ``validate`` may do more than ``validate_path`` (the CLI stores the images a file
    names by a local path first).
    """
    options = options or ValidationOptions()
    outcomes = []
    for path in paths:
        result = validate(Path(path), options)
        stored = None
        if result.valid and result.tour is not None:
            stored = _store(sessions, result, Path(path).name, options.city)
        outcomes.append(ImportOutcome(str(path), result, stored))
    return outcomes


def _store(
    sessions: sessionmaker[Session], result: ValidationResult, source: str, city: str | None
) -> StoredTour | None:
    """Store one valid file's tour; a database error becomes a problem in its report."""
    assert result.tour is not None
    try:
        # The collector paused as while validating (without_gc): the stored document's
        # hundred thousand small lists form no cycles.
        with without_gc(), transaction(sessions, write_lock=True) as db_session:
            return save_tour(db_session, result.tour, source_name=source, city=city)
    except SQLAlchemyError as exc:
        log.exception("storing %s failed", source)
        result.report.error(
            "store.failed",
            "",
            f"The tour is valid but could not be stored: {type(exc).__name__}:"
            f" {str(exc).splitlines()[0]}. Nothing was stored for this file; try again.",
        )
        return None
