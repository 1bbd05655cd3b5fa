"""The impact report at scale: 10,000 walks and 200,000 bookings against 10 walks.

In-process (the Flask test client, no server), each app on its own SQLite file, a
coordinator logged in, the sample tours and guides stored in both.  The large app has
``--walks`` walks spread over the four years before today (every tour, language and
guide; one in twenty cancelled, one in ten private) and ``--bookings`` bookings on them,
all checked in (one in five as not come), feedback asked of one booking in two and
answered by half of those, a debrief on every other walk and a waiting list on one walk
in fifty.  The small app has 10 walks, with as many bookings each, in last month.  Both
are written with bulk inserts.

The walks' figures are then stored as the mail worker stores them once a walk is over
(``webapp.actions.impact.store_due_figures``; the time it takes is printed).

Each request is made for each app in turns (small, large, small, ...) ``--runs`` times, so
whatever else loads the machine weighs on both alike: the report of last month (the large
app has about 210 walks and 4,200 bookings in it), its CSV, the page as it opens (this
year: in December, about 2,300 walks and 46,000 bookings in the large app), the twelve
months to the end of last month (about 2,500 walks and 50,000 bookings) and, for
information, all four years at once.  Each period holds the small app's 10 walks (the
page as it opens holds none in January).  It prints the medians, the ratios and the SQL
statements per request, and exits 1 when a report or the CSV is over ``--max-ratio`` (3)
or the large app issues more statements.

    python bench/impact_bench.py [--walks 10000] [--bookings 200000] [--runs 15]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
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
from guides.models import CheckIn, Debrief, GuideRecord  # noqa: E402
from tours.booking.models import Booking, Departure, WaitlistEntry, WalkFeedback  # noqa: E402
from tours.db import utcnow  # noqa: E402
from tours.tour.models import TourRecord  # noqa: E402
from webapp.actions.impact import store_due_figures  # noqa: E402
from webapp.common.database import get_db  # noqa: E402

LANGUAGES = ("es", "eu", "en", "fr", "ar")
BATCH = 20_000


def _bulk(db_session, model, rows: list[dict]) -> None:
    for at in range(0, len(rows), BATCH):
        db_session.execute(insert(model), rows[at : at + BATCH])


def store_walks(app, walks: int, bookings: int, first: datetime, last: datetime) -> None:
    """``walks`` walks evenly from ``first`` to ``last``, ``bookings`` bookings on them."""
    per_walk = max(1, bookings // walks)
    with get_db(app).transaction(write_lock=True) as db_session:
        tour_ids = list(db_session.scalars(select(TourRecord.id).order_by(TourRecord.id)))
        guides = list(db_session.scalars(select(GuideRecord.id).order_by(GuideRecord.id)))
        step = (last - first) / walks
        rows, booking_rows, marks, feedback, debriefs, waiting = [], [], [], [], [], []
        for n in range(walks):
            starts_at = first + step * n
            rows.append({
                "id": n + 1, "tour_id": tour_ids[n % len(tour_ids)], "starts_at": starts_at,
                "timezone": "Europe/Madrid", "language": LANGUAGES[n % len(LANGUAGES)],
                "capacity": per_walk * 2, "max_party": 6, "seats_taken": 0, "seats_held": 0,
                "guide_id": None if n % 8 == 0 else guides[n % len(guides)],
                "meeting_stop_id": "plaza", "meeting_name": {"es": "Plaza"},
                "meeting_lon": -2.93, "meeting_lat": 43.25,
                "status": "cancelled" if n % 20 == 7 else "scheduled", "private": n % 10 == 3,
                "created_at": starts_at - timedelta(days=30),
            })  # fmt: skip
        for number in range(bookings):
            walk = rows[number % walks]
            size = 1 + number % 2
            walk["seats_taken"] += size
            booking_id = number + 1
            booking_rows.append({
                "id": booking_id, "reference": f"B{number:09d}", "departure_id": walk["id"],
                "party_size": size, "status": "confirmed",
                "language": LANGUAGES[number % len(LANGUAGES)],
                "name": f"Booker {number}", "email": f"booker{number}@example.org",
                "created_at": walk["created_at"],
            })  # fmt: skip
            marks.append({
                "booking_id": booking_id, "state": "arrived" if number % 5 else "no_show",
                "idempotency_key": f"bench-{booking_id:010d}", "recorded_at": walk["starts_at"],
            })  # fmt: skip
            if number % 2 == 0:
                answered = number % 4 == 0
                feedback.append({
                    "booking_id": booking_id, "departure_id": walk["id"],
                    "asked_at": walk["starts_at"], "opted_out_at": None,
                    "answered_at": walk["starts_at"] + timedelta(days=1) if answered else None,
                    "rating": 1 + number % 5 if answered else None,
                    "recommend": number % 3 != 0 if answered else None,
                    "learned": f"Something I learned, {number}" if answered else None,
                    "followed_language": walk["language"],
                    "quote_consent": answered and number % 8 == 0,
                    "credit": "first" if answered and number % 8 == 0 else None,
                    "credit_name": "Ane" if answered and number % 8 == 0 else None,
                })  # fmt: skip
        for walk in rows:
            if walk["id"] % 2 == 0:
                debriefs.append({
                    "departure_id": walk["id"], "guide_id": walk["guide_id"],
                    "headcount": walk["seats_taken"], "rating": 1 + walk["id"] % 5,
                    "notes": "", "incidents": "", "route_change_needed": walk["id"] % 9 == 0,
                    "route_change": "",
                })  # fmt: skip
            if walk["id"] % 50 == 0:
                waiting.append({
                    "departure_id": walk["id"], "party_size": 2, "status": "expired",
                    "language": "es", "name": "Waiting", "email": "w@example.org",
                })  # fmt: skip
        _bulk(db_session, Departure, rows)
        _bulk(db_session, Booking, booking_rows)
        _bulk(db_session, CheckIn, marks)
        _bulk(db_session, WalkFeedback, feedback)
        _bulk(db_session, Debrief, debriefs)
        _bulk(db_session, WaitlistEntry, waiting)


def timed(client, url: str) -> float:
    return timed_get(client, url)[0]


def main() -> None:
    run_notes.begin()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--walks", type=int, default=10_000)
    parser.add_argument("--bookings", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--max-ratio", type=float, default=3.0)
    args = parser.parse_args()
    now = utcnow()
    this_month = datetime(now.year, now.month, 1, tzinfo=UTC)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    month = f"period=month&year={last_month.year}&month={last_month.month}"
    year_ago = date(last_month.year - 1, last_month.month, 1) + timedelta(days=31)
    twelve = f"from={year_ago.replace(day=1)}&to={(this_month - timedelta(days=1)).date()}"
    four_years = f"from={(this_month - timedelta(days=4 * 365)).date()}&to={now.date()}"
    pages = (
        ("report, last month", f"/console/impact?{month}", True),
        ("CSV, last month", f"/console/impact.csv?{month}", True),
        ("report, this year", "/console/impact", True),
        ("report, 12 months", f"/console/impact?period=custom&{twelve}", True),
        ("report, four years", f"/console/impact?period=custom&{four_years}", False),
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        small, large = coordinator_app(folder, "small"), coordinator_app(folder, "large")
        per_walk = args.bookings // args.walks
        store_walks(
            small,
            10,
            10 * per_walk,
            last_month + timedelta(days=1),
            last_month + timedelta(days=20),
        )
        store_walks(
            large, args.walks, args.bookings, this_month - timedelta(days=4 * 365), this_month
        )
        print(f"stored in {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        with large.app_context():
            walks = store_due_figures(large, batches=10**6)
        print(f"figures of {walks:,} walks stored in {time.perf_counter() - began:.1f} s")
        with small.app_context():
            store_due_figures(small)
        apps = {"small": small, "large": large}
        clients = {size: logged_in(app) for size, app in apps.items()}
        times = {(name, size): [] for name, _url, _gated in pages for size in clients}
        statements = {}
        for name, url, _gated in pages:  # warm-up, and the statements of one request each
            for size, client in clients.items():
                client.get(url)
                counter = Statements(get_db(apps[size]).engine)
                timed(client, url)
                statements[name, size] = counter.count
                counter.remove()
        for _ in range(args.runs):
            for name, url, _gated in pages:
                for size, client in clients.items():
                    times[name, size].append(timed(client, url))
        print(f"{'request':20} {'10 walks':>10} {args.walks:>7,} walks  ratio  statements")
        missed = []
        for name, _url, gated in pages:
            found = compare(name, times, statements)
            print(found.line(20, digits=1) + ("" if gated else "  (for information)"))
            if gated and found.missed(args.max_ratio):
                missed.append(name)
        for app in apps.values():
            get_db(app).engine.dispose()
    finish(
        missed, f"target: each report and the CSV at most {args.max_ratio:g}x the 10-walk figure"
    )


if __name__ == "__main__":
    main()
