"""Clashes between walks: one guide cannot lead two walks at once, and two walks meeting at
the same place within half an hour of each other are worth a second look.

A walk lasts its tour's ``duration_minutes`` when the tour document gives one, else
``DEFAULT_DURATION`` (two hours).  Walks are half-open spans ``[start, end)``: a walk that
starts when the other ends does not clash with it.  Cancelled walks are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from guides.profiles import GuideError, GuideProfile
from tours.booking.departures import tour_zone
from tours.booking.models import SCHEDULED, Departure
from tours.errors import TourNotFound
from tours.tour.models import TourRecord
from tours.tour.store import get_tour

DEFAULT_DURATION = timedelta(hours=2)
# No walk is longer than this: the look-back when searching for walks that overlap.
LONGEST_WALK = timedelta(hours=24)
MEETING_WINDOW = timedelta(minutes=30)
SAME_PLACE_METRES = 25.0


@dataclass(frozen=True)
class Span:
    """When a walk happens, in UTC: from ``starts_at`` up to (not including) ``ends_at``."""

    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: Span) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


class Durations:
    """How long each tour's walks last, each tour's document read once."""

    def __init__(self, db_session: Session) -> None:
        self.db_session = db_session
        self._known: dict[int, timedelta] = {}

    def __call__(self, tour_id: int) -> timedelta:
        if tour_id not in self._known:
            self._known[tour_id] = self._read(tour_id)
        return self._known[tour_id]

    def _read(self, tour_id: int) -> timedelta:
        slug = self.db_session.scalar(select(TourRecord.slug).where(TourRecord.id == tour_id))
        if slug is None:
            return DEFAULT_DURATION
        try:
            return self.length(get_tour(self.db_session, slug).tour.duration_minutes)
        except TourNotFound:
            return DEFAULT_DURATION

    @staticmethod
    def length(minutes: object) -> timedelta:
        """A tour document's ``duration_minutes`` as a length, the default when it has none."""
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            return DEFAULT_DURATION
        return timedelta(minutes=minutes)

    def span(self, departure: Departure) -> Span:
        return Span(departure.starts_at, departure.starts_at + self(departure.tour_id))


def guide_clashes(
    db_session: Session,
    guide_id: str,
    span: Span,
    *,
    ignore: Collection[int] = (),
    durations: Durations | None = None,
) -> list[Departure]:
    """The guide's scheduled walks (not those in ``ignore``) that overlap ``span``."""
    durations = durations or Durations(db_session)
    query = (
        select(Departure)
        .where(
            Departure.guide_id == guide_id,
            Departure.status == SCHEDULED,
            Departure.starts_at > span.starts_at - LONGEST_WALK,
            Departure.starts_at < span.ends_at,
        )
        .order_by(Departure.starts_at, Departure.id)
    )
    return [
        other
        for other in db_session.scalars(query)
        if other.id not in ignore and durations.span(other).overlaps(span)
    ]


class GuideClash(GuideError):
    """The guide already leads a walk at that time: the walk ``other_id``, of ``slug``,
    starting at ``other_start`` (aware, in its own zone)."""

    def __init__(self, guide: GuideProfile, other: Departure, slug: str) -> None:
        self.guide = guide
        self.other_id = other.id
        self.slug = slug
        self.other_start = other.starts_at.astimezone(tour_zone(other.timezone))
        super().__init__(
            f"{guide.display_name} ({guide.id}) already leads {slug!r} on "
            f"{self.other_start:%Y-%m-%d} at {self.other_start:%H:%M} ({other.timezone}, "
            f"session {other.id}); a guide cannot lead two walks at once. Choose another "
            "guide or another time."
        )


def refuse_clashes(
    db_session: Session,
    guide: GuideProfile,
    departures: Iterable[Departure],
    durations: Durations | None = None,
) -> None:
    """Raise ``GuideClash`` when ``guide`` leads another walk overlapping one of these."""
    durations = durations or Durations(db_session)
    for departure in departures:
        found = guide_clashes(
            db_session,
            guide.id,
            durations.span(departure),
            ignore={departure.id},
            durations=durations,
        )
        if found:
            other = found[0]
            slug = db_session.scalar(select(TourRecord.slug).where(TourRecord.id == other.tour_id))
            raise GuideClash(guide, other, slug or "")


@dataclass(frozen=True)
class MeetingWarning:
    """``departure`` meets where ``other`` meets, within ``MEETING_WINDOW`` of it."""

    departure: Departure
    other: Departure


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    # Equirectangular: exact enough over the few metres that matter here.
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)


def meeting_point_warnings(
    db_session: Session, departures: Iterable[Departure]
) -> list[MeetingWarning]:
    """Other scheduled walks meeting within ``SAME_PLACE_METRES`` of one of ``departures``
    and starting at most ``MEETING_WINDOW`` before or after it: two groups on one corner."""
    wanted = list(departures)
    own = {d.id for d in wanted}
    warnings = []
    for departure in wanted:
        query = (
            select(Departure)
            .where(
                Departure.status == SCHEDULED,
                Departure.starts_at >= departure.starts_at - MEETING_WINDOW,
                Departure.starts_at <= departure.starts_at + MEETING_WINDOW,
            )
            .order_by(Departure.starts_at, Departure.id)
        )
        for other in db_session.scalars(query):
            if other.id in own:
                continue
            distance = _metres(
                departure.meeting_lon, departure.meeting_lat, other.meeting_lon, other.meeting_lat
            )
            if distance <= SAME_PLACE_METRES:
                warnings.append(MeetingWarning(departure, other))
    return warnings
