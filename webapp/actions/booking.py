"""Booking actions: place and cancel a booking, join and leave a waiting list, take up or
let go of seats offered from it, and close the offers that lapsed.

Each runs in the caller's ONE transaction (SQLite's write lock taken at BEGIN) and
records the emails it causes in the outbox in that same transaction, so a booking never
exists without its confirmation being on record; the mail worker
(``webapp.mail.worker``) sends them, and nothing that happens to the mail can
fail the action.

Audit: what the public does (a visitor booking, cancelling their booking, waiting) is
not audited (the bookings and waiting-list tables are its record, and the audit log
stays free of bookers' data); the same action asked by anyone else (a coordinator, the
command line) writes its audit record in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from tours.booking import bookings as core
from tours.booking import cancellation, changes, waitlist
from tours.booking.bookings import BookingResult, Party
from tours.booking.cancellation import CancelResult
from tours.booking.idempotency import request_fingerprint
from tours.booking.models import WaitlistEntry
from webapp.actions.booking_mail import booking_mail, booking_mail_kind, entry_mail, offer_mails
from webapp.actions.links import hold_time
from webapp.common import privacy

PUBLIC = Actor.public()


def _audit(db_session: Session, actor: Actor, action: str, target: str, **details: Any) -> None:
    """The audit record of a booking action, unless the public asked for it."""
    if actor != PUBLIC:
        audit.record(db_session, actor, action, target, **details)


@dataclass(frozen=True)
class Origin:
    """How a booking taken in the console reached the coordinator, and what was agreed."""

    source: str  # phone, email or in_person (``tours.booking.models.DESK_SOURCES``)
    contact_consent: bool


def place_booking(
    db_session: Session,
    actor: Actor,
    departure_id: int,
    party: Party,
    idempotency_key: str | None,
    *,
    endpoint: str = "api",
    origin: Origin | None = None,
) -> BookingResult:
    """Book seats; raises ``BookingRefused``, ``DepartureNotFound``, ``KeyReused`` or
    ``TryAgain`` (a reference drawn twice: run the transaction again).

    ``endpoint`` (``api``, ``form`` or ``console``) goes into the request's fingerprint
    with the departure, the party and the ``origin``: a key sent again with anything
    else is refused.  ``origin``: a booking a coordinator took (by phone, email or in
    person), recorded with the booking and in its audit record.  For the public, four
    statements in the transaction (the key lookup when there is a key, the booking's
    INSERT, the seats' UPDATE, the outbox row's INSERT); the confirmation is composed by
    the mail worker.  A party without an email address (taken by phone) gets none.
    """
    privacy.remember(party.name, party.email, party.phone)
    asked = f"{endpoint}.booking"
    if origin is not None:
        asked += f".{origin.source}.{int(origin.contact_consent)}"
    fingerprint = request_fingerprint(asked, departure_id, party)
    # The confirmation is recorded by ``core.book`` itself (on PostgreSQL in the
    # booking's own INSERT): in this transaction, only for a new booking.
    result = core.book(
        db_session,
        departure_id,
        party,
        idempotency_key=idempotency_key,
        request_hash=fingerprint if idempotency_key else None,
        mail_kind=booking_mail_kind("confirmation") if party.email else None,
    )
    if not result.replayed:
        recorded: dict[str, Any] = {}
        if origin is not None:
            changes.record_origin(
                db_session, result.booking.id, origin.source, origin.contact_consent
            )
            recorded = {"source": origin.source, "contact_consent": origin.contact_consent}
        _audit(
            db_session,
            actor,
            "booking.add",
            f"booking:{result.booking.reference}",
            departure=departure_id,
            party_size=party.party_size,
            **recorded,
        )
    return result


def cancel_booking(db_session: Session, actor: Actor, reference: str) -> CancelResult:
    """Cancel a booking: seats back at once, offers to the waiting list, emails.

    Nothing changes (``changed`` False, no email, no record) when it was cancelled already.
    """
    reason = "booker" if actor == PUBLIC else "coordinator"
    result = cancellation.cancel_booking(db_session, reference, reason=reason)
    if result.changed:
        booking_mail(db_session, "cancelled", result.booking, result.departure)
        offer_mails(db_session, result.new_offers)
        _audit(db_session, actor, "booking.cancel", f"booking:{reference}")
    return result


@dataclass(frozen=True)
class JoinResult:
    entry: WaitlistEntry
    position: int


def join_waitlist(
    db_session: Session,
    actor: Actor,
    departure_id: int,
    party: Party,
    idempotency_key: str | None,
    *,
    endpoint: str = "api",
) -> JoinResult:
    """Join the waiting list; raises ``WaitlistRefused``, ``DepartureNotFound`` or ``KeyReused``."""
    privacy.remember(party.name, party.email, party.phone)
    fingerprint = request_fingerprint(f"{endpoint}.waitlist", departure_id, party)
    joined = waitlist.join(
        db_session,
        departure_id,
        party,
        idempotency_key=idempotency_key,
        request_hash=fingerprint if idempotency_key else None,
    )
    entry = joined.entry
    if joined.created:
        entry_mail(db_session, "waitlist_joined", entry, entry.departure)
        _audit(
            db_session,
            actor,
            "waitlist.join",
            f"waitlist:{entry.id}",
            departure=departure_id,
            party_size=party.party_size,
        )
    return JoinResult(entry, waitlist.position(db_session, entry))


def leave_waitlist(db_session: Session, actor: Actor, entry_id: int) -> bool:
    """Take an entry off its waiting list; False (and no record) when it was no longer waiting."""
    changed, offers = waitlist.leave(db_session, entry_id, hold=hold_time())
    offer_mails(db_session, offers)
    if changed:
        _audit(db_session, actor, "waitlist.leave", f"waitlist:{entry_id}")
    return changed


def claim_offer(
    db_session: Session, actor: Actor, entry_id: int, offer_number: int
) -> BookingResult:
    """Take up an offer; raises ``OfferUnavailable`` when it lapsed or was used."""
    result = waitlist.claim(db_session, entry_id, offer_number)
    if not result.replayed:
        booking_mail(db_session, "confirmation", result.booking, result.departure)
        _audit(
            db_session,
            actor,
            "waitlist.claim",
            f"waitlist:{entry_id}",
            booking=result.booking.reference,
        )
    return result


def decline_offer(db_session: Session, actor: Actor, entry_id: int, offer_number: int) -> None:
    """Let an offer's seats go to the next in line; ``OfferUnavailable`` when it is not open."""
    offers = waitlist.decline(db_session, entry_id, offer_number, hold=hold_time())
    offer_mails(db_session, offers)
    _audit(db_session, actor, "waitlist.decline", f"waitlist:{entry_id}")


def lapsed_offers(db_session: Session, now: datetime, departure_id: int | None = None) -> bool:
    """Whether any offer (of ``departure_id``, or of any departure) has lapsed: a plain read."""
    return bool(waitlist.lapsed_departures(db_session, now, departure_id))


def expire_lapsed_offers(
    db_session: Session, now: datetime, departure_id: int | None = None
) -> list[WaitlistEntry]:
    """Close lapsed offers and offer their seats on down the list, with their emails.

    Nobody asks for this (time passed), so it takes no actor and writes no audit record.
    """
    offers = waitlist.expire_offers(db_session, now, departure_id=departure_id, hold=hold_time())
    offer_mails(db_session, offers)
    return offers
