"""The emails booking actions cause, recorded in the outbox in the action's transaction.

A message about a booking is recorded by kind only and composed by the mail worker
(its composer is in the booking blueprint, with the calendar file it attaches); a
message to a waiting-list entry is composed here, since it carries a signed link of
the moment it was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from tours.booking import departures as deps
from tours.booking import waitlist
from tours.booking.bookings import DepartureSeats
from tours.booking.models import Booking, Departure, WaitlistEntry
from webapp.actions.links import leave_token, offer_token
from webapp.common.departure_views import load_departure_view
from webapp.mail import messages as mail

BOOKING_SUBJECTS = {
    "confirmation": lazy_gettext("Your booking %(reference)s: %(tour)s"),
    "cancelled": lazy_gettext("Booking %(reference)s cancelled"),
    "moved": lazy_gettext("Your booking %(reference)s has moved: %(tour)s on %(date)s"),
    "departure_cancelled": lazy_gettext("Cancelled: %(tour)s on %(date)s"),
    "waitlist_joined": lazy_gettext("You are on the waiting list: %(tour)s"),
    "offer": lazy_gettext("Seats for you: %(tour)s on %(date)s"),
}
mail.register_subjects(BOOKING_SUBJECTS)

#: The kinds recorded about a booking, which the mail worker composes.
BOOKING_KINDS = ("confirmation", "moved", "cancelled", "departure_cancelled")
#: The kinds whose calendar file takes the event off the booker's calendar.
CANCELLING_KINDS = ("cancelled", "departure_cancelled")


def booking_mail(
    db_session: Session, kind: str, booking: Booking, departure: Departure | DepartureSeats
) -> int:
    """Record one message about a booking, for the mail worker to compose and send."""
    return mail.record_later(db_session, kind, booking.email or "", departure.id, booking.id)


def booking_mail_kind(kind: str) -> str:
    """``kind``, for ``tours.booking.bookings.book`` to record with a new booking, once it
    is known that the mail worker can compose it (as ``mail.record_later`` checks)."""
    if kind not in mail.COMPOSERS:
        raise KeyError(f"no composer registered for {kind!r} messages")
    return kind


def entry_mail(db_session: Session, kind: str, entry: WaitlistEntry, departure: Departure) -> int:
    """Compose and record one message to a waiting-list entry, in its language."""
    view = load_departure_view(db_session, departure, entry.language)
    context: dict[str, Any] = {
        "entry": entry,
        "departure": view,
        "tour_url": mail.external_url("public.tour_page", slug=view.slug),
        "subject_args": {"tour": view.title.text},
    }
    if kind == "offer" and entry.offer_expires_at is not None:
        context["offer_url"] = mail.external_url("booking.offer", token=offer_token(entry))
        context["expires"] = entry.offer_expires_at.astimezone(view.starts_at.tzinfo)
    if kind == "waitlist_joined":
        context["position"] = waitlist.position(db_session, entry)
        context["leave_url"] = mail.external_url("booking.leave_waitlist", token=leave_token(entry))
    message = mail.compose(kind, entry.email or "", entry.language, context)
    return mail.record(db_session, kind, message, departure.id)


def offer_mails(db_session: Session, offers: Sequence[WaitlistEntry]) -> list[int]:
    """Record the offer to each entry that was just offered seats."""
    return [
        entry_mail(db_session, "offer", entry, deps.get_departure(db_session, entry.departure_id))
        for entry in offers
    ]
