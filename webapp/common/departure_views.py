"""What pages, emails and the API say about a departure: view models and date formatting.

Dates are shown in the tour's own timezone (a visitor in Lima books a walk in Bilbao
at Bilbao's 11:00) and in the reader's locale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    DateTimePattern,
    format_datetime,
    format_time,
    match_skeleton,
    parse_pattern,
    tokenize_pattern,
)
from flask_babel import get_locale
from sqlalchemy.orm import Session

from guides.profiles import guide_names
from tours.booking.departures import DepartureSnapshot, upcoming_by_tour
from tours.booking.models import CANCELLED, Departure
from tours.coords import LonLat
from tours.db import reading
from tours.errors import TourNotFound
from tours.i18n import LocalizedText, Resolved
from tours.tour.domain import Price, Tour
from webapp.common.database import get_db
from webapp.common.tourcache import CachedTour, request_versions_of, tour_cache

# How many upcoming departures the tour page lists, and a catalogue card.
DEPARTURES_SHOWN = 12
CATALOGUE_DATES_SHOWN = 3


@dataclass(frozen=True)
class DepartureView:
    """One departure as a visitor sees it (no personal data of anyone)."""

    id: int
    slug: str
    title: Resolved
    starts_at: datetime  # aware, in the tour's timezone
    timezone: str
    language: str
    capacity: int
    seats_left: int
    max_party: int
    guide_id: str | None
    guide_name: str | None  # the guide's display name, for visitors
    status: str
    meeting: Resolved | None
    meeting_lonlat: LonLat
    duration_minutes: int
    meeting_address: str | None = None  # the meeting stop's ``address`` property, if any
    price: Price | None = None
    private: bool = False  # a group's own walk (the console marks it; the public never sees one)

    @property
    def full(self) -> bool:
        return self.seats_left <= 0

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def party_limit(self) -> int:
        """The largest party that can book right now."""
        return max(0, min(self.max_party, self.seats_left))


def _resolved(text: LocalizedText, lang: str, default: str, empty: str) -> Resolved:
    return text.resolve(lang, default) or Resolved(empty, default, lang)


def load_departure_view(
    db_session: Session, departure: Departure, lang: str, slug: str | None = None
) -> DepartureView:
    slug = slug or departure.tour.slug
    try:
        cached = tour_cache().get(db_session, slug)
    except TourNotFound:
        cached = None
    return departure_view(
        departure, lang, slug, cached, guide_names(db_session, [departure.guide_id])
    )


def departure_view(
    departure: Departure | DepartureSnapshot,
    lang: str,
    slug: str,
    cached: CachedTour | None,
    names: Mapping[str, str] | None = None,
) -> DepartureView:
    """``departure`` of the tour ``cached`` (None when that tour is no longer stored)."""
    address, price = None, None
    if cached is not None:
        tour = cached.tour
        title = _resolved(tour.title, lang, tour.default_language, slug)
        duration = int(cached.summary.duration_minutes)
        default = tour.default_language
        address, price = meeting_address(tour, departure.meeting_stop_id), tour.price
    else:
        title, duration, default = Resolved(slug, lang, lang), 90, lang
    meeting_name = LocalizedText(departure.meeting_name or {})
    return DepartureView(
        id=departure.id,
        slug=slug,
        title=title,
        starts_at=departure.starts_at.astimezone(ZoneInfo(departure.timezone)),
        timezone=departure.timezone,
        language=departure.language,
        capacity=departure.capacity,
        seats_left=departure.seats_left,
        max_party=departure.max_party,
        guide_id=departure.guide_id,
        guide_name=(names or {}).get(departure.guide_id or ""),
        status=departure.status,
        meeting=meeting_name.resolve(lang, default),
        meeting_lonlat=LonLat(departure.meeting_lon, departure.meeting_lat),
        duration_minutes=duration,
        meeting_address=address,
        price=price,
        private=departure.private,
    )


def departure_guide_names(departures: Iterable[Departure | DepartureSnapshot]) -> dict[str, str]:
    """The display names of these departures' guides, read outside any transaction."""
    ids = [d.guide_id for d in departures if d.guide_id]
    if not ids:
        return {}
    with reading(get_db().engine) as conn:
        return guide_names(conn, ids)


def meeting_address(tour: Tour, stop_id: str | None) -> str | None:
    """The ``address`` a tour file gives its meeting stop (the first stop by default)."""
    stops = tour.ordered_public_stops()
    stop = next((s for s in stops if s.id == stop_id), stops[0] if stops else None)
    address = stop.extra.get("address") if stop is not None else None
    return address.strip() or None if isinstance(address, str) else None


def tour_departure_views(
    cached: CachedTour,
    departures: Iterable[DepartureSnapshot],
    lang: str,
    names: Mapping[str, str] | None = None,
) -> list[DepartureView]:
    """The upcoming departures of the tour ``cached``, as its page lists them."""
    departures = list(departures)
    names = departure_guide_names(departures) if names is None else names
    return [departure_view(d, lang, cached.stored.slug, cached, names) for d in departures]


def load_departure_views(
    db_session: Session, departures: Iterable[Departure], lang: str, slug: str | None = None
) -> list[DepartureView]:
    departures = list(departures)
    names = guide_names(db_session, [d.guide_id for d in departures])
    slugs = [slug] if slug else [departure.tour.slug for departure in departures]
    request_versions_of(db_session, slugs)  # every tour's version in one statement
    views = []
    for departure in departures:
        key = slug or departure.tour.slug
        try:
            cached = tour_cache().get(db_session, key)
        except TourNotFound:
            cached = None
        views.append(departure_view(departure, lang, key, cached, names))
    return views


def next_dates_by_tour(slugs: Iterable[str], lang: str) -> dict[str, list[DepartureView]]:
    """The next walks of each of ``slugs`` (a catalogue page's tours), as its cards list
    them, keyed by slug: one query for the page, whatever its number of tours."""
    slugs = list(slugs)
    if not slugs:
        return {}
    with get_db().transaction() as db_session:
        by_tour = upcoming_by_tour(db_session, per_tour=CATALOGUE_DATES_SHOWN, slugs=slugs)
        return {
            slug: load_departure_views(db_session, found, lang, slug)
            for slug, found in by_tour.items()
        }


def _locale() -> str:
    locale = get_locale()
    return str(locale) if locale is not None else "es"


@lru_cache(maxsize=64)
def skeleton_pattern(skeleton: str, locale: str) -> DateTimePattern:
    """What ``babel.dates.format_skeleton`` resolves ``skeleton`` to, worked out once.

    Matching a skeleton against the locale's list is the slow half of formatting a date.
    """
    skeletons = Locale.parse(locale).datetime_skeletons
    if skeleton not in skeletons:
        skeleton = match_skeleton(skeleton, skeletons) or skeleton
    return skeletons[skeleton]


def _format_skeleton(skeleton: str, moment: datetime) -> str:
    locale = _locale()
    pattern = skeleton_pattern(skeleton, locale)
    return format_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=locale)


def departure_date(moment: datetime) -> str:
    """``sábado, 6 de marzo de 2027``: the date in the reader's locale and the tour's zone."""
    return _format_skeleton("yMMMMEEEEd", moment)


def departure_short_date(moment: datetime) -> str:
    """``sáb, 6 mar``: for lists and subjects."""
    return _format_skeleton("MMMEd", moment)


def departure_list_date(moment: datetime, today: date | None = None) -> str:
    """``sáb, 6 mar`` this year, ``sáb, 6 mar 2027`` in any other: for the catalogue."""
    today = today or datetime.now(moment.tzinfo).date()
    return _format_skeleton("MMMEd" if moment.year == today.year else "yMMMEd", moment)


def departure_time(moment: datetime) -> str:
    return format_time(moment, "short", tzinfo=moment.tzinfo, locale=_locale())


class DateWriter:
    """Writes the dates and times of many walks in one locale, as ``departure_short_date``
    and ``departure_time`` do, its locale and patterns worked out once.

    Those functions ask flask-babel for the locale and parse it and the pattern on every
    call, which is most of the cost of a line of a list: a list takes one writer per
    request (``request_date_writer``) and writes each walk with it.  A writer also keeps
    what it wrote: the walks of a page share a few days and, often, their hours.
    """

    def __init__(self, locale: str) -> None:
        self.locale, self._date_pattern, self._time_pattern, self._zoned = _date_patterns(locale)
        self._dates: dict[date, str] = {}
        self._times: dict[time, str] = {}

    def short_date(self, moment: datetime) -> str:
        """``sáb, 6 mar`` of ``moment`` (aware), in its own timezone."""
        day = moment.date()
        found = self._dates.get(day)
        if found is None:
            found = self._dates[day] = self._date_pattern.apply(moment, self.locale)
        return found

    def time(self, moment: datetime) -> str:
        """``11:00`` (``11:00 AM``) of ``moment`` (aware), in its own timezone."""
        if self._zoned:  # the same time of day reads differently in another zone
            return self._time_pattern.apply(moment, self.locale)
        clock = moment.time()
        found = self._times.get(clock)
        if found is None:
            found = self._times[clock] = self._time_pattern.apply(moment, self.locale)
        return found


# Fields of a date pattern that name a timezone or its offset.
ZONE_FIELDS = frozenset("zZvVOXx")


@lru_cache(maxsize=64)
def clock_pattern(locale: str) -> tuple[Locale, DateTimePattern]:
    """The locale parsed and its short time pattern, once (babel's ``format_time`` parses
    both on each call): ``pattern.apply(moment, locale)`` writes "11:00" or "11:00 AM"."""
    parsed = Locale.parse(locale)
    return parsed, parse_pattern(parsed.time_formats["short"])


@lru_cache(maxsize=32)
def _date_patterns(locale: str) -> tuple[Locale, DateTimePattern, DateTimePattern, bool]:
    """The locale, its short date and time patterns, and whether the time names a zone
    (no locale's short time does today)."""
    parsed, clock = clock_pattern(locale)
    fields = {value[0] for kind, value in tokenize_pattern(clock.pattern) if kind == "field"}
    return parsed, skeleton_pattern("MMMEd", locale), clock, bool(fields & ZONE_FIELDS)


def request_date_writer() -> DateWriter:
    """A writer in this request's locale."""
    return DateWriter(_locale())
