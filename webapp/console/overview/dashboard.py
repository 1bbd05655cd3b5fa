"""The console's first page: a guide's own walks, or the coordinator's dashboard.

The dashboard is a list of sections.  A section is one function of ``(db_session, at)``
returning a ``Capped`` (its first lines, of whatever type its block reads, and how many
there are in all), one entry in ``SECTIONS``, and the block of ``console/dashboard.html``
of the same name, which renders it (and shows nothing when it is empty).  To add a
section, such as pending group requests: write its function (its query a plain function
of the domain package that owns the data), add its entry, add its block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from flask import render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm import Session

from guides.assignment import recent_withdrawals
from guides.debriefs import ROUTE_CHANGES_SINCE, route_changes_asked
from guides.overview import arrived_counts
from guides.profiles import guide_names
from guides.roster import walks_for
from tours.booking import agenda
from tours.booking.agenda import Capped
from tours.booking.groups import pending_group_requests
from tours.content.workflows import readiness
from tours.db import utcnow
from tours.stories.contributions import pending_contributions
from webapp.common.database import get_db
from webapp.common.departure_views import request_date_writer
from webapp.common.i18n import current_language
from webapp.console import walk_lists as lists
from webapp.console.auth import open_to_facilitators
from webapp.console.overview.lines import WalkLine, clock, walk_lines, walk_words
from webapp.console.views import bp
from webapp.console.walk_lists import title_in

# Lines a section shows before "and N more" (the calendar or the page it links to has all).
SHOWN = 20
WEEK_SHOWN = 40
WEEK_DAYS = 7
# How far back the dashboard shows guides giving back walks that have not happened yet.
WITHDRAWALS_SINCE = timedelta(days=14)


@dataclass(frozen=True)
class At:
    """When and for whom the dashboard is drawn."""

    now: datetime  # aware, UTC
    lang: str  # the language texts are shown in
    locale: str  # the locale dates and times are written in


def _lines(db_session: Session, walks: list[agenda.AgendaWalk], at: At) -> list[WalkLine]:
    names = guide_names(db_session, [w.guide_id for w in walks])
    started = [w.id for w in walks if w.starts_at <= at.now and not w.cancelled]
    arrived = arrived_counts(db_session, started)
    return walk_lines(walks, at.lang, at.locale, names, arrived, at.now)


def _local_days_ahead(walk: agenda.AgendaWalk, now: datetime) -> int:
    """0 for a walk today where it happens, 1 tomorrow, -1 yesterday..."""
    zone = ZoneInfo(walk.timezone)
    return (walk.starts_at.astimezone(zone).date() - now.astimezone(zone).date()).days


def _days_ahead(db_session: Session, at: At, first: int, last: int) -> list[agenda.AgendaWalk]:
    start = at.now + timedelta(days=first - 1) - agenda.ZONE_MARGIN
    end = at.now + timedelta(days=last + 1) + agenda.ZONE_MARGIN
    walks = agenda.walks_between(db_session, start, end)
    return [w for w in walks if first <= _local_days_ahead(w, at.now) <= last]


def today(db_session: Session, at: At) -> Capped:
    """Today's walks (by their own clocks), seats booked, arrivals once started."""
    walks = _days_ahead(db_session, at, 0, 0)
    return Capped(_lines(db_session, walks[:SHOWN], at), len(walks))


def this_week(db_session: Session, at: At) -> Capped:
    """The walks of the next seven days after today."""
    walks = _days_ahead(db_session, at, 1, WEEK_DAYS)
    return Capped(_lines(db_session, walks[:WEEK_SHOWN], at), len(walks))


def without_guide(db_session: Session, at: At) -> Capped:
    """Upcoming walks nobody guides yet; each links to its page, where one is assigned."""
    found = agenda.walks_without_guide(db_session, at.now, limit=SHOWN)
    return Capped(_lines(db_session, found.lines, at), found.total)


def waiting_lists(db_session: Session, at: At) -> Capped:
    """Upcoming walks with people on their waiting list."""
    found = agenda.waiting_lists(db_session, at.now, limit=SHOWN)
    return Capped(_lines(db_session, found.lines, at), found.total)


@dataclass(frozen=True)
class TourTodo:
    slug: str
    title: str
    version: int
    languages: tuple[str, ...] = ()


def drafts_ready(db_session: Session, at: At) -> Capped:
    """Drafts with nothing left to do: the editor publishes them."""
    found = readiness.drafts_ready(db_session)
    lines = [TourTodo(t.slug, title_in(t.title, at.lang, t.slug), t.version) for t in found]
    return Capped(lines[:SHOWN], len(lines))


def texts_missing(db_session: Session, at: At) -> Capped:
    """Published tours with a declared language that lacks names or stories."""
    found = readiness.texts_missing(db_session)
    lines = [
        TourTodo(m.tour.slug, title_in(m.tour.title, at.lang, m.tour.slug), m.tour.version,
                 m.languages)
        for m in found
    ]  # fmt: skip
    return Capped(lines[:SHOWN], len(lines))


def failed_mail(db_session: Session, at: At) -> Capped:
    """Mail the worker gave up on, newest first."""
    found = agenda.failed_mail(db_session, limit=SHOWN)
    return found


@dataclass(frozen=True)
class WithdrawalLine:
    departure_id: int
    title: str
    starts_at: datetime  # aware, in the walk's own zone
    clock: str
    guide_name: str
    reason: str
    guideless: bool


def withdrawals(db_session: Session, at: At) -> Capped:
    """Walks still to come that their guide gave back lately; each links to its page."""
    found = [
        w
        for w in recent_withdrawals(db_session, at.now - WITHDRAWALS_SINCE)
        if w.starts_at > at.now and not w.cancelled
    ]
    titles = dict(agenda.tour_titles(db_session)) if found else {}
    lines = [
        WithdrawalLine(
            w.departure_id,
            title_in(titles.get(w.slug, {}), at.lang, w.slug),
            w.starts_at,
            clock(w.starts_at, at.locale),
            w.guide_name,
            w.reason,
            w.guideless,
        )
        for w in found[:SHOWN]
    ]
    return Capped(lines, len(found))


@dataclass(frozen=True)
class RouteChangeLine:
    departure_id: int
    slug: str
    title: str
    starts_at: datetime  # aware, in the walk's own zone
    clock: str
    guide_name: str
    route_change: str


def route_changes(db_session: Session, at: At) -> Capped:
    """Walks whose guide's debrief asks for a route change lately, newest walk first; each
    links to the walk's page and to the tour editor."""
    found, total = route_changes_asked(db_session, at.now - ROUTE_CHANGES_SINCE, SHOWN)
    lines = [
        RouteChangeLine(
            a.departure_id,
            a.slug,
            title_in(a.title, at.lang, a.slug),
            a.starts_at,
            clock(a.starts_at, at.locale),
            a.guide_name,
            a.route_change,
        )
        for a in found
    ]
    return Capped(lines, total)


def contributions(db_session: Session, at: At) -> Capped:
    """How many residents' contributions wait for a decision; the line links to the queue."""
    return Capped([], pending_contributions(db_session))


def group_requests(db_session: Session, at: At) -> Capped:
    """How many groups wait for a first answer; the line links to the queue."""
    return Capped([], pending_group_requests(db_session))


SECTIONS: dict[str, Callable[[Session, At], Capped]] = {
    "today": today,
    "this_week": this_week,
    "without_guide": without_guide,
    "withdrawals": withdrawals,
    "group_requests": group_requests,
    "contributions": contributions,
    "route_changes": route_changes,
    "waiting_lists": waiting_lists,
    "drafts_ready": drafts_ready,
    "texts_missing": texts_missing,
    "failed_mail": failed_mail,
}


def dashboard(db_session: Session, at: At) -> dict[str, Capped]:
    """Every section of the dashboard, by name, read in the caller's transaction."""
    return {name: build(db_session, at) for name, build in SECTIONS.items()}


@bp.get("/")
@open_to_facilitators
def index() -> str | tuple[str, int]:
    """A guide's walks, today's first, a page at a time; for a coordinator, the dashboard;
    for a facilitator, the way to residents' contributions (they lead no walks)."""
    lang = current_language()
    if current_user.is_facilitator:
        with get_db().transaction() as db_session:
            pending = pending_contributions(db_session)
        return render_template("console/facilitator_home.html", pending=pending)
    if current_user.is_coordinator:
        at = At(utcnow(), lang, str(get_locale() or lang))
        with get_db().transaction() as db_session:
            sections = dashboard(db_session, at)
        return render_template("console/dashboard.html", at=at, words=walk_words(), **sections)
    asked = lists.page_asked(request.args)
    with get_db().transaction() as db_session:
        read = partial(walks_for, db_session, current_user.sees_guide, limit=lists.PAGE_SIZE)
        page = lists.read_page(read, asked)
    page_of = partial(url_for, "console.index")
    body = render_template(
        "console/index.html",
        walks=lists.listed_walks(page.walks, lang, request_date_writer(), {}),
        words=lists.list_words(),
        links=lists.page_links(page, page_of, {}),
        bad_cursor=asked.bad,
        # Each walk's page is this path and its id: one url_for a page, not one a walk.
        walk_path=url_for("console.departure", departure_id=0).removesuffix("/0"),
    )
    return (body, 400) if asked.bad else body
