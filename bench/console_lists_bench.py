"""The console's lists of walks at scale: the coordinator's upcoming walks
(``/console/admin/departures``) and a guide's own walks (``/console/``), with 10,000 walks
against 10.

In-process (the Flask test client, no server), each app on its own SQLite file with the
sample tours and guides, a coordinator and a guide (Youssef) logged in.  The small app has
10 walks in the coming week; the large one has ``--walks`` walks from two years back to two
years ahead (every tour, language and guide; one in eight without a guide, one in twenty
cancelled), written with bulk inserts.

Each list is requested in turns, small then large, ``--runs`` times, so whatever else
loads the machine weighs on both alike: its first page, a page far into it (reached by
following its "Later walks" links, so through the cursor) against the small app's first
page, and the coordinator's list filtered by guide and language.  It prints the median of
each, the ratio, the walks shown and the SQL statements a request issues, and exits 1 when
a ratio is over ``--max-ratio`` (2) or a page of the large app issues more statements than
the small one's.

    python bench/console_lists_bench.py [--walks 10000] [--runs 30] [--max-ratio 2]
"""

from __future__ import annotations

import argparse
import re
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
    COORDINATOR_PASSWORD,
    Statements,
    compare,
    coordinator_app,
    finish,
    logged_in,
    timed_get,
)
from bench.dashboard_bench import _departure  # noqa: E402
from guides.accounts import create_account  # noqa: E402
from guides.models import GuideRecord  # noqa: E402
from tours.booking.models import Departure  # noqa: E402
from tours.db import utcnow  # noqa: E402
from tours.tour.models import TourRecord  # noqa: E402
from webapp.common.database import get_db  # noqa: E402

GUIDE = "youssef"
GUIDE_EMAIL = "youssef@example.org"
DEEP_PAGE = 20  # how many "Later walks" links the deep page is from the first
LATER = re.compile(r'href="([^"]+)" rel="next"')
SHOWN = re.compile(r'class="walk-link"')


def store_walks(app, walks: int, *, spread_days: float, back_days: float) -> None:
    """``walks`` walks evenly from ``back_days`` ago over ``spread_days``, some seats taken."""
    now = utcnow()
    with get_db(app).transaction(write_lock=True) as db_session:
        tour_ids = list(db_session.scalars(select(TourRecord.id).order_by(TourRecord.id)))
        guides = list(db_session.scalars(select(GuideRecord.id).order_by(GuideRecord.id)))
        step = timedelta(days=spread_days) / max(walks, 1)
        first = now - timedelta(days=back_days) + timedelta(hours=1)
        rows = [_departure(n, tour_ids, guides, first + step * n, None) for n in range(walks)]
        for n, row in enumerate(rows):
            row["seats_taken"] = n % 13 if row["status"] == "scheduled" else 0
        db_session.execute(insert(Departure), rows)
        create_account(
            db_session, GUIDE_EMAIL, "guide", guide_id=GUIDE, password=COORDINATOR_PASSWORD
        )


def guide_client(app):
    """A test client logged in as the guide, asking for English."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    credentials = {"email": GUIDE_EMAIL, "password": COORDINATOR_PASSWORD}
    response = client.post("/console/login", data=credentials)
    assert response.status_code == 302, response.status_code
    return client


def deep_url(client, url: str, pages: int) -> str:
    """The URL ``pages`` "Later walks" links after ``url`` (the last one there is)."""
    for _ in range(pages):
        found = LATER.search(client.get(url).get_data(as_text=True))
        if found is None:
            break
        url = found.group(1).replace("&amp;", "&")
    return url


def main() -> None:
    run_notes.begin()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--walks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--max-ratio", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        apps = {size: coordinator_app(folder, size) for size in ("small", "large")}
        store_walks(apps["small"], 10, spread_days=6, back_days=0)
        store_walks(apps["large"], args.walks, spread_days=4 * 365, back_days=2 * 365)
        print(f"stored in {time.perf_counter() - began:.1f} s")
        coordinators = {size: logged_in(app) for size, app in apps.items()}
        guides = {size: guide_client(app) for size, app in apps.items()}
        departures = "/console/admin/departures"
        # (list, who asks, the small app's URL, the large app's URL)
        lists = [
            ("departures, first page", coordinators, departures, departures),
            ("departures, page 21", coordinators, departures,
             deep_url(coordinators["large"], departures, DEEP_PAGE)),
            ("departures, filtered", coordinators, f"{departures}?guide=aminata&language=es",
             f"{departures}?guide=aminata&language=es"),
            ("guide's walks, first page", guides, "/console/", "/console/"),
            ("guide's walks, page 11", guides, "/console/",
             deep_url(guides["large"], "/console/", 10)),
        ]  # fmt: skip
        times = {(name, size): [] for name, *_ in lists for size in apps}
        statements, shown = {}, {}
        for name, clients, *urls in lists:  # warm-up, and one request's statements each
            for size, url in zip(apps, urls, strict=True):
                clients[size].get(url)
                counter = Statements(get_db(apps[size]).engine)
                _took, body = timed_get(clients[size], url)
                statements[name, size] = counter.count
                counter.remove()
                shown[name, size] = len(SHOWN.findall(body.decode()))
        for _ in range(args.runs):
            for name, clients, *urls in lists:
                for size, url in zip(apps, urls, strict=True):
                    times[name, size].append(timed_get(clients[size], url)[0])
        print(f"{'list':27} {'10 walks':>10} {args.walks:>7,} walks  ratio  statements   shown")
        missed = []
        for name, *_ in lists:
            found = compare(name, times, statements)
            print(f"{found.line(27)}  {shown[name, 'small']:>2} / {shown[name, 'large']:<3}")
            if found.missed(args.max_ratio):
                missed.append(name)
        for app in apps.values():
            get_db(app).engine.dispose()
    finish(missed, f"target: at most {args.max_ratio:g}x the 10-walk figure, no more statements")


if __name__ == "__main__":
    main()
