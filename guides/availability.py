"""Guides' availability: the days and times a guide says they can or cannot guide.

A mark covers every day from its first to its last, the whole day or a time range, in
the wall-clock time of the walk's own city (a guide in Bilbao says "not before 10:00"
and means 10:00 in Bilbao, whatever zone a server runs in).  The rule for a walk:

- a guide with no mark for its day is available;
- a "cannot" mark that overlaps the walk makes them unavailable;
- on a day with "can" marks, they are available only for a walk that fits entirely
  in one of those ranges (a whole-day "can" fits everything that day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from guides.clashes import Span
from guides.models import AvailabilityMark
from guides.profiles import GuideError, GuideProfile, get_guide
from tours.errors import NotFound
from tours.text import single_line, unstorable

NOTE_MAX = 200
# How far ahead a mark may reach, and how many days one mark may cover.
LONGEST_MARK_DAYS = 366


class AvailabilityError(GuideError):
    """A mark that cannot be stored as given; ``reason`` says which rule it broke."""

    def __init__(self, reason: str, message: str) -> None:
        # GuideError keeps ``reason`` too: set it there, or its default would replace it.
        super().__init__(message, reason)


# The reasons of ``AvailabilityError``, for the console to say them in its language.
DAYS_REVERSED = "days_reversed"
TIMES_INCOMPLETE = "times_incomplete"
TIMES_REVERSED = "times_reversed"
IN_THE_PAST = "in_the_past"
TOO_LONG = "too_long"
NOTE_TOO_LONG = "note_too_long"


class MarkNotFound(NotFound):
    def __init__(self, mark_id: int) -> None:
        self.mark_id = mark_id
        super().__init__(f"No availability mark {mark_id} of this guide exists.")


def add_mark(
    db_session: Session,
    guide_id: str,
    first_day: date,
    *,
    available: bool,
    last_day: date | None = None,
    from_time: time | None = None,
    until_time: time | None = None,
    note: str = "",
    today: date,
) -> AvailabilityMark:
    """Store a mark of ``guide_id``; raises ``AvailabilityError`` or ``GuideNotFound``."""
    get_guide(db_session, guide_id)
    last_day = last_day or first_day
    if last_day < first_day:
        raise AvailabilityError(DAYS_REVERSED, "The last day is before the first day.")
    if last_day < today:
        raise AvailabilityError(IN_THE_PAST, "Those days are in the past.")
    if (last_day - first_day).days >= LONGEST_MARK_DAYS or (
        last_day - today
    ).days >= LONGEST_MARK_DAYS:
        raise AvailabilityError(TOO_LONG, f"A mark covers at most {LONGEST_MARK_DAYS} days ahead.")
    if (from_time is None) != (until_time is None):
        raise AvailabilityError(
            TIMES_INCOMPLETE, "Give both times of the range, or neither for the whole day."
        )
    if from_time is not None and until_time is not None and from_time >= until_time:
        raise AvailabilityError(TIMES_REVERSED, "The range must end after it starts.")
    note = single_line(note or "").strip()
    if len(note) > NOTE_MAX or unstorable(note):
        raise AvailabilityError(NOTE_TOO_LONG, f"A note has at most {NOTE_MAX} characters.")
    mark = AvailabilityMark(
        guide_id=guide_id,
        first_day=first_day,
        last_day=last_day,
        from_time=from_time,
        until_time=until_time,
        available=available,
        note=note,
    )
    db_session.add(mark)
    db_session.flush()
    return mark


def remove_mark(db_session: Session, guide_id: str, mark_id: int) -> AvailabilityMark:
    """Delete one of ``guide_id``'s marks; another guide's mark is ``MarkNotFound``."""
    mark = db_session.get(AvailabilityMark, mark_id)
    if mark is None or mark.guide_id != guide_id:
        raise MarkNotFound(mark_id)
    db_session.delete(mark)
    db_session.flush()
    return mark


def marks_of(db_session: Session, guide_id: str, since: date) -> list[AvailabilityMark]:
    """The guide's marks that reach ``since`` or later, soonest first."""
    query = (
        select(AvailabilityMark)
        .where(AvailabilityMark.guide_id == guide_id, AvailabilityMark.last_day >= since)
        .order_by(AvailabilityMark.first_day, AvailabilityMark.from_time, AvailabilityMark.id)
    )
    return list(db_session.scalars(query))


@dataclass(frozen=True)
class Unavailable:
    """Why a guide cannot lead a walk: their mark ``mark_id`` says they cannot then
    (``only_other_times`` False), or they said they can that day only at other times."""

    mark_id: int
    note: str
    only_other_times: bool
    local_start: datetime  # the walk's start, wall time in its zone


def _day_range(mark: AvailabilityMark, day: date) -> tuple[datetime, datetime]:
    if mark.from_time is None or mark.until_time is None:
        start = datetime.combine(day, time())
        return start, start + timedelta(days=1)
    return datetime.combine(day, mark.from_time), datetime.combine(day, mark.until_time)


def unavailability(
    db_session: Session, guide_id: str, span: Span, zone: ZoneInfo
) -> Unavailable | None:
    """Why ``guide_id`` cannot lead a walk at ``span`` in ``zone``; None when they can."""
    start = span.starts_at.astimezone(zone).replace(tzinfo=None)
    end = span.ends_at.astimezone(zone).replace(tzinfo=None)
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    query = (
        select(AvailabilityMark)
        .where(
            AvailabilityMark.guide_id == guide_id,
            AvailabilityMark.first_day <= last,
            AvailabilityMark.last_day >= first,
        )
        .order_by(AvailabilityMark.first_day, AvailabilityMark.from_time, AvailabilityMark.id)
    )
    marks = list(db_session.scalars(query))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    for mark in (m for m in marks if not m.available):
        for day in days:
            if mark.first_day <= day <= mark.last_day:
                begins, ends = _day_range(mark, day)
                if begins < end and start < ends:
                    return Unavailable(mark.id, mark.note, False, start)
    can = [m for m in marks if m.available and m.first_day <= first <= m.last_day]
    if can and not any(_fits(m, first, start, end) for m in can):
        return Unavailable(can[0].id, can[0].note, True, start)
    return None


def _fits(mark: AvailabilityMark, day: date, start: datetime, end: datetime) -> bool:
    begins, ends = _day_range(mark, day)
    return begins <= start and end <= ends


class GuideUnavailable(GuideError):
    """The guide said they cannot guide then; ``unavailable`` is their mark."""

    def __init__(self, guide: GuideProfile, unavailable: Unavailable) -> None:
        self.guide = guide
        self.unavailable = unavailable
        when = f"{unavailable.local_start:%Y-%m-%d %H:%M}"
        said = (
            "can guide that day only at other times"
            if unavailable.only_other_times
            else "cannot guide then"
        )
        note = f" ({unavailable.note})" if unavailable.note else ""
        super().__init__(
            f"{guide.display_name} ({guide.id}) is not available on {when}: they {said}{note}."
            " Choose another guide or another time."
        )


def refuse_unavailable(
    db_session: Session, guide: GuideProfile, spans: Sequence[Span], zone: ZoneInfo
) -> None:
    """Raise ``GuideUnavailable`` when ``guide`` said they cannot guide at one of ``spans``."""
    for span in spans:
        found = unavailability(db_session, guide.id, span, zone)
        if found is not None:
            raise GuideUnavailable(guide, found)
