"""The coordinator's dashboard and calendar at scale: 10,000 walks and 50,000 bookings
against 10 walks.

In-process (the Flask test client, no server), each app on its own SQLite file, a
coordinator logged in, the sample tours and guides stored in both.  The small app has 10
walks in the coming week; the large one has ``--walks`` walks, about seven a day from two
years back to two years ahead (every tour, language and guide; one in eight without a
guide, one in twenty cancelled), ``--bookings`` bookings spread over them, waiting lists
on one walk in fifty, check-ins on the past walks and 200 failed messages in the outbox.
Both are written with bulk inserts (a few seconds).

The pages are requested in turns (small dashboard, large dashboard, small month, large
month, small week, large week, ...) ``--runs`` times, so whatever else loads the machine
weighs on both alike.  It prints the median of each, the ratio and the SQL statements a
request issues, and exits 1 when a ratio is over ``--max-ratio`` (3) or a page of the
large app issues more statements than the small one's.

    python bench/dashboard_bench.py [--walks 10000] [--bookings 50000] [--runs 30]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run_notes  # noqa: E402
from bench.bench_support import (  # noqa: E402
    Statements,
    compare,
    coordinator_app,
    finish,
    logged_in,
    timed_get,
)
from guides.models import CheckIn, GuideRecord  # noqa: E402
from tours.booking.models import (  # noqa: E402
    Booking,
    Departure,
    OutboxMessage,
    WaitlistEntry,
)
from tours.db import utcnow  # noqa: E402
from tours.tour.models import TourRecord  # noqa: E402
from webapp.common.database import get_db  # noqa: E402

LANGUAGES = ("es", "eu", "en", "fr", "ar")
PAGES = (
    ("dashboard", "/console/"),
    ("calendar, month", "/console/admin/calendar?view=month"),
    ("calendar, week", "/console/admin/calendar?view=week"),
    ("calendar, week, filtered", "/console/admin/calendar?view=week&language=es"),
)


def _departure(n: int, tour_ids: list[int], guides: list[str], start, rng) -> dict:
    guide = None if n % 8 == 0 else guides[n % len(guides)]
    return {
        "id": n + 1,
        "tour_id": tour_ids[n % len(tour_ids)],
        "starts_at": start,
        "timezone": "Europe/Madrid",
        "language": LANGUAGES[n % len(LANGUAGES)],
        "capacity": 12,
        "max_party": 6,
        "seats_taken": 0,
        "seats_held": 0,
        "guide_id": guide,
        "meeting_stop_id": "plaza",
        "meeting_name": {"es": "Plaza"},
        "meeting_lon": -2.93,
        "meeting_lat": 43.25,
        "status": "cancelled" if n % 20 == 7 else "scheduled",
        "created_at": start - timedelta(days=30),
    }


def store_walks(app, walks: int, bookings: int, *, spread_days: float) -> None:
    """``walks`` walks from ``spread_days / 2`` back to as far ahead, ``bookings`` bookings
    (parties of 1 to 2 on the scheduled ones), waiting lists, check-ins, failed mail."""
    rng = random.Random(7)
    now = utcnow()
    with get_db(app).transaction(write_lock=True) as db_session:
        tour_ids = list(db_session.scalars(select(TourRecord.id).order_by(TourRecord.id)))
        guides = list(db_session.scalars(select(GuideRecord.id).order_by(GuideRecord.id)))
        step = timedelta(days=spread_days) / max(walks, 1)
        first = now - timedelta(days=spread_days / 2)
        rows = [
            _departure(n, tour_ids, guides, first + step * n + timedelta(hours=1), rng)
            for n in range(walks)
        ]
        # In both apps a walk has just started: the dashboard counts its arrivals.
        rows[1]["starts_at"] = now - timedelta(minutes=1)
        open_rows = [row for row in rows if row["status"] == "scheduled"]
        booking_rows, taken = [], {}
        for number in range(bookings):
            row = open_rows[number % len(open_rows)]
            size = 1 + number % 2
            if taken.get(row["id"], 0) + size > row["capacity"]:
                continue
            taken[row["id"]] = taken.get(row["id"], 0) + size
            booking_rows.append({
                "id": len(booking_rows) + 1,
                "reference": f"B{number:09d}",
                "departure_id": row["id"],
                "party_size": size,
                "status": "confirmed",
                "language": row["language"],
                "name": f"Booker {number}",
                "email": f"booker{number}@example.org",
                "created_at": row["created_at"],
            })  # fmt: skip
        for row in rows:
            row["seats_taken"] = taken.get(row["id"], 0)
        db_session.execute(insert(Departure), rows)
        db_session.execute(insert(Booking), booking_rows)
        waiting = [
            {"departure_id": row["id"], "party_size": 2, "status": "waiting",
             "language": "es", "name": "Waiting", "email": "w@example.org"}
            for row in [row for row in open_rows if row["starts_at"] > now][::50]
        ]  # fmt: skip
        if waiting:
            db_session.execute(insert(WaitlistEntry), waiting)
        past = {row["id"] for row in rows if row["starts_at"] < now}
        marks = [
            {"booking_id": b["id"], "state": "arrived" if b["id"] % 5 else "no_show",
             "idempotency_key": f"bench-{b['id']:010d}", "recorded_at": now}
            for b in booking_rows if b["departure_id"] in past
        ]  # fmt: skip
        if marks:
            db_session.execute(insert(CheckIn), marks)
        failed = [
            {"kind": "booking_confirmation", "recipient": f"x{n}@example.org",
             "subject": "Your walk", "raw": b"", "status": "failed", "attempts": 1,
             "last_error": "550 no such mailbox",
             "departure_id": rows[n % len(rows)]["id"] if rows else None}
            for n in range(min(200, walks * 20))
        ]  # fmt: skip
        db_session.execute(insert(OutboxMessage), failed)


def timed(client, url: str) -> tuple[float, int]:
    took, body = timed_get(client, url)
    return took, len(body)


def main() -> None:
    run_notes.begin()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--walks", type=int, default=10_000)
    parser.add_argument("--bookings", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--max-ratio", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        small, large = coordinator_app(folder, "small"), coordinator_app(folder, "large")
        store_walks(small, 10, 30, spread_days=6)
        store_walks(large, args.walks, args.bookings, spread_days=4 * 365)
        print(f"stored in {time.perf_counter() - began:.1f} s")
        clients = {
            "small": logged_in(small),
            "large": logged_in(large),
        }
        apps = {"small": small, "large": large}
        times = {(name, size): [] for name, _url in PAGES for size in clients}
        statements, sizes = {}, {}
        for name, url in PAGES:  # warm-up, and the statements of one request each
            for size, client in clients.items():
                client.get(url)
                counter = Statements(get_db(apps[size]).engine)
                _took, sizes[name, size] = timed(client, url)
                statements[name, size] = counter.count
                counter.remove()
        for _ in range(args.runs):
            for name, url in PAGES:
                for size, client in clients.items():
                    times[name, size].append(timed(client, url)[0])
        print(f"{'page':26} {'10 walks':>10} {args.walks:>7,} walks  ratio  statements  bytes")
        missed = []
        for name, _url in PAGES:
            found = compare(name, times, statements)
            print(f"{found.line(26)} {sizes[name, 'small']:,} / {sizes[name, 'large']:,}")
            if found.missed(args.max_ratio):
                missed.append(name)
        for app in apps.values():
            get_db(app).engine.dispose()
    finish(missed, f"target: at most {args.max_ratio:g}x the 10-walk figure, no more statements")


if __name__ == "__main__":
    main()
