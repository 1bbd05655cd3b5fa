"""Cancelling a booking: its seats go back at once and are offered to the waiting list.

It sits above both ``bookings`` (the seats) and ``waitlist`` (the offers), which is why
it is a module of its own: the waiting list books through ``bookings``, so
``bookings`` cannot call the waiting list back without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from tours.booking.bookings import get_booking
from tours.booking.departures import get_departure
from tours.booking.models import CANCELLED, CONFIRMED, Booking, Departure, WaitlistEntry
from tours.booking.waitlist import release_seats
from tours.db import utcnow


@dataclass
class CancelResult:
    booking: Booking
    departure: Departure
    changed: bool  # False when it was already cancelled
    new_offers: list[WaitlistEntry] = field(default_factory=list)


def cancel_booking(
    db_session: Session, reference: str, *, now: datetime | None = None, reason: str = "booker"
) -> CancelResult:
    """Cancel a booking and give its seats back at once, offering them to the waiting list."""
    now = now or utcnow()
    booking = get_booking(db_session, reference, lock=True)
    departure = get_departure(db_session, booking.departure_id)
    if booking.status != CONFIRMED:
        return CancelResult(booking, departure, changed=False)
    booking.status = CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = reason
    db_session.flush()
    db_session.execute(
        update(Departure)
        .where(Departure.id == booking.departure_id)
        .values(seats_taken=Departure.seats_taken - booking.party_size)
        .execution_options(synchronize_session=False)
    )
    offers = (
        release_seats(db_session, booking.departure_id, now) if departure.starts_at > now else []
    )
    db_session.refresh(departure)
    return CancelResult(booking, departure, changed=True, new_offers=offers)
