"""Departures: scheduling one or a weekly series, listing, cancelling.

Times are given as wall-clock times in the tour's timezone, stored in UTC and shown
again in that timezone.  A wall time that does not exist (the spring-forward gap) or
exists twice (the autumn fold) is refused with a message saying which, rather than
silently shifting a departure by an hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, and_, bindparam, func, or_, select, union_all, update
from sqlalchemy.orm import Session, contains_eager

from tours.booking.models import (
    CANCELLED,
    CONFIRMED,
    OFFERED,
    SCHEDULED,
    WAITING,
    Booking,
    Departure,
    DepartureVersion,
    WaitlistEntry,
)
from tours.db import fetch_first, utcnow
from tours.errors import BideanError, NotFound
from tours.i18n import is_valid_tag, normalize_tag
from tours.text import counted
from tours.tour.models import TourRecord
from tours.tour.store import get_tour

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_MAX_PARTY = 8
MAX_SERIES = 366


class ScheduleError(BideanError):
    """A departure that cannot be scheduled as asked; the message says how to fix it.

    The message is in the command line's words; ``reason`` (a short code) and ``values``
    let a page say the same thing in its own words and language.
    """

    def __init__(self, message: str, reason: str = "", **values: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


class DepartureNotFound(NotFound):
    def __init__(self, departure_id: int) -> None:
        self.departure_id = departure_id
        super().__init__(f"No session {departure_id} exists.")


@dataclass(frozen=True)
class DepartureRequest:
    """What a coordinator asks for; ``local_start`` is naive wall time in the tour's zone."""

    slug: str
    local_start: datetime
    language: str
    capacity: int
    guide_id: str | None = None
    max_party: int = DEFAULT_MAX_PARTY
    meeting_stop_id: str | None = None
    private: bool = False  # a group's own walk: never listed, never booked by the public


def tour_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            f"The tour's timezone {name!r} is not a known IANA zone.", "zone", zone=name
        ) from exc


def localize(wall: datetime, zone: ZoneInfo) -> datetime:
    """``wall`` (naive) as an aware time in ``zone``; refuses gap and fold times."""
    if wall.tzinfo is not None:
        return wall.astimezone(zone)
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back != wall:
            raise ScheduleError(
                f"{wall:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip that "
                "hour for daylight saving time. Choose a time outside the gap.",
                "clock_gap",
                time=wall,
            )
        raise ScheduleError(
            f"{wall:%Y-%m-%d %H:%M} happens twice in {zone.key} (the clocks go back that "
            "night). Choose a time outside that hour.",
            "clock_fold",
            time=wall,
        )
    return first


def series_dates(start: date, until: date, weekdays: Sequence[str]) -> list[date]:
    """Every date from ``start`` to ``until`` (inclusive) falling on one of ``weekdays``."""
    wanted = set()
    for name in weekdays:
        key = name.strip().lower()
        if key in ("day", "daily"):
            wanted.update(range(7))
        elif key in WEEKDAYS:
            wanted.add(WEEKDAYS.index(key))
        else:
            raise ScheduleError(
                f"--every {name!r} is not understood: use a weekday name such as 'saturday', "
                "several separated by commas, or 'day'.",
                "every",
            )
    if until < start:
        raise ScheduleError(
            f"--until {until} is before the first session on {start}.", "until", until=until
        )
    days = [start + timedelta(days=n) for n in range((until - start).days + 1)]
    found = [d for d in days if d.weekday() in wanted]
    if len(found) > MAX_SERIES:
        raise ScheduleError(
            f"That series would create {len(found)} sessions; at most {MAX_SERIES} at once.",
            "series",
            count=len(found),
            most=MAX_SERIES,
        )
    return found


def _check_request(req: DepartureRequest) -> None:
    if req.capacity < 1:
        raise ScheduleError("--capacity must be at least 1.", "capacity")
    if req.max_party < 1:
        raise ScheduleError("--max-party must be at least 1.", "max_party")
    if not is_valid_tag(req.language):
        raise ScheduleError(
            f"--language {req.language!r} is not a BCP 47 language tag such as 'es' or 'eu'.",
            "language",
        )


def schedule(
    db_session: Session,
    req: DepartureRequest,
    *,
    dates: Sequence[date] | None = None,
    now: datetime | None = None,
) -> list[Departure]:
    """Create a departure at ``req.local_start`` or, with ``dates``, one per date at that time.

    All or nothing: every occurrence is checked before any row is written.
    """
    _check_request(req)
    now = now or utcnow()
    record = db_session.scalars(select(TourRecord).where(TourRecord.slug == req.slug)).one_or_none()
    if record is None:
        raise ScheduleError(f"No tour {req.slug!r} is stored; import it first.", "no_tour")
    tour = get_tour(db_session, req.slug).tour
    zone = tour_zone(tour.timezone)
    stops = tour.ordered_public_stops()
    if req.meeting_stop_id:
        matches = [s for s in tour.public_stops if s.id == req.meeting_stop_id]
        if not matches:
            known = ", ".join(s.id for s in tour.public_stops)
            raise ScheduleError(
                f"--meeting-stop {req.meeting_stop_id!r} is not a published stop of "
                f"{req.slug!r}; choose one of: {known}.",
                "meeting_stop",
            )
        meeting = matches[0]
    elif stops:
        meeting = stops[0]
    else:
        raise ScheduleError(f"Tour {req.slug!r} has no published stop to meet at.", "no_stop")
    wall_time = req.local_start.time()
    days = list(dates) if dates is not None else [req.local_start.date()]
    starts = [localize(datetime.combine(d, wall_time), zone) for d in days]
    for start in starts:
        if start <= now:
            raise ScheduleError(
                f"{start:%Y-%m-%d %H:%M} ({zone.key}) is in the past; sessions are for the future.",
                "past",
                time=start,
            )
    departures = [
        Departure(
            tour_id=record.id,
            starts_at=start.astimezone(UTC),
            timezone=zone.key,
            language=normalize_tag(req.language),
            capacity=req.capacity,
            max_party=min(req.max_party, req.capacity),
            guide_id=req.guide_id,
            meeting_stop_id=meeting.id,
            meeting_name=meeting.name.to_json(),
            meeting_lon=meeting.lonlat.lon,
            meeting_lat=meeting.lonlat.lat,
            status=SCHEDULED,
            private=req.private,
        )
        for start in starts
    ]
    db_session.add_all(departures)
    db_session.flush()
    return departures


def get_departure(db_session: Session, departure_id: int, *, lock: bool = False) -> Departure:
    query = select(Departure).where(Departure.id == departure_id)
    if lock:
        query = query.with_for_update()
    departure = db_session.scalars(query).one_or_none()
    if departure is None:
        raise DepartureNotFound(departure_id)
    return departure


def get_public_departure(db_session: Session, departure_id: int) -> Departure:
    """A departure as the public may see it: a private one (a group's) is not found."""
    departure = get_departure(db_session, departure_id)
    if departure.private:
        raise DepartureNotFound(departure_id)
    return departure


def upcoming(
    db_session: Session,
    *,
    slug: str | None = None,
    now: datetime | None = None,
    include_cancelled: bool = False,
    limit: int | None = None,
    guide_id: str | None = None,
    after: tuple[datetime, int] | None = None,
    include_private: bool = False,
) -> list[Departure]:
    """Departures that have not started yet, soonest first, optionally of one tour or guide;
    with ``after``, only those after that ``(starts_at, id)`` (a page's last).

    Private departures (groups' own walks) only with ``include_private``: the console's
    and the command line's lists ask for them, the public's never do."""
    query = (
        select(Departure)
        .join(TourRecord, Departure.tour_id == TourRecord.id)
        .options(contains_eager(Departure.tour))  # the joined tour, not a read per tour
        .where(Departure.starts_at > (now or utcnow()))
        .order_by(Departure.starts_at, Departure.id)
    )
    if slug is not None:
        query = query.where(TourRecord.slug == slug)
    if not include_cancelled:
        query = query.where(Departure.status == SCHEDULED)
    if not include_private:
        query = query.where(Departure.private.is_(False))
    if guide_id is not None:
        query = query.where(Departure.guide_id == guide_id)
    if after is not None:
        starts_at, departure_id = after
        query = query.where(
            or_(
                Departure.starts_at > starts_at,
                and_(Departure.starts_at == starts_at, Departure.id > departure_id),
            )
        )
    if limit is not None:
        query = query.limit(limit)
    return list(db_session.scalars(query))


def upcoming_by_tour(
    db_session: Session,
    *,
    now: datetime | None = None,
    per_tour: int = 3,
    slugs: Iterable[str] | None = None,
) -> dict[str, list[Departure]]:
    """The next ``per_tour`` scheduled public departures of every tour (or of ``slugs``),
    keyed by slug, in one query (private ones, groups' own walks, are never listed).

    With ``slugs`` (a catalogue page's tours) each tour's next departures are read through
    the ``(tour_id, status, starts_at)`` index, ``per_tour`` rows each, however many the
    tour has; without, every upcoming departure is ranked (a window function).
    """
    moment = now or utcnow()
    if slugs is None:
        rank = (
            func.row_number()
            .over(partition_by=Departure.tour_id, order_by=(Departure.starts_at, Departure.id))
            .label("rank")
        )
        ranked = (
            select(Departure.id, rank)
            .where(
                Departure.starts_at > moment,
                Departure.status == SCHEDULED,
                Departure.private.is_(False),
            )
            .subquery()
        )
        chosen = select(ranked.c.id).where(ranked.c.rank <= per_tour)
    else:
        wanted = sorted(set(slugs))
        if not wanted:
            return {}
        firsts = [
            select(Departure.id)
            .join(TourRecord, Departure.tour_id == TourRecord.id)
            .where(
                TourRecord.slug == slug,
                Departure.status == SCHEDULED,
                Departure.private.is_(False),
                Departure.starts_at > moment,
            )
            .order_by(Departure.starts_at, Departure.id)
            .limit(per_tour)
            .subquery()
            for slug in wanted
        ]
        # Each tour's LIMIT stays inside its own subquery (SQLite allows no LIMIT on the
        # members of a compound SELECT).
        chosen = union_all(*(select(first.c.id) for first in firsts))
    query = (
        select(TourRecord.slug, Departure)
        .join(TourRecord, Departure.tour_id == TourRecord.id)
        .options(contains_eager(Departure.tour))
        .where(Departure.id.in_(chosen))
        .order_by(Departure.starts_at, Departure.id)
    )
    result: dict[str, list[Departure]] = {}
    for slug, departure in db_session.execute(query):
        result.setdefault(slug, []).append(departure)
    return result


@dataclass(frozen=True)
class DepartureSnapshot:
    """A departure as read for a public page: its columns, no ORM object behind it."""

    id: int
    starts_at: datetime
    timezone: str
    language: str
    capacity: int
    max_party: int
    seats_taken: int
    seats_held: int
    guide_id: str | None
    meeting_name: dict[str, Any]
    meeting_lon: float
    meeting_lat: float
    status: str
    meeting_stop_id: str | None = None
    private: bool = False  # always False where the public reads: they never list private ones

    @property
    def seats_left(self) -> int:
        # The same rule as ``Departure.seats_left`` (a test holds them equal).
        return max(0, self.capacity - self.seats_taken - self.seats_held)

    def __hash__(self) -> int:
        """Hashable like the frozen value it is (its meeting name is a JSON object), so
        what is shown from it can be looked up by it."""
        fields = [getattr(self, name) for name in _SNAPSHOT_FIELDS]
        fields[_SNAPSHOT_FIELDS.index("meeting_name")] = tuple(sorted(self.meeting_name.items()))
        return hash(tuple(fields))


@dataclass(frozen=True)
class CurrentAndUpcoming:
    """A tour's current version and its next scheduled departures, read together, with the
    tour's departures version (``DepartureVersion``; None on a schema without its row)."""

    version: int
    departures: list[DepartureSnapshot]
    departures_version: int | None = None


@dataclass(frozen=True)
class PublishedVersions:
    """A published tour's current version and its departures version (None without a row)."""

    version: int
    departures_version: int | None


_SNAPSHOT_FIELDS = tuple(DepartureSnapshot.__dataclass_fields__)
_tours, _departures = TourRecord.__table__, Departure.__table__
_versions = DepartureVersion.__table__
_PUBLISHED = and_(_tours.c.slug == bindparam("slug"), _tours.c.status == "published")
_PUBLISHED_VERSIONS = (
    select(_tours.c.current_version, _versions.c.version)
    .select_from(_tours.outerjoin(_versions, _versions.c.tour_id == _tours.c.id))
    .where(_PUBLISHED)
)
# Built once: constructing a select() costs more than running it from the compiled cache.
# The outer join gives one row of NULL departure columns when none is upcoming, so the
# version and the departures come back in one statement, from one snapshot.
_CURRENT_AND_UPCOMING = (
    select(
        _tours.c.current_version,
        *(_departures.c[name] for name in _SNAPSHOT_FIELDS),
        _versions.c.version.label("departures_version"),
    )
    .select_from(
        _tours.outerjoin(_versions, _versions.c.tour_id == _tours.c.id).outerjoin(
            _departures,
            and_(
                _departures.c.tour_id == _tours.c.id,
                _departures.c.starts_at > bindparam("now"),
                _departures.c.status == SCHEDULED,
                _departures.c.private.is_(False),
            ),
        )
    )
    .where(_PUBLISHED)
    .order_by(_departures.c.starts_at, _departures.c.id)
    .limit(bindparam("limit"))
)


def current_and_upcoming(
    conn: Connection | Session, slug: str, *, now: datetime | None = None, limit: int = 12
) -> CurrentAndUpcoming | None:
    """The current version of ``slug`` and its next ``limit`` scheduled public departures,
    soonest first, in one statement (so the departures version that comes with them is the
    one they are at); None when no such tour is published."""
    if limit < 1:
        raise ValueError("limit must be at least 1: the version comes on the first row")
    rows = conn.execute(
        _CURRENT_AND_UPCOMING, {"slug": slug, "now": now or utcnow(), "limit": limit}
    ).all()
    if not rows:
        return None
    fields = slice(1, 1 + len(_SNAPSHOT_FIELDS))
    departures = [DepartureSnapshot(*row[fields]) for row in rows if row.id is not None]
    return CurrentAndUpcoming(rows[0].current_version, departures, rows[0].departures_version)


def published_versions(
    source: Engine | Connection | Session, slug: str
) -> PublishedVersions | None:
    """The current version of ``slug`` and its departures version, in one small statement
    (two primary-key lookups); None when no such tour is published.  From an engine, read
    outside any transaction the quickest way (``fetch_first``), for every tour page view."""
    if isinstance(source, Engine):
        row = fetch_first(source, _PUBLISHED_VERSIONS, {"slug": slug})
    else:
        row = source.execute(_PUBLISHED_VERSIONS, {"slug": slug}).first()
    return PublishedVersions(row[0], row[1]) if row is not None else None


def slug_of(db_session: Session, departure: Departure) -> str:
    return (
        db_session.scalar(select(TourRecord.slug).where(TourRecord.id == departure.tour_id)) or ""
    )


@dataclass(frozen=True)
class CancelledDeparture:
    """A cancelled departure and the people to tell: its bookings and waiting-list entries."""

    departure: Departure
    bookings: list[Booking]
    waitlist: list[WaitlistEntry]
    changed: bool = True  # False when it was cancelled already


def cancel(
    db_session: Session, departure_id: int, *, now: datetime | None = None
) -> CancelledDeparture:
    """Cancel a departure: its bookings and waiting-list entries are closed, seats freed.

    Returns what it closed so the caller can write to everyone in the same transaction.
    Cancelling twice is harmless and tells nobody twice.
    """
    now = now or utcnow()
    departure = get_departure(db_session, departure_id, lock=True)
    if departure.status == CANCELLED:
        return CancelledDeparture(departure, [], [], changed=False)
    bookings = list(
        db_session.scalars(
            select(Booking)
            .where(Booking.departure_id == departure_id, Booking.status == CONFIRMED)
            .order_by(Booking.id)
            .with_for_update()
        )
    )
    entries = list(
        db_session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.departure_id == departure_id,
                WaitlistEntry.status.in_((WAITING, OFFERED)),
            )
            .order_by(WaitlistEntry.id)
            .with_for_update()
        )
    )
    for booking in bookings:
        booking.status = CANCELLED
        booking.cancelled_at = now
        booking.cancel_reason = "departure_cancelled"
    for entry in entries:
        entry.status = CANCELLED
        entry.closed_at = now
    db_session.flush()
    db_session.execute(
        update(Departure)
        .where(Departure.id == departure_id)
        .values(status=CANCELLED, cancelled_at=now, seats_taken=0, seats_held=0)
    )
    db_session.refresh(departure)
    return CancelledDeparture(departure, bookings, entries)


def set_capacity(db_session: Session, departure_id: int, capacity: int) -> Departure:
    """Change a departure's capacity; never below the seats already taken or held."""
    departure = get_departure(db_session, departure_id, lock=True)
    if capacity < 1:
        raise ScheduleError("The capacity must be at least 1.", "capacity")
    in_use = departure.seats_taken + departure.seats_held
    if capacity < in_use:
        raise ScheduleError(
            f"Session {departure_id} already has {counted(in_use, 'seat')} booked or offered; "
            f"the capacity cannot go below that.",
            "below_booked",
            seats=in_use,
        )
    departure.capacity = capacity
    departure.max_party = min(departure.max_party, capacity)
    db_session.flush()
    return departure
