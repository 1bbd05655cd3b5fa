"""A walk that has ended, with bookings and check-ins, for the feedback tests."""

from __future__ import annotations

import email
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy

from sqlalchemy import select

from guides.models import CheckIn
from tests.booking_support import add_departure, store_tour
from tours.booking.bookings import Party, book
from tours.booking.models import Departure, OutboxMessage, WalkFeedback
from webapp.common.database import get_db

DURATION = timedelta(minutes=90)  # the test tour's duration_minutes


@dataclass
class Walk:
    departure_id: int
    starts_at: datetime
    bookings: dict[str, int]  # name -> booking id

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + DURATION


def ended_walk(app, db_transaction, names=("Amaia", "Brahim"), *, store=True, hour=11) -> Walk:
    """A walk (ten days ahead: tests pass ``now`` after its end) booked by ``names`` in French."""
    if store:
        store_tour(db_transaction)
    departure_id = add_departure(db_transaction, hour=hour, language="es")
    bookings = {}
    with db_transaction() as db_session:
        for name in names:
            party = Party(
                name=f"{name} Etxebarria",
                email=f"{name.lower()}@example.org",
                party_size=2,
                language="fr",
            )
            bookings[name] = book(db_session, departure_id, party).booking.id
        starts_at = db_session.get(Departure, departure_id).starts_at
    return Walk(departure_id, starts_at, bookings)


def check_in(db_transaction, booking_id: int, *states: str) -> None:
    """Marks on a booking, in order (the newest counts)."""
    with db_transaction() as db_session:
        for state in states:
            db_session.add(
                CheckIn(booking_id=booking_id, state=state, idempotency_key=uuid.uuid4().hex)
            )


def asked_bookings(app) -> set[int]:
    with get_db(app).transaction() as db_session:
        return set(db_session.scalars(select(WalkFeedback.booking_id)))


def feedback_mails(app) -> list[OutboxMessage]:
    with get_db(app).transaction() as db_session:
        rows = db_session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "feedback_request")
        ).all()
        db_session.expunge_all()
        return list(rows)


def form_path(message: OutboxMessage) -> str:
    """The form's path in the email (its text part, links unfolded)."""
    text = email_text(message.raw)
    found = re.search(r"https?://[^/\s]+(/feedback/[A-Za-z0-9_.\-]+)(?=\s)", text)
    assert found, text
    return found.group(1)


def email_text(raw: bytes) -> str:
    parsed = email.message_from_bytes(raw, policy=policy.default)
    return parsed.get_body(("plain",)).get_content()
