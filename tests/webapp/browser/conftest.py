"""Browser fixtures: a real Bidean server process and Debian's Chromium driven by Playwright.

``live_server`` runs ``bidean serve`` in a subprocess on a free port, with its own SQLite
database and instance folder, tiles switched off (hermetic: no request may leave the
machine) and a sample-routes folder holding the Bilbao samples plus the test tours
below, which ``bidean serve`` loads through the real importer on first start.
``start_live_server`` starts another one with other settings or extra tour files.

The browser is never downloaded: tests skip when /usr/bin/chromium is absent, and fail
instead when ``BIDEAN_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.webapp.browser.chromium import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[3]
# Every context sends Accept-Language, as every real browser does (Playwright's default
# context sends none); Spanish is the sample site's own language.
LOCALE = "es-ES"
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": LOCALE,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": LOCALE}
START_TIMEOUT_S = 60
RUNNING = re.compile(r"running on (http://\S+?)/? ")

# Every way content could break out of its context: HTML, attribute, JS string, template
# literal, script end.  ``window.__xss`` becoming defined means one of them ran.
XSS_PAYLOADS = (
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "${window.__xss=1}",
    "`backtick` ``",
    "</script>",
    "\"'><svg onload=window.__xss=1>",
)
HOSTILE = " ".join(XSS_PAYLOADS)

MAP_WALK_STOPS = 3  # published stops of the map-walk tour below


def _stop(ident: str, position: list[float], name: dict, status: str = "published", **more: Any):
    props: dict[str, Any] = {"id": ident, "name": name, "status": status}
    props["story"] = more.pop("story", {"es": f"Historia de la parada {ident}.", "ar": "قصة"})
    props.update(more)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": position},
        "properties": props,
    }


def map_walk_document(slug: str = "map-walk", text: str = "") -> dict[str, Any]:
    """A four-stop walk through San Francisco and Zabala: three published, one draft.

    ``text`` is appended to every title, name, story, community and district name.
    """
    route = [[-2.9262, 43.2556], [-2.9249, 43.2548], [-2.9236, 43.2541], [-2.9220, 43.2533]]
    suffix = f" {text}" if text else ""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": route},
            "properties": {
                "profile": "bidean-tour/1",
                "slug": slug,
                "title": {"es": "Paseo del mapa" + suffix, "ar": "جولة الخريطة" + suffix},
                "summary": {"es": "Un paseo corto por San Francisco y Zabala." + suffix},
                "city": "Bilbao",
                "timezone": "Europe/Madrid",
                "districts": ["San Francisco", "Zabala"],
                "languages": ["es", "ar"],
                "licence": "CC-BY-SA-4.0",
                "sample": True,
            },
        },
        _stop(
            "corazon",
            route[0],
            {"es": "Plaza Corazón de María" + suffix, "ar": "ساحة قلب مريم" + suffix},
        ),
        _stop("borrador", route[1], {"es": "Parada en borrador"}, status="draft"),
        _stop(
            "san-francisco",
            route[2],
            {"es": "Calle San Francisco" + suffix},
            story={"es": "Aquí abrió la primera tienda senegalesa del barrio." + suffix},
            community={"es": "Comunidad senegalesa" + suffix},
        ),
        _stop("zabala", route[3], {"es": "Parque de Zabala" + suffix}),
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [-2.9275, 43.2530],
                        [-2.9210, 43.2530],
                        [-2.9210, 43.2565],
                        [-2.9275, 43.2565],
                        [-2.9275, 43.2530],
                    ]
                ],
            },
            "properties": {"name": {"es": "Zabala" + suffix}},
        },
    ]
    return {"type": "FeatureCollection", "features": features}


def hostile_document() -> dict[str, Any]:
    """The map walk with every XSS payload in its title, names, stories and communities."""
    return map_walk_document("xss-walk", HOSTILE)


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log: Path
    instance: Path

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _wait_until_up(server_log: Path, process: subprocess.Popen) -> str:
    """The URL ``bidean serve`` announces, once ``/healthz`` answers there."""
    deadline = time.monotonic() + START_TIMEOUT_S
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bidean serve exited with {process.returncode}")
        if url is None:
            found = RUNNING.search(server_log.read_text(errors="replace"))
            url = found.group(1) if found else None
        if url is not None:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return url
            except (urllib.error.URLError, ConnectionError):
                pass
        time.sleep(0.1)
    raise RuntimeError(f"bidean serve did not answer within {START_TIMEOUT_S} s")


def launch_server(
    workdir: Path,
    *,
    tiles_url: str = "none",
    extra_tours: dict[str, dict] | None = None,
    env: dict[str, str] | None = None,
) -> LiveServer:
    """Start ``bidean serve`` on a free port with a fresh database and these tours."""
    routes = workdir / "routes"
    routes.mkdir(parents=True)
    for sample in sorted((REPO / "data" / "routes").glob("*.geojson")):
        shutil.copy(sample, routes / sample.name)
    # The images the samples name by a path beside them, re-encoded into the store on load.
    shutil.copytree(REPO / "data" / "routes" / "images", routes / "images")
    for name, document in (extra_tours or {}).items():
        (routes / f"{name}.geojson").write_text(json.dumps(document, ensure_ascii=False))
    instance = workdir / "instance"
    instance.mkdir()
    server_env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "BIDEAN_DATABASE_URL": f"sqlite:///{instance / 'bidean.sqlite3'}",
        "BIDEAN_SECRET_KEY": "browser-tests",
        "BIDEAN_SAMPLE_ROUTES_DIR": str(routes),
        "BIDEAN_TILES_URL": tiles_url,
        "BIDEAN_RATELIMIT_ENABLED": "false",
        **(env or {}),
    }
    log = workdir / "server.log"
    command = [sys.executable, "-c", "from webapp.cli import main; main()", "serve", "--port", "0"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=workdir, env=server_env, stdout=out, stderr=subprocess.STDOUT
        )
    server = LiveServer("", process, log, instance)
    try:
        server.url = _wait_until_up(log, process)
    except RuntimeError as error:
        server.stop()
        pytest.fail(f"{error}\n--- server log ---\n{server.log_text()}")
    for slug in extra_tours or {}:
        try:
            urllib.request.urlopen(f"{server.url}/tours/{slug}", timeout=10).close()
        except urllib.error.URLError as error:
            server.stop()
            pytest.fail(f"tour {slug!r} was not loaded ({error})\n{server.log_text()}")
    return server


@pytest.fixture(scope="session")
def start_live_server(tmp_path_factory) -> Iterator[Callable[..., LiveServer]]:
    """Start more servers: ``start_live_server(tiles_url=..., extra_tours={slug: doc})``."""
    started: list[LiveServer] = []

    def start(**kwargs: Any) -> LiveServer:
        server = launch_server(tmp_path_factory.mktemp("live"), **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def live_server(start_live_server) -> LiveServer:
    """Bidean on loopback, tiles off, with the samples plus ``map-walk`` and ``xss-walk``."""
    return start_live_server(
        extra_tours={"map-walk": map_walk_document(), "xss-walk": hostile_document()}
    )


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if os.environ.get("BIDEAN_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def _page(browser, options: dict[str, Any]):
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.fixture
def phone_page(browser):
    """A 360x740 touch phone."""
    context, page = _page(browser, PHONE)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser):
    """A 1280x800 desktop window."""
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture(params=["phone", "desktop"])
def any_page(request):
    """Each test once on a phone and once on a desktop."""
    return request.getfixturevalue(f"{request.param}_page")


@dataclass
class PageWatch:
    """What a page did besides rendering: requests, dialogs, script and console errors.

    Console errors include Content-Security-Policy violations, which Chromium reports there.
    """

    origin: str
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests to any host but the app (``data:`` and ``blob:`` URLs are local)."""
        return [
            url
            for url in self.requests
            if not url.startswith(("data:", "blob:", self.origin + "/"))
        ]


@pytest.fixture
def watch(live_server: LiveServer) -> Callable[..., PageWatch]:
    """``watch(page)`` records the page's requests, dialogs and errors from now on."""

    def attach(page, origin: str | None = None) -> PageWatch:
        seen = PageWatch(origin or live_server.origin)
        page.on("request", lambda request: seen.requests.append(request.url))
        page.on("pageerror", lambda error: seen.errors.append(str(error)))

        def on_console(message) -> None:
            # The browser asks for /favicon.ico on its own; whether one exists is not the page's
            # doing.
            if message.type == "error" and not message.location.get("url", "").endswith(
                "/favicon.ico"
            ):
                seen.console_errors.append(message.text)

        page.on("console", on_console)

        def on_dialog(dialog) -> None:
            seen.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return seen

    return attach
