"""A coordinator takes the real Vienna walk from its files to a published tour in Chromium:
upload, preview, fix the order, confirm as a draft, write in the editor, publish; a second
coordinator's stale save is refused; the replication kit re-imports to an equal tour.

The Vienna pair (a route file and a stops file from ``../shared/interop/real``) is the
one the command-line tests import: its stop names A…L give the order, its stories come
from a long ``title`` field, and it needs a time zone and a licence.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from guides.accounts import create_account
from tests.webapp.browser import console_steps as steps
from tests.webapp.browser import editor_steps as editor
from tests.webapp.browser.conftest import DESKTOP
from tours.db import make_engine, make_sessionmaker, transaction
from tours.tour.domain import Tour, without_scripts
from tours.tour.store import get_tour, newest_version

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@example.org"
OTHER = "second.coordinator@example.org"
GERMAN_STORY = "Hier beginnt der Spaziergang durch die Wiener Innenstadt."
LETTERS = list("ABCDEFGHIJKL")


@pytest.fixture(scope="module")
def import_server(start_live_server):
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    factory = make_sessionmaker(engine)
    with transaction(factory, write_lock=True) as db_session:
        create_account(db_session, COORDINATOR, "coordinator", password=steps.PASSWORD)
        create_account(db_session, OTHER, "coordinator", password=steps.PASSWORD)
    server.factory = factory  # type: ignore[attr-defined]
    yield server
    engine.dispose()


def test_a_coordinator_takes_the_vienna_walk_from_files_to_a_published_tour(
    import_server, browser, interop, tmp_path
):
    server = import_server
    route = interop / "real" / "vienna_walk_route.geojson"
    stops = interop / "real" / "vienna_walk_stops.geojson"
    if not (route.exists() and stops.exists()):
        pytest.skip("the Vienna walk is not in ../shared/interop/real")
    context = browser.new_context(**{**DESKTOP, "locale": "en"})
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
    outcome = page.inner_text("#import-outcome")  # its title (none yet), not its slug
    assert "A new tour, “Untitled tour” (version 1)." in outcome

    # Fill what the files cannot say; take the files' order, then put F back in its place.
    steps.fill_options(page, timezone="Europe/Vienna", licence="CC-BY-4.0", order="source")
    steps.preview_again(page)
    assert steps.stop_names(page)[:6] == ["A", "B", "C", "F", "D", "E"]
    assert steps.problem_codes(page, "todo") == ["profile.missing-property"] * 2  # title, summary
    steps.move_stop(page, source_position=4, position=6)
    steps.preview_again(page)
    assert steps.stop_names(page) == LETTERS
    assert "Order: as set by hand." in page.inner_text("main")
    assert page.input_value("#timezone") == "Europe/Vienna"  # the options were kept

    # Confirm: the draft is stored and the coordinator lands in the editor.
    landing = steps.confirm_import(page)
    assert "”, version 1, is stored as a draft." in page.inner_text(".flash")
    assert landing.startswith(f"{server.url}/console/tours/vienna-walk-route-wien")
    with transaction(server.factory) as db_session:  # type: ignore[attr-defined]
        row = newest_version(db_session, "vienna-walk-route-wien")
        assert row.version == 1 and row.tour.status == "draft"
        assert {item["pointer"].rsplit("/", 1)[-1] for item in row.todo} == {"title", "summary"}
        stored = [f["properties"]["name"]["en"] for f in row.document["features"][1:13]]
        assert stored == LETTERS
    assert not page.is_enabled("#publish-button")  # title and summary are still to do

    # Another coordinator opens the same draft now; their form will go stale.
    other_context = browser.new_context(**{**DESKTOP, "locale": "en"})
    other = other_context.new_page()
    other.set_default_timeout(20_000)
    editor.log_in(other, server.url, OTHER)
    editor.open_tour_from_list(other, server.url, "vienna-walk-route-wien")

    # The editor: a title and summary, then a German story beside the English one.
    editor.write_text(page, "tour-title", "Vienna, a walk of twelve stops")
    editor.write_text(page, "tour-summary", "A walk through Vienna's inner city.")
    editor.save(page)
    assert editor.to_do_items(page) == []
    first = editor.stop_order(page)[0]
    editor.choose_languages(page, write="de", read="en")
    assert editor.source_text(page, f"stop-{first}-story")  # the English story beside
    editor.write_text(page, f"stop-{first}-story", GERMAN_STORY)
    editor.save(page)
    assert "Published" in editor.publish(page)
    assert GERMAN_STORY in editor.public_page_text(page, server.url, "vienna-walk-route-wien", "de")

    # The other coordinator's save, from the form they opened before, is refused.
    editor.write_text(other, "tour-title", "Overwritten?")
    assert editor.save_is_refused_as_stale(other)
    with transaction(server.factory) as db_session:  # type: ignore[attr-defined]
        newest = newest_version(db_session, "vienna-walk-route-wien")
        assert newest.document["features"][0]["properties"]["title"]["en"] != "Overwritten?"
    other_context.close()

    # The replication kit downloads, and importing its GeoJSON gives the same tour: the
    # console finds nothing new to store.
    kit = page.request.get(f"{server.url}/tours/vienna-walk-route-wien/kit.zip")
    assert kit.status == 200
    folder = tmp_path / "kit"
    with zipfile.ZipFile(io.BytesIO(kit.body())) as archive:
        archive.extractall(folder)
    [geojson_file] = folder.glob("*/vienna-walk-route-wien.geojson")
    # (The public page in German left the interface in German: go by address.)
    page.goto(f"{server.url}/console/tours/import?lang=en")
    steps.upload_files(page, tour=geojson_file)
    assert "“Vienna, a walk of twelve stops”" in page.inner_text("#import-outcome")
    steps.confirm_import(page)
    with transaction(server.factory) as db_session:  # type: ignore[attr-defined]
        published = get_tour(db_session, "vienna-walk-route-wien", newest.version)
        reimported = newest_version(db_session, "vienna-walk-route-wien")
        again = Tour.from_document(reimported.document)
    assert reimported.version == newest.version + 1  # stored beside, as a draft
    assert again == Tour.from_document(without_scripts(published.tour.to_document()))
    assert errors == [] and foreign == []
    context.close()


def test_stops_without_a_route_get_straight_lines_to_redraw_in_the_editor(
    import_server, browser, interop
):
    """A real file of points only (Harlem's five stops): the preview offers the route
    file field and the button that draws the route; the editor lists it as approximate."""
    server = import_server
    points = interop / "real" / "nypl-harlem_walk_points.geojson"
    if not points.exists():
        pytest.skip("the Harlem points are not in ../shared/interop/real")
    context = browser.new_context(**{**DESKTOP, "locale": "en"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    steps.log_in(page, server.url, COORDINATOR)
    steps.open_import(page)
    steps.upload_files(page, tour=points, city="New York", language="en")
    assert steps.problem_codes(page, "error") == ["assemble.no-route"]
    # The field the error names is on this page, beside the button that draws the route.
    assert page.is_visible("#import-route #route") and page.is_visible("#draw-route-button")
    assert "5 stops but no route" in page.inner_text("#import-route")
    page.click("#draw-route-button")
    steps.wait_for_preview(page)
    assert steps.problem_codes(page, "error") == []
    assert "profile.approximate-route" in steps.problem_codes(page, "todo")
    assert len(steps.stop_names(page)) == 5 and page.is_visible("#route-drawn")
    page.wait_for_selector("[data-bidean-map][data-bidean-ready=true]")
    assert page.locator(".leaflet-overlay-pane path").count() >= 1  # the drawn line

    landing = steps.confirm_import(page)
    assert landing.startswith(f"{server.url}/console/tours/nypl-harlem-walk-points")
    items = editor.to_do_items(page)
    redraw = "The route is only straight lines between the stops: redraw it in the editor."
    assert any(redraw in i for i in items), items
    assert page.is_visible("#tour-route") and not page.is_enabled("#publish-button")
    assert errors == []
    context.close()


def test_points_with_osm_names_become_a_published_tour_read_in_german(
    import_server, browser, interop, tmp_path
):
    """The first Cappadocia points that have a German name (``name:de``), cut from the real
    OSM export into a file of the test's own: upload, draw the route through the stops,
    keep it in the editor and write the stories, offer German, publish, read German."""
    server = import_server
    source = interop / "real" / "nevsehir-cappadocia_heritage-pois_osm-export.geojson"
    if not source.exists():
        pytest.skip("the Cappadocia points are not in ../shared/interop/real")
    collection = json.loads(source.read_text(encoding="utf-8"))
    german = [f for f in collection["features"] if "name:de" in f["properties"]][:6]
    points = tmp_path / "cappadocia-points.geojson"
    points.write_text(json.dumps({**collection, "features": german}), encoding="utf-8")
    context = browser.new_context(**{**DESKTOP, "locale": "en"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = editor.PageErrors().attach(page).errors

    steps.log_in(page, server.url, COORDINATOR)
    steps.open_import(page)
    steps.upload_files(page, tour=points, city="Nevşehir", language="en")
    assert steps.problem_codes(page, "error") == ["assemble.no-route"]
    steps.fill_options(
        page,
        timezone="Europe/Istanbul",
        licence="ODbL-1.0",
        title="Rock churches of Cappadocia",
        summary="Six places of the Göreme valleys.",
    )
    page.click("#draw-route-button")
    steps.wait_for_preview(page)
    assert steps.problem_codes(page, "error") == []
    assert "Göreme Open Air Museum" in steps.stop_names(page)  # name:en, not the plain name
    landing = steps.confirm_import(page)
    slug = landing.split("/console/tours/", 1)[1].split("?", 1)[0]

    # The editor: the straight lines are right for this walk; each stop gets its story.
    assert any("straight lines" in item for item in editor.to_do_items(page))
    page.check("#route-confirm")
    for stop in editor.stop_order(page):
        editor.write_text(page, f"stop-{stop}-story", f"The story of {stop}.")
    editor.save(page)
    assert editor.to_do_items(page) == []

    # German came with the names as a partial translation: offer it, then publish.
    page.goto(f"{server.url}/console/tours/{slug}/translations")
    with page.expect_navigation():
        page.click("form:has(input[value=de]) button[type=submit]")
    assert "offered to visitors" in page.inner_text(".flash")
    page.goto(f"{server.url}/console/tours/{slug}")
    assert "Published" in editor.publish(page)
    text = editor.public_page_text(page, server.url, slug, "de")
    assert "Freilichtmuseum Göreme" in text and "Göreme Open Air Museum" not in text
    assert errors == []
    context.close()
