"""Real concurrency: client processes racing through HTTP against a real gunicorn server.

200 attempts for 20 seats, released together by barriers, must sell exactly 20 seats:
20 x 201, 180 x 409, nothing else (no 5xx, no dropped connection), on SQLite and on
PostgreSQL.  Bounded: every request has a timeout and the whole test a deadline.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.booking_support import add_departure, departure_row, store_tour
from tours.booking.models import CONFIRMED, Booking

REPO = Path(__file__).resolve().parents[3]
PROCESSES = 8
THREADS_PER_PROCESS = 25  # 8 x 25 = 200 attempts
SEATS = 20
LISTENING = re.compile(r"Listening at: (http://[\d.:]+)")


# Whatever a test did, seats taken equal confirmed party sizes afterwards.
pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """gunicorn with 3 worker processes x 8 threads on the test database."""
    env = {
        **os.environ,
        "BIDEAN_DATABASE_URL": database_url,
        "BIDEAN_SECRET_KEY": "concurrency",
        "BIDEAN_RATELIMIT_ENABLED": "false",
        "BIDEAN_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "--workers", "3", "--worker-class", "gthread",
        "--threads", "8", "--bind", "127.0.0.1:0", "--timeout", "60", "webapp:create_app()",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield _wait_for(process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_for(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log.read_text(errors='replace')}")
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            try:
                with urllib.request.urlopen(found.group(1) + "/healthz", timeout=2):
                    return found.group(1)
            except OSError:
                pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not start:\n{log.read_text(errors='replace')}")


def post(url: str, body: dict, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError as error:
        return 0, {"error": repr(error)}


def client_process(url: str, start: multiprocessing.synchronize.Barrier, n: int, results) -> None:
    """One client process: its threads wait for every process, then post at once."""
    threads_ready = threading.Barrier(THREADS_PER_PROCESS)
    codes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        threads_ready.wait(timeout=30)
        body = {"name": f"P{n}T{i}", "email": f"p{n}t{i}@example.org", "party_size": 1}
        status, answer = post(url, body)
        with lock:
            codes.append((status, answer.get("code") or answer.get("reference", "")))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS_PER_PROCESS)]
    start.wait(timeout=60)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    results.put(codes)


def run_clients(url: str) -> list[tuple[int, str]]:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=client_process, args=(url, start, n, results))
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes: list[tuple[int, str]] = []
    for _ in processes:
        outcomes += results.get(timeout=120)
    for process in processes:
        process.join(timeout=30)
    return outcomes


@pytest.mark.slow
def test_two_hundred_client_processes_never_oversell(server, db_transaction):
    store_tour(db_transaction)
    departure_id = add_departure(db_transaction, capacity=SEATS)
    url = f"{server}/api/sessions/{departure_id}/bookings"
    outcomes = run_clients(url)
    statuses = Counter(status for status, _ in outcomes)
    assert statuses == {201: SEATS, 409: PROCESSES * THREADS_PER_PROCESS - SEATS}, outcomes
    assert {code for status, code in outcomes if status == 409} == {"full"}
    with db_transaction() as db_session:
        sold = db_session.scalars(select(Booking).where(Booking.status == CONFIRMED)).all()
    assert len(sold) == SEATS
    assert {b.reference for b in sold} == {code for status, code in outcomes if status == 201}
    assert departure_row(db_transaction, departure_id).seats_taken == SEATS


@pytest.mark.slow
def test_racing_retries_with_one_idempotency_key_make_one_booking(server, db_transaction):
    store_tour(db_transaction)
    departure_id = add_departure(db_transaction, capacity=SEATS)
    url = f"{server}/api/sessions/{departure_id}/bookings"
    barrier = threading.Barrier(16)
    answers: list[tuple[int, dict]] = []

    def retry() -> None:
        barrier.wait(timeout=30)
        body = {"name": "Ane", "email": "ane@example.org", "party_size": 3}
        answers.append(post(url, body, {"Idempotency-Key": "one-booking-for-ane-0001"}))

    threads = [threading.Thread(target=retry) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert {status for status, _ in answers} == {201}
    assert len({body["reference"] for _, body in answers}) == 1
    with db_transaction() as db_session:
        assert len(db_session.scalars(select(Booking)).all()) == 1
    assert departure_row(db_transaction, departure_id).seats_taken == 3
