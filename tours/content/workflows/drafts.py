"""Publishing a draft, and withdrawing a tour.

``publish`` checks the newest version of a tour with the full profile, exactly as an
import of a finished file would be checked.  A complete draft becomes the published
version (its normalised document stored as a new version when normalising changes it,
so stored versions never change); an incomplete one is refused with the report, and
its to-do list is brought up to date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tours.content.assembly.assemble import TODO_WARNINGS, option_hint
from tours.content.checking.pipeline import ValidationOptions, validate_document
from tours.content.report import Report
from tours.tour.store import (
    PUBLISHED,
    WITHDRAWN,
    StaleVersion,
    newest_version,
    save_document,
    set_status,
)


@dataclass
class PublishOutcome:
    """The report of the check, and the version published (None when refused)."""

    report: Report
    version: int | None = None
    todo: list[dict[str, Any]] = field(default_factory=list)
    unchanged: bool = False  # that version was already the published one

    @property
    def ok(self) -> bool:
        return self.version is not None


def publish(
    db_session: Session,
    slug: str,
    options: ValidationOptions | None = None,
    based_on: int | None = None,
) -> PublishOutcome:
    """Publish the newest version of ``slug`` if it is complete; raises ``TourNotFound``.

    In the caller's transaction (opened with ``write_lock``: the tour's row is locked).
    ``based_on`` (the editor's button) is the version the coordinator saw: if a newer
    one was saved since, ``StaleVersion`` is raised and nothing is published.
    """
    options = options or ValidationOptions()
    row = newest_version(db_session, slug)
    if based_on is not None and row.version != based_on:
        raise StaleVersion(slug, based_on, row.version, [row.source_name])
    document = without_draft_marks(row.document)
    result = validate_document(document, slug, options)
    todo = [{**p.to_dict(), "message": p.message + option_hint(p)} for p in result.report.errors]
    todo += [p.to_dict() for p in result.report.warnings if p.code in TODO_WARNINGS]
    outcome = PublishOutcome(result.report, todo=todo)
    if todo or result.tour is None or result.document is None:
        row.todo = todo
        return outcome
    tour = result.tour
    if result.document == row.document:
        outcome.unchanged = row.tour.status == PUBLISHED and row.tour.current_version == row.version
        set_status(db_session, slug, PUBLISHED, row.version)
        row.todo = []
        outcome.version = row.version
    else:
        outcome.version = save_document(
            db_session,
            result.document,
            slug=slug,
            city=tour.city,
            languages=tour.languages,
            title=tour.title.to_json(),
            source_name=f"published from version {row.version}",
        )
    return outcome


def withdraw(db_session: Session, slug: str) -> None:
    """Take a tour off the public site (its versions stay); raises ``TourNotFound``."""
    set_status(db_session, slug, WITHDRAWN)


def without_draft_marks(document: dict[str, Any]) -> dict[str, Any]:
    features = list(document.get("features") or [])
    if features:
        route = dict(features[0])
        route["properties"] = {
            k: v for k, v in (route.get("properties") or {}).items() if k not in ("status", "todo")
        }
        features[0] = route
    return {**document, "features": features}
