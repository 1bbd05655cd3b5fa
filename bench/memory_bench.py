"""A worker's memory while it renders many distinct large tours: bounded by ``CACHE_MB``.

Stores ``--tours`` distinct tours (default 1,000), each with a ``--vertices``-vertex
route (default 100,000) and 12 stops, straight into a fresh SQLite database (one
document is built and validated once; each tour is a copy under its own slug, written
with plain INSERTs so that building them takes seconds, not an import each).  Then one
in-process app (the worker) renders every tour's page, its ``.geojson`` and the
catalogue, and the bench prints the worker's resident memory (``VmRSS``) at start-up,
after the first tour, every 10% of the way and at the end, with what the byte cache
holds.

Start-up is a worker that has served one page of the kind measured, its cache then
emptied: the app created, one small sample tour's page and ``.geojson`` served (which
imports the map and page machinery a first page loads lazily, and compiles the
templates), then one of the large tours' (whose working set, the parsed 3.5 MB document
and its route as Python objects, Python's allocator keeps for the next render: about
35 MB, the same with ``--cache-mb 0``).  The RSS after each step is printed.  The cache
is then emptied, so every byte of the budget is still to fill.

Goal: the RSS after each tour, at its highest and at the end, stays under start-up plus
the cache budget; before the byte budget it grew by about 61 MB per distinct tour page.
Exits non-zero when it does not.

    python bench/memory_bench.py [--tours 1000] [--vertices 100000] [--cache-mb 64]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_support import sqlite_app  # noqa: E402
from tours.content.checking.pipeline import ValidationOptions, validate_document, validate_path  # noqa: E402
from tours.tour.catalogue import catalogue_facts  # noqa: E402
from tours.tour.store import save_tour  # noqa: E402
from webapp.common.bytecache import byte_cache  # noqa: E402
from webapp.common.database import get_db  # noqa: E402

STOPS = 12
SAMPLE = ROOT / "data" / "routes" / "bilbao-la-vieja-crossings.geojson"
SLUG = "large-walk-template"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def large_document(vertices: int) -> dict:
    """A street-like random walk of ``vertices`` positions in Bilbao with ``STOPS`` stops."""
    rng = random.Random(13)
    lon, lat = -2.95, 43.25
    line = []
    for _ in range(vertices):
        lon += rng.uniform(-0.0001, 0.00012)
        lat += rng.uniform(-0.0001, 0.00012)
        line.append([round(lon, 6), round(lat, 6)])
    step = vertices // STOPS
    stops = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": line[i * step]},
            "properties": {
                "id": f"stop-{i}",
                "name": {"es": f"Parada {i}", "en": f"Stop {i}"},
                "story": {"es": "Una historia del barrio. " * 20, "en": "A story. " * 20},
            },
        }
        for i in range(STOPS)
    ]
    route = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": line},
        "properties": {
            "profile": "bidean-tour/1",
            "slug": SLUG,
            "title": {"es": "Paseo largo", "en": "Long walk"},
            "summary": {"es": "Un paseo muy largo.", "en": "A very long walk."},
            "city": "Bilbao",
            "timezone": "Europe/Madrid",
            "districts": ["Zabala"],
            "languages": ["es", "en"],
            "licence": "CC-BY-SA-4.0",
        },
    }
    return {"type": "FeatureCollection", "features": [route, *stops]}


def store_copies(app, count: int, vertices: int) -> None:
    """``count`` copies of one validated tour, each under its own slug, in a few INSERTs."""
    result = validate_document(large_document(vertices), ValidationOptions())
    assert result.tour is not None, [p.message for p in result.report.errors]
    document = result.tour.to_document(with_scripts=True)
    facts = json.dumps(catalogue_facts(result.tour))
    text = json.dumps(document, separators=(",", ":"))
    engine = get_db(app).engine
    now = "2026-12-01 00:00:00.000000"
    for start in range(0, count, 50):
        with engine.begin() as conn:
            for n in range(start, min(count, start + 50)):
                slug = f"large-walk-{n:05d}"
                conn.exec_driver_sql(
                    "INSERT INTO tours (id, slug, city, current_version, status, created_at, "
                    "updated_at) VALUES (?, ?, 'Bilbao', 1, 'published', ?, ?)",
                    (n + 1, slug, now, now),
                )
                conn.exec_driver_sql(
                    "INSERT INTO tour_versions (id, tour_id, version, city, languages, title, "
                    "document, source_name, todo, imported_at) "
                    "VALUES (?, ?, 1, 'Bilbao', 'es en', '{}', ?, 'bench', '[]', ?)",
                    (n + 1, n + 1, text.replace(SLUG, slug, 1), now),
                )
                conn.exec_driver_sql(
                    "INSERT INTO tour_catalogue (tour_version_id, facts) VALUES (?, ?)",
                    (n + 1, facts),
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tours", type=int, default=1000)
    parser.add_argument("--vertices", type=int, default=100_000)
    parser.add_argument("--cache-mb", type=float, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = sqlite_app(folder, "memory", CACHE_MB=args.cache_mb)
        began = time.perf_counter()
        store_copies(app, args.tours, args.vertices)
        print(
            f"stored {args.tours} tours of {args.vertices:,} vertices in "
            f"{time.perf_counter() - began:.0f} s"
        )
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        cold_rss = rss_mb()
        with get_db(app).transaction(write_lock=True) as db_session:
            save_tour(db_session, validate_path(SAMPLE, ValidationOptions()).tour, "bench")
        for url in (
            "/tours/bilbao-la-vieja-crossings",
            "/api/tours/bilbao-la-vieja-crossings.geojson",
        ):
            assert client.get(url).status_code == 200, url
        sample_rss = rss_mb()
        for url in ("/tours/large-walk-00000", "/api/tours/large-walk-00000.geojson"):
            assert client.get(url).status_code == 200, url
        cache = byte_cache(app)
        cache.clear()
        gc.collect()
        start_rss = rss_mb()
        print(
            f"start-up RSS {start_rss:.0f} MB (app created: {cold_rss:.0f} MB; a sample page "
            f"served: {sample_rss:.0f} MB; one large tour served, the cache emptied: "
            f"{start_rss:.0f} MB, a working set of {start_rss - sample_rss:.0f} MB), "
            f"cache budget {args.cache_mb:g} MB"
        )
        began = time.perf_counter()
        first_rss = half_rss = start_rss
        peak = 0.0
        for n in range(args.tours):
            slug = f"large-walk-{n:05d}"
            for url in (f"/tours/{slug}", f"/api/tours/{slug}.geojson"):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
            if n % 25 == 0:
                assert client.get("/?lang=en").status_code == 200
            rss = rss_mb()
            peak = max(peak, rss)
            if n == 0:
                first_rss = rss
                print(f"after tour 1: RSS {rss:.0f} MB (page {len(response.data):,} bytes)")
            if (n + 1) % max(1, args.tours // 10) == 0 or n + 1 == args.tours:
                print(
                    f"after {n + 1:5} tours ({time.perf_counter() - began:5.0f} s): "
                    f"RSS {rss:6.0f} MB, cache {cache.bytes / 2**20:5.1f} MB "
                    f"in {len(cache)} entries"
                )
            if n + 1 == args.tours // 2:
                half_rss = rss
        end_rss = rss_mb()
        bound = start_rss + args.cache_mb
        print(
            f"RSS start-up {start_rss:.0f} MB, after the first tour {first_rss:.0f} MB, "
            f"end {end_rss:.0f} MB, peak {peak:.0f} MB; start-up + budget = {bound:.0f} MB: "
            f"end {'within' if end_rss <= bound else 'OVER'}, "
            f"peak {'within' if peak <= bound else 'OVER'}; "
            f"growth over the second half: {end_rss - half_rss:+.0f} MB"
        )
        get_db(app).engine.dispose()
    if max(peak, end_rss) > bound:
        sys.exit(f"the worker's RSS went above start-up + budget ({bound:.0f} MB)")


if __name__ == "__main__":
    main()
