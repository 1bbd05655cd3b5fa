"""Tour page benchmark: throughput against ``/healthz`` under gunicorn, and page weight.

    python bench/page_bench.py [--duration 10] [--connections 8] [--skip-browser]

1. Loads the sample routes into a temporary SQLite database, schedules walks on the
   measured tour (so its page lists departures, as a live one does) and starts gunicorn
   with 2 workers on a free loopback port (rate limits off, tiles off).
2. Prints, in-process, what compressing the tour page costs at each brotli and gzip level
   against its size, and which level the app uses (``COMPRESS_BR_LEVEL``).
3. Loads the tour page and the trivial ``/healthz`` of the same app with Debian's wrk
   (``bench/wrk_support.py``; headers as a browser's: Spanish, brotli), in alternating
   short rounds in one run, and prints wrk's figures (requests per second, p50, p95) and
   the ratio (goal: at least 0.5, with the default settings).  It does so twice: with
   the rendered-page cache on (the default) and off (``BIDEAN_PAGE_CACHE=false``, every
   view renders ``tour.html``; the map fragment stays cached), to show what it is worth.
   Beforehand it prints, in-process, what one Folium map render costs against a hit.
4. Loads the tour page in Chromium with an empty cache and sums what was transferred
   (``Network.loadingFinished`` encodedDataLength: bytes on the wire, headers included,
   compressed as sent; tiles excluded: they are off), then once more with a warm cache
   (goals: at most 70 KB on the first visit, at most 10 KB on the second).  The same for
   a 1,000-stop tour with a 100,000-vertex route (the import benchmark's tour), zoomed
   in on each visit so that the exact route is fetched too (goal: at most 30 KB on the
   second visit).

Figures are ratios and sizes measured in one run on this machine, not absolute goals.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from statistics import median

import brotli
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from wrk_support import WrkRun, run_wrk  # noqa: E402

from bench import run_notes  # noqa: E402
from tests.webapp.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tours.booking.departures import DepartureRequest, schedule  # noqa: E402
from tours.booking.models import Departure  # noqa: E402
from tours.tour.models import TourRecord  # noqa: E402
from tours.tour.store import StoredTour  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.commands.samples import (  # noqa: E402
    load_sample_guides,
    load_sample_routes,
    schedule_sample_departures,
)
from webapp.common import maps  # noqa: E402
from webapp.common.database import get_db, upgrade  # noqa: E402
from webapp.common.departure_views import DEPARTURES_SHOWN  # noqa: E402
from webapp.common.httpcache import PIECE_GZIP_LEVEL, PiecedBody  # noqa: E402
from webapp.common.i18n import TRANSLATION_DIRECTORIES, ensure_compiled  # noqa: E402
from webapp.common.tiles import tiles_from_config  # noqa: E402
from webapp.public.pagecache import FRAGMENT, page_cache  # noqa: E402

RATIO_GOAL = 0.5
FIRST_VISIT_GOAL_KB = 70
REPEAT_VISIT_GOAL_KB = 10
BIG_REPEAT_VISIT_GOAL_KB = 30
BIG_SLUG = "benchmark-walk"
ROUNDS = 5
CONNECTIONS = 8
ENCODINGS = "gzip, deflate, br"
# As a browser asks: in Spanish, the page compressed as it would be sent to one.
BROWSER_HEADERS = {"Accept-Language": "es", "Accept-Encoding": ENCODINGS}
PLAIN = {"Accept-Encoding": ""}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(workdir: Path, big: bool = False) -> tuple[str, str]:
    """A migrated SQLite database holding the sample tours (and with ``big`` the
    import benchmark's 100,000-vertex, 1,000-stop tour); returns (URL, a sample's slug)."""
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(workdir)})
    upgrade(get_db(app).engine)
    stored = load_sample_routes(app)
    if not stored:
        sys.exit("No sample routes in data/routes: nothing to benchmark.")
    biggest = max(stored, key=lambda s: len(s.tour.stops))
    map_fragment_cost(app, biggest)
    if big:
        geojson_cost(app, store_big_tour(app))
    get_db(app).engine.dispose()
    return url, biggest.slug


def schedule_walks(database_url: str, workdir: Path, slug: str) -> int:
    """The sample guides and walks, and more walks of ``slug`` so that its page lists as
    many as it shows (``DEPARTURES_SHOWN``), seats partly taken: a page as a live site's.
    Returns how many of ``slug``'s walks are upcoming."""
    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(workdir)}
    )
    load_sample_guides(app)
    schedule_sample_departures(app)
    start = datetime.combine(date.today() + timedelta(days=15), dt_time(18))
    dates = [start.date() + timedelta(days=2 * n) for n in range(DEPARTURES_SHOWN)]
    with get_db(app).transaction(write_lock=True) as db_session:
        walks = schedule(db_session, DepartureRequest(slug, start, "es", 20), dates=dates)
        for n, walk in enumerate(walks):
            walk.seats_taken = n % 7
        upcoming = db_session.scalar(
            select(func.count())
            .select_from(Departure)
            .join(TourRecord)
            .where(TourRecord.slug == slug)
        )
    get_db(app).engine.dispose()
    return upcoming or 0


def geojson_cost(app, stored: StoredTour, rounds: int = 20) -> None:
    """In-process: the big tour's versioned GeoJSON, first asked (serialised and brotli-
    compressed once) against every later request (served from the per-version cache)."""
    client = app.test_client()
    url = f"/api/tours/{stored.slug}.geojson?v={stored.version}"
    headers = {"Accept-Encoding": ENCODINGS}
    started = time.perf_counter()
    first = client.get(url, headers=headers)
    once = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(rounds):
        client.get(url, headers=headers)
    hit = (time.perf_counter() - started) / rounds
    print(
        f"GeoJSON of {stored.slug} ({len(stored.tour.route[0]):,} vertices): first request "
        f"{once * 1000:.0f} ms (serialise + brotli, {len(first.data) / 1024:.0f} KB sent), "
        f"then {hit * 1000:.2f} ms per request"
    )


def store_big_tour(app) -> StoredTour:
    """The import benchmark's tour (100,000 route vertices, 1,000 stops), imported."""
    from import_bench import build_tour

    from tours.content.checking.pipeline import validate_bytes
    from tours.tour.store import save_tour

    data = json.dumps(build_tour()).encode()
    result = validate_bytes(data, f"{BIG_SLUG}.geojson")
    if result.tour is None:
        sys.exit("the big benchmark tour is not valid:\n" + result.report.to_text())
    with get_db(app).transaction(write_lock=True) as db_session:
        return save_tour(db_session, result.tour, f"{BIG_SLUG}.geojson")


def map_fragment_cost(app, stored: StoredTour, rounds: int = 30) -> None:
    """In-process: one Folium render of the tour map against one cache hit."""
    with app.test_request_context("/"):
        tiles = tiles_from_config(app.config)
        started = time.perf_counter()
        for _ in range(rounds):
            maps.render_tour_map(stored.tour, "es", tiles)
        render = (time.perf_counter() - started) / rounds
        maps.tour_map_html(stored, "es")
        started = time.perf_counter()
        for _ in range(rounds * 100):
            maps.tour_map_html(stored, "es")
        hit = (time.perf_counter() - started) / (rounds * 100)
    print(
        f"map fragment of {stored.slug}: render {render * 1000:.2f} ms, "
        f"cache hit {hit * 1000:.3f} ms ({render / hit:.0f}x)"
    )


def compression_levels(database_url: str, workdir: Path, slug: str) -> None:
    """In-process: the tour page compressed whole on each request (brotli, gzip: how every
    other page is served) against served from segments deflated once per list of walks
    (``PiecedBody``) at each gzip level: the cost once, the cost per request, the bytes."""
    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(workdir)}
    )
    page = app.test_client().get(f"/tours/{slug}", headers=BROWSER_HEADERS | PLAIN).data
    (served,) = page_cache(app).held(FRAGMENT)  # the page's segments, walks filled in
    get_db(app).engine.dispose()
    segments = [data.decode() for data in served.body.data]
    holes, widths = served.body.holes, served.body.widths
    nonce = {name: b"n" * width for name, width in widths.items()}
    rows = []
    for quality in range(5):
        size = len(brotli.compress(page, quality=quality))
        each = per_call(lambda q=quality: brotli.compress(page, quality=q))
        rows.append((f"brotli {quality}, whole page", None, each, size))
    for level in (1, 6, 9):
        each = per_call(lambda lv=level: gzip.compress(page, lv))
        rows.append((f"gzip {level}, whole page", None, each, len(gzip.compress(page, level))))
    for level in (1, 6, 9):
        body = PiecedBody(segments, holes, widths, level)
        once = per_call(lambda lv=level: PiecedBody(segments, holes, widths, lv))
        size = len(body.gzip(nonce) or b"")
        rows.append((f"gzip {level}, pieces", once, per_call(lambda b=body: b.gzip(nonce)), size))
    print(f"compressing the {len(page) / 1024:.1f} KB tour page (in-process, ms):")
    for name, once, each, size in rows:
        made = f"once {once:6.2f}" if once is not None else " " * 11
        print(f"    {name:<24} {made}  per request {each:6.3f}  {size / 1024:5.1f} KB")
    print(
        f"    served: gzip {PIECE_GZIP_LEVEL}, pieces (PIECE_GZIP_LEVEL), to clients that take "
        f"gzip; other pages brotli {app.config['COMPRESS_BR_LEVEL']} on each request"
    )


def per_call(work, budget: float = 0.2) -> float:
    """Milliseconds one call of ``work`` takes: the best of 5 batches (the machine is shared)."""
    work()
    calls = max(1, int(budget / 5 / max(1e-6, timed(work))))
    return min(timed(work, calls) for _ in range(5)) * 1000


def timed(work, calls: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        work()
    return (time.perf_counter() - started) / calls


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_gunicorn(database_url: str, workdir: Path, settings: dict[str, str]) -> Server:
    """gunicorn on a free loopback port; ``settings`` are extra ``BIDEAN_*`` variables."""
    port = free_port()
    env = {
        **os.environ,
        "BIDEAN_DATABASE_URL": database_url,
        "BIDEAN_SECRET_KEY": "bench",
        "BIDEAN_RATELIMIT_ENABLED": "false",
        "BIDEAN_TILES_URL": "none",
        **settings,
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "webapp:create_app()",
    ]
    log = workdir / f"gunicorn-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return Server(process, port, log)
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("gunicorn did not start within 30 s")


def check_ok(server: Server, path: str) -> None:
    """Stop with the server's log when a page does not work: its speed would mean nothing."""
    url = f"http://127.0.0.1:{server.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
    except urllib.error.HTTPError as error:
        server.stop()
        sys.exit(f"{path} answered {error.code}:\n{server.log.read_text(errors='replace')[-3000:]}")


def load(server: Server, path: str, seconds: float, connections: int) -> WrkRun:
    """wrk's figures for ``path`` under ``connections`` connections for ``seconds``."""
    url = f"http://127.0.0.1:{server.port}{path}"
    return run_wrk(url, seconds=seconds, connections=connections, headers=BROWSER_HEADERS)


def throughput(
    database_url: str, workdir: Path, slug: str, args: argparse.Namespace, page_cache: bool
) -> float:
    """Tour page requests per second under wrk; prints it beside ``/healthz`` (rate, p50,
    p95 as wrk measured them) and their ratio."""
    settings = {} if page_cache else {"BIDEAN_PAGE_CACHE": "false"}
    server = start_gunicorn(database_url, workdir, settings)
    page = f"/tours/{slug}"
    runs: dict[str, list[WrkRun]] = {"/healthz": [], page: []}
    try:
        check_ok(server, page)
        load(server, page, 1, args.connections)  # warm-up: every worker builds its caches
        # Alternating short rounds, so a busy moment on the machine hits both endpoints.
        for _ in range(ROUNDS):
            for path, found in runs.items():
                found.append(load(server, path, args.duration / ROUNDS, args.connections))
    finally:
        server.stop()
    label = "page cache on " if page_cache else "page cache off"
    for path, found in runs.items():
        p50, p95 = median(r.p50_ms for r in found), median(r.p95_ms for r in found)
        rounds = ", ".join(f"{r.rate:.0f}" for r in found)
        print(
            f"[{label}] {path:<40} {rate(found):7.1f} req/s  p50 {p50:5.1f} ms  p95 {p95:5.1f} ms"
            f"  (rounds: {rounds} req/s; errors {sum(r.errors for r in found)})"
        )
    health, tour = rate(runs["/healthz"]), rate(runs[page])
    ratios = [p.rate / h.rate for h, p in zip(runs["/healthz"], runs[page], strict=True)]
    errors = sum(r.errors for found in runs.values() for r in found)
    goal = f"(goal >= {RATIO_GOAL})" if page_cache else "(for information)"
    print(
        f"[{label}] ratio {tour / health:.2f} {goal}; by round {min(ratios):.2f}-{max(ratios):.2f}"
    )
    if page_cache and (tour / health < RATIO_GOAL or errors):
        MISSED.append(f"tour page throughput {tour / health:.2f} of /healthz, {errors} errors")
    return tour


def rate(runs: list[WrkRun]) -> float:
    """Requests per second over all of ``runs`` together."""
    return sum(r.requests for r in runs) / sum(r.seconds for r in runs)


def load_average() -> str:
    """The machine's load as ``/proc/loadavg`` gives it (1, 5 and 15 minutes)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


#: The goals this run missed; the bench exits non-zero when there are any.
MISSED: list[str] = []


def page_weight(database_url: str, workdir: Path, slug: str, big: bool) -> None:
    """Bytes on the wire for a first and a repeat visit, in Chromium, per tour."""
    from playwright.sync_api import sync_playwright

    server = start_gunicorn(database_url, workdir, {})
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            visits(browser, server, slug, FIRST_VISIT_GOAL_KB, REPEAT_VISIT_GOAL_KB)
            if big:
                visits(browser, server, BIG_SLUG, None, BIG_REPEAT_VISIT_GOAL_KB, zoom_in=True)
            browser.close()
    finally:
        server.stop()


class Wire:
    """Bytes each request of a page took on the wire (CDP ``Network`` events)."""

    def __init__(self, context, page) -> None:
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.cached: set[str] = set()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        self.cdp = cdp

    def _sent(self, event: dict) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _received(self, event: dict) -> None:
        if event["response"].get("fromDiskCache"):
            self.cached.add(event["requestId"])

    def _finished(self, event: dict) -> None:
        self.sizes[event["requestId"]] = int(event["encodedDataLength"])

    def clear(self) -> None:
        self.urls.clear()
        self.sizes.clear()
        self.cached.clear()

    def rows(self) -> list[tuple[int, str, bool]]:
        return sorted(
            ((self.sizes.get(rid, 0), url, rid in self.cached) for rid, url in self.urls.items()),
            reverse=True,
        )


def visits(
    browser,
    server: Server,
    slug: str,
    first_goal: float | None,
    repeat_goal: float,
    zoom_in: bool = False,
) -> None:
    """A first visit with an empty cache, then a second one; prints bytes per request."""
    url = f"http://127.0.0.1:{server.port}/tours/{slug}"
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-ES")
    page = context.new_page()
    wire = Wire(context, page)
    for visit, goal in (("first visit (empty cache)", first_goal), ("second visit", repeat_goal)):
        wire.clear()
        page.goto(url)
        page.wait_for_selector("html[data-map-ready]")
        if zoom_in:
            # Close enough that the simplified route no longer will do: map.js fetches the
            # exact one from the versioned GeoJSON (the second visit from its cache).
            page.evaluate(
                "document.querySelector('.tour-map [data-bidean-map]').bideanMap.setZoom(17)"
            )
            page.wait_for_selector('.tour-map [data-bidean-route="exact"]', timeout=120_000)
        page.wait_for_load_state("networkidle")
        rows = wire.rows()
        total = sum(size for size, _, _ in rows)
        verdict = f"(goal <= {goal} KB)" if goal else "(no goal)"
        if goal and total / 1024 > goal:
            MISSED.append(f"{slug}, {visit}: {total / 1024:.1f} KB")
        print(f"{slug}, {visit}: {len(rows)} requests, {total / 1024:.1f} KB transferred {verdict}")
        for size, request_url, from_cache in rows:
            where = " (from cache)" if from_cache else ""
            path = request_url.split(str(server.port), 1)[-1]
            print(f"    {size / 1024:7.1f} KB  {path}{where}")
    context.close()


def main() -> None:
    run_notes.begin()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument(
        "--connections", type=int, default=CONNECTIONS, help="wrk's concurrent connections"
    )
    parser.add_argument("--skip-browser", action="store_true", help="no Chromium page weight")
    parser.add_argument(
        "--skip-big", action="store_true", help="no 100,000-vertex tour in the page weight"
    )
    args = parser.parse_args()
    # A fresh clone has no compiled catalogues: measure translated pages, as served.
    ensure_compiled([REPO / "webapp" / TRANSLATION_DIRECTORIES])
    with tempfile.TemporaryDirectory(prefix="bidean-bench-") as tmp:
        workdir = Path(tmp)
        big = not (args.skip_browser or args.skip_big)
        database_url, slug = prepare_database(workdir, big=big)
        walks = schedule_walks(database_url, workdir, slug)
        print(f"{slug}: {walks} walks scheduled, {DEPARTURES_SHOWN} listed on its page")
        compression_levels(database_url, workdir, slug)
        print(
            f"gunicorn, 2 workers; wrk, {args.connections} connections, {ROUNDS} rounds of "
            f"{args.duration / ROUNDS:g} s per endpoint, by turns; load {load_average()}"
        )
        cached = throughput(database_url, workdir, slug, args, page_cache=True)
        uncached = throughput(database_url, workdir, slug, args, page_cache=False)
        print(f"the page cache serves the tour page {cached / uncached:.1f}x as fast")
        if args.skip_browser or not CHROMIUM.exists():
            print("page weight: skipped (no Chromium or --skip-browser)")
        else:
            page_weight(database_url, workdir, slug, big)
    if MISSED:
        sys.exit("goals missed: " + "; ".join(MISSED))


if __name__ == "__main__":
    main()
