"""The outbox of emails: recorded in the transaction of the change, sent after commit.

A send that fails leaves the message ``failed`` with its error; ``bidean mail retry``
sends every pending or failed message again, so a mail server outage never loses a
confirmation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tours.booking.models import OutboxMessage
from tours.db import utcnow

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


def record(
    session: Session,
    *,
    kind: str,
    recipient: str,
    subject: str,
    raw: bytes,
    departure_id: int | None,
) -> OutboxMessage:
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        subject=subject[:255],
        raw=raw,
        status=PENDING,
        departure_id=departure_id,
    )
    session.add(message)
    session.flush()
    return message


def unsent(session: Session, *, limit: int = 500) -> list[int]:
    """Ids of messages still to send (pending or failed), oldest first."""
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status.in_((PENDING, FAILED)))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim_for_sending(session: Session, message_id: int) -> OutboxMessage | None:
    """The message, locked, if it still needs sending (two senders never both send it)."""
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    ).one_or_none()
    if message is None or message.status == SENT:
        return None
    return message


def mark(
    message: OutboxMessage, *, error: str | None, now: datetime | None = None
) -> OutboxMessage:
    message.attempts += 1
    if error is None:
        message.status = SENT
        message.sent_at = now or utcnow()
        message.last_error = None
    else:
        message.status = FAILED
        message.last_error = error[:2000]
    return message
