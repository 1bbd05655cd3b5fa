"""A coordinator imports the real Vienna walk in Chromium: preview, fix, confirm as a draft.

The Vienna pair (a route file and a stops file from ``../shared/interop/real``) is the
one the command-line tests import: its stop names A…L give the order, its stories come
from a long ``title`` field, and it needs a time zone and a licence.
"""

from __future__ import annotations

import pytest

from guides.accounts import create_account
from tests.webapp.browser import console_steps as steps
from tests.webapp.browser.conftest import DESKTOP
from tours.db import make_engine, make_sessionmaker, transaction
from tours.tour.store import newest_version

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@example.org"
LETTERS = list("ABCDEFGHIJKL")


@pytest.fixture(scope="module")
def import_server(start_live_server):
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    factory = make_sessionmaker(engine)
    with transaction(factory, write_lock=True) as session:
        create_account(session, COORDINATOR, "admin", password=steps.PASSWORD)
    server.factory = factory  # type: ignore[attr-defined]
    yield server
    engine.dispose()


def test_a_coordinator_imports_the_vienna_walk_as_a_draft(import_server, browser, interop):
    server = import_server
    route = interop / "real" / "vienna_walk_route.geojson"
    stops = interop / "real" / "vienna_walk_stops.geojson"
    if not (route.exists() and stops.exists()):
        pytest.skip("the Vienna walk is not in ../shared/interop/real")
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.text else None,
    )
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith((server.origin, "data:")) else None,
    )

    steps.log_in(page, server.url, COORDINATOR)
    steps.open_import(page)
    steps.upload_files(page, route=route, stops=[stops], city="Wien", language="en")

    # The preview: the names are a sequence, so they give the order; the map numbers them.
    assert steps.stop_names(page) == LETTERS
    assert steps.source_positions(page)[:6] == [1, 2, 3, 5, 6, 4]
    page.wait_for_selector("[data-bidean-map][data-bidean-ready=true]")
    badges = page.locator(".bidean-marker__badge").all_inner_texts()
    assert sorted(badges, key=int) == [str(n) for n in range(1, 13)]
    assert "story ← title" in page.inner_text("#import-stops")
    # What is missing is listed with its place in the file and the field that fixes it.
    assert steps.problem_codes(page, "todo") == ["profile.missing-property"] * 4
    assert all(
        "vienna_walk_route.geojson, line 5, column 1" in p
        for p in steps.problem_places(page, "todo")
    )
    assert page.locator(".import-fix").count() == 4
    assert "A new tour, vienna-walk-route (version 1)." in page.inner_text("#import-outcome")

    # Fill what the files cannot say; take the files' order, then put F back in its place.
    steps.fill_options(page, timezone="Europe/Vienna", licence="CC-BY-4.0", order="source")
    steps.preview_again(page)
    assert steps.stop_names(page)[:6] == ["A", "B", "C", "F", "D", "E"]
    assert steps.problem_codes(page, "todo") == ["profile.missing-property"] * 2  # title, summary
    steps.move_stop(page, source_position=4, position=6)
    steps.preview_again(page)
    assert steps.stop_names(page) == LETTERS
    assert "set by hand in the preview" in page.inner_text("main")
    assert page.input_value("#timezone") == "Europe/Vienna"  # the options were kept

    landing = steps.confirm_import(page)
    assert "vienna-walk-route version 1 is stored as a draft." in page.inner_text(".flash")
    assert "a draft" in page.inner_text("main") and "vienna-walk-route" in page.inner_text("h1")
    assert page.locator("#stored-stops li").all_inner_texts() == LETTERS
    assert landing.startswith(server.url)
    with transaction(server.factory) as session:  # type: ignore[attr-defined]
        row = newest_version(session, "vienna-walk-route")
        assert row.version == 1 and row.tour.status == "draft"
        assert {item["pointer"].rsplit("/", 1)[-1] for item in row.todo} == {"title", "summary"}
        stored = [f["properties"]["name"]["en"] for f in row.document["features"][1:13]]
        assert stored == LETTERS
    assert errors == [] and foreign == []
    context.close()
