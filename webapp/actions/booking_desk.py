"""Bookings handled by a coordinator in the console: moved to another departure of the
same tour, made larger or smaller, and a waiting list offered its free seats now.  (A
booking taken by phone is ``booking.place_booking`` with its ``Origin``; cancelling is
``booking.cancel_booking``: the booker's own actions, with the coordinator as actor.)

Each runs in the caller's ONE transaction with the seat rule of online bookings, records
the emails it causes in the outbox in that same transaction (a move sends one message,
with the new date and its calendar file) and writes its audit record, naming the booking
by reference and never the person.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from tours.booking import changes, waitlist
from tours.booking.changes import BookingChanged
from tours.booking.models import WaitlistEntry
from tours.db import utcnow
from webapp.actions.booking_mail import booking_mail, offer_mails
from webapp.actions.links import hold_time


def target(reference: str) -> str:
    """How the audit log names a booking."""
    return f"booking:{reference}"


def move_booking(
    db_session: Session, actor: Actor, reference: str, to_departure_id: int
) -> BookingChanged:
    """Move a booking to another departure of its tour: seats checked and moved in this
    transaction, ONE email to the booker (the new date, a calendar file replacing the old
    one), waiting parties on the old departure offered the seats given back.

    Moving it where it already is changes nothing and sends nothing (a double submit).
    Raises ``BookingNotFound``, ``DepartureNotFound``, ``ChangeRefused`` or
    ``BookingRefused`` (the new departure's reason, such as ``full``).
    """
    moved = changes.move_booking(db_session, reference, to_departure_id, hold=hold_time())
    if not moved.changed:
        return moved
    booking = moved.booking
    if booking.email:
        booking_mail(db_session, "moved", booking, moved.departure)
    offer_mails(db_session, moved.new_offers)
    assert moved.previous is not None
    audit.record(
        db_session,
        actor,
        "booking.move",
        target(booking.reference),
        departure=moved.previous.id,
        to_departure=moved.departure.id,
        party_size=booking.party_size,
    )
    return moved


def resize_booking(
    db_session: Session, actor: Actor, reference: str, party_size: int
) -> BookingChanged:
    """Change a booking's party size by the seat rule; the booker gets the confirmation
    again, with the new number of people; seats given back go to the waiting list.

    The size it already has changes nothing.  Raises ``BookingNotFound``,
    ``ChangeRefused`` or ``BookingRefused`` (``full``, ``party_too_large``, ``started``).
    """
    resized = changes.resize_booking(db_session, reference, party_size, hold=hold_time())
    if not resized.changed:
        return resized
    booking = resized.booking
    if booking.email:
        booking_mail(db_session, "confirmation", booking, resized.departure)
    offer_mails(db_session, resized.new_offers)
    audit.record(
        db_session,
        actor,
        "booking.resize",
        target(booking.reference),
        departure=resized.departure.id,
        party_size=party_size,
        was=resized.previous_party,
    )
    return resized


def offer_seats_now(db_session: Session, actor: Actor, departure_id: int) -> list[WaitlistEntry]:
    """Offer a departure's free seats to its waiting list now, in order (lapsed offers
    closed first), each party offered emailed.  Nothing to offer: no record."""
    now = utcnow()
    offers = waitlist.expire_offers(db_session, now, departure_id=departure_id, hold=hold_time())
    offers += waitlist.release_seats(db_session, departure_id, now, hold_time())
    offer_mails(db_session, offers)
    if offers:
        audit.record(
            db_session,
            actor,
            "waitlist.offer",
            f"departure:{departure_id}",
            offers=len(offers),
            seats=sum(entry.party_size for entry in offers),
        )
    return offers
