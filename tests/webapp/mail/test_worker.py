"""The mail worker: nothing blocks the queue, nothing is sent twice, nobody's data in logs."""

from __future__ import annotations

import email
import logging
import threading
import time
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from tests.booking_support import (
    add_departure,
    drain_mail,
    store_tour,
    tour_document,
)
from tests.mail_support import Inbox, free_port, smtp_server
from tours.booking import outbox
from tours.booking.models import Booking, Departure, OutboxMessage
from tours.content.workflows import staging
from tours.db import utcnow
from tours.tour.domain import Tour
from tours.tour.store import save_tour
from webapp.mail import worker

pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=40, max_party=8)


def book(client, departure_id: int, n: int, **extra) -> dict:
    response = client.post(
        f"/api/sessions/{departure_id}/bookings",
        json={"name": f"Booker {n}", "email": f"booker{n}@example.org", "party_size": 1, **extra},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def rows(db_session) -> list[OutboxMessage]:
    with db_session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_refused_recipient_is_failed_with_its_reason_and_the_others_go(
    app, client, db_transaction, departure_id
):
    app.config["SMTP_HOST"] = "127.0.0.1"
    for n in range(3):
        book(client, departure_id, n)
    with smtp_server(inbox=Inbox(refuse=("booker0@example.org",))) as (inbox, port):
        app.config["SMTP_PORT"] = port
        outcomes = drain_mail(app)
    assert [o.result for o in outcomes] == ["failed", "sent", "sent"]
    assert sorted(to[0] for _f, to, _m in inbox.messages) == [
        "booker1@example.org",
        "booker2@example.org",
    ]
    first, *others = rows(db_transaction)
    assert first.status == "failed" and "550" in first.last_error
    assert "booker0@example.org" not in first.last_error  # the reason, not the person
    assert [r.status for r in others] == ["sent", "sent"]


def test_an_unencodable_message_is_failed_and_never_blocks_the_queue(
    app, client, db_transaction, departure_id
):
    book(client, departure_id, 1)
    book(client, departure_id, 2)
    app.config["SMTP_HOST"] = "127.0.0.1"
    # A non-ASCII address stored before the form refused them: the server lacks SMTPUTF8.
    with db_transaction() as db_session:
        db_session.execute(
            update(OutboxMessage).where(OutboxMessage.id == 1).values(recipient="josé@correo.es")
        )
    with smtp_server(enable_SMTPUTF8=False) as (inbox, port):
        app.config["SMTP_PORT"] = port
        outcomes = drain_mail(app)
    assert [o.result for o in outcomes] == ["failed", "sent"]
    assert "SMTPUTF8" in rows(db_transaction)[0].last_error
    assert len(inbox.messages) == 1


def test_a_non_ascii_address_goes_out_with_smtputf8_when_the_server_offers_it(
    app, db_transaction, departure_id
):
    # An outbox row with UTF-8 headers, as composed for a non-ASCII address.
    raw = (
        "From: Bidean <no-reply@bidean.invalid>\r\nTo: josé@correo.es\r\n"
        "Subject: Hola\r\nMessage-ID: <utf8-1@bidean.invalid>\r\n\r\nKaixo\r\n"
    ).encode()
    with db_transaction() as db_session:
        outbox.record(
            db_session,
            kind="test",
            recipient="josé@correo.es",
            subject="Hola",
            raw=raw,
            departure_id=None,
        )
    app.config["SMTP_HOST"] = "127.0.0.1"
    with smtp_server(enable_SMTPUTF8=True) as (inbox, port):
        app.config["SMTP_PORT"] = port
        assert [o.result for o in drain_mail(app)] == ["sent"]
    assert inbox.messages[0][1] == ["josé@correo.es"]


def test_a_transient_failure_waits_with_backoff(app, client, db_transaction, departure_id):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nothing listens
    book(client, departure_id, 1)
    before = utcnow()
    assert [o.result for o in drain_mail(app)] == ["retry"]
    (row,) = rows(db_transaction)
    assert row.status == "pending" and row.attempts == 1
    assert before + timedelta(seconds=25) < row.next_attempt_at < utcnow() + timedelta(minutes=1)
    assert drain_mail(app) == []  # not due yet: nobody hammers a server that is down
    assert outbox.backoff(1) < outbox.backoff(2) < outbox.backoff(5) <= outbox.backoff(50)
    assert outbox.backoff(50) == timedelta(hours=1)


def test_two_workers_never_send_one_message_twice(app, client, db_transaction, departure_id):
    for n in range(24):
        book(client, departure_id, n)
    app.config["SMTP_HOST"] = "127.0.0.1"
    with smtp_server() as (inbox, port):
        app.config["SMTP_PORT"] = port
        threads = [threading.Thread(target=drain_mail, args=(app,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    ids = inbox.message_ids()
    assert len(ids) == 24 and len(set(ids)) == 24
    assert {r.status for r in rows(db_transaction)} == {"sent"}
    assert all(r.attempts == 1 for r in rows(db_transaction))


def test_message_id_is_stable_across_resends(app, client, db_transaction, departure_id):
    book(client, departure_id, 1)
    # The worker composes the message and stores its bytes before any attempt to send.
    assert worker.compose_waiting(app) == 1
    (row,) = rows(db_transaction)
    stored = email.message_from_bytes(row.raw, policy=policy.default)["Message-ID"]
    app.config["SMTP_HOST"] = "127.0.0.1"
    with smtp_server() as (inbox, port):
        app.config["SMTP_PORT"] = port
        drain_mail(app)
        # As if the worker died after sending and before recording it: sent again ...
        with db_transaction() as db_session:
            db_session.execute(update(OutboxMessage).values(status="pending", sent_at=None))
        drain_mail(app)
    # ... with the same Message-ID, so mail clients show it once.
    assert inbox.message_ids() == [stored, stored]


def test_a_dead_worker_lease_is_taken_over(app, client, db_transaction, departure_id):
    book(client, departure_id, 1)
    with db_transaction() as db_session:
        # A worker claimed it on SQLite and died; its lease ran out a minute ago.
        db_session.execute(
            update(OutboxMessage).values(
                status="sending", next_attempt_at=utcnow() - timedelta(minutes=1)
            )
        )
    assert [o.result for o in drain_mail(app)] == ["sent"]
    assert [r.status for r in rows(db_transaction)] == ["sent"]


def test_a_line_break_in_the_title_gives_a_one_line_subject(app, client, db_transaction):
    document = tour_document()
    document["features"][0]["properties"]["title"] = {
        "es": "Paseo\npor\u2028Zabala\r\nBcc: victim@example.org",
        "en": "Walk",
    }
    with db_transaction() as db_session:
        save_tour(db_session, Tour.from_document(document), "test")
    departure = add_departure(db_transaction)
    made = book(client, departure, 1, language="es")
    cancelled = client.post(
        f"/api/sessions/{departure}/waitlist",
        json={"name": "Ane", "email": "ane@example.org", "party_size": 1},
    )
    assert cancelled.status_code == 409  # seats are free: refused cleanly, not a 500
    assert [o.result for o in drain_mail(app)] == ["sent"]
    (eml,) = sorted(Path(app.instance_path, "outbox").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == f"Tu reserva {made['reference']}: Paseo por Zabala Bcc: " + (
        "victim@example.org"
    )
    assert message["Bcc"] is None


def test_purge_deletes_the_outbox_files_of_purged_bookings(app, client, runner, db_transaction):
    store_tour(db_transaction)
    past = add_departure(db_transaction, days_ahead=2)
    future = add_departure(db_transaction, days_ahead=200)
    book(client, past, 1)
    book(client, future, 2)
    drain_mail(app)
    folder = Path(app.instance_path, "outbox")
    assert len(list(folder.glob("*.eml"))) == 2
    with db_transaction() as db_session:
        db_session.execute(update(Departure).where(Departure.id == past).values(
            starts_at=utcnow() - timedelta(days=100)))  # fmt: skip
    result = runner.invoke(args=["purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    assert "1 outbox file." in result.output
    (left,) = folder.glob("*.eml")
    assert b"booker2@example.org" in left.read_bytes()
    assert not any(b"booker1@example.org" in p.read_bytes() for p in folder.iterdir())


def test_logs_of_a_booking_run_with_faults_hold_no_personal_data(
    app, client, db_transaction, departure_id, caplog
):
    name, address, phone = "Itziar Goikoetxea", "itziar.g@example.org", "+34 688 123 456"
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    with caplog.at_level(logging.DEBUG):
        for n in range(3):  # bookings while the mail server is down
            body = {"name": f"{name} {n}", "email": address, "phone": phone, "party_size": 1}
            assert (
                client.post(f"/api/sessions/{departure_id}/bookings", json=body).status_code == 201
            )
        drain_mail(app)
        with smtp_server(inbox=Inbox(refuse=(address,))) as (_inbox, port):
            app.config["SMTP_PORT"] = port
            with db_transaction() as db_session:
                db_session.execute(update(OutboxMessage).values(next_attempt_at=None))
            drain_mail(app)
        # A database error about a booking row, logged as an unexpected error would be.
        with db_transaction() as db_session:
            reference = db_session.scalars(select(Booking.reference)).first()
        try:
            with db_transaction() as db_session:
                db_session.add(Booking(reference=reference, departure_id=departure_id, party_size=1,
                              language="es", name=name, email=address, phone=phone))  # fmt: skip
        except Exception:
            logging.getLogger("bidean.test").exception("storing a booking failed")
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "not sent" in text and "storing a booking failed" in text  # faults were logged
    for secret in (name, address, phone, "688 123 456", "Goikoetxea"):
        assert secret not in text
    assert all(r.status == "failed" for r in rows(db_transaction))


def test_mail_worker_command_sends_what_is_due(app, client, runner, departure_id):
    book(client, departure_id, 1)
    result = runner.invoke(args=["mail", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 message sent" in result.output
    assert len(list(Path(app.instance_path, "outbox").glob("*.eml"))) == 1


class _ConnectionKillingInbox(Inbox):
    """Accepts the message, then cuts the worker's database connection (a restart)."""

    def __init__(self, engine) -> None:
        super().__init__()
        self.engine = engine

    async def handle_DATA(self, server, session, envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if self.engine is None:
            return answer
        with self.engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state = 'idle in transaction'"
                )
            )
            conn.commit()
        return answer


def test_a_send_whose_commit_was_lost_is_recorded_not_resent(
    app, client, engine, db_transaction, departure_id
):
    if engine.dialect.name != "postgresql":
        pytest.skip("the row lock held during the send is PostgreSQL's")
    book(client, departure_id, 1)
    app.config["SMTP_HOST"] = "127.0.0.1"
    with smtp_server(inbox=_ConnectionKillingInbox(engine)) as (inbox, port):
        app.config["SMTP_PORT"] = port
        with pytest.raises(OperationalError):
            drain_mail(app)  # sent, then the connection died before the commit
        assert [r.status for r in rows(db_transaction)] == ["pending"]
        inbox.engine = None  # the database is back
        assert drain_mail(app) == []
    assert len(inbox.messages) == 1
    assert [(r.status, r.attempts) for r in rows(db_transaction)] == [("sent", 1)]


def _stage_two_uploads(app) -> tuple[Path, Path]:
    """An import upload left past its lifetime and a fresh one, as the console keeps them."""
    root = Path(app.config["IMPORT_STAGING_DIR"])
    lifetime = float(app.config["IMPORT_STAGING_MINUTES"]) * 60
    files = [staging.StagedFile("route", "route.geojson", b"{}")]
    old = staging.stage(root, 1, files, now=time.time() - lifetime - 60)
    fresh = staging.stage(root, 1, files)
    return root / old.token, root / fresh.token


class _Awake(threading.Event):
    """A wake event that never makes the worker wait."""

    def wait(self, timeout: float | None = None) -> bool:
        return True


def test_the_running_worker_purges_expired_import_uploads_every_minute(app, monkeypatch):
    expired, fresh = _stage_two_uploads(app)
    stop = threading.Event()
    minute = worker.PURGE_EVERY_S
    # Read at the first purge, then at each round's check (and after a purge): 4 rounds.
    clock = iter([0.0, minute / 2, minute, minute, minute * 1.5])
    monkeypatch.setattr(worker.time, "monotonic", lambda: next(clock))
    purges: list[int] = []
    real_purge = worker.purge_imports
    monkeypatch.setattr(worker, "purge_imports", lambda a: purges.append(real_purge(a)) or 0)
    rounds = iter(range(4))

    def drain(_app, **_kwargs):
        if next(rounds) == 3:
            stop.set()
        return []

    monkeypatch.setattr(worker, "drain", drain)
    worker.run(app, stop, _Awake())
    assert not expired.exists() and fresh.exists()
    assert purges == [1, 0]  # at start and a minute later; not half a minute, nor 1.5


def test_mail_worker_once_purges_expired_import_uploads(app, runner):
    expired, fresh = _stage_two_uploads(app)
    result = runner.invoke(args=["mail", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert not expired.exists() and fresh.exists()
