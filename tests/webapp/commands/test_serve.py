"""``bidean serve`` and the sample loader: the first start of a fresh installation."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tours.content.checking.pipeline import ValidationOptions
from tours.tour.store import current_versions, get_tour
from webapp.commands.media import validate_with_media
from webapp.commands.samples import SampleRoutesInvalid, load_sample_routes, load_samples_if_empty
from webapp.common.database import get_db
from webapp.media.store import media_key, store_for

REPO = Path(__file__).resolve().parents[3]
# A deadline so a broken server fails the test instead of hanging it; not a speed goal.
STARTUP_DEADLINE_S = 120


def stored_versions(app) -> list[tuple[str, int]]:
    with get_db(app).transaction() as db_session:
        return current_versions(db_session)


def test_load_sample_routes_stores_every_sample_through_the_importer(app, sample_routes):
    stored = load_sample_routes(app)
    assert sorted(s.slug for s in stored) == sorted(p.stem for p in sample_routes)
    assert all(s.version == 1 for s in stored)
    with get_db(app).transaction() as db_session:
        for path in sample_routes:
            expected = validate_with_media(path, ValidationOptions(), store_for(app)).tour
            stored = get_tour(db_session, path.stem).tour
            assert stored == expected
            # The images beside the samples are in the store, named by their key.
            for stop in stored.stops:
                for media in stop.media:
                    key = media_key(media.url)
                    assert key and store_for(app).get(key) is not None, media.url


def test_samples_load_only_into_an_empty_database(app):
    first = load_samples_if_empty(app)
    assert len(first) == 3
    assert load_samples_if_empty(app) == []
    assert [version for _slug, version in stored_versions(app)] == [1, 1, 1]


def test_an_invalid_sample_stores_nothing_and_says_what_is_wrong(app, sample_routes, tmp_path):
    shutil.copy(sample_routes[0], tmp_path / sample_routes[0].name)
    shutil.copytree(sample_routes[0].parent / "images", tmp_path / "images")
    (tmp_path / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [}')
    app.config["SAMPLE_ROUTES_DIR"] = str(tmp_path)
    with pytest.raises(SampleRoutesInvalid) as raised:
        load_sample_routes(app)
    assert [Path(r.file).name for r in raised.value.reports] == ["broken.geojson"]
    assert "broken.geojson" in str(raised.value)
    assert "line 1" in str(raised.value)
    assert stored_versions(app) == []


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def wait_for_url(lines: queue.Queue, output: list[str]) -> str:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        output.append(line)
        found = re.search(r"running on (http://\S+/)", line)
        if found:
            return found.group(1)
    pytest.fail("bidean serve did not start:\n" + "".join(output))


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


@contextmanager
def serving(database_url: str, cwd: Path) -> Iterator[tuple[str, str]]:
    """Run ``bidean serve --port 0`` in a subprocess; yields its URL and start-up output."""
    env = {
        **os.environ,
        "BIDEAN_DATABASE_URL": database_url,
        "BIDEAN_SECRET_KEY": "serve-test",
        "BIDEAN_SAMPLE_ROUTES_DIR": str(REPO / "data" / "routes"),
        "BIDEAN_RATELIMIT_ENABLED": "false",
        # Else serve records its random port in the checkout's instance folder, where the
        # developer's own `bidean` commands would take it for their links.
        "BIDEAN_PUBLIC_URL": "http://127.0.0.1:5000",
    }
    command = [sys.executable, "-c", "from webapp.cli import main; main()", "serve", "--port", "0"]
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    output: list[str] = []
    try:
        url = wait_for_url(lines, output)
        yield url, "".join(output)
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


SAMPLE_SLUGS = [
    "bilbao-la-vieja-crossings",
    "san-francisco-voices",
    "zabala-kitchens-and-workshops",
]


def test_serve_upgrades_loads_samples_and_serves(database_url, tmp_path):
    with serving(database_url, tmp_path) as (base, printed):
        for slug in SAMPLE_SLUGS:
            assert f"Loaded sample tour {slug!r} (version 1)." in printed
        status, body = get(base + "healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, body = get(base + "?lang=en")
        assert status == 200
        assert "Voices of San Francisco" in body
        status, body = get(base + "api/tours")
        assert sorted(t["slug"] for t in json.loads(body)) == SAMPLE_SLUGS
    # A second start finds the tours and loads nothing again.
    with serving(database_url, tmp_path) as (base, printed):
        assert "Loaded sample tour" not in printed
        status, body = get(base + "api/tours")
        assert [t["version"] for t in json.loads(body)] == [1, 1, 1]


def test_serve_has_host_and_port_options(runner):
    result = runner.invoke(args=["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--host" in result.output
    assert runner.invoke(args=["serve", "--port", "70000"]).exit_code != 0


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_takes_the_port_and_host():
    """``make run PORT=5101`` passes the port on to ``bidean serve`` (dry run: nothing starts)."""
    planned = subprocess.run(
        ["make", "-n", "run", "PORT=5101", "HOST=0.0.0.0"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert re.search(r"bidean serve --host 0\.0\.0\.0 --port 5101$", planned, re.M), planned
    default = subprocess.run(["make", "-n", "run"], cwd=REPO, capture_output=True, text=True)
    assert re.search(r"bidean serve --host 127\.0\.0\.1 --port 5000$", default.stdout, re.M)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_only_what_serving_needs():
    """Issue #19: ``make run`` installs the runtime dependencies; ``make test`` adds ``dev``."""

    def plan(target: str) -> str:  # -B: as on a fresh clone, every step planned
        return subprocess.run(
            ["make", "-n", "-B", target], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout

    run, test = plan("run"), plan("test")
    assert re.search(r"pip install --quiet -e \.$", run, re.M), run
    assert "[dev]" not in run
    assert "-e '.[dev]'" in test and "-e '.[dev]'" in plan("lint")
