"""What a booking's emails say: the mail worker's composer for the messages the booking
actions record about a booking, and the calendar file they (and the manage page) carry."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy.orm import Session

from tours.booking import departures as deps
from tours.booking.models import Booking, Departure, OutboxMessage
from webapp.actions.booking_mail import BOOKING_KINDS, CANCELLING_KINDS
from webapp.actions.links import manage_token
from webapp.booking.calendar import CalendarEvent, booking_calendar
from webapp.common.departure_views import DepartureView, load_departure_view
from webapp.mail import messages as mail


def booking_ics(
    booking: Booking,
    departure: Departure,
    view: DepartureView,
    cancelled: bool,
    manage_url: str | None = None,
    *,
    revised: bool = False,
) -> bytes:
    """The booking as an iCalendar file (a cancellation when ``cancelled``; ``revised``
    when it replaces the event of an earlier file, as after a move).

    ``manage_url``: the link the email already carries, so it is signed once, not twice.
    """
    event = CalendarEvent(
        reference=booking.reference,
        domain=mail.public_domain(),
        starts_at=departure.starts_at,
        timezone=departure.timezone,
        duration_minutes=view.duration_minutes,
        summary=f"Bidean: {view.title.text}",
        description=booking.reference,
        location_name=view.meeting.text if view.meeting else "",
        lon=departure.meeting_lon,
        lat=departure.meeting_lat,
        url=manage_url
        or mail.external_url("booking.manage", token=manage_token(booking, departure)),
        cancelled=cancelled,
        revised=revised,
    )
    return booking_calendar(event)


def booking_message(db_session: Session, message: OutboxMessage) -> EmailMessage:
    """Compose a recorded booking message, in the booker's language (the worker calls this)."""
    booking = db_session.get(Booking, message.booking_id) if message.booking_id else None
    if booking is None or not booking.email:
        raise LookupError("the booking or its address is gone (purged)")
    departure = deps.get_departure(db_session, booking.departure_id)
    kind = message.kind
    view = load_departure_view(db_session, departure, booking.language)
    cancelled = kind in CANCELLING_KINDS
    manage_url = mail.external_url("booking.manage", token=manage_token(booking, departure))
    context = {
        "booking": booking,
        "departure": view,
        "manage_url": manage_url,
        "tour_url": mail.external_url("public.tour_page", slug=view.slug),
        "subject_args": {"reference": booking.reference, "tour": view.title.text},
    }
    attachments = [
        mail.calendar_attachment(
            booking_ics(booking, departure, view, cancelled, manage_url, revised=kind == "moved"),
            cancelled,
        )
    ]
    # To the address recorded with the message (the booking's when it was recorded).
    recipient = message.recipient or booking.email
    return mail.compose(kind, recipient, booking.language, context, attachments)


mail.register_composer(BOOKING_KINDS, booking_message)
