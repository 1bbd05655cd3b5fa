"""A booking whose COMMIT reply is lost is answered as stored, never as an error.

The fault: the database commits, then the connection drops before its reply arrives
(a proxy that drops exactly that reply; on PostgreSQL the driver then raises
``OperationalError`` on a closed connection, on SQLite an I/O error stands in for it).
``lost_commit_replies`` injects it into the app's own engine: the COMMIT of a
transaction that inserted a booking really commits, and then the driver raises.
Before issue #22 such a booking answered 500 (the API) or an error page (the form)
although it was stored and its confirmation went out; a client retrying without an
``Idempotency-Key`` then booked a second time.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import event, select

from tests.booking_support import SLUG, add_departure, departure_row, drain_mail, store_tour
from tours.booking.models import Booking, OutboxMessage

pytestmark = pytest.mark.usefixtures("seat_invariant")

REFERENCE = re.compile(r'class="reference"[^>]*>([2-9A-HJKMNP-Z]{8})<')


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10, max_party=6, language="eu")


@contextmanager
def lost_commit_replies(app, times: int = 1) -> Iterator[list[str]]:
    """The next ``times`` COMMITs of a transaction that inserted a booking commit, and
    then the connection drops before the reply: yields one entry per reply lost."""
    engine = app.extensions["bidean.db"].engine
    dialect = engine.dialect
    commit = dialect.do_commit
    booked: set[int] = set()
    lost: list[str] = []

    def note_booking(conn, cursor, statement, params, context, many) -> None:
        if "INSERT INTO bookings" in statement:  # on PostgreSQL inside a WITH (issue #23)
            booked.add(id(conn.connection.dbapi_connection))

    def commit_then_drop(fairy) -> None:
        raw = fairy.dbapi_connection
        commit(fairy)
        if id(raw) not in booked or len(lost) >= times:
            return
        booked.discard(id(raw))
        lost.append("COMMIT")
        if dialect.name == "postgresql":
            raw.close()  # the server committed; its reply never comes
            raise psycopg.OperationalError(
                "consuming input failed: server closed the connection unexpectedly"
            )
        raise sqlite3.OperationalError("disk I/O error")

    event.listen(engine, "after_cursor_execute", note_booking)
    dialect.do_commit = commit_then_drop
    try:
        yield lost
    finally:
        dialect.do_commit = commit
        event.remove(engine, "after_cursor_execute", note_booking)


BODY = {"name": "Ane", "email": "ane@example.org", "party_size": 2, "language": "eu"}


def post_booking(client, departure_id: int, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/sessions/{departure_id}/bookings", json=BODY, headers=headers)


def stored(db_transaction) -> tuple[list[str], list[str]]:
    """The references of the stored bookings and the kinds of the outbox's messages."""
    with db_transaction() as db_session:
        references = list(db_session.scalars(select(Booking.reference).order_by(Booking.id)))
        kinds = list(db_session.scalars(select(OutboxMessage.kind)))
    return references, kinds


def test_with_a_key_the_stored_booking_is_answered_and_a_retry_gets_it_again(
    app, client, db_transaction, departure_id
):
    key = uuid.uuid4().hex
    with lost_commit_replies(app) as lost:
        made = post_booking(client, departure_id, key)
    assert lost == ["COMMIT"]
    assert made.status_code == 201, made.get_json()
    assert "Idempotent-Replayed" not in made.headers  # the first answer to this request
    again = post_booking(client, departure_id, key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    reference = made.get_json()["reference"]
    assert again.get_json()["reference"] == reference
    assert stored(db_transaction) == ([reference], ["confirmation"])
    assert departure_row(db_transaction, departure_id).seats_taken == 2


def test_without_a_key_the_stored_booking_is_still_answered(
    app, client, db_transaction, departure_id
):
    """The server gives every keyless booking a key of its own, so it can find it."""
    with lost_commit_replies(app) as lost:
        made = post_booking(client, departure_id)
    assert lost == ["COMMIT"]
    assert made.status_code == 201, made.get_json()
    assert stored(db_transaction) == ([made.get_json()["reference"]], ["confirmation"])
    # The key the server made is its own: the next keyless booking is a new one.
    assert post_booking(client, departure_id).status_code == 201
    assert len(stored(db_transaction)[0]) == 2


def test_when_the_booking_cannot_be_confirmed_the_answer_is_503_with_retry_after(
    app, client, db_transaction, departure_id
):
    """The look-up's reply is lost too: nothing is known, so the client is asked to
    retry; with the same key the retry gets the one booking."""
    key = uuid.uuid4().hex
    with lost_commit_replies(app, times=2) as lost:
        unknown = post_booking(client, departure_id, key)
    assert lost == ["COMMIT", "COMMIT"]
    assert unknown.status_code == 503 and unknown.headers["Retry-After"] == "30"
    assert unknown.get_json()["code"] == "unavailable"
    again = post_booking(client, departure_id, key)
    assert again.status_code == 201
    assert stored(db_transaction) == ([again.get_json()["reference"]], ["confirmation"])


def test_the_form_shows_the_confirmation_of_the_stored_booking_and_one_mail_goes(
    app, client, db_transaction, departure_id
):
    form = {
        "session": str(departure_id),
        "name": "Amaia",
        "email": "amaia@example.org",
        "party_size": "2",
        "language": "eu",
        "privacy": "y",
        "idempotency_key": "form-key-0123456789abcdef",
    }
    with lost_commit_replies(app) as lost:
        sent = client.post(f"/tours/{SLUG}/book?lang=en", data=form)
    assert lost == ["COMMIT"]
    assert sent.status_code == 303, sent.get_data(as_text=True)
    page = client.get(sent.headers["Location"] + "?lang=en").get_data(as_text=True)
    (reference,) = REFERENCE.findall(page)
    assert stored(db_transaction) == ([reference], ["confirmation"])
    drain_mail(app)
    with db_transaction() as db_session:
        (message,) = db_session.scalars(select(OutboxMessage))
        assert message.status == "sent" and reference in message.subject
