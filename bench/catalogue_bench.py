"""Catalogue and listing APIs at scale: 10 tours against 1,000, 10 sessions against 10,000.

In-process (the Flask test client, no server), each app on its own SQLite file, rate
limits off, caches warm (one request first).  For each endpoint it prints the median of
``--runs`` requests with the small data set and the large one, the ratio, and the SQL
statements one request issues (counted with SQLAlchemy's ``before_cursor_execute``).

* ``/`` and ``/api/tours``: 10 and 1,000 copies of the sample tour (different slugs,
  cities and districts), targets: ratio at most 3, the same number of statements.
* ``/api/sessions?tour=``: 10 and 10,000 upcoming departures of one tour, first page;
  target: the time of 10 (ratio at most 1.25).

The API rows ask for pages of 10 (``limit=10``) in both apps, so both answers hold as
many items and the ratio shows what the size of the table costs; with the default page
(20) the small app has only 10 to show, and the rows with ``(default page)`` show that
too, for information.  Exits non-zero when a target is missed.

    python bench/catalogue_bench.py [--tours 1000] [--sessions 10000] [--runs 30] [--statements]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run_notes  # noqa: E402
from bench.bench_support import sqlite_app  # noqa: E402
from tours.booking.models import Departure  # noqa: E402
from tours.content.checking.pipeline import ValidationOptions, validate_path  # noqa: E402
from tours.db import utcnow  # noqa: E402
from tours.tour.models import TourRecord  # noqa: E402
from tours.tour.store import save_tour  # noqa: E402
from webapp.common.database import get_db  # noqa: E402

SAMPLE = ROOT / "data" / "routes" / "bilbao-la-vieja-crossings.geojson"
CITIES = ("Bilbao", "Donostia", "Gasteiz", "Iruñea", "Baiona")


def make_app(folder: Path, name: str):
    return sqlite_app(folder, name, TESTING=False)


def store_tours(app, count: int) -> str:
    """``count`` copies of the sample tour; returns the first slug."""
    result = validate_path(SAMPLE, ValidationOptions())
    assert result.tour is not None, "the sample tour no longer validates"
    base = result.tour
    with get_db(app).transaction(write_lock=True) as db_session:
        for n in range(count):
            city = CITIES[n % len(CITIES)]
            tour = replace(
                base,
                slug=f"walk-{n:05d}",
                city=city,
                districts=(f"District {n % 17}",),
            )
            save_tour(db_session, tour, source_name="bench")
    return "walk-00000"


def store_departures(app, slug: str, count: int) -> None:
    start = utcnow() + timedelta(days=1)
    with get_db(app).transaction(write_lock=True) as db_session:
        tour_id = db_session.query(TourRecord.id).filter_by(slug=slug).scalar()
        db_session.execute(
            insert(Departure),
            [
                {
                    "tour_id": tour_id,
                    "tour_version": 1,
                    "starts_at": start + timedelta(hours=n),
                    "timezone": "Europe/Madrid",
                    "language": "es",
                    "capacity": 12,
                    "max_party": 6,
                    "meeting_name": {"es": "Plaza"},
                    "meeting_lon": -2.93,
                    "meeting_lat": 43.25,
                    "status": "scheduled",
                }
                for n in range(count)
            ],
        )


class Statements:
    """The SQL statements an engine runs, each with how long it took (ms), by its text."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.times: dict[str, list[float]] = {}
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, *_args) -> None:
        conn.info["bench_began"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, *_args) -> None:
        self.count += 1
        took = (time.perf_counter() - conn.info.pop("bench_began")) * 1000
        self.times.setdefault(" ".join(statement.split())[:90], []).append(took)

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def measure(app, url: str, runs: int, show: bool = False) -> tuple[float, int, int]:
    """Median ms of ``runs`` GETs of ``url`` (after one warm-up), statements, bytes; with
    ``show``, each statement's median time is printed."""
    client = app.test_client()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.data[:300])
    counter = Statements(get_db(app).engine)
    times = []
    try:
        for _ in range(runs):
            counter.count = 0
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
    finally:
        counter.remove()
    assert response.status_code == 200
    if show:
        for text, took in counter.times.items():
            print(f"    {statistics.median(took):7.3f} ms  {text}")
    return statistics.median(times), counter.count, len(response.data)


def main() -> None:
    run_notes.begin()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tours", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--statements", action="store_true", help="each statement's median time, large data set"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, large = make_app(folder, "small"), make_app(folder, "large")
        began = time.perf_counter()
        store_tours(small, 10)
        store_tours(large, args.tours)
        slug = "walk-00000"
        store_departures(small, slug, 10)
        store_departures(large, slug, args.sessions)
        print(f"stored in {time.perf_counter() - began:.1f} s")
        sessions = f"/api/sessions?tour={slug}"
        rows = [  # name, URL, small and large counts, target ratio (None: information)
            ("/", "/?lang=en", 10, args.tours, 3.0),
            ("/api/tours", "/api/tours?lang=en&limit=10", 10, args.tours, 3.0),
            ("/api/sessions?tour=", f"{sessions}&limit=10", 10, args.sessions, 1.25),
            ("/api/tours (default page)", "/api/tours?lang=en", 10, args.tours, None),
            ("/api/sessions (default page)", sessions, 10, args.sessions, None),
        ]
        print(f"{'endpoint':28} {'small':>14} {'large':>16} {'ratio':>6}  statements  bytes")
        missed = []
        for name, url, n_small, n_large, target in rows:
            t_small, q_small, b_small = measure(small, url, args.runs)
            t_large, q_large, b_large = measure(large, url, args.runs, args.statements)
            ratio = t_large / t_small
            goal = "" if target is None else f"  (target at most {target:g}x)"
            print(
                f"{name:28} {n_small:>5} {t_small:6.2f} ms {n_large:>6} {t_large:7.2f} ms "
                f"{ratio:5.2f}x  {q_small} / {q_large}  {b_small:,} / {b_large:,}{goal}"
            )
            if target is not None and (ratio > target or q_small != q_large):
                missed.append(name)
        for app in (small, large):
            get_db(app).engine.dispose()
    if missed:
        sys.exit(f"targets missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()
