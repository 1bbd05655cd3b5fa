"""The console's lists of walks, a page at a time: the coordinator's upcoming walks
(``/console/admin/departures``, filtered by tour, guide and language) and a guide's own
(``/console/``).

A page holds ``PAGE_SIZE`` walks.  Its links carry a keyset cursor, ``?after=`` or
``?before=`` the start and id of the page's last or first walk
(``2027-03-06T10:00:00Z,123``), and the filters, so every page is one statement however
far into the list it is, and paging keeps what was chosen.  The cursor is plain, not
signed: it only says where a list starts, and what a reader may see is decided by their
login (a guide's list is always their own), never by the query string.  A cursor that is
not one of these shows the first page under a message, with status 400.

Lines are written cheaply, since a page of them is most of the cost of the page: one
date writer and one set of words per request, each tour's title resolved once, and each
walk's link joined to a path worked out once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_translations, gettext
from sqlalchemy.orm import Session

from guides.overview import guide_roll
from tours.booking import agenda
from tours.booking.agenda import AgendaWalk, WalkFilter, WalkKey, WalkPage
from tours.i18n import LocalizedText
from webapp.common.departure_views import DateWriter
from webapp.common.i18n import language_name

PAGE_SIZE = 50
# A cursor is a timestamp and an id: anything much longer was not made by ``format_key``.
MAX_CURSOR_CHARS = 64
# The largest id a cursor may name (PostgreSQL's ``integer``, the type of the ids).
MAX_ID = 2**31 - 1
FILTERS = ("tour", "guide", "language")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass
class ListFilters:
    """The filters of the coordinator's list, as asked, with an error by field."""

    tour: str = ""
    guide: str = ""
    language: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def chosen(self) -> WalkFilter:
        """What the list shows: every walk when a filter was wrong (its error is shown)."""
        if self.errors:
            return WalkFilter()
        return WalkFilter(self.tour or None, self.guide or None, self.language or None)

    def args(self) -> dict[str, str]:
        """The query string that keeps these filters on another page (the valid ones)."""
        if self.errors:
            return {}
        return {name: getattr(self, name) for name in FILTERS if getattr(self, name)}


def filter_choices(db_session: Session, lang: str) -> dict[str, list[Choice]]:
    """What each filter offers: tours with their title, guides by name, languages."""
    return {
        "tour": [Choice(slug, title_in(title, lang, slug))
                 for slug, title in agenda.tour_titles(db_session)],
        "guide": [Choice(guide_id, name) for guide_id, name in guide_roll(db_session)],
        "language": [Choice(tag, language_name(tag)) for tag in agenda.walk_languages(db_session)],
    }  # fmt: skip


def read_filters(args: Mapping[str, str], choices: Mapping[str, list[Choice]]) -> ListFilters:
    found = ListFilters()
    for name in FILTERS:
        value = (args.get(name) or "").strip()
        setattr(found, name, value)
        if value and value not in {choice.value for choice in choices[name]}:
            found.errors[name] = gettext("Choose one of the list.")
    return found


# --- the cursor ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageAsked:
    """Which page the query string asks for; ``bad`` when its cursor could not be read."""

    after: WalkKey | None = None
    before: WalkKey | None = None
    bad: bool = False


def format_key(key: WalkKey) -> str:
    """``2027-03-06T10:00:00Z,123``: the walk's start in UTC and its id."""
    starts_at, walk_id = key
    moment = starts_at.astimezone(UTC).replace(tzinfo=None)
    spec = "microseconds" if moment.microsecond else "seconds"
    return f"{moment.isoformat(timespec=spec)}Z,{walk_id}"


def parse_key(raw: str) -> WalkKey:
    """The key ``format_key`` wrote; ValueError for anything else."""
    if len(raw) > MAX_CURSOR_CHARS or not raw.isascii():
        raise ValueError(raw)
    moment, _, number = raw.rpartition(",")
    if not number.isdigit() or not 0 < int(number) <= MAX_ID or not moment.endswith("Z"):
        raise ValueError(raw)
    starts_at = datetime.fromisoformat(moment[:-1]).replace(tzinfo=UTC)
    return starts_at, int(number)


def page_asked(args: Mapping[str, str]) -> PageAsked:
    after, before = args.get("after"), args.get("before")
    if after is not None and before is not None:
        return PageAsked(bad=True)
    try:
        if after is not None:
            return PageAsked(after=parse_key(after))
        if before is not None:
            return PageAsked(before=parse_key(before))
    except ValueError:
        return PageAsked(bad=True)
    return PageAsked()


def read_page(read: Callable[..., WalkPage], asked: PageAsked) -> WalkPage:
    """The page ``asked`` for, read by ``read(after=..., before=...)``.

    Paging back to the start of a list whose walks changed meanwhile can give a short
    first page: the first page itself is shown instead (a second statement, only then).
    """
    page = read(after=asked.after, before=asked.before)
    if asked.before is not None and not page.has_previous and len(page.walks) < PAGE_SIZE:
        return read(after=None, before=None)
    return page


@dataclass(frozen=True)
class PageLinks:
    """The URLs of the pages before and after this one (None at either end)."""

    previous: str | None
    following: str | None


def page_links(page: WalkPage, url: Callable[..., str], kept: Mapping[str, str]) -> PageLinks:
    """``url(**args)`` makes a link to another page of the same list, keeping ``kept``."""
    first, last = page.first_key, page.last_key
    previous = url(**kept, before=format_key(first)) if page.has_previous and first else None
    following = url(**kept, after=format_key(last)) if page.has_next and last else None
    return PageLinks(previous, following)


# --- the lines ----------------------------------------------------------------------------


def title_in(title: Mapping[str, Any], lang: str, fallback: str) -> str:
    """``title`` in ``lang`` or the nearest language it has; ``fallback`` when empty."""
    found = LocalizedText(dict(title)).resolve(lang, list(title))
    return found.text if found is not None and found.text.strip() else fallback


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs twice as much
class ListedWalk:
    """One walk as a line of a list, every text already written."""

    id: int
    title: str
    starts_at: datetime  # aware, in the walk's own timezone
    date: str  # "sáb, 6 mar" in the reader's locale
    clock: str  # "11:00"
    language: str  # the walk's language, named in the interface's
    booked: int  # seats taken or held for an offer
    capacity: int
    guide_name: str | None
    cancelled: bool
    private: bool


def listed_walks(
    walks: Iterable[AgendaWalk], lang: str, writer: DateWriter, names: Mapping[str, str]
) -> list[ListedWalk]:
    """``walks`` as lines; ``names`` are the guides' display names by id."""
    titles: dict[str, str] = {}
    languages: dict[str, str] = {}
    zones: dict[str, Any] = {}
    lines = []
    for walk in walks:
        title = titles.get(walk.slug)
        if title is None:
            title = titles[walk.slug] = title_in(walk.title, lang, walk.slug)
        spoken = languages.get(walk.language)
        if spoken is None:
            spoken = languages[walk.language] = language_name(walk.language, lang)
        zone = zones.get(walk.timezone)
        if zone is None:
            zone = zones[walk.timezone] = ZoneInfo(walk.timezone)
        starts_at = walk.starts_at.astimezone(zone)
        lines.append(
            ListedWalk(
                id=walk.id,
                title=title,
                starts_at=starts_at,
                date=writer.short_date(starts_at),
                clock=writer.time(starts_at),
                language=spoken,
                booked=walk.seats_taken + walk.seats_held,
                capacity=walk.capacity,
                guide_name=names.get(walk.guide_id or ""),
                cancelled=walk.cancelled,
                private=walk.private,
            )
        )
    return lines


def list_words() -> dict[str, str]:
    """What every line says, translated once per page rather than once per line."""
    translations = get_translations()
    return {
        "seats": translations.gettext("%(booked)d of %(capacity)d seats booked"),
        "no_guide": translations.gettext("no guide"),
        "cancelled": translations.gettext("cancelled"),
        "private": translations.gettext("private: a group's own walk"),
    }
