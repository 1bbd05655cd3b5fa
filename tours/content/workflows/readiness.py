"""What the coordinator's dashboard says of the tours: drafts ready to publish, and
published tours with a declared language whose stops lack their texts.

Both read one statement; only the second reads documents (the published versions'): their
number grows with the tours, never with the walks or bookings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from tours.content.translation.translations import PUBLIC_FIELDS, completeness
from tours.tour.models import TourRecord, TourVersionRecord
from tours.tour.store import DRAFT, PUBLISHED


@dataclass(frozen=True)
class TourLine:
    """A tour as a dashboard line names it."""

    slug: str
    title: dict[str, Any]
    version: int


@dataclass(frozen=True)
class MissingTexts:
    """A published tour and its declared languages that lack a stop's name or story."""

    tour: TourLine
    languages: tuple[str, ...]


def drafts_ready(db_session: Session) -> list[TourLine]:
    """Drafts (a new tour, or a newer version of a published one) with nothing left to
    do: the editor's publish button is on for them.  Withdrawn tours are left alone."""
    newest = (
        select(TourVersionRecord.tour_id, func.max(TourVersionRecord.version).label("v"))
        .group_by(TourVersionRecord.tour_id)
        .subquery()
    )
    rows = db_session.execute(
        select(
            TourRecord.slug,
            TourRecord.status,
            TourRecord.current_version,
            TourVersionRecord.version,
            TourVersionRecord.title,
            TourVersionRecord.todo,
        )
        .join(newest, newest.c.tour_id == TourRecord.id)
        .join(
            TourVersionRecord,
            and_(
                TourVersionRecord.tour_id == TourRecord.id,
                TourVersionRecord.version == newest.c.v,
            ),
        )
        .where(TourRecord.status.in_((DRAFT, PUBLISHED)))
        .order_by(TourRecord.slug)
    )
    return [
        TourLine(row.slug, dict(row.title or {}), row.version)
        for row in rows
        if not row.todo and (row.status == DRAFT or row.version != row.current_version)
    ]


def _languages_lacking(document: dict[str, Any]) -> tuple[str, ...]:
    report = completeness(document, PUBLIC_FIELDS)
    return tuple(c.language for c in report.languages if c.declared and not c.complete)


def texts_missing(db_session: Session) -> list[MissingTexts]:
    """Published tours whose current version declares a language some stop has no name
    or story in; each with those languages, by slug."""
    rows = db_session.execute(
        select(TourRecord.slug, TourVersionRecord.title, TourVersionRecord.version,
               TourVersionRecord.document)
        .join(
            TourVersionRecord,
            and_(
                TourVersionRecord.tour_id == TourRecord.id,
                TourVersionRecord.version == TourRecord.current_version,
            ),
        )
        .where(TourRecord.status == PUBLISHED)
        .order_by(TourRecord.slug)
    )  # fmt: skip
    found = []
    for row in rows:
        lacking = _languages_lacking(row.document)
        if lacking:
            found.append(
                MissingTexts(TourLine(row.slug, dict(row.title or {}), row.version), lacking)
            )
    return found
