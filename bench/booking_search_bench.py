"""The console's booking search over 50,000 bookings, as a ratio to one LIKE scan of
their names (median CPU time of several runs, SQLite).

Bookings are spread over 100 walks of one tour; each needle is searched a page at a time
(``tours.booking.search.search_bookings``: name and email case-blind, a phone number
whatever its punctuation, a reference from its start) against the plain
``SELECT count(*) FROM bookings WHERE name LIKE '%needle%'``.  A needle outside ASCII
compares through Python's ``str.lower`` on SQLite, behind a plain LIKE that lets only
likely rows through.  Goal: at most 4x for every needle.  CPU time of this process
(``time.process_time``: SQLite runs in it), so a loaded machine stretches both sides alike.
Run ``python bench/booking_search_bench.py``; it exits 1 when a needle misses the goal.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, text  # noqa: E402

from bench.bench_support import tour_document  # noqa: E402
from tours.booking.departures import DepartureRequest, schedule  # noqa: E402
from tours.booking.models import Booking  # noqa: E402
from tours.booking.search import search_bookings  # noqa: E402
from tours.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from tours.tour.domain import Tour  # noqa: E402
from tours.tour.store import save_tour  # noqa: E402
from webapp.common.database import upgrade  # noqa: E402

BOOKINGS = 50_000
WALKS = 100
RUNS = 7
GOAL = 4.0
NEEDLES = ("número 4242", "NOBODY", "p4242@example", "+34 600 004 242", "600004242", "núñez")


def _cpu_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.process_time()
        work()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{folder / 'search.sqlite3'}")
    upgrade(engine)
    factory = make_sessionmaker(engine)
    day = datetime.now(UTC).date() + timedelta(days=1)
    with transaction(factory, write_lock=True) as db_session:
        save_tour(db_session, Tour.from_document(tour_document("search-walk", "Busca")), "bench")
        walks = [
            schedule(
                db_session,
                DepartureRequest(
                    "search-walk",
                    datetime(day.year, day.month, day.day, 8 + i % 10) + timedelta(days=i),
                    "es",
                    BOOKINGS,
                    max_party=8,
                ),
            )[0].id
            for i in range(WALKS)
        ]
        now = datetime.now(UTC)
        rows = [
            {
                "reference": f"R{i:07d}",
                "departure_id": walks[i % WALKS],
                "party_size": 1,
                "status": "confirmed",
                "language": "es",
                "name": f"Persona Número {i}",
                "email": f"p{i}@example.org",
                "phone": f"+34 6{i:08d}",
                "created_at": now,
            }
            for i in range(BOOKINGS)
        ]
        db_session.execute(insert(Booking), rows)
    missed = []
    with transaction(factory) as db_session:
        for needle in NEEDLES:
            like = f"%{needle}%"
            reference = _cpu_ms(
                lambda like=like: db_session.execute(
                    text("SELECT count(*) FROM bookings WHERE name LIKE :like"), {"like": like}
                ).scalar()
            )
            searched = _cpu_ms(lambda needle=needle: search_bookings(db_session, needle))
            found = len(search_bookings(db_session, needle).bookings)
            ratio = searched / reference
            print(
                f"{needle!r:>20}: {searched:6.1f} ms ({found} found), one LIKE scan "
                f"{reference:5.1f} ms: {ratio:.1f}x (goal {GOAL:.0f}x)"
            )
            if ratio > GOAL:
                missed.append(needle)
    engine.dispose()
    if missed:
        print(f"missed the goal: {', '.join(missed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
