"""The calendar of walks for coordinators: a month or a week, filtered by tour, guide and
language, with previous and next.  Plain HTML; on a phone the same page reads as a list
by day (console.css).

``/console/admin/calendar?view=month&day=2027-03-06&tour=slug&guide=id&language=es``:
every parameter is optional; a value that is not one of the lists' answers 400 with the
error beside its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from babel.dates import get_day_names
from flask import Response, make_response, render_template, request, url_for
from flask_babel import get_locale, gettext
from sqlalchemy.orm import Session

from guides.profiles import guide_names
from tours.booking import agenda
from tours.db import utcnow
from webapp.common.database import get_db
from webapp.common.i18n import current_language
from webapp.console.auth import coordinator_required
from webapp.console.overview.lines import WalkLine, format_day, walk_lines, walk_words
from webapp.console.views import bp
from webapp.console.walk_lists import Choice, filter_choices

MONTH, WEEK = "month", "week"
# Dates the calendar turns to: far enough for any walk, and far from the ends of Python's
# calendar (a month grid of year 1 or 9999 would step outside it).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
# Walks a day of the month view shows before "N more" (its week view shows them all),
# as a paper calendar's square holds a few lines.
MONTH_DAY_SHOWN = 4


@dataclass
class Filters:
    """What the calendar shows, as asked (``values``) and checked (``errors`` by field)."""

    view: str = MONTH
    day: date = field(default_factory=date.today)
    tour: str = ""
    guide: str = ""
    language: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def chosen(self) -> agenda.WalkFilter:
        return agenda.WalkFilter(self.tour or None, self.guide or None, self.language or None)

    def args(self, **changes: object) -> dict[str, object]:
        """The query string of this view with ``changes`` (empty filters left out)."""
        values = {
            "view": self.view,
            "day": self.day.isoformat(),
            "tour": self.tour,
            "guide": self.guide,
            "language": self.language,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Day:
    day: date
    heading: str
    in_range: bool  # in the month shown (a month grid starts and ends with whole weeks)
    walks: list[WalkLine]
    more: int = 0


def read_filters(args, choices: dict[str, list[Choice]], today: date) -> Filters:
    """The filters the query string asks for; a wrong value is kept with its error."""
    found = Filters(day=today)
    view = args.get("view", MONTH)
    if view in (MONTH, WEEK):
        found.view = view
    else:
        found.errors["view"] = gettext("Choose the month or the week.")
    raw_day = (args.get("day") or "").strip()
    if raw_day:
        try:
            found.day = date.fromisoformat(raw_day)
            if not FIRST_DAY <= found.day <= LAST_DAY:
                raise ValueError(raw_day)
        except ValueError:
            found.day = today
            found.errors["day"] = gettext("Write a date such as %(example)s.",
                                          example=today.isoformat())  # fmt: skip
    for name in ("tour", "guide", "language"):
        value = (args.get(name) or "").strip()
        setattr(found, name, value)
        if value and value not in {c.value for c in choices[name]}:
            found.errors[name] = gettext("Choose one of the list.")
    return found


def _window(filters: Filters) -> tuple[date, date, date, date]:
    """The days shown (first, last) and the range that counts as "in" the view."""
    if filters.view == WEEK:
        first = filters.day - timedelta(days=filters.day.weekday())
        return first, first + timedelta(days=6), first, first + timedelta(days=6)
    month_first = filters.day.replace(day=1)
    month_last = (month_first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    first = month_first - timedelta(days=month_first.weekday())
    last = month_last + timedelta(days=6 - month_last.weekday())
    return first, last, month_first, month_last


def _step(filters: Filters, forward: bool) -> date:
    if filters.view == WEEK:
        return filters.day + timedelta(days=7 if forward else -7)
    first = filters.day.replace(day=1)
    if forward:
        return (first + timedelta(days=32)).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def _locale() -> str:
    return str(get_locale() or "es")


def calendar_days(db_session: Session, filters: Filters, lang: str) -> tuple[list[Day], date, date]:
    """The days of the view with their walks (by their local date), and its range."""
    first, last, in_first, in_last = _window(filters)
    walks = agenda.walks_around(db_session, first, last, filters.chosen())
    by_day: dict[date, list[agenda.AgendaWalk]] = {}
    for walk in walks:
        by_day.setdefault(agenda.local_date(walk), []).append(walk)
    shown = MONTH_DAY_SHOWN if filters.view == MONTH else None
    kept = {day: found[:shown] for day, found in by_day.items()}  # only these are drawn
    names = guide_names(db_session, [w.guide_id for found in kept.values() for w in found])
    locale = _locale()
    drawn_lines: dict[date, list[WalkLine]] = {}
    for line in walk_lines([w for found in kept.values() for w in found], lang, locale, names):
        drawn_lines.setdefault(line.day, []).append(line)
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        drawn = drawn_lines.get(day, [])
        days.append(
            Day(
                day=day,
                heading=format_day("MMMMEEEEd", day, locale),
                in_range=in_first <= day <= in_last,
                walks=drawn,
                more=len(by_day.get(day, ())) - len(drawn),
            )
        )
    return days, in_first, in_last


def _weekdays() -> list[str]:
    """Monday to Sunday, abbreviated (babel's mapping is keyed 0 for Monday, but listed
    in the locale's order)."""
    names = get_day_names("abbreviated", locale=_locale())
    return [names[number] for number in range(7)]


def _title(filters: Filters, first: date, last: date) -> str:
    locale = _locale()
    if filters.view == MONTH:
        return format_day("yMMMM", first, locale)
    return gettext(
        "Week of %(first)s to %(last)s",
        first=format_day("MMMd", first, locale),
        last=format_day("yMMMd", last, locale),
    )


@bp.get("/admin/calendar")
@coordinator_required
def admin_calendar() -> Response:
    """Walks by month or week, filtered by tour, guide and language."""
    lang = current_language()
    today = utcnow().date()
    with get_db().transaction() as db_session:
        choices = filter_choices(db_session, lang)
        filters = read_filters(request.args, choices, today)
        valid = not filters.errors
        if not valid:  # show this month, unfiltered, under the errors
            shown = Filters(day=filters.day if "day" not in filters.errors else today)
        else:
            shown = filters
        days, first, last = calendar_days(db_session, shown, lang)
    page = render_template(
        "console/admin_calendar.html",
        filters=filters,
        shown=shown,
        choices=choices,
        days=days,
        title=_title(shown, first, last),
        weekdays=_weekdays(),
        previous=url_for("console.admin_calendar", **shown.args(day=_step(shown, False))),
        following=url_for("console.admin_calendar", **shown.args(day=_step(shown, True))),
        this_period=url_for("console.admin_calendar", **shown.args(day=today.isoformat())),
        other_view=url_for(
            "console.admin_calendar", **shown.args(view=WEEK if shown.view == MONTH else MONTH)
        ),
        week_of=lambda day: url_for("console.admin_calendar", **shown.args(view=WEEK, day=day)),
        any_walk=any(d.walks for d in days),
        words=walk_words(),
        # Each walk's page is this path and its id (admin_departure): one url_for a page,
        # not one a walk.
        departures_path=url_for("console.admin_departures"),
        language_names={c.value: c.label for c in choices["language"]},
    )
    return make_response(page, 200 if valid else 400)
