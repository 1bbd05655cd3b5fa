"""A booking through the JSON API costs at most six database round trips, plus one ping.

Counted with SQLAlchemy's engine events on the app's own engine: every statement the
cursor executes, every BEGIN (on SQLite ``BEGIN IMMEDIATE`` is itself a statement),
COMMIT and ROLLBACK, and every ping of a pooled connection.  Before issue #13 a booking
made 23 on PostgreSQL (pings, four transactions, a savepoint, reads of the catalogue and
re-reads of the outbox row); now five, with or without an ``Idempotency-Key``: BEGIN, the
booking's INSERT (which, with a key, finds a known key itself: ``ON CONFLICT DO
NOTHING``), the seats' UPDATE … RETURNING, the outbox row's INSERT, COMMIT.  Other
transactions ping a PostgreSQL connection when it leaves the pool (issue #22: without it
the first reads after a database restart answered 500); a booking's does not (issue
#23): its transaction runs again on a fresh connection when the first one is dead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from tests.booking_support import add_departure, drain_mail, store_tour
from tours.booking.models import Booking, OutboxMessage

pytestmark = pytest.mark.usefixtures("seat_invariant")

MAX_ROUND_TRIPS = 6


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10, max_party=6, language="eu")


@contextmanager
def round_trips(app) -> Iterator[list[str]]:
    """The round trips the app's engine makes inside the block, one label each."""
    engine = app.extensions["bidean.db"].engine
    sqlite = engine.dialect.name == "sqlite"
    trips: list[str] = []

    def statement(conn, cursor, text, params, context, many) -> None:
        trips.append(text.split(None, 2)[0].upper() + " " + text)

    def begin(conn) -> None:
        if not sqlite:  # psycopg sends BEGIN itself; SQLite's is a statement (above)
            trips.append("BEGIN")

    listeners = [
        ("before_cursor_execute", statement),
        ("begin", begin),
        ("commit", lambda conn: trips.append("COMMIT")),
        ("rollback", lambda conn: trips.append("ROLLBACK")),
        ("savepoint", lambda conn, name: trips.append("SAVEPOINT")),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection) -> bool:
        trips.append("PING")
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted_ping
    try:
        yield trips
    finally:
        engine.dialect.do_ping = ping
        for name, listener in listeners:
            event.remove(engine, name, listener)


def without_one_ping(trips: list[str]) -> list[str]:
    """The trips apart from the one ping of a request's single checkout."""
    assert trips.count("PING") <= 1, trips
    return [trip for trip in trips if trip != "PING"]


def test_a_booking_pings_no_connection_but_a_read_does(app, client, departure_id, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL connections are pinged")
    post_booking(client, departure_id, 0)  # a pooled connection, past its first checkout
    with round_trips(app) as booking:
        assert post_booking(client, departure_id, 1).status_code == 201
    with round_trips(app) as read:
        assert client.get(f"/api/sessions/{departure_id}").status_code == 200
    assert "PING" not in booking and read.count("PING") == 1, (booking, read)


def post_booking(client, departure_id: int, n: int, key: str | None = None):
    body = {"name": f"Ane {n}", "email": f"ane{n}@example.org", "party_size": 1, "language": "eu"}
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/sessions/{departure_id}/bookings", json=body, headers=headers)


def test_a_booking_makes_at_most_six_round_trips(app, client, db_transaction, departure_id):
    post_booking(client, departure_id, 0)  # the first request warms the app's caches
    with round_trips(app) as with_key:
        made = post_booking(client, departure_id, 1, key=uuid.uuid4().hex)
    with round_trips(app) as without_key:
        plain = post_booking(client, departure_id, 2)
    assert made.status_code == 201 and plain.status_code == 201
    assert "PING" not in with_key + without_key  # its transaction runs again instead
    assert len(with_key) <= MAX_ROUND_TRIPS - 1, with_key
    assert len(without_key) <= MAX_ROUND_TRIPS - 1, without_key
    assert "SAVEPOINT" not in with_key and "PING" not in with_key
    assert with_key.count("COMMIT") == 1  # one transaction
    # The departure's row lock (taken by the UPDATE) is held for as few round trips as
    # possible: the booking is inserted before it; on PostgreSQL with its outbox row in
    # the same statement (issue #23: four round trips, the reference's), else after it.
    statements = [t.split(None, 1)[1] for t in with_key if t.split()[0] not in ("BEGIN", "COMMIT")]
    if app.extensions["bidean.db"].engine.dialect.name == "postgresql":
        assert len(with_key) == 4, with_key
        assert [text.split()[0] for text in statements] == ["WITH", "UPDATE"], statements
        assert "INSERT INTO bookings" in statements[0], statements
        assert "INSERT INTO outbox_messages" in statements[0], statements
    else:
        assert [text.split()[0] for text in statements] == ["INSERT", "UPDATE", "INSERT"]
        assert statements[0].startswith("INSERT INTO bookings"), statements
        assert statements[2].startswith("INSERT INTO outbox_messages"), statements
    # ... and the booking and its confirmation are both on record.
    with db_transaction() as db_session:
        stored = db_session.scalars(select(Booking).where(Booking.name == "Ane 1")).one()
        queued = db_session.scalars(
            select(OutboxMessage).where(OutboxMessage.booking_id == stored.id)
        )
        assert [m.kind for m in queued] == ["confirmation"]


def test_the_request_only_records_the_message_and_the_worker_composes_it(
    app, client, db_transaction, departure_id
):
    made = post_booking(client, departure_id, 1).get_json()
    with db_transaction() as db_session:
        (queued,) = db_session.scalars(select(OutboxMessage))
        assert (queued.raw, queued.status) == (b"", "pending")  # nothing composed yet
    drain_mail(app)
    with db_transaction() as db_session:
        (sent,) = db_session.scalars(select(OutboxMessage))
        assert sent.status == "sent" and made["reference"].encode() in sent.raw
        assert made["reference"] in sent.subject


def test_a_replayed_key_makes_no_second_booking_nor_message(
    app, client, db_transaction, departure_id
):
    key = uuid.uuid4().hex
    first = post_booking(client, departure_id, 1, key=key)
    with round_trips(app) as trips:
        again = post_booking(client, departure_id, 1, key=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert len(without_one_ping(trips)) <= MAX_ROUND_TRIPS, trips
    with db_transaction() as db_session:
        assert len(db_session.scalars(select(OutboxMessage)).all()) == 1


def test_a_connection_the_database_dropped_costs_a_retry_not_an_error(
    app, client, db_transaction, departure_id, engine, monkeypatch
):
    """A pooled connection that died (a restart) fails the booking's first statement (it
    is not pinged), the pool is invalidated and the booking runs again on a fresh one."""
    if engine.dialect.name != "postgresql":
        pytest.skip("terminating another session's connection is PostgreSQL's")
    # Were it pinged, the ping would pass: the connection dies before the first statement.
    monkeypatch.setattr(app.extensions["bidean.db"].engine.dialect, "do_ping", lambda _: True)
    assert post_booking(client, departure_id, 1).status_code == 201  # a pooled connection
    with engine.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with round_trips(app) as trips:
        again = post_booking(client, departure_id, 2, key=uuid.uuid4().hex)
    assert again.status_code == 201, again.get_json()
    assert trips.count("COMMIT") == 1 and trips.count("BEGIN") == 2  # the retry
    with db_transaction() as db_session:
        assert len(db_session.scalars(select(Booking)).all()) == 2


def test_a_reference_drawn_twice_runs_the_transaction_again(
    app, client, db_transaction, departure_id, monkeypatch
):
    first = post_booking(client, departure_id, 1).get_json()["reference"]
    draws = iter([first, "ZZZZ2345"])
    monkeypatch.setattr("tours.booking.bookings.new_reference", lambda: next(draws))
    made = post_booking(client, departure_id, 2)
    assert made.status_code == 201 and made.get_json()["reference"] == "ZZZZ2345"
    with db_transaction() as db_session:
        assert len(db_session.scalars(select(Booking)).all()) == 2
        assert len(db_session.scalars(select(OutboxMessage)).all()) == 2  # the clash left nothing
