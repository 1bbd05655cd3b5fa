"""The mail worker's throughput: composing and sending confirmations to a local SMTP sink.

Run from the repository root:  python bench/mail_bench.py [--messages 1000]

It creates a PostgreSQL database of its own (server from ``BIDEAN_TEST_POSTGRES_URL``,
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), starts an aiosmtpd sink
on loopback, makes ``--messages`` bookings through the JSON API in-process (each records
its confirmation, still to compose), then times, in one run:

* compose: ``worker.compose_waiting`` (templates, calendar file, MIME bytes stored);
* send: ``worker.drain`` (claim, send over SMTP, mark sent: the worker's loop, one
  connection for the run, the TLS context built once);
* reference: a bare ``smtplib`` loop sending the same bytes over one connection (what
  the sink and this machine allow);
* the transport as it was: a new connection and a new SSL context per message, as
  ``_send_smtp`` did before (the same bytes, no database).

It checks that every message was received and is marked sent, prints messages per
second of each and the ratios, exits non-zero when the worker sends fewer than
``--min-rate`` (200) messages per second, and drops its database.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import ssl
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.bench_support import smtp_sink, tour_document  # noqa: E402
from tours.booking.departures import DepartureRequest, schedule  # noqa: E402
from tours.booking.models import OutboxMessage  # noqa: E402
from tours.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from tours.tour.domain import Tour  # noqa: E402
from tours.tour.store import save_tour  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.common.database import upgrade  # noqa: E402
from webapp.mail import worker  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--min-rate", type=float, default=200.0, help="messages/s sent, at least")
    args = parser.parse_args()
    server = os.environ.get("BIDEAN_TEST_POSTGRES_URL", DEFAULT_SERVER)
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    name = f"bidean_mailbench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    controller, sink = smtp_sink()
    app = None
    try:
        upgrade(engine)
        factory = make_sessionmaker(engine)
        with transaction(factory) as db_session:
            save_tour(
                db_session, Tour.from_document(tour_document("mail-walk", "Correo.")), "bench"
            )
            day = (datetime.now(UTC) + timedelta(days=30)).date()
            (departure,) = schedule(
                db_session,
                DepartureRequest(
                    "mail-walk", datetime(day.year, day.month, day.day, 11), "es",
                    capacity=args.messages, max_party=1,
                ),
                dates=[day],
            )  # fmt: skip
            departure_id = departure.id
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(
                {
                    "DATABASE_URL": url,
                    "SECRET_KEY": "bench",
                    "RATELIMIT_ENABLED": False,
                    "INSTANCE_PATH": tmp,
                    "PUBLIC_URL": "https://tours.example.org",
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": controller.port,
                }
            )
            client = app.test_client()
            for n in range(args.messages):
                body = {"name": f"Bench {n}", "email": f"m{n}@example.org", "party_size": 1}
                response = client.post(f"/api/sessions/{departure_id}/bookings", json=body)
                if response.status_code != 201:
                    raise SystemExit(f"booking {n} answered {response.status_code}")

            began = time.perf_counter()
            composed = worker.compose_waiting(app)
            compose_s = time.perf_counter() - began

            began = time.perf_counter()
            outcomes = worker.drain(app)
            send_s = time.perf_counter() - began

        with transaction(factory) as db_session:
            raws = list(db_session.scalars(select(OutboxMessage.raw).order_by(OutboxMessage.id)))
            statuses = Counter(db_session.scalars(select(OutboxMessage.status)))

        sender = "no-reply@tours.example.org"
        began = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", controller.port, timeout=10) as smtp:
            for n, raw in enumerate(raws):
                smtp.sendmail(sender, [f"m{n}@example.org"], raw)
        reference_s = time.perf_counter() - began

        began = time.perf_counter()
        for n, raw in enumerate(raws):
            ssl.create_default_context()  # built per message even with TLS off, as before
            with smtplib.SMTP("127.0.0.1", controller.port, timeout=10) as smtp:
                smtp.sendmail(sender, [f"m{n}@example.org"], raw)
        old_s = time.perf_counter() - began

        count = args.messages
        rate = {
            "compose": composed / compose_s,
            "send": len(outcomes) / send_s,
            "reference": count / reference_s,
            "old": count / old_s,
        }
        print(f"{count} confirmations, PostgreSQL, aiosmtpd sink on loopback")
        print(f"  compose (worker, stored before sending): {rate['compose']:8.1f} messages/s")
        print(f"  send (worker: claim, SMTP, mark sent):   {rate['send']:8.1f} messages/s")
        print(f"  reference (bare smtplib, one connection): {rate['reference']:7.1f} messages/s")
        print(f"  old transport (connection + SSL context per message): {rate['old']:.1f}")
        print(
            f"send / reference = {rate['send'] / rate['reference']:.2f}; "
            f"send / old transport = {rate['send'] / rate['old']:.2f}"
        )
        print(f"outbox statuses: {dict(statuses)}; received by the sink: {sink.received}")
        if composed != count or statuses != {"sent": count} or sink.received != 3 * count:
            raise SystemExit("some messages were not composed, sent or received")
        if rate["send"] < args.min_rate:
            raise SystemExit(f"the worker sent {rate['send']:.0f} messages/s (< {args.min_rate})")
    finally:
        controller.stop()
        if app is not None:
            app.extensions["bidean.db"].engine.dispose()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
