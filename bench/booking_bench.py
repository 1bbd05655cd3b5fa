"""Booking throughput through the JSON API under gunicorn, against PostgreSQL, loaded by wrk.

Run from the repository root:  python bench/booking_bench.py [--seconds 5] [--rounds 4]

It creates a PostgreSQL database of its own (server from ``BIDEAN_TEST_POSTGRES_URL``,
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; a unique name, dropped at
the end), migrates it, stores a small tour and schedules departures with room for every
request, and starts two servers with the same gunicorn settings (4 gthread workers x 8
threads, loopback, free ports):

* reference: ``bench/reference_booking_app.py``, a minimal Flask + SQLAlchemy endpoint
  doing the same seat transaction (BEGIN, conditional UPDATE, INSERT, COMMIT);
* Bidean: ``POST /api/sessions/<id>/bookings`` (party of 1, each request with its own
  body and ``Idempotency-Key``, made by wrk's Lua ``request`` hook, spread over 16
  departures so the figure is not one row's lock queue; see --one-departure for that),
  confirmations to an ``.eml`` outbox folder; with ``--smtp`` also a third server with
  SMTP configured (an aiosmtpd sink; requests only record the confirmation either way).

Load comes from Debian's wrk (``bench/wrk_support.py``: 32 connections, 2 threads), a C
load generator, so the client does not cap either server.  Subject and reference take
turns in ``--rounds`` rounds of ``--seconds`` each (the order alternating), so whatever
else loads the machine weighs on each alike.  It prints requests per second (all rounds'
requests over all rounds' time) and the median over rounds of wrk's p95 of each, the
ratios, each round's ratios (their spread), checks that no request failed, that every
booking the API answered is stored with exactly one confirmation queued and that the seat
invariant holds, and prints the CPU a booking costs in-process (``--profile`` adds where
it goes).  It exits 1 when Bidean is below ``--min-ratio`` (0.7) of the reference's
throughput or its p95 above ``--max-p95`` (1.5) times the reference's.  Traffic goes only
to 127.0.0.1; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
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

from bench import run_notes  # noqa: E402
from bench.bench_support import smtp_sink, start_gunicorn, stop, tour_document  # noqa: E402
from bench.reference_booking_app import create_app as reference_app  # noqa: E402
from bench.wrk_support import WrkRun, run_wrk  # noqa: E402
from tours.booking.bookings import invariant_problems  # noqa: E402
from tours.booking.departures import DepartureRequest, schedule  # noqa: E402
from tours.booking.models import Booking, OutboxMessage  # noqa: E402
from tours.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from tours.tour.domain import Tour  # noqa: E402
from tours.tour.store import save_tour  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.common.database import get_db, upgrade  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONNECTIONS = 32
DEPARTURES = 16
HOST = "127.0.0.1"
WARM_UP_S = 2
CAPACITY = 10_000_000  # seats per departure: wrk runs for a time, not a number of requests

# wrk's ``request`` hook: each request its own body and idempotency key.  ``setup`` runs
# in wrk's main Lua state and numbers the threads (each thread has a state of its own),
# so thread and counter make a key no other request of the run sends.
_REQUEST_LUA = """
local ids = {%(ids)s}
local prefix = "%(prefix)s"
local threads = 0
local counter = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end
function request()
  counter = counter + 1
  local n = thread_no .. "-" .. counter
  local id = ids[(counter + thread_no) %% #ids + 1]
  local body = '{"name": "Bench ' .. n .. '", "email": "b' .. n .. '@example.org", '
    .. '"party_size": 1}'
  local headers = {["Content-Type"] = "application/json"}
  %(key)s
  return wrk.format("POST", %(path)s, headers, body)
end
"""


def request_lua(ids: list[int], prefix: str, *, api: bool) -> str:
    """The Lua ``request`` hook booking on ``ids`` in turn: the API's (with a key made
    of ``prefix``, the thread and a counter) or the reference's."""
    if api:
        key = 'headers["Idempotency-Key"] = prefix .. "-" .. n'
        path = '"/api/sessions/" .. id .. "/bookings"'
    else:
        key, path = "", '"/book/" .. id'
    values = {"ids": ", ".join(map(str, ids)), "prefix": prefix, "key": key, "path": path}
    return _REQUEST_LUA % values


def main() -> None:
    run_notes.begin()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="seconds per phase and round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--one-departure", action="store_true", help="all bookings on one row")
    parser.add_argument("--smtp", action="store_true", help="also a server with SMTP configured")
    parser.add_argument("--profile", action="store_true", help="where a booking's CPU goes")
    parser.add_argument("--min-ratio", type=float, default=0.7)
    parser.add_argument("--max-p95", type=float, default=1.5, help="times the reference's p95")
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
                        capacity=CAPACITY, max_party=1,
                    ),
                    dates=[day + timedelta(days=n) for n in range(count)],
                )
            ]  # fmt: skip
        run_id = uuid.uuid4().hex[:12]
        env = {
            "BIDEAN_DATABASE_URL": url,
            "BIDEAN_SECRET_KEY": "bench",
            "BIDEAN_RATELIMIT_ENABLED": "false",
            "BIDEAN_PUBLIC_URL": "https://tours.example.org",
        }
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            servers = {
                "reference": ("bench.reference_booking_app:create_app()", env),
                "eml": ("webapp:create_app()", {**env, "BIDEAN_OUTBOX_DIR": str(folder / "out")}),
            }
            if args.smtp:
                controller, _sink = smtp_sink()
                smtp = {"BIDEAN_SMTP_HOST": HOST, "BIDEAN_SMTP_PORT": str(controller.port)}
                servers["smtp"] = ("webapp:create_app()", {**env, **smtp})
            ports = {}
            for label, (spec, server_env) in servers.items():
                processes[label], ports[label] = start_gunicorn(
                    spec, server_env, folder / f"{label}.log"
                )

            def phase(label: str, tag: str, seconds: float) -> WrkRun:
                script = request_lua(ids, f"b-{run_id}-{tag}", api=label != "reference")
                target = f"http://{HOST}:{ports[label]}/"
                return run_wrk(target, seconds=seconds, connections=CONNECTIONS, request_lua=script)

            warm = {label: phase(label, f"{label}-w", WARM_UP_S) for label in ports}
            runs: dict[str, list[WrkRun]] = {label: [] for label in ports}
            labels = list(ports)
            for round_ in range(args.rounds):
                # The order turns each round, so neither always follows the other.
                for label in labels[round_ % len(labels) :] + labels[: round_ % len(labels)]:
                    runs[label].append(phase(label, f"{label}-{round_}", args.seconds))
            for process in processes.values():
                stop(process)
        failed = report(args, runs, warm, factory, count)
        print(in_process_cpu(url, ids[0], run_id, profile=args.profile))
        if failed:
            print(f"below the goal: {', '.join(failed)}")
            raise SystemExit(1)
    finally:
        for process in processes.values():
            stop(process)
        if controller is not None:
            controller.stop()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rate(runs: list[WrkRun]) -> float:
    """Requests per second over every round: all requests over all time."""
    return sum(run.requests for run in runs) / sum(run.seconds for run in runs)


def p95(runs: list[WrkRun]) -> float:
    """The median of the rounds' 95th percentiles (wrk gives each run's, not its histogram)."""
    return statistics.median(run.p95_ms for run in runs)


def line(label: str, runs: list[WrkRun]) -> str:
    p50, p99 = (statistics.median(getattr(r, f"p{p}_ms") for r in runs) for p in (50, 99))
    return (
        f"{label:>28}: {rate(runs):8.1f} req/s  p50 {p50:6.1f} ms  p95 {p95(runs):6.1f} ms"
        f"  p99 {p99:6.1f} ms"
        f"  requests {sum(r.requests for r in runs)}, errors {sum(r.errors for r in runs)}"
    )


def report(
    args, runs: dict[str, list[WrkRun]], warm: dict[str, WrkRun], factory, count: int
) -> list[str]:
    """Print the figures and check what was stored; the phases below the goal."""
    ref = runs["reference"]
    with transaction(factory) as db_session:
        problems = invariant_problems(db_session)
        # Bookings through the API carry the key wrk sent (``api:`` and the key).
        stored = db_session.scalar(
            select(func.count()).where(Booking.idempotency_key.like("api:b-%"))
        )
        queued = db_session.scalar(select(func.count()).select_from(OutboxMessage))
    print(
        f"wrk, {CONNECTIONS} connections, {args.rounds} rounds of {args.seconds:g} s per phase "
        f"taking turns, {count} departure(s); load {Path('/proc/loadavg').read_text().strip()}"
    )
    print(line("reference seat transaction", ref))
    print(line("bookings, .eml outbox", runs["eml"]))
    if "smtp" in runs:
        print(line("bookings, SMTP configured", runs["smtp"]))
    failed = []
    for label in [label for label in runs if label != "reference"]:
        ratio, p95_ratio = rate(runs[label]) / rate(ref), p95(runs[label]) / p95(ref)
        print(
            f"{label}: throughput / reference = {ratio:.2f}; p95 / reference p95 = {p95_ratio:.2f}"
        )
        rounds = ", ".join(
            f"{mine.rate / theirs.rate:.2f}/{mine.p95_ms / theirs.p95_ms:.2f}"
            for mine, theirs in zip(runs[label], ref, strict=True)
        )
        print(f"{label}: each round's throughput/p95 ratios: {rounds}")
        if ratio < args.min_ratio or p95_ratio > args.max_p95:
            failed.append(label)
    # wrk stops at its deadline with requests in flight: those are stored, not counted.
    api = [[warm[label], *part] for label, part in runs.items() if label != "reference"]
    answered = sum(run.requests for part in api for run in part)
    in_flight = CONNECTIONS * sum(len(part) for part in api)
    print(
        f"API bookings answered {answered}, stored {stored} (warm-ups included; the rest were in "
        f"flight at wrk's deadlines), confirmations queued {queued}; "
        f"invariant problems: {problems or 'none'}"
    )
    if any(run.errors for part in [*runs.values(), warm.values()] for run in part):
        raise SystemExit("some requests failed")
    if not answered <= stored <= answered + in_flight:
        raise SystemExit("the bookings stored do not match the answers")
    if queued != stored:
        raise SystemExit("a booking's confirmation is missing from the outbox, or doubled")
    if problems:
        raise SystemExit("the seat invariant broke")
    return failed


CPU_SAMPLE = 300

# Where a booking's CPU goes (``--profile``): the cumulative time of these functions, by
# the last part of their qualified name and file, as shares of the whole request.
PARTS = {
    "before-request hooks (limits, nonce, session, locale)": ("app.py", "preprocess_request"),
    "the view": ("api.py", "create_booking"),
    "reading and validating the body": ("api.py", "_read_request"),
    "  of which the email address": ("contact.py", "checked_email"),
    "request fingerprint": ("idempotency.py", "request_fingerprint"),
    "the transaction": ("transactions.py", "_book"),
    "  booking and outbox INSERT, seats UPDATE": ("bookings.py", "book"),
    "  checkout (pool)": ("base.py", "_checkout"),
    "  COMMIT": ("session.py", "commit"),
    "signing the manage link": ("links.py", "manage_token"),
    "JSON answer": ("__init__.py", "jsonify"),
    "after-request hooks (headers, cookies, cache)": ("app.py", "process_response"),
}


def in_process_cpu(url: str, departure_id: int, run_id: str, *, profile: bool = False) -> str:
    """CPU time per booking with no server, network or load generator around it: Bidean's
    JSON API and the reference, each through Flask's test client (``time.process_time``
    over ``CPU_SAMPLE`` bookings after a warm-up), and Bidean's ``/healthz``; with
    ``profile``, the shares of a booking's CPU time (cProfile on process time)."""

    def cpu_ms(client, send, first: int = 20) -> float:
        for n in range(first - 20, first):
            send(client, n)
        began = time.process_time()
        for n in range(first, first + CPU_SAMPLE):
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

    shares = ""
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
        if profile:
            shares = profile_shares(app.test_client(), booking, 10 * CPU_SAMPLE)
        get_db(app).engine.dispose()
    os.environ["BIDEAN_DATABASE_URL"] = url  # what the reference app reads
    minimal = reference_app()
    ref = cpu_ms(minimal.test_client(), reference)
    return (
        f"in-process CPU per request (test client, {CPU_SAMPLE} each): booking {bidean:.2f} ms, "
        f"reference {ref:.2f} ms ({bidean / ref:.1f}x), /healthz {health:.2f} ms{shares}"
    )


def profile_shares(client, send, first: int) -> str:
    """The shares of ``PARTS`` in the CPU time of ``CPU_SAMPLE`` requests under cProfile
    (which slows calls down unevenly: shares, not milliseconds)."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for n in range(first, first + CPU_SAMPLE):
        send(client, n)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    cumulative: dict[tuple[str, str], float] = {}
    whole = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.items():
        key = (Path(filename).name, function)
        cumulative[key] = max(cumulative.get(key, 0.0), ct)
        if function == "wsgi_app":
            whole = max(whole, ct)
    lines = [f"\nwhere a booking's CPU goes (cProfile, {CPU_SAMPLE} bookings, share of wsgi_app):"]
    for label, key in PARTS.items():
        lines.append(f"  {label:<56} {100 * cumulative.get(key, 0.0) / whole:5.1f}%")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
