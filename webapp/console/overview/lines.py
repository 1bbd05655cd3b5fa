"""How the dashboard and the calendar show a walk: its title in the reader's language,
its time where it happens, its guide's name, seats and arrivals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import get_translations

from tours.booking.agenda import AgendaWalk
from webapp.common.departure_views import clock_pattern, skeleton_pattern
from webapp.console.walk_lists import title_in


@dataclass(frozen=True)
class WalkLine:
    """One walk as a line of the dashboard or a cell of the calendar."""

    id: int
    title: str
    starts_at: datetime  # aware, in the walk's own timezone
    clock: str  # its start time in the reader's locale ("11:00", "11:00 AM")
    language: str
    capacity: int
    booked: int
    guide_name: str | None
    cancelled: bool
    waiting: int
    arrived: int | None  # people checked in, once the walk has started

    @property
    def day(self) -> date:
        return self.starts_at.date()


def walk_lines(
    walks: Iterable[AgendaWalk],
    lang: str,
    locale: str,
    names: Mapping[str, str],
    arrived: Mapping[int, int] | None = None,
    now: datetime | None = None,
) -> list[WalkLine]:
    """``walks`` as lines; ``arrived`` counts are given for those started by ``now``.

    A month has hundreds of walks of a few tours: each tour's title is resolved once.
    """
    titles: dict[str, str] = {}
    lines = []
    for walk in walks:
        started = now is not None and walk.starts_at <= now and not walk.cancelled
        title = titles.get(walk.slug)
        if title is None:
            title = titles[walk.slug] = title_in(walk.title, lang, walk.slug)
        starts_at = walk.starts_at.astimezone(ZoneInfo(walk.timezone))
        lines.append(
            WalkLine(
                id=walk.id,
                title=title,
                starts_at=starts_at,
                clock=clock(starts_at, locale),
                language=walk.language,
                capacity=walk.capacity,
                booked=walk.booked,
                guide_name=names.get(walk.guide_id or ""),
                cancelled=walk.cancelled,
                waiting=walk.waiting,
                arrived=(arrived or {}).get(walk.id, 0) if started else None,
            )
        )
    return lines


def format_day(skeleton: str, day: date, locale: str) -> str:
    """``day`` by a CLDR ``skeleton`` ("MMMMEEEEd": "martes, 8 de diciembre")."""
    return format_date(day, skeleton_pattern(skeleton, locale), locale=locale)


def clock(moment: datetime, locale: str) -> str:
    """The time of ``moment`` as the locale writes it short ("11:00", "11:00 AM"), the
    locale and its pattern parsed once (babel's ``format_time`` parses them each call)."""
    parsed, pattern = clock_pattern(locale)
    return pattern.apply(moment, parsed)


def walk_words() -> dict[str, str]:
    """What every walk line says, translated once per page: a month shows a hundred lines,
    and each ``gettext`` through the request context costs more than the rest of a line."""
    translations = get_translations()
    return {
        "seats": translations.gettext("%(booked)d of %(capacity)d seats booked"),
        "no_guide": translations.gettext("no guide"),
        "cancelled": translations.gettext("cancelled"),
    }
