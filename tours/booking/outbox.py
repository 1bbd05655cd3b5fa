"""The outbox of emails: recorded in the transaction of the change, sent by a worker.

A booking's transaction writes its message here and ends; a mail worker (``bidean mail
worker``, or the thread ``bidean serve`` starts) claims due messages one at a time and
marks each sent in the step that sends it, so a crash re-sends at most the message that
was in flight.  Claiming: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (the row
stays locked while it is on the wire, so workers on several hosts never send one message
twice); on SQLite, which has no row locks, a short write transaction marks the message
``sending`` with a lease (``next_attempt_at``) after which another worker may take it.

A transient failure (server down, 4xx answer) puts the message back with a growing
delay; a permanent one (refused recipient, unencodable) marks it ``failed`` with the
reason, and it never blocks the others.  ``bidean mail retry`` sends failed ones again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from tours.booking.models import OutboxMessage
from tours.db import utcnow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"

# How long a worker on SQLite may hold a message before another one takes it over.
LEASE = timedelta(minutes=5)
# Transient failures: wait 30 s, 1 min, 2 min, ... at most an hour; give up after a day or so.
FIRST_DELAY_S = 30
MAX_DELAY_S = 3600
MAX_ATTEMPTS = 30


def record(
    db_session: Session,
    *,
    kind: str,
    recipient: str,
    subject: str,
    raw: bytes,
    departure_id: int | None,
    error: str | None = None,
    booking_id: int | None = None,
) -> OutboxMessage:
    """Add a message to send; with ``error`` it is stored ``failed`` (it cannot be sent).

    ``raw`` empty with a ``booking_id``: the worker composes it first (``to_compose``).
    One ``INSERT … RETURNING id``; the row is not read back.
    """
    message = OutboxMessage(
        kind=kind,
        recipient=recipient[:254],
        subject=subject[:255],
        raw=raw,
        status=PENDING if error is None else FAILED,
        last_error=error[:2000] if error else None,
        departure_id=departure_id,
        booking_id=booking_id,
    )
    db_session.add(message)
    db_session.flush()
    return message


# The columns of a message still to compose that are the same for every one (a booking's
# INSERT writes them too: ``tours.booking.bookings``).
TO_COMPOSE = {"subject": "", "raw": b"", "status": PENDING, "attempts": 0}


def record_to_compose(
    db_session: Session, *, kind: str, recipient: str, departure_id: int | None, booking_id: int
) -> int:
    """Add a message the worker composes from ``booking_id``; its id.

    One ``INSERT … RETURNING id`` written at once, without the unit of work: the row is
    not read back, and this is on every booking's path.
    """
    values = {
        **TO_COMPOSE,
        "kind": kind,
        "recipient": recipient[:254],
        "departure_id": departure_id,
        "booking_id": booking_id,
        "created_at": utcnow(),
    }
    return db_session.connection().execute(_INSERT_TO_COMPOSE, values).scalar_one()


# A Core statement on the table: the ORM's bulk-insert layer cost more CPU than the insert.
_INSERT_TO_COMPOSE = OutboxMessage.__table__.insert().returning(OutboxMessage.__table__.c.id)


def _composed() -> ColumnElement[bool]:
    return or_(OutboxMessage.booking_id.is_(None), func.length(OutboxMessage.raw) > 0)


def to_compose(
    db_session: Session, *, ids: list[int] | None = None, limit: int = 32
) -> list[OutboxMessage]:
    """Pending messages still to compose, oldest first, locked for this worker.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so two workers never compose one message;
    SQLite: the caller holds the write lock (``write_lock=True``).
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status.in_((PENDING, SENDING)))  # claimed ones are composed
        .where(OutboxMessage.booking_id.is_not(None))
        .where(func.length(OutboxMessage.raw) == 0)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if db_session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db_session.scalars(query))


def backoff(attempts: int) -> timedelta:
    """The delay before attempt ``attempts + 1`` after ``attempts`` transient failures."""
    return timedelta(seconds=min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** max(0, attempts - 1)))


def claim_next(
    db_session: Session, *, now: datetime | None = None, ids: list[int] | None = None
) -> OutboxMessage | None:
    """The oldest due message, claimed for this worker; None when nothing is due.

    PostgreSQL: the row is locked (others skip it) until the caller's transaction ends,
    which must be after sending.  SQLite: the row is marked ``sending`` with a lease; the
    caller commits at once, sends, and records the outcome in a second transaction.
    """
    now = now or utcnow()
    query = (
        select(OutboxMessage)
        # ``sending`` and due: a lease that ran out, its worker died.
        .where(OutboxMessage.status.in_((PENDING, SENDING)))
        .where(or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .where(_composed())  # a message still to compose waits for ``to_compose``
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    if db_session.get_bind().dialect.name == "postgresql":
        return db_session.scalars(query.with_for_update(skip_locked=True)).one_or_none()
    message = db_session.scalars(query).one_or_none()
    if message is not None:
        message.status = SENDING
        message.next_attempt_at = now + LEASE
        db_session.flush()
    return message


def mark_sent(message: OutboxMessage, *, now: datetime | None = None) -> None:
    message.attempts += 1
    message.status = SENT
    message.sent_at = now or utcnow()
    message.next_attempt_at = None
    message.last_error = None


def mark_failed(message: OutboxMessage, reason: str) -> None:
    """Permanently: it will not be tried again until ``bidean mail retry``."""
    message.attempts += 1
    message.status = FAILED
    message.next_attempt_at = None
    message.last_error = reason[:2000]


def mark_retry(message: OutboxMessage, reason: str, *, now: datetime | None = None) -> None:
    """Transiently: try again after the backoff (or fail after too many attempts)."""
    if message.attempts + 1 >= MAX_ATTEMPTS:
        mark_failed(message, f"gave up after {MAX_ATTEMPTS} attempts; last: {reason}")
        return
    message.attempts += 1
    message.status = PENDING
    message.next_attempt_at = (now or utcnow()) + backoff(message.attempts)
    message.last_error = reason[:2000]


def requeue(db_session: Session) -> int:
    """Make every failed or waiting message due now (``bidean mail retry``)."""
    return db_session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status.in_((PENDING, FAILED)))
        .values(status=PENDING, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def counts(db_session: Session) -> dict[str, int]:
    """Messages per status (for the worker's log and the fault bench)."""
    rows = db_session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: number for status, number in rows}
