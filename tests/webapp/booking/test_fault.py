"""The short form of bench/fault_bench.py: bookings while gunicorn workers are SIGKILLed.

PostgreSQL is not restarted here (other people's test runs share the server): the full
bench does that.  The walk has fewer seats than requests, and a proxy loses the reply
of every fifth booking's COMMIT.  Every 201 has its booking, the rest are 409 full, no
seat is oversold, no stored booking is answered 5xx, every booking has exactly one
confirmation sent once, and the seat invariant holds.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from tours.db import make_engine

BENCH = Path(__file__).resolve().parents[3] / "bench" / "fault_bench.py"


def _fault_bench():
    spec = importlib.util.spec_from_file_location("fault_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["fault_bench"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_bookings_survive_killed_workers_and_mail_goes_out_once():
    server = os.environ.get("BIDEAN_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("needs PostgreSQL: set BIDEAN_TEST_POSTGRES_URL")
    figures = _fault_bench().run(
        server, bookings=60, seats=40, clients=8, kill_every=1.0, drop_commit_replies=5
    )
    report = "\n".join(figures.lines())
    assert figures.problems == [], report
    assert figures.worker_kills >= 1 and figures.lost_commit_replies >= 1, report
    assert figures.answered_201 == figures.stored_bookings == 40, report
    assert figures.answered_full == 20 and figures.oversold == 0, report
    assert figures.answered_5xx == figures.stored_but_5xx == 0, report
    assert figures.sent_in_outbox == figures.received == 40, report
    assert figures.duplicates == figures.confirmations_twice == 0, report


def test_the_bench_drops_its_database_after_a_restart_killed_the_admin_connection():
    """The bench's clean-up crashed when a PostgreSQL restart had killed its pooled
    admin connection; terminating that connection does to it what a restart does."""
    server = os.environ.get("BIDEAN_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("needs PostgreSQL: set BIDEAN_TEST_POSTGRES_URL")
    bench = _fault_bench()
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    name = f"bidean_fault_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:  # the pool keeps this connection
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    other = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with other.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid}, 5000)")
        bench._drop_database(admin, name)
        with other.connect() as conn:
            left = conn.exec_driver_sql(
                f"SELECT count(*) FROM pg_database WHERE datname = '{name}'"
            ).scalar_one()
        assert left == 0
    finally:
        with other.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        other.dispose()
