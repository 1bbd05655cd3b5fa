"""What the coordinator's dashboard, calendar and the console's lists of walks read:
walks in a window of time, pages of walks after a moment, walks without a guide, waiting
lists with people on them, mail that failed.

Each function is one or two statements whatever the size of the tables: counts are
aggregated in SQL (``GROUP BY`` or a correlated sum on an index), windows are ranges on
``starts_at`` (indexed), and lists are capped by ``limit`` with their full count beside
them, so a page shows "and 40 more" instead of reading 10,000 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from tours.booking.models import (
    OFFERED,
    SCHEDULED,
    WAITING,
    Departure,
    OutboxMessage,
    WaitlistEntry,
)
from tours.booking.outbox import FAILED
from tours.tour.models import TourRecord, TourVersionRecord

# Every local day of the world lies within this much of its UTC day (UTC-12 to UTC+14):
# a window of local dates is read as a UTC range widened by it, then cut by local date.
ZONE_MARGIN = timedelta(hours=14)


@dataclass(frozen=True)
class AgendaWalk:
    """One walk as the dashboard and calendar list it: no booker's data."""

    id: int
    slug: str
    title: dict[str, Any]  # the current version's title, {language: text}
    starts_at: datetime  # aware, UTC
    timezone: str
    language: str
    capacity: int
    seats_taken: int
    seats_held: int
    guide_id: str | None
    status: str
    waiting: int = 0  # people on its waiting list (waiting or holding an offer)
    private: bool = False  # a group's own walk, never listed publicly

    @property
    def booked(self) -> int:
        return self.seats_taken

    @property
    def cancelled(self) -> bool:
        return self.status != SCHEDULED


@dataclass(frozen=True)
class Capped:
    """The first lines of a list, and how many there are in all."""

    lines: list[Any]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.lines)


@dataclass(frozen=True)
class WalkFilter:
    """The calendar's filters; ``None`` means any."""

    slug: str | None = None
    guide_id: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class FailedMail:
    id: int
    kind: str
    recipient: str
    subject: str
    reason: str
    created_at: datetime
    departure_id: int | None


_OPEN_ENTRY = WaitlistEntry.status.in_((WAITING, OFFERED))
_WAITING_PEOPLE = (
    select(func.coalesce(func.sum(WaitlistEntry.party_size), 0))
    .where(WaitlistEntry.departure_id == Departure.id, _OPEN_ENTRY)
    .correlate(Departure)
    .scalar_subquery()
)


def _walks(*, waiting: bool = True) -> Select:
    """Departures with their tour's slug and current title, and their waiting people
    (``waiting=False``: 0, for lists that do not show them: a correlated sum a row)."""
    people = _WAITING_PEOPLE if waiting else literal(0)
    return (
        select(
            Departure.id,
            TourRecord.slug,
            TourVersionRecord.title,
            Departure.starts_at,
            Departure.timezone,
            Departure.language,
            Departure.capacity,
            Departure.seats_taken,
            Departure.seats_held,
            Departure.guide_id,
            Departure.status,
            Departure.private,
            people.label("waiting"),
        )
        .join(TourRecord, Departure.tour_id == TourRecord.id)
        .outerjoin(
            TourVersionRecord,
            and_(
                TourVersionRecord.tour_id == TourRecord.id,
                TourVersionRecord.version == TourRecord.current_version,
            ),
        )
        .order_by(Departure.starts_at, Departure.id)
    )


def _walk(row: Any) -> AgendaWalk:
    starts_at = row.starts_at
    if starts_at.tzinfo is None:  # SQLite hands back naive UTC
        starts_at = starts_at.replace(tzinfo=UTC)
    return AgendaWalk(
        id=row.id,
        slug=row.slug,
        title=dict(row.title or {}),
        starts_at=starts_at,
        timezone=row.timezone,
        language=row.language,
        capacity=row.capacity,
        seats_taken=row.seats_taken,
        seats_held=row.seats_held,
        guide_id=row.guide_id,
        status=row.status,
        waiting=int(row.waiting or 0),
        private=bool(row.private),
    )


def _filtered(query: Select, chosen: WalkFilter) -> Select:
    if chosen.slug is not None:
        query = query.where(TourRecord.slug == chosen.slug)
    if chosen.guide_id is not None:
        query = query.where(Departure.guide_id == chosen.guide_id)
    if chosen.language is not None:
        query = query.where(Departure.language == chosen.language)
    return query


def walks_between(
    db_session: Session,
    start: datetime,
    end: datetime,
    chosen: WalkFilter = WalkFilter(),
) -> list[AgendaWalk]:
    """Walks starting in ``[start, end)`` (aware), soonest first, cancelled ones too (a
    calendar shows them as such); one statement on the ``starts_at`` index."""
    query = _filtered(
        _walks().where(Departure.starts_at >= start, Departure.starts_at < end), chosen
    )
    return [_walk(row) for row in db_session.execute(query)]


def walks_around(
    db_session: Session,
    first: date,
    last: date,
    chosen: WalkFilter = WalkFilter(),
) -> list[AgendaWalk]:
    """Walks whose *local* date (in their own timezone) is from ``first`` to ``last``
    (both included): read as a UTC range widened by ``ZONE_MARGIN``, then cut."""
    start = datetime.combine(first, datetime.min.time(), UTC) - ZONE_MARGIN
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC) + ZONE_MARGIN
    found = walks_between(db_session, start, end, chosen)
    return [w for w in found if first <= local_date(w) <= last]


def local_date(walk: AgendaWalk) -> date:
    """The walk's date where it happens."""
    return walk.starts_at.astimezone(ZoneInfo(walk.timezone)).date()


# Where a page of a list of walks is: the ``(starts_at, id)`` of a walk, its sort key.
WalkKey = tuple[datetime, int]


@dataclass(frozen=True)
class WalkPage:
    """One page of a list of walks, soonest first, and whether walks come before or after."""

    walks: list[AgendaWalk]
    has_previous: bool
    has_next: bool

    @property
    def first_key(self) -> WalkKey | None:
        return (self.walks[0].starts_at, self.walks[0].id) if self.walks else None

    @property
    def last_key(self) -> WalkKey | None:
        return (self.walks[-1].starts_at, self.walks[-1].id) if self.walks else None


def walks_page(
    db_session: Session,
    since: datetime,
    chosen: WalkFilter = WalkFilter(),
    *,
    limit: int,
    after: WalkKey | None = None,
    before: WalkKey | None = None,
) -> WalkPage:
    """Walks starting after ``since`` (cancelled and private ones too; their waiting
    people are not counted), ``limit`` a page in ``(starts_at, id)`` order: the first
    page, the page right after the walk ``after`` or the page right before the walk
    ``before`` (a shown page's last or first key).

    One statement on any page (keyset, not ``OFFSET``): it picks ``limit + 1`` walks in
    the direction of travel, the extra one saying whether there is a page beyond, and
    only then joins their tours and titles (sorting the upcoming walks with their titles
    attached cost twice as much).  A page reached forwards has one before it; one
    reached backwards has one after it.
    """
    if limit < 1:
        raise ValueError("a page holds at least one walk")
    keys = select(Departure.id).where(Departure.starts_at > since)
    if chosen.slug is not None:
        tour = select(TourRecord.id).where(TourRecord.slug == chosen.slug)
        keys = keys.where(Departure.tour_id.in_(tour.scalar_subquery()))
    if chosen.guide_id is not None:
        keys = keys.where(Departure.guide_id == chosen.guide_id)
    if chosen.language is not None:
        keys = keys.where(Departure.language == chosen.language)
    if before is not None:
        starts_at, walk_id = before
        keys = keys.where(
            or_(
                Departure.starts_at < starts_at,
                and_(Departure.starts_at == starts_at, Departure.id < walk_id),
            )
        ).order_by(Departure.starts_at.desc(), Departure.id.desc())
    else:
        if after is not None:
            starts_at, walk_id = after
            keys = keys.where(
                or_(
                    Departure.starts_at > starts_at,
                    and_(Departure.starts_at == starts_at, Departure.id > walk_id),
                )
            )
        keys = keys.order_by(Departure.starts_at, Departure.id)
    picked = keys.limit(limit + 1).subquery()
    query = _walks(waiting=False).where(Departure.id.in_(select(picked.c.id)))
    rows = [_walk(row) for row in db_session.execute(query)]  # soonest first either way
    more = len(rows) > limit
    if before is not None:
        return WalkPage(rows[-limit:], has_previous=more, has_next=True)
    return WalkPage(rows[:limit], has_previous=after is not None, has_next=more)


def walks_without_guide(db_session: Session, now: datetime, *, limit: int = 20) -> Capped:
    """Upcoming scheduled walks nobody guides yet, soonest first, and how many in all."""
    condition = and_(
        Departure.starts_at > now, Departure.status == SCHEDULED, Departure.guide_id.is_(None)
    )
    lines = [_walk(row) for row in db_session.execute(_walks().where(condition).limit(limit))]
    total = db_session.scalar(select(func.count()).select_from(Departure).where(condition)) or 0
    return Capped(lines, total)


def waiting_lists(db_session: Session, now: datetime, *, limit: int = 20) -> Capped:
    """Upcoming scheduled walks with people on their waiting list, soonest first."""
    waiting = (
        select(WaitlistEntry.departure_id)
        .where(_OPEN_ENTRY)
        .group_by(WaitlistEntry.departure_id)
        .subquery()
    )
    condition = and_(
        Departure.starts_at > now,
        Departure.status == SCHEDULED,
        Departure.id.in_(select(waiting.c.departure_id)),
    )
    lines = [_walk(row) for row in db_session.execute(_walks().where(condition).limit(limit))]
    total = db_session.scalar(select(func.count()).select_from(Departure).where(condition)) or 0
    return Capped(lines, total)


def failed_mail(db_session: Session, *, limit: int = 20) -> Capped:
    """Messages the mail worker gave up on, newest first, and how many in all."""
    condition = OutboxMessage.status == FAILED
    rows = db_session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.last_error,
            OutboxMessage.created_at,
            OutboxMessage.departure_id,
        )
        .where(condition)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    lines = [
        FailedMail(row.id, row.kind, row.recipient, row.subject, row.last_error or "",
                   row.created_at, row.departure_id)
        for row in rows
    ]  # fmt: skip
    total = db_session.scalar(select(func.count()).select_from(OutboxMessage).where(condition))
    return Capped(lines, total or 0)


def tour_titles(db_session: Session) -> list[tuple[str, dict[str, Any]]]:
    """Every tour that has walks to filter by: its slug and current title, by slug."""
    rows = db_session.execute(
        select(TourRecord.slug, TourVersionRecord.title)
        .join(
            TourVersionRecord,
            and_(
                TourVersionRecord.tour_id == TourRecord.id,
                TourVersionRecord.version == TourRecord.current_version,
            ),
        )
        .order_by(TourRecord.slug)
    )
    return [(slug, dict(title or {})) for slug, title in rows]


def walk_languages(db_session: Session) -> list[str]:
    """The languages the tours are told in (their current versions'), sorted."""
    found: set[str] = set()
    rows = db_session.scalars(
        select(TourVersionRecord.languages).join(
            TourRecord,
            and_(
                TourVersionRecord.tour_id == TourRecord.id,
                TourVersionRecord.version == TourRecord.current_version,
            ),
        )
    )
    for languages in rows:
        found.update(languages.split())
    return sorted(found)
