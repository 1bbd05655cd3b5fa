"""Booking actions as the web layer and the CLI run them: one transaction, and done.

Each action runs the core function in ONE transaction (SQLite's write lock taken at
BEGIN) and records the emails it causes in the outbox in that same transaction; the
action ends at the commit.  The mail worker (``webapp.common.mailworker``) sends them,
so a booking never exists without its confirmation being on record, and nothing that
happens to the mail (a server down, an address refused) can fail the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from tours.booking import bookings as core
from tours.booking import cancellation, waitlist
from tours.booking import departures as deps
from tours.booking.bookings import BookingResult, DepartureSeats, Party
from tours.booking.cancellation import CancelResult
from tours.booking.idempotency import request_fingerprint
from tours.booking.models import Booking, Departure, OutboxMessage, WaitlistEntry
from tours.db import run_transaction, utcnow
from webapp.booking.calendar import CalendarEvent, booking_calendar
from webapp.common import mail, privacy
from webapp.common.database import get_db
from webapp.common.departure_views import SessionView, session_view

BOOKING_SUBJECTS = {
    "confirmation": lazy_gettext("Your booking %(reference)s: %(tour)s"),
    "cancelled": lazy_gettext("Booking %(reference)s cancelled"),
    "session_cancelled": lazy_gettext("Cancelled: %(tour)s on %(date)s"),
    "waitlist_joined": lazy_gettext("You are on the waiting list: %(tour)s"),
    "offer": lazy_gettext("Seats for you: %(tour)s on %(date)s"),
}
mail.register_subjects(BOOKING_SUBJECTS)

MANAGE_SALT = "bidean.booking.manage"
OFFER_SALT = "bidean.waitlist.offer"
LEAVE_SALT = "bidean.waitlist.leave"
MANAGE_GRACE = timedelta(days=1)  # a manage link still works the day after the tour


class LinkInvalid(Exception):
    """A signed link that was tampered with or cut short."""


class LinkExpired(Exception):
    """A signed link past its end (the session took place, or the offer lapsed)."""


def hold_time() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("WAITLIST_HOLD_MINUTES") or 120))


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], salt)


@lru_cache(maxsize=16)
def _serializer_for(secret_key: str | bytes, salt: str) -> URLSafeTimedSerializer:
    """Keyed by the secret too, so an app with another key never gets this one's."""
    return URLSafeTimedSerializer(secret_key, salt=salt)


def manage_token(booking: Booking, departure: Departure | DepartureSeats) -> str:
    until = departure.starts_at + MANAGE_GRACE
    return _serializer(MANAGE_SALT).dumps({"r": booking.reference, "x": int(until.timestamp())})


def read_manage_token(token: str, now: datetime | None = None) -> str:
    """The booking reference a manage link stands for; LinkInvalid or LinkExpired."""
    try:
        data = _serializer(MANAGE_SALT).loads(token)
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict) or not isinstance(data.get("r"), str):
        raise LinkInvalid
    if (now or utcnow()).timestamp() > float(data.get("x", 0)):
        raise LinkExpired
    return data["r"]


def offer_token(entry: WaitlistEntry) -> str:
    return _serializer(OFFER_SALT).dumps({"e": entry.id, "n": entry.offer_count})


def read_offer_token(token: str) -> tuple[int, int]:
    """``(entry id, offer number)``; the database then says whether the offer is open."""
    max_age = int(hold_time().total_seconds()) + 3600
    try:
        data = _serializer(OFFER_SALT).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in "en"):
        raise LinkInvalid
    return data["e"], data["n"]


def leave_token(entry: WaitlistEntry) -> str:
    """The signed link to leave the waiting list (valid as long as the entry exists)."""
    return _serializer(LEAVE_SALT).dumps({"e": entry.id})


def read_leave_token(token: str) -> int:
    """The waiting-list entry a leave link stands for; LinkInvalid when tampered with."""
    try:
        data = _serializer(LEAVE_SALT).loads(token)
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict) or not isinstance(data.get("e"), int):
        raise LinkInvalid
    return data["e"]


# --- messages ---------------------------------------------------------------------------


def booking_ics(
    booking: Booking,
    departure: Departure,
    view: SessionView,
    cancelled: bool,
    manage_url: str | None = None,
) -> bytes:
    """The booking as an iCalendar file (a cancellation when ``cancelled``).

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
    )
    return booking_calendar(event)


def _booking_mail(
    session: Session, kind: str, booking: Booking, departure: Departure | DepartureSeats
) -> int:
    """Record one message about a booking, for the mail worker to compose and send."""
    return mail.record_later(session, kind, booking.email or "", departure.id, booking.id)


def _booking_message(session: Session, message: OutboxMessage) -> EmailMessage:
    """Compose a recorded booking message, in the booker's language (the worker calls this)."""
    booking = session.get(Booking, message.booking_id) if message.booking_id else None
    if booking is None or not booking.email:
        raise LookupError("the booking or its address is gone (purged)")
    departure = deps.get_departure(session, booking.departure_id)
    kind = message.kind
    view = session_view(session, departure, booking.language)
    cancelled = kind != "confirmation"
    manage_url = mail.external_url("booking.manage", token=manage_token(booking, departure))
    context = {
        "booking": booking,
        "session": view,
        "manage_url": manage_url,
        "tour_url": mail.external_url("public.tour_page", slug=view.slug),
        "subject_args": {"reference": booking.reference, "tour": view.title.text},
    }
    attachments = [
        mail.calendar_attachment(
            booking_ics(booking, departure, view, cancelled, manage_url), cancelled
        )
    ]
    # To the address recorded with the message (the booking's when it was recorded).
    recipient = message.recipient or booking.email
    return mail.compose(kind, recipient, booking.language, context, attachments)


mail.register_composer(("confirmation", "cancelled", "session_cancelled"), _booking_message)


def _entry_mail(session: Session, kind: str, entry: WaitlistEntry, departure: Departure) -> int:
    view = session_view(session, departure, entry.language)
    context: dict[str, Any] = {
        "entry": entry,
        "session": view,
        "tour_url": mail.external_url("public.tour_page", slug=view.slug),
        "subject_args": {"tour": view.title.text},
    }
    if kind == "offer" and entry.offer_expires_at is not None:
        context["offer_url"] = mail.external_url("booking.offer", token=offer_token(entry))
        context["expires"] = entry.offer_expires_at.astimezone(view.starts_at.tzinfo)
    if kind == "waitlist_joined":
        context["position"] = waitlist.position(session, entry)
        context["leave_url"] = mail.external_url("booking.leave_waitlist", token=leave_token(entry))
    message = mail.compose(kind, entry.email or "", entry.language, context)
    return mail.record(session, kind, message, departure.id)


def _offer_mails(session: Session, offers: Sequence[WaitlistEntry]) -> list[int]:
    return [
        _entry_mail(session, "offer", entry, deps.get_departure(session, entry.departure_id))
        for entry in offers
    ]


# --- actions ----------------------------------------------------------------------------


def expire_lapsed_offers(departure_id: int | None = None) -> list[WaitlistEntry]:
    """Close lapsed offers and offer their seats on; a plain read when none lapsed."""
    db = get_db()
    now = utcnow()
    with db.transaction() as session:
        if not waitlist.lapsed_departures(session, now, departure_id):
            return []
    with db.transaction(write_lock=True) as session:
        offers = waitlist.expire_offers(session, now, departure_id=departure_id, hold=hold_time())
        _offer_mails(session, offers)
    mail.wake()
    return offers


def _has_lapsed_offers(departure_id: int) -> bool:
    with get_db().transaction() as session:
        return bool(waitlist.lapsed_departures(session, utcnow(), departure_id))


def place_booking(
    departure_id: int, party: Party, idempotency_key: str | None, *, endpoint: str = "api"
) -> BookingResult:
    """Book seats; raises ``BookingRefused``, ``DepartureNotFound`` or ``KeyReused``.

    ``endpoint`` (``api`` or ``form``) goes into the request's fingerprint with the
    session and the party: a key sent again with anything else is refused.

    One transaction of five or six round trips on PostgreSQL (BEGIN, the key lookup when
    there is a key, the booking's INSERT, the seats' UPDATE, the outbox row's INSERT,
    COMMIT); the confirmation is composed by the mail worker.  Lapsed waiting-list
    offers are only looked for when the seats are not there: they hold seats, so they
    can only be why a booking is refused, and then they are closed (their seats offered
    on down the list, as before) and the booking is tried once more.
    """
    privacy.remember(party.name, party.email, party.phone)
    fingerprint = request_fingerprint(f"{endpoint}.booking", departure_id, party)

    def attempt(session: Session) -> BookingResult:
        result = core.book(
            session,
            departure_id,
            party,
            idempotency_key=idempotency_key,
            request_hash=fingerprint if idempotency_key else None,
        )
        if not result.replayed:
            _booking_mail(session, "confirmation", result.booking, result.departure)
        return result

    factory = get_db().sessions
    try:
        result = run_transaction(factory, attempt, write_lock=True)
    except core.BookingRefused as refused:
        if refused.reason != "full" or not _has_lapsed_offers(departure_id):
            raise
        expire_lapsed_offers(departure_id)
        result = run_transaction(factory, attempt, write_lock=True)
    if not result.replayed:
        mail.wake()
    return result


def cancel_booking(reference: str) -> CancelResult:
    """Cancel a booking: seats back at once, offers to the waiting list, emails."""
    with get_db().transaction(write_lock=True) as session:
        result = cancellation.cancel_booking(session, reference, reason="booker")
        if result.changed:
            _booking_mail(session, "cancelled", result.booking, result.departure)
            _offer_mails(session, result.new_offers)
    mail.wake()
    return result


@dataclass(frozen=True)
class JoinResult:
    entry: WaitlistEntry
    position: int


def join_waitlist(
    departure_id: int, party: Party, idempotency_key: str | None, *, endpoint: str = "api"
) -> JoinResult:
    """Join the waiting list; raises ``WaitlistRefused``, ``DepartureNotFound`` or ``KeyReused``."""
    privacy.remember(party.name, party.email, party.phone)
    expire_lapsed_offers(departure_id)
    fingerprint = request_fingerprint(f"{endpoint}.waitlist", departure_id, party)
    with get_db().transaction(write_lock=True) as session:
        joined = waitlist.join(
            session,
            departure_id,
            party,
            idempotency_key=idempotency_key,
            request_hash=fingerprint if idempotency_key else None,
        )
        entry = joined.entry
        if joined.created:
            _entry_mail(session, "waitlist_joined", entry, entry.departure)
        place = waitlist.position(session, entry)
    mail.wake()
    return JoinResult(entry, place)


def leave_waitlist(entry_id: int) -> bool:
    """Take an entry off its waiting list; False when it was no longer waiting."""
    with get_db().transaction(write_lock=True) as session:
        changed, offers = waitlist.leave(session, entry_id, hold=hold_time())
        _offer_mails(session, offers)
    mail.wake()
    return changed


def claim_offer(entry_id: int, offer_number: int) -> BookingResult:
    """Take up an offer; raises ``OfferUnavailable`` when it lapsed or was used."""
    expire_lapsed_offers()
    with get_db().transaction(write_lock=True) as session:
        result = waitlist.claim(session, entry_id, offer_number)
        if not result.replayed:
            _booking_mail(session, "confirmation", result.booking, result.departure)
    mail.wake()
    return result


def decline_offer(entry_id: int, offer_number: int) -> None:
    with get_db().transaction(write_lock=True) as session:
        offers = waitlist.decline(session, entry_id, offer_number, hold=hold_time())
        _offer_mails(session, offers)
    mail.wake()


@dataclass(frozen=True)
class DepartureCancelled:
    departure: Departure
    bookings: int
    waiting: int
    message_ids: list[int]
    changed: bool = True  # False when the session was cancelled already


def cancel_departure(departure_id: int) -> DepartureCancelled:
    """Cancel a session and write to everyone booked or waiting."""
    with get_db().transaction(write_lock=True) as session:
        closed = deps.cancel(session, departure_id)
        ids = [
            _booking_mail(session, "session_cancelled", booking, closed.departure)
            for booking in closed.bookings
            if booking.email
        ]
        ids += [
            _entry_mail(session, "session_cancelled", entry, closed.departure)
            for entry in closed.waitlist
            if entry.email
        ]
    mail.wake()
    return DepartureCancelled(
        closed.departure, len(closed.bookings), len(closed.waitlist), ids, closed.changed
    )
