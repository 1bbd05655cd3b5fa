"""Booking throughput through the JSON API under gunicorn, against PostgreSQL.

Run from the repository root:  python bench/booking_bench.py [--requests 2000]

It creates a PostgreSQL database of its own (server from ``BIDEAN_TEST_POSTGRES_URL``,
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), migrates it, stores a
small tour and schedules departures with room for every request, and runs 32 concurrent
clients against three servers started with the same gunicorn settings (4 gthread workers
x 8 threads, loopback, free ports), taking turns in four rounds so that whatever else
loads the machine weighs on each alike:

* reference: ``bench/reference_booking_app.py``, a minimal Flask + SQLAlchemy endpoint
  doing the same seat transaction (conditional UPDATE + INSERT, four round trips);
* Bidean, mail to an ``.eml`` outbox folder: ``POST /api/sessions/<id>/bookings``
  (party of 1, each with an ``Idempotency-Key``, spread over departures so the figure is
  not one row's lock queue; see --one-departure for that case), and ``GET /healthz``;
* Bidean with SMTP configured (an aiosmtpd sink): the same bookings.  Requests only
  record the confirmation; the mail worker (not started here) composes and sends it.

It prints requests per second and p50/p95/p99 latencies of each, the ratios to the
reference in this run (ratios, not absolute numbers, compare across machines), checks
that every booking succeeded, one confirmation per booking is queued and the seat
invariant holds, and drops its database.  It exits non-zero when Bidean is below
``--min-ratio`` (0.5) of the reference or its p95 above ``--max-p95`` (2) times the
reference's.  Traffic goes only to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.bench_support import (  # noqa: E402
    Run,
    load,
    smtp_sink,
    start_gunicorn,
    stop,
    tour_document,
)
from bench.reference_booking_app import create_app as reference_app  # noqa: E402
from tours.booking.bookings import invariant_problems  # noqa: E402
from tours.booking.departures import DepartureRequest, schedule  # noqa: E402
from tours.booking.models import OutboxMessage  # noqa: E402
from tours.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from tours.tour.domain import Tour  # noqa: E402
from tours.tour.store import save_tour  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.common.database import get_db, upgrade  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CLIENTS = 32
DEPARTURES = 16
HOST = "127.0.0.1"
ROUNDS = 4
WARM_UP = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase")
    parser.add_argument("--one-departure", action="store_true", help="all bookings on one row")
    parser.add_argument("--min-ratio", type=float, default=0.5)
    parser.add_argument("--max-p95", type=float, default=2.0, help="times the reference's p95")
    args = parser.parse_args()
    server = os.environ.get("BIDEAN_TEST_POSTGRES_URL", DEFAULT_SERVER)
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    name = f"bidean_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    processes: dict[str, subprocess.Popen] = {}
    controller = None
    try:
        upgrade(engine)
        factory = make_sessionmaker(engine)
        count = 1 if args.one_departure else DEPARTURES
        with transaction(factory) as db_session:
            save_tour(
                db_session, Tour.from_document(tour_document("bench-walk", "Para medir.")), "bench"
            )
            day = (datetime.now(UTC) + timedelta(days=30)).date()
            ids = [
                d.id
                for d in schedule(
                    db_session,
                    DepartureRequest(
                        "bench-walk", datetime(day.year, day.month, day.day, 11), "es",
                        capacity=4 * (args.requests + WARM_UP), max_party=1,
                    ),
                    dates=[day + timedelta(days=n) for n in range(count)],
                )
            ]  # fmt: skip
        run_id = uuid.uuid4().hex[:12]

        def body(n: int) -> str:
            return json.dumps({"name": f"Bench {n}", "email": f"b{n}@example.org", "party_size": 1})

        def reference(n: int) -> tuple[str, str, str]:
            return "POST", f"/book/{ids[n % len(ids)]}", body(n)

        def bookings(offset: int):
            def request(n: int) -> tuple[str, str, str, dict[str, str]]:
                n += offset
                key = {"Idempotency-Key": f"bench-{run_id}-{n:08d}"}
                return "POST", f"/api/sessions/{ids[n % len(ids)]}/bookings", body(n), key

            return request

        env = {
            "BIDEAN_DATABASE_URL": url,
            "BIDEAN_SECRET_KEY": "bench",
            "BIDEAN_RATELIMIT_ENABLED": "false",
            "BIDEAN_PUBLIC_URL": "https://tours.example.org",
        }
        chunk = -(-args.requests // ROUNDS)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            controller, sink = smtp_sink()
            outbox = {"BIDEAN_OUTBOX_DIR": str(folder / "outbox")}
            smtp = {"BIDEAN_SMTP_HOST": HOST, "BIDEAN_SMTP_PORT": str(controller.port)}
            servers = {
                "reference": ("bench.reference_booking_app:create_app()", env),
                "eml": ("webapp:create_app()", {**env, **outbox}),
                "smtp": ("webapp:create_app()", {**env, **smtp}),
            }
            ports = {}
            for label, (spec, server_env) in servers.items():
                processes[label], ports[label] = start_gunicorn(
                    spec, server_env, folder / f"{label}.log"
                )
            requests = {
                "reference": reference,
                "eml": bookings(10 * args.requests),
                "smtp": bookings(20 * args.requests),
            }
            warm_ups = {"reference": reference, "eml": bookings(30 * args.requests)}
            warm_ups["smtp"] = bookings(40 * args.requests)
            for label, port in ports.items():  # no idempotency key is sent twice
                load(HOST, port, WARM_UP, warm_ups[label], CLIENTS)
            trivial = lambda n: ("GET", "/healthz", None)  # noqa: E731
            healthz = load(HOST, ports["eml"], args.requests, trivial, CLIENTS)
            # The phases take turns in rounds, so the load others put on a shared machine
            # weighs on each alike; each round starts where the phase left off.
            parts: dict[str, list[Run]] = {label: [] for label in ports}
            for round_ in range(ROUNDS):
                order = list(ports)[round_ % 3 :] + list(ports)[: round_ % 3]
                for label in order:
                    begin = round_ * chunk
                    size = min(chunk, args.requests - begin)

                    def shifted(n: int, label=label, begin=begin):
                        return requests[label](n + begin)

                    parts[label].append(load(HOST, ports[label], size, shifted, CLIENTS))
            for process in processes.values():
                stop(process)
        runs = {label: Run.merge(chunks) for label, chunks in parts.items()}
        runs["healthz"] = healthz
        with transaction(factory) as db_session:
            problems = invariant_problems(db_session)
            # Requests only queue mail (the mail worker sends it, not started here).
            queued = db_session.scalar(select(func.count()).select_from(OutboxMessage))
        ref = runs["reference"]
        print(
            f"{CLIENTS} clients, {args.requests} requests per phase in {ROUNDS} rounds taking "
            f"turns, {count} departure(s)"
        )
        print(ref.line("reference seat transaction"))
        print(runs["healthz"].line("GET /healthz"))
        print(runs["eml"].line("bookings, .eml outbox"))
        print(runs["smtp"].line("bookings, SMTP configured"))
        failed = []
        for label in ("eml", "smtp"):
            run = runs[label]
            ratio, p95 = run.rate / ref.rate, run.percentile(95) / ref.percentile(95)
            print(f"{label}: throughput / reference = {ratio:.2f}; p95 / reference p95 = {p95:.2f}")
            if ratio < args.min_ratio or p95 > args.max_p95:
                failed.append(label)
        print(f"SMTP / .eml throughput = {runs['smtp'].rate / runs['eml'].rate:.2f}")
        print(f"mail received by the sink during the load: {sink.received} (the worker sends)")
        print(
            f"confirmations queued in the outbox: {queued}; "
            f"invariant problems: {problems or 'none'}"
        )
        expected = {201: args.requests}
        if ref.statuses != expected or runs["eml"].statuses != expected:
            raise SystemExit("some bookings failed")
        booked = 2 * (args.requests + WARM_UP)  # two phases and their warm-ups
        if runs["smtp"].statuses != expected or queued != booked:
            raise SystemExit("some bookings failed or their confirmations are missing")
        if problems:
            raise SystemExit("the seat invariant broke")
        print(in_process_cpu(url, ids[0], run_id))
        if failed:
            raise SystemExit(f"below the goal: {', '.join(failed)}")
    finally:
        for process in processes.values():
            stop(process)
        if controller is not None:
            controller.stop()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


CPU_SAMPLE = 300


def in_process_cpu(url: str, departure_id: int, run_id: str) -> str:
    """CPU time per booking with no server, network or load generator around it: Bidean's
    JSON API and the reference, each through Flask's test client (``time.process_time``
    over ``CPU_SAMPLE`` bookings after a warm-up), and Bidean's ``/healthz``."""

    def cpu_ms(client, send) -> float:
        for n in range(20):
            send(client, n)
        began = time.process_time()
        for n in range(20, 20 + CPU_SAMPLE):
            send(client, n)
        return (time.process_time() - began) * 1000 / CPU_SAMPLE

    def booking(client, n: int) -> None:
        key = {"Idempotency-Key": f"cpu-{run_id}-{n:08d}"}
        body = {"name": f"Cpu {n}", "email": f"c{n}@example.org", "party_size": 1}
        answer = client.post(f"/api/sessions/{departure_id}/bookings", json=body, headers=key)
        assert answer.status_code == 201, answer.status_code

    def reference(client, n: int) -> None:
        body = {"name": f"Ref {n}", "email": f"r{n}@example.org", "party_size": 1}
        assert client.post(f"/book/{departure_id}", json=body).status_code == 201

    def healthz(client, _n: int) -> None:
        assert client.get("/healthz").status_code == 200

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "RATELIMIT_ENABLED": False,
                "PUBLIC_URL": "https://tours.example.org",
                "OUTBOX_DIR": str(Path(tmp) / "outbox"),
                "INSTANCE_PATH": tmp,
                "SAMPLE_DEPARTURES": False,
                "SAMPLE_ROUTES_DIR": str(Path(tmp) / "none"),
            }
        )
        bidean, health = cpu_ms(app.test_client(), booking), cpu_ms(app.test_client(), healthz)
        get_db(app).engine.dispose()
    os.environ["BIDEAN_DATABASE_URL"] = url  # what the reference app reads
    minimal = reference_app()
    ref = cpu_ms(minimal.test_client(), reference)
    return (
        f"in-process CPU per request (test client, {CPU_SAMPLE} each): booking {bidean:.2f} ms, "
        f"reference {ref:.2f} ms ({bidean / ref:.1f}x), /healthz {health:.2f} ms"
    )


if __name__ == "__main__":
    main()
