"""Changing a confirmed booking: moving it to another departure of the same tour, changing
its party size, and recording where a booking taken in the console came from.

Seats follow the seat rule of ``tours.booking.bookings`` (``take_seats``: one conditional
``UPDATE``); seats given back are offered to the waiting list at once, as a
cancellation's are.  Each change runs in the caller's one transaction: a refusal raises
and the transaction rolls back with nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tours.booking.bookings import get_booking, take_seats
from tours.booking.departures import DepartureNotFound
from tours.booking.models import CONFIRMED, DESK_SOURCES, Booking, Departure, WaitlistEntry
from tours.booking.waitlist import DEFAULT_HOLD, release_seats
from tours.db import utcnow
from tours.errors import BideanError


class ChangeRefused(BideanError):
    """The booking cannot be changed so: ``reason`` is ``not_confirmed`` (cancelled) or
    ``other_tour`` (a move to a departure of another tour).  A lack of seats raises
    ``BookingRefused`` instead."""

    def __init__(self, reason: str, reference: str) -> None:
        self.reason = reason
        super().__init__(f"Booking {reference}: cannot be changed ({reason}).")


@dataclass
class BookingChanged:
    booking: Booking
    departure: Departure  # where the booking is now
    changed: bool  # False when it already was as asked: nothing written
    previous: Departure | None = None  # where it was, for a move
    previous_party: int = 0  # its party size before
    new_offers: list[WaitlistEntry] = field(default_factory=list)


def _locked_departures(db_session: Session, ids: set[int]) -> dict[int, Departure]:
    """The departures' rows, locked in id order (two moves in opposite directions must
    not each hold one lock and wait for the other's)."""
    found = db_session.scalars(
        select(Departure)
        .where(Departure.id.in_(sorted(ids)))
        .order_by(Departure.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {departure.id: departure for departure in found}


def _confirmed(db_session: Session, reference: str) -> Booking:
    booking = get_booking(db_session, reference, lock=True)
    if booking.status != CONFIRMED:
        raise ChangeRefused("not_confirmed", booking.reference)
    return booking


def _give_back(
    db_session: Session, departure: Departure, seats: int, now: datetime, hold: timedelta
) -> list[WaitlistEntry]:
    """Seats back to a departure, offered at once to its waiting list."""
    db_session.execute(
        update(Departure)
        .where(Departure.id == departure.id)
        .values(seats_taken=Departure.seats_taken - seats)
        .execution_options(synchronize_session=False)
    )
    return release_seats(db_session, departure.id, now, hold)


def _fresh(db_session: Session, departure: Departure) -> Departure:
    db_session.refresh(departure)
    return departure


def move_booking(
    db_session: Session,
    reference: str,
    to_departure_id: int,
    *,
    now: datetime | None = None,
    hold: timedelta = DEFAULT_HOLD,
) -> BookingChanged:
    """Move a confirmed booking, whole, to another departure of the same tour.

    The seats are taken on the new departure by the seat rule, then given back on the
    old one (and offered to its waiting list), in this one transaction.  Raises
    ``DepartureNotFound``, ``ChangeRefused`` or ``BookingRefused`` (``full``,
    ``cancelled``, ``started``, ``party_too_large``: the new departure's reason).
    """
    now = now or utcnow()
    booking = _confirmed(db_session, reference)
    old_id = booking.departure_id
    departures = _locked_departures(db_session, {old_id, to_departure_id})
    if to_departure_id not in departures:
        raise DepartureNotFound(to_departure_id)
    old, new = departures[old_id], departures[to_departure_id]
    if new.id == old.id:
        return BookingChanged(booking, old, False, old, booking.party_size)
    if new.tour_id != old.tour_id:
        raise ChangeRefused("other_tour", booking.reference)
    take_seats(db_session, new.id, booking.party_size, now)
    booking.departure = new
    db_session.flush()
    offers = _give_back(db_session, old, booking.party_size, now, hold)
    return BookingChanged(
        booking, _fresh(db_session, new), True, _fresh(db_session, old), booking.party_size, offers
    )


def resize_booking(
    db_session: Session,
    reference: str,
    party_size: int,
    *,
    now: datetime | None = None,
    hold: timedelta = DEFAULT_HOLD,
) -> BookingChanged:
    """Change a confirmed booking's party size: more seats by the seat rule (and within
    the departure's per-booking maximum), fewer given back to the waiting list."""
    if party_size < 1:
        raise ValueError("party_size must be at least 1")
    now = now or utcnow()
    booking = _confirmed(db_session, reference)
    departure = _locked_departures(db_session, {booking.departure_id})[booking.departure_id]
    before = booking.party_size
    if party_size == before:
        return BookingChanged(booking, departure, False, previous_party=before)
    offers: list[WaitlistEntry] = []
    if party_size > before:
        # A group's own booking may grow on its private walk; nobody else books there.
        take_seats(
            db_session,
            departure.id,
            party_size - before,
            now,
            party=party_size,
            private=departure.private,
        )
    booking.party_size = party_size
    db_session.flush()
    if party_size < before:
        offers = _give_back(db_session, departure, before - party_size, now, hold)
    return BookingChanged(
        booking, _fresh(db_session, departure), True, previous_party=before, new_offers=offers
    )


def record_origin(db_session: Session, booking_id: int, source: str, consent: bool) -> None:
    """Where a booking taken in the console came from, and whether the person agreed to
    be contacted (one ``UPDATE``: the booking was just inserted without them)."""
    if source not in DESK_SOURCES:
        raise ValueError(f"unknown booking source {source!r}")
    db_session.execute(
        update(Booking)
        .where(Booking.id == booking_id)
        .values(source=source, contact_consent=consent)
        .execution_options(synchronize_session=False)
    )
