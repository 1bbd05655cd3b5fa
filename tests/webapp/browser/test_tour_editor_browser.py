"""The tour editor in Chromium: a coordinator finishes a draft in German and publishes it;
a second coordinator's stale form is refused; markers move and the map adds stops; a
12-stop tour folds into a few screens with numbered markers, and unsaved edits are not
lost without a warning."""

from __future__ import annotations

import json

import pytest

from guides.accounts import create_account
from tests.webapp.browser import editor_steps as steps
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import DESKTOP, PHONE
from tests.webapp.console.editor_support import store_draft_in, store_long_draft_in
from tours.db import make_engine, make_sessionmaker, transaction
from tours.tour.store import get_document, newest_version

pytestmark = pytest.mark.browser

FIRST = "coordinator@example.org"
SECOND = "second@example.org"
STORY = "Hier erzählte Aminata von ihrem ersten Winter in Bilbao."


@pytest.fixture(scope="module")
def editor_server(start_live_server):
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    factory = make_sessionmaker(engine)
    with transaction(factory, write_lock=True) as db_session:
        store_draft_in(db_session, "editor-draft")
        store_draft_in(db_session, "map-draft")
        store_long_draft_in(db_session, "long-draft")
        create_account(db_session, FIRST, "coordinator", password=steps.PASSWORD)
        create_account(db_session, SECOND, "coordinator", password=steps.PASSWORD)
    server.factory = factory  # type: ignore[attr-defined]
    yield server
    engine.dispose()


def test_a_coordinator_finishes_a_draft_in_german_and_publishes_it(editor_server, browser):
    server, slug = editor_server, "editor-draft"
    first = browser.new_context(**{**DESKTOP, "locale": "en"})
    page = first.new_page()
    page.set_default_timeout(20_000)
    errors = steps.PageErrors().attach(page)
    steps.log_in(page, server.url, FIRST)
    steps.open_tour_from_list(page, server.url, slug)
    steps.choose_languages(page, write="de", read="es")
    assert "Corazón" in steps.source_text(page, "stop-sf-01-name")  # Spanish beside German
    assert page.get_attribute("#stop-sf-02-story", "lang") == "de"
    assert len(steps.to_do_items(page)) == 1 and not page.is_enabled("#publish-button")

    # A second coordinator opens the same version before the first one saves.
    second = browser.new_context(**{**DESKTOP, "locale": "en"})
    other = second.new_page()
    other.set_default_timeout(20_000)
    steps.log_in(other, server.url, SECOND)
    other.goto(f"{server.url}/console/tours/{slug}?write=de&read=es")

    steps.write_text(page, "tour-title", "Stimmen von San Francisco")
    steps.write_text(page, "stop-sf-02-story", STORY)
    steps.move_stop_with_keyboard(page, "sf-01", "down")
    assert steps.stop_order(page)[:2] == ["sf-02", "sf-01"]
    message = steps.save(page)
    assert "Saved as version 2" in message
    assert steps.to_do_items(page) == []
    assert steps.stop_order(page)[:2] == ["sf-02", "sf-01"]
    assert "Published" in steps.publish(page)

    public = steps.public_page_text(page, server.url, slug, "de")
    assert STORY in public and "Stimmen von San Francisco" in public
    assert errors.errors == []

    other.fill("#tour-summary", "Eine andere Zusammenfassung")
    refusal = steps.save_is_refused_as_stale(other)
    assert "Nothing was saved" in refusal and "title" in refusal
    with transaction(server.factory) as db_session:
        row = newest_version(db_session, slug)
        assert "Eine andere Zusammenfassung" not in str(row.document)
        assert row.document["features"][0]["properties"]["title"]["de"] == (
            "Stimmen von San Francisco"
        )
    first.close()
    second.close()


def test_markers_move_stops_and_a_tap_on_the_map_adds_one(editor_server, browser):
    server, slug = editor_server, "map-draft"
    context = browser.new_context(**{**DESKTOP, "locale": "en"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = steps.PageErrors().attach(page)
    steps.log_in(page, server.url, FIRST)
    page.goto(f"{server.url}/console/tours/{slug}?write=es&read=en")
    markers = page.locator("#tour-editor-map .leaflet-marker-icon")
    assert markers.count() == 8, errors.errors
    before = page.input_value("#stop-sf-03-lon"), page.input_value("#stop-sf-03-lat")
    page.locator("#tour-editor-map").scroll_into_view_if_needed()
    box = page.locator('#tour-editor-map [data-stop-id="sf-03"]').bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 10, steps=8)
    page.mouse.up()
    after = page.input_value("#stop-sf-03-lon"), page.input_value("#stop-sf-03-lat")
    assert after != before and float(after[0]) > float(before[0])

    map_box = page.locator("#tour-editor-map").bounding_box()
    page.mouse.click(map_box["x"] + 20, map_box["y"] + map_box["height"] - 20)
    new_lon = page.locator('[name="new-lon"]').first.input_value()
    assert new_lon and page.evaluate("document.activeElement.name") == "new-name"
    page.keyboard.type("Parada nueva")
    steps.save(page)
    with transaction(server.factory) as db_session:
        document = get_document(db_session, slug, 2)
    stops = {f["properties"]["id"]: f for f in document["features"][1:]}
    assert stops["sf-03"]["geometry"]["coordinates"][0] == round(float(after[0]), 6)
    assert stops["stop-9"]["properties"]["name"] == {"es": "Parada nueva"}
    assert errors.errors == []
    context.close()


def test_the_tours_list_and_editor_fit_a_phone(editor_server, browser):
    server = editor_server
    context = browser.new_context(**{**PHONE, "locale": "en"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = steps.PageErrors().attach(page)
    steps.log_in(page, server.url, FIRST)
    for path in ("/console/tours", "/console/tours/map-draft?write=eu&read=es"):
        page.goto(f"{server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    # One column on a phone: the source text sits above the field being written.
    page.click("#stop-sf-01 summary")
    source = page.locator("#field-stop-sf-01-story .text-source").bounding_box()
    target = page.locator("#stop-sf-01-story").bounding_box()
    assert source["y"] + source["height"] <= target["y"]
    assert errors.errors == []
    context.close()


def test_a_long_tour_folds_numbers_its_markers_and_guards_unsaved_edits(editor_server, browser):
    server, slug = editor_server, "long-draft"
    context = browser.new_context(**{**DESKTOP, "locale": "en"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = steps.PageErrors().attach(page)
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    steps.log_in(page, server.url, FIRST)
    page.goto(f"{server.url}/console/tours/{slug}?write=es&read=en")
    order = steps.stop_order(page)
    assert len(order) == 12
    # Folded, twelve stops fit in two screens, the page in a few (unfolded: 14,000 px);
    # the one stop with a problem is open.
    assert page.evaluate("document.getElementById('stop-list').offsetHeight") < 1600
    assert page.evaluate("document.documentElement.scrollHeight") < 4500
    assert steps.open_stops(page) == ["sf-03"]
    assert "1 problem" in page.inner_text("#stop-sf-03 summary")
    assert steps.marker_numbers(page, order) == [(str(n), f"Stop {n}: ") for n in range(1, 13)], (
        errors.errors
    )

    violations = axe_violations(page)
    assert violations == [], json.dumps(violations)

    # An edit not saved: leaving asks first (the dialog is dismissed: the page stays).
    steps.write_text(page, "stop-sf-03-story", "La historia que faltaba.")
    steps.move_stop_with_keyboard(page, "sf-01", "down")
    assert steps.marker_numbers(page, ["sf-02", "sf-01"]) == [
        ("1", "Stop 1: "),
        ("2", "Stop 2: "),
    ]
    page.click("a[href$='/history']")
    assert dialogs == ["beforeunload"]
    assert page.input_value("#stop-sf-03-story") == "La historia que faltaba."
    # Saving asks nothing; once saved, leaving asks nothing either.
    assert "Saved as version 2" in steps.save(page)
    assert steps.open_stops(page) == ["sf-03"]  # just edited; moving sf-01 is no edit of it
    with page.expect_navigation():
        page.click("a[href$='/history']")
    assert dialogs == ["beforeunload"] and page.url.endswith("/history")
    assert errors.errors == []
    context.close()
