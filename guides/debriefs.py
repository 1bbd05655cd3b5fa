"""The guide's debrief after a walk: how many came, how it went, what happened, and
whether the route needs a change.

One debrief per walk (``Debrief``); saving again replaces its answers.  It may be written
once the walk has started and unless it was cancelled.  The headcount is prefilled from
the check-ins (people of confirmed bookings whose newest mark is "arrived"); the guide
corrects it when people came without booking or a party came short.  A route change the
guide asks for reaches the coordinators' dashboard (``route_changes_asked``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from guides.models import Debrief, GuideRecord
from guides.overview import arrived_counts
from tours.booking import departures as deps
from tours.booking.models import Departure
from tours.db import utcnow
from tours.errors import BideanError
from tours.text import unstorable
from tours.tour.models import TourRecord, TourVersionRecord

RATINGS = (1, 2, 3, 4, 5)
# More people than any street walk takes; a typo of an extra digit is caught.
HEADCOUNT_MAX = 999
NOTES_MAX = 5000
ROUTE_CHANGE_MAX = 2000
# How far back the dashboard and the tour editor list debriefs asking for a route change:
# long enough to reach the next planning meeting; older asks stay on each walk's page.
ROUTE_CHANGES_SINCE = timedelta(days=60)

# Why a field was refused (the web layer says it in the user's language).
HEADCOUNT_MISSING = "headcount_missing"
HEADCOUNT_NOT_NUMBER = "headcount_not_number"
HEADCOUNT_RANGE = "headcount_range"
RATING_MISSING = "rating_missing"
TOO_LONG = "too_long"
UNSTORABLE = "unstorable"
ROUTE_CHANGE_MISSING = "route_change_missing"
# Why the walk takes no debrief (yet).
NOT_STARTED = "not_started"
CANCELLED = "cancelled"

# The fields a debrief has, in the form's order; the audit record names those that changed.
FIELDS = ("headcount", "rating", "notes", "incidents", "route_change_needed", "route_change")


class DebriefRejected(BideanError):
    """A debrief that cannot be saved as written: ``problems`` is ``{field: reason}``
    (every field that was wrong), or ``walk`` says why this walk takes none."""

    def __init__(self, problems: Mapping[str, str] | None = None, *, walk: str = "") -> None:
        self.problems = dict(problems or {})
        self.walk = walk
        super().__init__(f"debrief refused: {walk or sorted(self.problems.items())}")


@dataclass(frozen=True)
class Answers:
    """A checked debrief, ready to store."""

    headcount: int
    rating: int
    notes: str = ""
    incidents: str = ""
    route_change_needed: bool = False
    route_change: str = ""


def _text(value: object) -> str:
    # Browsers send CRLF from a textarea; one kind of line end is stored.
    return str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _whole_number(value: object) -> int | None:
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    return int(text)


def _check_headcount(value: object, problems: dict[str, str]) -> int:
    text = str(value or "").strip()
    number = _whole_number(text)
    if not text:
        problems["headcount"] = HEADCOUNT_MISSING
    elif number is None and _whole_number(text.removeprefix("-")) is None:
        problems["headcount"] = HEADCOUNT_NOT_NUMBER
    elif number is None or number > HEADCOUNT_MAX:
        problems["headcount"] = HEADCOUNT_RANGE  # below zero, or beyond any walk
    return number or 0


def _check_text(field: str, value: object, limit: int, problems: dict[str, str]) -> str:
    text = _text(value)
    if unstorable(text):
        problems[field] = UNSTORABLE
    elif len(text) > limit:
        problems[field] = TOO_LONG
    return text


def check_answers(written: Mapping[str, object]) -> Answers:
    """The debrief as written (form fields by name), checked; raises ``DebriefRejected``
    naming every wrong field.  A route change is kept only when one is asked for."""
    problems: dict[str, str] = {}
    headcount = _check_headcount(written.get("headcount"), problems)
    rating = _whole_number(written.get("rating"))
    if rating not in RATINGS:
        problems["rating"] = RATING_MISSING
    notes = _check_text("notes", written.get("notes"), NOTES_MAX, problems)
    incidents = _check_text("incidents", written.get("incidents"), NOTES_MAX, problems)
    needed = str(written.get("route_change_needed") or "") in {"1", "yes", "on", "true"}
    route_change = ""
    if needed:
        route_change = _check_text(
            "route_change", written.get("route_change"), ROUTE_CHANGE_MAX, problems
        )
        if not route_change and "route_change" not in problems:
            problems["route_change"] = ROUTE_CHANGE_MISSING
    if problems:
        raise DebriefRejected(problems)
    return Answers(headcount, rating or 0, notes, incidents, needed, route_change)


def why_not(departure: Departure, now: datetime | None = None) -> str:
    """Why this walk takes no debrief now ("" when it does)."""
    if departure.is_cancelled:
        return CANCELLED
    if departure.starts_at > (now or utcnow()):
        return NOT_STARTED
    return ""


def debrief_of(db_session: Session, departure_id: int) -> Debrief | None:
    """The walk's debrief, or None when nobody filed one."""
    return db_session.scalar(select(Debrief).where(Debrief.departure_id == departure_id))


def checked_in_headcount(db_session: Session, departure_id: int) -> int:
    """People of confirmed bookings whose newest check-in mark is "arrived"."""
    return arrived_counts(db_session, [departure_id]).get(departure_id, 0)


def prefilled(db_session: Session, departure_id: int) -> dict[str, object]:
    """What the form shows first: the saved debrief, else the headcount from check-ins."""
    found = debrief_of(db_session, departure_id)
    if found is None:
        return {"headcount": checked_in_headcount(db_session, departure_id)}
    return {field: getattr(found, field) for field in FIELDS}


def save(
    db_session: Session,
    departure: Departure,
    answers: Answers,
    *,
    account_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Debrief, list[str]]:
    """Store the walk's debrief (a new one, or the old one's answers replaced); returns it
    and the fields that changed (every field for a new one).  Raises ``DebriefRejected``
    when the walk takes none."""
    now = now or utcnow()
    reason = why_not(departure, now)
    if reason:
        raise DebriefRejected(walk=reason)
    found = debrief_of(db_session, departure.id)
    if found is None:
        found = Debrief(departure_id=departure.id, filed_at=now, **_values(answers))
        found.guide_id, found.account_id, found.updated_at = departure.guide_id, account_id, now
        db_session.add(found)
        db_session.flush()
        return found, list(FIELDS)
    changed = [f for f, value in _values(answers).items() if getattr(found, f) != value]
    if changed:
        for field in changed:
            setattr(found, field, getattr(answers, field))
        found.account_id, found.updated_at = account_id, now
        db_session.flush()
    return found, changed


def _values(answers: Answers) -> dict[str, object]:
    return {field: getattr(answers, field) for field in FIELDS}


@dataclass(frozen=True)
class RouteChangeAsked:
    """A walk whose debrief asks for a change of the route."""

    departure_id: int
    slug: str
    title: dict  # the tour's current title, {language: text}
    starts_at: datetime  # aware, in the walk's own zone
    guide_name: str
    route_change: str
    updated_at: datetime


def route_changes_asked(
    db_session: Session, since: datetime, limit: int, *, slug: str | None = None
) -> tuple[list[RouteChangeAsked], int]:
    """Debriefs saved at or after ``since`` that ask for a route change (of walks of the
    tour ``slug``, when given), newest walk first: the first ``limit`` and how many there
    are in all."""
    wanted = [Debrief.route_change_needed.is_(True), Debrief.updated_at >= since]
    if slug is not None:
        wanted.append(
            Debrief.departure_id.in_(
                select(Departure.id)
                .join(TourRecord, TourRecord.id == Departure.tour_id)
                .where(TourRecord.slug == slug)
            )
        )
    total = db_session.scalar(select(func.count(Debrief.id)).where(*wanted)) or 0
    rows = db_session.execute(
        select(
            Debrief, Departure, TourRecord.slug, TourVersionRecord.title, GuideRecord.display_name
        )
        .join(Departure, Departure.id == Debrief.departure_id)
        .join(TourRecord, TourRecord.id == Departure.tour_id)
        .outerjoin(
            TourVersionRecord,
            and_(
                TourVersionRecord.tour_id == TourRecord.id,
                TourVersionRecord.version == TourRecord.current_version,
            ),
        )
        .outerjoin(GuideRecord, GuideRecord.id == Debrief.guide_id)
        .where(*wanted)
        .order_by(Departure.starts_at.desc(), Departure.id.desc())
        .limit(limit)
    )
    found = [
        RouteChangeAsked(
            departure_id=departure.id,
            slug=slug,
            title=dict(title or {}),
            starts_at=departure.starts_at.astimezone(deps.tour_zone(departure.timezone)),
            guide_name=name or "",
            route_change=debrief.route_change,
            updated_at=debrief.updated_at,
        )
        for debrief, departure, slug, title, name in rows
    ]
    return found, total
