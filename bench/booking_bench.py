"""Booking throughput through the JSON API under gunicorn, against PostgreSQL.

Run from the repository root:  python bench/booking_bench.py [--requests 2000]

It creates a PostgreSQL database of its own (server from ``BIDEAN_TEST_POSTGRES_URL``,
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), migrates it, stores a
small tour and schedules departures with room for every request, starts gunicorn
(4 gthread workers x 8 threads) on loopback with rate limits off and mail going to an
outbox folder in a temporary directory, then runs 32 concurrent clients:

* bookings: ``POST /api/sessions/<id>/bookings`` (party of 1, spread over departures
  so the figure is not one row's lock queue; see --one-departure for that case);
* trivial: ``GET /healthz`` (no database), the same number of requests.

It prints requests per second of both, their ratio, and p50/p95/p99 latencies in one
run on one machine (ratios, not absolute numbers, are what compare across machines),
checks that every booking succeeded and the invariant holds, and drops its database.
Traffic goes only to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.bench_support import tour_document  # noqa: E402
from tours.booking.bookings import invariant_problems  # noqa: E402
from tours.booking.departures import DepartureRequest, schedule  # noqa: E402
from tours.booking.models import OutboxMessage  # noqa: E402
from tours.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from tours.tour.domain import Tour  # noqa: E402
from tours.tour.store import save_tour  # noqa: E402
from webapp.common.database import upgrade  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CLIENTS = 32
DEPARTURES = 16
LISTENING = re.compile(r"Listening at: http://([\d.]+):(\d+)")
DEADLINE_S = 300


@dataclass
class Run:
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load(host: str, port: int, total: int, make_request) -> Run:
    """``total`` requests from CLIENTS threads, each with its own keep-alive connection."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))
    start_line = threading.Barrier(CLIENTS + 1)

    def client() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        start_line.wait()
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            method, path, body = make_request(n)
            began = time.perf_counter()
            connection.request(
                method, path, body=body, headers={"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            response.read()
            took = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(took)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=DEADLINE_S)
    return Run(time.perf_counter() - began, latencies, statuses)


def start_gunicorn(database_url: str, outbox: Path, log: Path) -> tuple[subprocess.Popen, int]:
    env = {
        **os.environ,
        "BIDEAN_DATABASE_URL": database_url,
        "BIDEAN_SECRET_KEY": "bench",
        "BIDEAN_RATELIMIT_ENABLED": "false",
        "BIDEAN_OUTBOX_DIR": str(outbox),
    }
    command = [
        sys.executable, "-m", "gunicorn", "--workers", "4", "--worker-class", "gthread",
        "--threads", "8", "--bind", "127.0.0.1:0", "--log-level", "info", "webapp:create_app()",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            port = int(found.group(2))
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return process, port
            except OSError:
                pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"gunicorn did not start:\n{log.read_text(errors='replace')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase")
    parser.add_argument("--one-departure", action="store_true", help="all bookings on one row")
    args = parser.parse_args()
    server = os.environ.get("BIDEAN_TEST_POSTGRES_URL", DEFAULT_SERVER)
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    name = f"bidean_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    process = None
    try:
        upgrade(engine)
        factory = make_sessionmaker(engine)
        count = 1 if args.one_departure else DEPARTURES
        with transaction(factory) as session:
            save_tour(
                session, Tour.from_document(tour_document("bench-walk", "Para medir.")), "bench"
            )
            day = (datetime.now(UTC) + timedelta(days=30)).date()
            ids = [
                d.id
                for d in schedule(
                    session,
                    DepartureRequest(
                        "bench-walk", datetime(day.year, day.month, day.day, 11), "es",
                        capacity=args.requests, max_party=1,
                    ),
                    dates=[day + timedelta(days=n) for n in range(count)],
                )
            ]  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            process, port = start_gunicorn(url, Path(tmp) / "outbox", Path(tmp) / "gunicorn.log")

            def booking(n: int) -> tuple[str, str, str]:
                body = {"name": f"Bench {n}", "email": f"b{n}@example.org", "party_size": 1}
                return "POST", f"/api/sessions/{ids[n % len(ids)]}/bookings", json.dumps(body)

            load("127.0.0.1", port, min(200, args.requests), lambda n: ("GET", "/healthz", None))
            trivial = load("127.0.0.1", port, args.requests, lambda n: ("GET", "/healthz", None))
            bookings = load("127.0.0.1", port, args.requests, booking)
        with transaction(factory) as session:
            problems = invariant_problems(session)
            # Requests only queue mail (the mail worker sends it, not started here).
            queued = session.scalar(select(func.count()).select_from(OutboxMessage))
        print(f"{CLIENTS} clients, {args.requests} requests per phase, {count} departure(s)")
        for label, run in (("GET /healthz", trivial), ("POST bookings", bookings)):
            print(
                f"{label:>14}: {run.rate:8.1f} req/s  p50 {run.percentile(50):6.1f} ms  "
                f"p95 {run.percentile(95):6.1f} ms  p99 {run.percentile(99):6.1f} ms  "
                f"statuses {run.statuses}"
            )
        print(f"booking throughput / trivial throughput = {bookings.rate / trivial.rate:.3f}")
        print(
            f"confirmations queued in the outbox: {queued}; "
            f"invariant problems: {problems or 'none'}"
        )
        if bookings.statuses != {201: args.requests} or problems:
            raise SystemExit("some bookings failed or the invariant broke")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
