"""What the coordinator's dashboard says of the tours: drafts ready to publish, and
published tours with a declared language whose stops lack their texts.

Both read one statement; the second reads the documents of published versions it has not
seen before (what a version lacks is kept: versions never change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from threading import Lock
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


# What each published version lacks, worked out once: a version never changes, and a
# tour's document can be megabytes (a long route) that the dashboard should not parse on
# every visit.  Keyed by slug, version and when it was stored, so two databases in one
# process (tests, benchmarks) never share an answer; emptied when it grows past a bound.
_lacking: dict[tuple[str, int, datetime], tuple[str, ...]] = {}
_lacking_lock = Lock()
_LACKING_KEPT = 4096


def _languages_lacking(document: dict[str, Any]) -> tuple[str, ...]:
    report = completeness(document, PUBLIC_FIELDS)
    return tuple(c.language for c in report.languages if c.declared and not c.complete)


def texts_missing(db_session: Session) -> list[MissingTexts]:
    """Published tours whose current version declares a language some stop has no name
    or story in; each with those languages, by slug.

    One statement, and one more reading the documents of versions not seen before.
    """
    current = and_(
        TourVersionRecord.tour_id == TourRecord.id,
        TourVersionRecord.version == TourRecord.current_version,
    )
    rows = db_session.execute(
        select(TourVersionRecord.id, TourRecord.slug, TourVersionRecord.title,
               TourVersionRecord.version, TourVersionRecord.imported_at)
        .join(TourVersionRecord, current)
        .where(TourRecord.status == PUBLISHED)
        .order_by(TourRecord.slug)
    ).all()  # fmt: skip
    keys = {row.id: (row.slug, row.version, row.imported_at) for row in rows}
    with _lacking_lock:
        unknown = [version_id for version_id, key in keys.items() if key not in _lacking]
    if unknown:
        documents = db_session.execute(
            select(TourVersionRecord.id, TourVersionRecord.document).where(
                TourVersionRecord.id.in_(unknown)
            )
        )
        worked_out = {keys[version_id]: _languages_lacking(doc) for version_id, doc in documents}
        with _lacking_lock:
            if len(_lacking) + len(worked_out) > _LACKING_KEPT:
                _lacking.clear()
            _lacking.update(worked_out)
    with _lacking_lock:
        lacking = {version_id: _lacking.get(key, ()) for version_id, key in keys.items()}
    return [
        MissingTexts(TourLine(row.slug, dict(row.title or {}), row.version), lacking[row.id])
        for row in rows
        if lacking[row.id]
    ]
