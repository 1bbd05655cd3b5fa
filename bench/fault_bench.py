"""Fault run: concurrent bookings against gunicorn + PostgreSQL while things get killed.

Run from the repository root:

    python bench/fault_bench.py [--bookings 600] [--seats N] [--clients 16]
                                [--kill-every 1.0] [--restart-postgres-every 8]
                                [--drop-commit-replies N]

It creates a PostgreSQL database of its own (server from ``BIDEAN_TEST_POSTGRES_URL``,
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), stores a tour and a
departure with ``--seats`` seats (default: one per booking; fewer, and the requests
beyond them must be answered 409 "full"), starts a local SMTP sink (aiosmtpd), gunicorn
(3 gthread workers x 4 threads) and two ``bidean mail worker`` processes, then sends
bookings from concurrent clients.  Each client retries a request that failed on the
wire (a killed worker resets the connection) with the same ``Idempotency-Key``.

Meanwhile a chaos thread SIGKILLs a random gunicorn worker every ``--kill-every``
seconds (gunicorn starts a new one) and, with ``--restart-postgres-every``, restarts
PostgreSQL (``pg_ctlcluster --skip-systemctl-redirect <version> main restart``), which
disturbs every other user of that server: the test suite's short form never does it.
With ``--drop-commit-replies N`` gunicorn reaches PostgreSQL through a proxy
(``bench/commit_proxy.py``) that loses the reply of every N-th booking's COMMIT after
the server committed it (issue #22).

Afterwards, once the mail workers have drained the outbox, it checks:
every 201 answer has its booking and every other answer is a 409 "full"; no seat is
oversold (confirmed seats <= capacity, and all of them are sold when more were asked
for); no stored booking was answered 5xx (a 5xx followed by a replayed 201); every
stored booking has exactly one sent confirmation in the outbox and one message at the
sink; no Message-ID arrived twice (at most one per PostgreSQL restart may, the message
in flight at that moment); the seat invariant holds.  It prints the figures and exits
non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import email
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import Engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench.bench_support import tour_document  # noqa: E402
from bench.commit_proxy import CommitReplyDropper  # noqa: E402
from tours.booking.bookings import invariant_problems  # noqa: E402
from tours.booking.departures import DepartureRequest, schedule  # noqa: E402
from tours.booking.models import Booking, OutboxMessage  # noqa: E402
from tours.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from tours.tour.domain import Tour  # noqa: E402
from tours.tour.store import save_tour  # noqa: E402
from webapp.common.database import upgrade  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LISTENING = re.compile(r"Listening at: http://([\d.]+):(\d+)")
REFERENCE = re.compile(r"\b[2-9A-HJ-NP-Z]{8}\b")


class Sink:
    """aiosmtpd handler: every message received, by Message-ID and recipient."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.message_ids: list[str] = []
        self.subjects: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.message_ids.append(str(message["Message-ID"]))
            self.subjects.append(str(message["Subject"]))
        return "250 OK"


@dataclass
class Figures:
    bookings_asked: int = 0
    seats: int = 0
    answered_201: int = 0
    answered_full: int = 0
    answered_5xx: int = 0
    stored_but_5xx: int = 0
    lost_commit_replies: int = 0
    oversold: int = 0
    confirmations_twice: int = 0
    client_retries: int = 0
    gave_up: int = 0
    worker_kills: int = 0
    postgres_restarts: int = 0
    stored_bookings: int = 0
    sent_in_outbox: int = 0
    received: int = 0
    duplicates: int = 0
    drain_seconds: float = 0.0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"bookings asked {self.bookings_asked} for {self.seats} seats, answered 201: "
            f"{self.answered_201}, 409 full: {self.answered_full}, "
            f"client retries after a dropped connection or 5xx: {self.client_retries}, "
            f"gave up: {self.gave_up}",
            f"oversold seats: {self.oversold}; COMMIT replies lost: "
            f"{self.lost_commit_replies}; 5xx answers: {self.answered_5xx}, of them for a "
            f"stored booking: {self.stored_but_5xx}",
            f"gunicorn workers SIGKILLed: {self.worker_kills}; PostgreSQL restarts: "
            f"{self.postgres_restarts}; run {self.seconds:.1f} s",
            f"stored bookings: {self.stored_bookings}; confirmations sent (outbox): "
            f"{self.sent_in_outbox}; received at the SMTP sink: {self.received}; "
            f"duplicate Message-IDs: {self.duplicates}; bookings confirmed twice at the "
            f"sink: {self.confirmations_twice}; outbox drained in "
            f"{self.drain_seconds:.1f} s after the load",
            f"problems: {self.problems or 'none'}",
        ]


def _env(database_url: str, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "BIDEAN_DATABASE_URL": database_url,
        "BIDEAN_SECRET_KEY": "fault",
        "BIDEAN_RATELIMIT_ENABLED": "false",
        "BIDEAN_PUBLIC_URL": "https://tours.example.org",
        "BIDEAN_SMTP_HOST": "127.0.0.1",
        "BIDEAN_SMTP_PORT": str(smtp_port),
        "PYTHONUNBUFFERED": "1",
    }


def _start_gunicorn(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    command = [
        sys.executable, "-m", "gunicorn", "--workers", "3", "--worker-class", "gthread",
        "--threads", "4", "--bind", "127.0.0.1:0", "--timeout", "30", "webapp:create_app()",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            connection = http.client.HTTPConnection("127.0.0.1", int(found.group(2)), timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return process, int(found.group(2))
            except OSError:
                pass
            finally:
                connection.close()
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql"))
    return versions[-1]


def _book(port: int, departure: int, n: int, figures: Figures, lock: threading.Lock) -> None:
    body = json.dumps({"name": f"Fault {n}", "email": f"f{n}@example.org", "party_size": 1})
    headers = {"Content-Type": "application/json", "Idempotency-Key": f"fault-{n:08d}-key"}
    after_5xx = False  # the last attempt was answered 5xx
    for attempt in range(40):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("POST", f"/api/sessions/{departure}/bookings", body, headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status == 201:
                replayed = response.getheader("Idempotent-Replayed") == "true"
                with lock:
                    figures.answered_201 += 1
                    # Replayed right after a 5xx: the booking was stored when that 5xx went.
                    figures.stored_but_5xx += int(after_5xx and replayed)
                return
            if response.status == 409 and json.loads(answer).get("code") == "full":
                with lock:
                    figures.answered_full += 1
                return
            if response.status < 500:
                with lock:
                    figures.problems.append(f"booking {n}: answered {response.status}")
                return
            after_5xx = True
            with lock:
                figures.answered_5xx += 1
        except (OSError, http.client.HTTPException):
            after_5xx = False
        finally:
            connection.close()
        with lock:
            figures.client_retries += 1
        time.sleep(min(2.0, 0.05 * (attempt + 1)))
    with lock:
        figures.gave_up += 1


def run(
    server_url: str,
    *,
    bookings: int = 600,
    clients: int = 16,
    kill_every: float = 1.0,
    restart_postgres_every: float | None = None,
    drain_timeout: float = 120.0,
    seats: int | None = None,
    drop_commit_replies: int = 0,
) -> Figures:
    """The whole fault run; returns its figures (``problems`` empty when all checks hold)."""
    figures = Figures(bookings_asked=bookings, seats=bookings if seats is None else seats)
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"bidean_fault_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    sink = Sink()
    smtp_port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    processes: list[subprocess.Popen] = []
    try:
        upgrade(engine)
        factory = make_sessionmaker(engine)
        with transaction(factory) as db_session:
            save_tour(
                db_session,
                Tour.from_document(tour_document("fault-walk", "Para romper cosas.")),
                "fault",
            )
            day = (datetime.now(UTC) + timedelta(days=30)).date()
            (departure,) = schedule(
                db_session,
                DepartureRequest(
                    "fault-walk",
                    datetime(day.year, day.month, day.day, 11),
                    "es",
                    capacity=figures.seats,
                    max_party=1,
                ),
            )
            departure_id = departure.id
        controller.start()
        env = _env(url, smtp_port)
        proxy = None
        web_env = env
        if drop_commit_replies:
            address = make_url(url)
            proxy = CommitReplyDropper(
                (address.host or "127.0.0.1", address.port or 5432), drop_commit_replies
            )
            proxy.start()
            proxied = address.set(
                host="127.0.0.1", port=proxy.port, query={**address.query, "sslmode": "disable"}
            )
            web_env = {**env, "BIDEAN_DATABASE_URL": proxied.render_as_string(False)}
        with tempfile.TemporaryDirectory() as tmp:
            gunicorn, port = _start_gunicorn(web_env, Path(tmp) / "gunicorn.log")
            processes.append(gunicorn)
            bidean = str(Path(sys.executable).with_name("bidean"))
            for n in range(2):  # two workers: SKIP LOCKED keeps them off each other's mail
                with (Path(tmp) / f"mail{n}.log").open("wb") as out:
                    worker = subprocess.Popen(
                        [bidean, "mail", "worker"], cwd=REPO, env=env, stdout=out,
                        stderr=subprocess.STDOUT,
                    )  # fmt: skip
                processes.append(worker)
            began = time.monotonic()
            done = threading.Event()
            lock = threading.Lock()

            def chaos() -> None:
                next_restart = (
                    time.monotonic() + restart_postgres_every if restart_postgres_every else None
                )
                answered = 0
                while True:
                    # A kill only once an answer came since the last one: on a loaded
                    # machine a new worker may take longer than ``kill_every`` to start,
                    # and killing each before it served anything stalled the run.
                    workers = _children(gunicorn.pid)
                    progress = figures.answered_201 + figures.answered_full
                    if workers and progress > answered:
                        os.kill(random.choice(workers), signal.SIGKILL)
                        figures.worker_kills += 1
                        answered = progress
                    if next_restart is not None and time.monotonic() >= next_restart:
                        subprocess.run(
                            ["pg_ctlcluster", "--skip-systemctl-redirect", _postgres_version(),
                             "main", "restart"],
                            check=True, capture_output=True, timeout=120,
                        )  # fmt: skip
                        figures.postgres_restarts += 1
                        next_restart = time.monotonic() + (restart_postgres_every or 0)
                    if done.wait(kill_every):
                        break

            chaos_thread = threading.Thread(target=chaos, daemon=True)
            counter = iter(range(bookings))

            def client() -> None:
                while (n := next(counter, None)) is not None:
                    _book(port, departure_id, n, figures, lock)

            threads = [threading.Thread(target=client) for _ in range(clients)]
            for thread in threads:
                thread.start()
            time.sleep(0.2)  # requests in flight
            chaos_thread.start()
            for thread in threads:
                thread.join(600)
            done.set()
            chaos_thread.join(150)
            figures.seconds = time.monotonic() - began
            if proxy is not None:
                figures.lost_commit_replies = proxy.dropped
                proxy.stop()
            loaded = time.monotonic()
            engine.dispose()  # connections from before a restart are dead
            deadline = loaded + drain_timeout
            while time.monotonic() < deadline:
                try:
                    with transaction(factory) as db_session:
                        waiting = db_session.scalar(
                            select(func.count())
                            .select_from(OutboxMessage)
                            .where(OutboxMessage.status != "sent")
                        )
                except Exception:
                    waiting = -1
                if waiting == 0:
                    break
                time.sleep(0.5)
            figures.drain_seconds = time.monotonic() - loaded
            time.sleep(0.5)  # the sink's last DATA
        _check(factory, figures, sink)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        controller.stop()
        engine.dispose()
        _drop_database(admin, name)
    return figures


def _drop_database(admin: Engine, name: str) -> None:
    """Drop the run's database, on a fresh connection (a restart killed the pooled one).

    The admin engine's only connection dates from before the chaos: its ping finds it
    dead after a PostgreSQL restart, and ``dispose`` drops it anyway.  The server may
    still be starting after the last restart, so a refused connection is tried again.
    """
    admin.dispose()
    for attempt in range(30):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            break
        except OperationalError:
            if attempt == 29:
                raise
            time.sleep(1.0)
    admin.dispose()


def _check(factory, figures: Figures, sink: Sink) -> None:
    with transaction(factory) as db_session:
        references = set(db_session.scalars(select(Booking.reference)))
        figures.stored_bookings = len(references)
        statuses = Counter(db_session.scalars(select(OutboxMessage.status)))
        figures.sent_in_outbox = statuses.get("sent", 0)
        invariant = invariant_problems(db_session)
        confirmed = db_session.scalar(
            select(func.coalesce(func.sum(Booking.party_size), 0)).where(
                Booking.status == "confirmed"
            )
        )
    figures.oversold = max(0, confirmed - figures.seats)
    figures.received = len(sink.message_ids)
    figures.duplicates = len(sink.message_ids) - len(set(sink.message_ids))
    received_refs = Counter(
        match.group() for subject in sink.subjects for match in [REFERENCE.search(subject)] if match
    )
    figures.confirmations_twice = sum(count > 1 for count in received_refs.values())
    if figures.gave_up:
        figures.problems.append(f"{figures.gave_up} bookings never got an answer")
    if figures.answered_201 + figures.answered_full != figures.bookings_asked - figures.gave_up:
        figures.problems.append("not every request ended in a 201 or a 409 full")
    if figures.oversold:
        figures.problems.append(f"{figures.oversold} seats oversold")
    if confirmed != min(figures.seats, figures.bookings_asked):
        figures.problems.append(f"{confirmed} seats sold of {figures.seats}")
    if figures.stored_but_5xx:
        figures.problems.append(f"{figures.stored_but_5xx} stored bookings were answered 5xx")
    if figures.stored_bookings != figures.answered_201:
        figures.problems.append(
            f"{figures.answered_201} answered 201 but {figures.stored_bookings} stored"
        )
    if statuses.get("sent", 0) != figures.stored_bookings or set(statuses) - {"sent"}:
        figures.problems.append(f"outbox not all sent once: {dict(statuses)}")
    missing = references - set(received_refs)
    if missing:
        figures.problems.append(f"{len(missing)} bookings have no confirmation at the sink")
    if figures.duplicates > figures.postgres_restarts:
        figures.problems.append(f"{figures.duplicates} messages were sent twice")
    if figures.confirmations_twice > figures.postgres_restarts:
        figures.problems.append(f"{figures.confirmations_twice} bookings were confirmed twice")
    figures.problems.extend(invariant)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=600)
    parser.add_argument(
        "--seats", type=int, default=None,
        help="seats of the walk (default: one per booking); fewer must never be oversold",
    )  # fmt: skip
    parser.add_argument(
        "--drop-commit-replies", type=int, default=0, metavar="N",
        help="lose the reply of every N-th booking COMMIT through a proxy (0: never)",
    )  # fmt: skip
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--kill-every", type=float, default=1.0, help="seconds between kills")
    parser.add_argument(
        "--restart-postgres-every", type=float, default=8.0,
        help="seconds between PostgreSQL restarts (0: never)",
    )  # fmt: skip
    args = parser.parse_args()
    server = os.environ.get("BIDEAN_TEST_POSTGRES_URL", DEFAULT_SERVER)
    figures = run(
        server,
        bookings=args.bookings,
        clients=args.clients,
        kill_every=args.kill_every,
        restart_postgres_every=args.restart_postgres_every or None,
        seats=args.seats,
        drop_commit_replies=args.drop_commit_replies,
    )
    for line in figures.lines():
        print(line)
    if figures.problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
