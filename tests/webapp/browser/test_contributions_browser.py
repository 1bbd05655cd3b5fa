"""A resident's story on the tour page, in Chromium on a 360 px phone in Arabic: the stop
shows its teller's credit as chosen, and the recording's player with its transcript
right beside it; nothing overflows and axe-core finds no violations."""

from __future__ import annotations

import pytest

from tests.stories_support import AUDIO_KEYS, MARK, SLUG, contribute_all, contributed_document
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import PHONE
from tours.content.checking.pipeline import ValidationOptions, validate_document
from tours.db import make_engine, make_sessionmaker, transaction
from tours.tour.store import save_tour

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAP_READY = '.tour-map [data-bidean-map][data-bidean-ready="true"]'


@pytest.fixture(scope="module")
def server(start_live_server):
    """The samples, and a new version of the San Francisco tour holding contributions."""
    server = start_live_server()
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    with transaction(make_sessionmaker(engine), write_lock=True) as db_session:
        ids = contribute_all(db_session)
        result = validate_document(contributed_document(ids), "t.geojson", ValidationOptions())
        assert result.valid, result.report.to_text()
        save_tour(db_session, result.tour, source_name="browser test")
    engine.dispose()
    return server


@pytest.fixture
def arabic_phone(browser):
    context = browser.new_context(**{**PHONE, "locale": "ar"})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_the_stop_shows_the_credit_and_the_recording_with_its_transcript(arabic_phone, server):
    page = arabic_phone
    response = page.goto(f"{server.url}/tours/{SLUG}")
    assert response is not None and response.status == 200
    page.wait_for_selector(MAP_READY)
    assert page.locator("html").get_attribute("lang") == "ar"
    stop = page.locator("#stop-plaza")
    credit = stop.locator(".told-by")
    assert credit.is_visible()
    assert credit.inner_text().strip() == "رواية Amina <b>Haddad</b>"  # text, not markup
    neighbour = page.locator("#stop-cortes .told-by").inner_text()
    assert "رواية أحد سكان San Francisco" in neighbour
    audio = stop.locator("audio")
    assert audio.count() == 1
    assert audio.get_attribute("preload") == "none"
    assert audio.get_attribute("controls") is not None
    assert audio.get_attribute("src").endswith(f"/media/audio/{AUDIO_KEYS['named']}.mp3")
    audio.scroll_into_view_if_needed()
    assert audio.is_visible()
    transcript = stop.locator(".transcript")
    assert transcript.is_visible()
    words = transcript.locator(".transcript-text").inner_text()
    assert f"{MARK['named']}-t" in words and "<script>alert(1)</script>" in words
    # Beside the player: right after it in the same item, within the phone's width.
    player, text = audio.bounding_box(), transcript.bounding_box()
    assert 0 <= text["y"] - (player["y"] + player["height"]) < 40
    assert player["x"] >= 0 and text["x"] + text["width"] <= 360
    described = audio.get_attribute("aria-describedby")
    assert page.locator(f"#{described}").inner_text() == words
    assert page.evaluate("() => window.__xss") is None
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    # What the consent keeps from tour pages is not on the page.
    assert MARK["guides"] not in page.content()
    assert axe_violations(page) == []
