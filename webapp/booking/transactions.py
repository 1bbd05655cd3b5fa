"""The booking actions as the public's pages and API run them: each in its transaction,
retried when that is safe, and the mail worker woken after the commit.

Lapsed waiting-list offers hold seats until they are closed, so the actions that need
free seats close them first, in a transaction of their own (only when a plain read
finds some, so that an ordinary request takes no write lock for them).

A booking whose COMMIT reply is lost (the connection dropped after the database
committed) is answered as stored: every booking carries a key (the client's
``Idempotency-Key``, the form's token, or else one the server makes), by which a new
transaction finds it (see ``place_booking``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.orm import Session, sessionmaker

from tours.booking.bookings import BookingRefused, BookingResult, Party
from tours.booking.cancellation import CancelResult
from tours.booking.models import WaitlistEntry
from tours.db import CommitLost, run_transaction, utcnow
from webapp.actions import booking as actions
from webapp.actions.booking import JoinResult
from webapp.common.database import get_db
from webapp.mail import worker

PUBLIC = actions.PUBLIC


def expire_lapsed_offers(departure_id: int | None = None) -> list[WaitlistEntry]:
    """Close lapsed offers and offer their seats on; a plain read when none lapsed."""
    return _close_lapsed_offers(departure_id) or []


def _close_lapsed_offers(departure_id: int | None) -> list[WaitlistEntry] | None:
    """The offers made in place of lapsed ones; None when no offer had lapsed."""
    db = get_db()
    now = utcnow()
    with db.transaction() as db_session:
        if not actions.lapsed_offers(db_session, now, departure_id):
            return None
    with db.transaction(write_lock=True) as db_session:
        offers = actions.expire_lapsed_offers(db_session, now, departure_id)
    worker.wake()
    return offers


def place_booking(
    departure_id: int, party: Party, idempotency_key: str | None, *, endpoint: str = "api"
) -> BookingResult:
    """Book seats (``actions.place_booking``) in one transaction of five or six round trips
    on PostgreSQL: BEGIN, the action's statements, COMMIT.

    Lapsed offers are only looked for when the seats are not there: they hold seats, so
    they can only be why a booking is refused, and then they are closed (their seats
    offered on down the list, as before) and the booking is tried once more.

    A request without a key gets one of the server's own (``own:…``, never shown), so
    that after a lost COMMIT reply its booking can be found like any other (``_book``).
    """
    key = idempotency_key or f"own:{secrets.token_urlsafe(16)}"
    made: list[BookingResult] = []

    def attempt(db_session: Session) -> BookingResult:
        result = actions.place_booking(
            db_session, PUBLIC, departure_id, party, key, endpoint=endpoint
        )
        made.append(result)
        return result

    factory = get_db().sessions
    try:
        result = _book(factory, attempt, made)
    except BookingRefused as refused:
        if refused.reason != "full" or _close_lapsed_offers(departure_id) is None:
            raise
        result = _book(factory, attempt, made)
    if not result.replayed:
        worker.wake()
    return result


def _book(
    factory: sessionmaker[Session],
    attempt: Callable[[Session], BookingResult],
    made: list[BookingResult],
) -> BookingResult:
    """The booking's transaction, and after a lost COMMIT reply the booking it stored.

    The COMMIT may or may not have happened.  The same work runs again on a new
    connection: its key's ``INSERT … ON CONFLICT DO NOTHING`` finds the booking that
    COMMIT stored (on PostgreSQL it waits for a COMMIT still in flight), or, when
    nothing was stored, books now, as the client's own retry would.  The answer is then
    the one this request would have had (``replayed`` only if it was a replay already).
    When that cannot be known either (the database stays out of reach, the second reply
    is lost too) the driver's error propagates: 503 with ``Retry-After``.
    """
    try:
        return run_transaction(factory, attempt, write_lock=True)
    except CommitLost as lost:
        first = made[-1]
        try:
            found = run_transaction(factory, attempt, write_lock=True)
        except CommitLost:
            raise lost.error from None
    return replace(found, replayed=first.replayed)


def cancel_booking(reference: str) -> CancelResult:
    """Cancel a booking from its manage link."""
    with get_db().transaction(write_lock=True) as db_session:
        result = actions.cancel_booking(db_session, PUBLIC, reference)
    worker.wake()
    return result


def join_waitlist(
    departure_id: int, party: Party, idempotency_key: str | None, *, endpoint: str = "api"
) -> JoinResult:
    """Join a full departure's waiting list, once its lapsed offers are closed."""
    expire_lapsed_offers(departure_id)
    with get_db().transaction(write_lock=True) as db_session:
        joined = actions.join_waitlist(
            db_session, PUBLIC, departure_id, party, idempotency_key, endpoint=endpoint
        )
    worker.wake()
    return joined


def leave_waitlist(entry_id: int) -> bool:
    """Leave a waiting list from its signed link; False when no longer waiting."""
    with get_db().transaction(write_lock=True) as db_session:
        changed = actions.leave_waitlist(db_session, PUBLIC, entry_id)
    worker.wake()
    return changed


def claim_offer(entry_id: int, offer_number: int) -> BookingResult:
    """Take up an offer, once lapsed offers are closed (this one may be among them)."""
    expire_lapsed_offers()
    with get_db().transaction(write_lock=True) as db_session:
        result = actions.claim_offer(db_session, PUBLIC, entry_id, offer_number)
    worker.wake()
    return result


def decline_offer(entry_id: int, offer_number: int) -> None:
    """Let an offer's seats go to the next in line."""
    with get_db().transaction(write_lock=True) as db_session:
        actions.decline_offer(db_session, PUBLIC, entry_id, offer_number)
    worker.wake()
