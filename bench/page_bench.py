"""Tour page benchmark: throughput against ``/healthz`` under gunicorn, and page weight.

    python bench/page_bench.py [--duration 5] [--clients 4] [--skip-browser]

1. Loads the sample routes into a temporary SQLite database and starts gunicorn with
   2 workers on a free loopback port (rate limits off, tiles off).
2. Measures requests per second of a sample tour page and of the trivial ``/healthz``
   of the same app in the same run, with N client threads, and prints the ratio
   (goal: at least 0.5, with the default settings).  It does so twice: with the
   rendered-page cache on (the default) and off (``BIDEAN_PAGE_CACHE_SIZE=0``, every
   view renders ``tour.html``; the map fragment stays cached), to show what it is worth.
   Beforehand it prints, in-process, what one Folium map render costs against a hit.
3. Loads the tour page in Chromium with an empty cache and sums what was transferred
   (``Network.loadingFinished`` encodedDataLength, tiles excluded: they are off), then
   once more with a warm cache (goal: at most 250 KB on the first visit).

Figures are ratios and sizes measured in one run on this machine, not absolute goals.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.webapp.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tours.tour.store import StoredTour  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.commands.samples import load_sample_routes  # noqa: E402
from webapp.common import maps  # noqa: E402
from webapp.common.database import get_db, upgrade  # noqa: E402
from webapp.common.i18n import TRANSLATION_DIRECTORIES, ensure_compiled  # noqa: E402
from webapp.common.tiles import tiles_from_config  # noqa: E402

RATIO_GOAL = 0.5
WEIGHT_GOAL_KB = 250
ROUNDS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(workdir: Path) -> tuple[str, str]:
    """A migrated SQLite database holding the sample tours; returns (URL, a tour slug)."""
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(workdir)})
    upgrade(get_db(app).engine)
    stored = load_sample_routes(app)
    if not stored:
        sys.exit("No sample routes in data/routes: nothing to benchmark.")
    biggest = max(stored, key=lambda s: len(s.tour.stops))
    map_fragment_cost(app, biggest)
    get_db(app).engine.dispose()
    return url, biggest.slug


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


def hammer(port: int, path: str, clients: int, duration: float) -> tuple[float, int, int]:
    """(requests per second, bytes per response, errors) with ``clients`` threads."""
    counts = [0] * clients
    errors = [0] * clients
    size = [0]
    deadline = time.monotonic() + duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            try:
                conn.request("GET", path, headers={"Accept-Language": "es"})
                response = conn.getresponse()
                body = response.read()
                if response.status == 200:
                    counts[index] += 1
                    size[0] = len(body)
                else:
                    errors[index] += 1
                if response.will_close:  # gunicorn's sync workers close after each response
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started), size[0], sum(errors)


def throughput(
    database_url: str, workdir: Path, slug: str, args: argparse.Namespace, page_cache: bool
) -> float:
    """Tour page requests per second; prints it beside ``/healthz`` and their ratio."""
    settings = {} if page_cache else {"BIDEAN_PAGE_CACHE_SIZE": "0"}
    server = start_gunicorn(database_url, workdir, settings)
    page = f"/tours/{slug}"
    rates: dict[str, list[float]] = {"/healthz": [], page: []}
    errors = 0
    try:
        check_ok(server, page)
        hammer(server.port, page, args.clients, 1.0)  # warm-up: every worker builds its caches
        # Alternating short rounds, so a busy moment on the machine hits both endpoints.
        for _ in range(ROUNDS):
            for path, found in rates.items():
                rate, size, failed = hammer(server.port, path, args.clients, args.duration / ROUNDS)
                found.append(rate)
                errors += failed
    finally:
        server.stop()
    health, tour = (sum(found) / ROUNDS for found in rates.values())
    label = "page cache on " if page_cache else "page cache off"
    print(
        f"[{label}] /healthz {health:7.1f} req/s | {page} {tour:6.1f} req/s "
        f"({size / 1024:.1f} KB) | ratio {tour / health:.2f} (goal >= {RATIO_GOAL}) "
        f"| errors {errors}"
    )
    return tour


def page_weight(database_url: str, workdir: Path, slug: str) -> None:
    from playwright.sync_api import sync_playwright

    server = start_gunicorn(database_url, workdir, {})
    url = f"http://127.0.0.1:{server.port}/tours/{slug}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 360, "height": 740})
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            urls: dict[str, str] = {}
            sizes: dict[str, int] = {}
            cdp.on(
                "Network.requestWillBeSent",
                lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]),
            )
            cdp.on(
                "Network.loadingFinished",
                lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
            )
            for visit in ("first visit (empty cache)", "second visit (warm cache)"):
                urls.clear()
                sizes.clear()
                page.goto(url)
                page.wait_for_selector('[data-bidean-ready="true"]')
                page.wait_for_load_state("networkidle")
                rows = sorted(((sizes.get(rid, 0), u) for rid, u in urls.items()), reverse=True)
                total = sum(size for size, _ in rows)
                verdict = f"(goal <= {WEIGHT_GOAL_KB} KB)" if visit.startswith("first") else ""
                print(f"{visit}: {len(rows)} requests, {total / 1024:.1f} KB transferred {verdict}")
                for size, request_url in rows:
                    print(
                        f"    {size / 1024:7.1f} KB  {request_url.split(str(server.port), 1)[-1]}"
                    )
            browser.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per endpoint")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--skip-browser", action="store_true", help="no Chromium page weight")
    args = parser.parse_args()
    # A fresh clone has no compiled catalogues: measure translated pages, as served.
    ensure_compiled([REPO / "webapp" / TRANSLATION_DIRECTORIES])
    with tempfile.TemporaryDirectory(prefix="bidean-bench-") as tmp:
        workdir = Path(tmp)
        database_url, slug = prepare_database(workdir)
        print(f"gunicorn, 2 workers, {args.clients} client threads, {args.duration:g} s each")
        cached = throughput(database_url, workdir, slug, args, page_cache=True)
        uncached = throughput(database_url, workdir, slug, args, page_cache=False)
        print(f"the page cache serves the tour page {cached / uncached:.1f}x as fast")
        if args.skip_browser or not CHROMIUM.exists():
            print("page weight: skipped (no Chromium or --skip-browser)")
        else:
            page_weight(database_url, workdir, slug)


if __name__ == "__main__":
    main()
