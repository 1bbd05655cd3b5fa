"""Departure actions: schedule one walk or a weekly series, give it its guide, change its
seats, cancel it and write to everyone booked or waiting; a guide gives a walk back.

The console and ``bidean sessions`` call these.  Each writes its audit record
(``departure.add``, ``departure.assign``, ``departure.capacity``, ``departure.cancel``,
``departure.withdraw``, on the target ``departure:<id>``) in the caller's transaction,
and none when nothing changed; its result says whether anything did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from guides import assignment, audit
from guides.audit import Actor
from tours.booking import departures as deps
from tours.booking.models import Departure
from webapp.actions.booking_mail import booking_mail, entry_mail


def target(departure_id: int) -> str:
    """How the audit log names a departure."""
    return f"departure:{departure_id}"


def schedule_departures(
    db_session: Session,
    actor: Actor,
    request: deps.DepartureRequest,
    *,
    dates: Sequence[date] | None = None,
) -> list[Departure]:
    """Schedule ``request``, or a series on ``dates`` (``deps.series_dates``); one record each.

    Raises ``ScheduleError`` or ``GuideError``: a guide who does not speak the language,
    leads another walk then (``GuideClash``) or is not available (``GuideUnavailable``).
    """
    created = assignment.schedule_with_guide(db_session, request, dates=dates)
    for departure in created:
        audit.record(
            db_session, actor, "departure.add", target(departure.id), guide=request.guide_id
        )
    return created


@dataclass(frozen=True)
class DepartureChanged:
    departure: Departure
    changed: bool  # False when it already was as asked: no audit record then


def assign_guide(
    db_session: Session, actor: Actor, departure_id: int, guide_id: str | None
) -> DepartureChanged:
    """Give a departure its guide (none with ``None``); only one who speaks its language, is
    free and available then (``GuideError``, ``GuideClash``, ``GuideUnavailable``)."""
    before = deps.get_departure(db_session, departure_id, lock=True).guide_id
    departure = assignment.assign_guide(db_session, departure_id, guide_id)
    changed = departure.guide_id != before
    if changed:
        audit.record(db_session, actor, "departure.assign", target(departure_id), guide=guide_id)
    return DepartureChanged(departure, changed)


def set_capacity(
    db_session: Session, actor: Actor, departure_id: int, capacity: int
) -> DepartureChanged:
    """Change a departure's seats; never below those booked or offered (``ScheduleError``)."""
    found = deps.get_departure(db_session, departure_id, lock=True)
    before = (found.capacity, found.max_party)
    departure = deps.set_capacity(db_session, departure_id, capacity)
    changed = (departure.capacity, departure.max_party) != before
    if changed:
        audit.record(
            db_session, actor, "departure.capacity", target(departure_id), capacity=capacity
        )
    return DepartureChanged(departure, changed)


@dataclass(frozen=True)
class DepartureCancelled:
    departure: Departure
    bookings: int
    waiting: int
    message_ids: list[int]
    changed: bool = True  # False when it was cancelled already: nothing closed or sent


def cancel_departure(db_session: Session, actor: Actor, departure_id: int) -> DepartureCancelled:
    """Cancel a departure, close its bookings and waiting list, and write to everyone."""
    closed = deps.cancel(db_session, departure_id)
    ids = [
        booking_mail(db_session, "departure_cancelled", booking, closed.departure)
        for booking in closed.bookings
        if booking.email
    ]
    ids += [
        entry_mail(db_session, "departure_cancelled", entry, closed.departure)
        for entry in closed.waitlist
        if entry.email
    ]
    if closed.changed:
        audit.record(
            db_session,
            actor,
            "departure.cancel",
            target(departure_id),
            bookings=len(closed.bookings),
            emails=len(ids),
        )
    return DepartureCancelled(
        closed.departure, len(closed.bookings), len(closed.waitlist), ids, closed.changed
    )


WITHDRAWAL_REASON_MAX = 500


def withdraw_guide(
    db_session: Session, actor: Actor, departure_id: int, guide_id: str, reason: str
) -> Departure:
    """The walk's guide gives it back, saying why: it has no guide any more
    (``departure.withdraw``, read back by ``guides.assignment.recent_withdrawals``)."""
    departure = assignment.withdraw(db_session, departure_id, guide_id)
    audit.record(
        db_session,
        actor,
        assignment.WITHDRAW_ACTION,
        target(departure_id),
        guide=guide_id,
        reason=reason[:WITHDRAWAL_REASON_MAX],
    )
    return departure
