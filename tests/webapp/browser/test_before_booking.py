"""What a visitor sees before booking, in Chromium at 360 px: meeting point, price and
guide; a map that fits the route; and axe-core finding no violations on the tour page.

axe-core (MPL-2.0, Deque Systems) comes from the ``axe-playwright-python`` package of the
dev extra, which ships ``axe.min.js``; only that file is used, injected into the page.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.webapp.browser.axe import axe_results, violations_in
from tests.webapp.browser.conftest import LOCALE
from tours.booking.departures import DepartureRequest, schedule
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "san-francisco-voices"
GUIDE_ID, GUIDE = "mei", "Mei"  # a sample guide who speaks English
MAP_READY = '.tour-map [data-bidean-map][data-bidean-ready="true"]'


@pytest.fixture(scope="module")
def server(start_live_server):
    """The samples, and one departure of the San Francisco tour with its guide."""
    server = start_live_server()
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    day = (datetime.now(UTC) + timedelta(days=20)).date()
    start = datetime(day.year, day.month, day.day, 11, 0)
    with transaction(make_sessionmaker(engine), write_lock=True) as db_session:
        schedule(db_session, DepartureRequest(SLUG, start, "en", 12, guide_id=GUIDE_ID))
    engine.dispose()
    return server


def open_tour(page, server, query: str = "?lang=en"):
    response = page.goto(f"{server.url}/tours/{SLUG}{query}")
    assert response is not None and response.status == 200
    page.wait_for_selector(MAP_READY)
    page.wait_for_load_state("networkidle")


def in_first_screen(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_meeting_point_price_and_guide_before_booking_on_a_phone(phone_page, server):
    open_tour(phone_page, server)
    summary = phone_page.locator(".before-booking")
    text = summary.inner_text()
    assert "Plaza Corazón de María" in text and "Plaza Corazón de María, Bilbao" in text
    assert "€10.00 per person" in text and "Paid on the day" in text
    assert "1 h 35 min" in text  # the duration the tour declares
    book = phone_page.locator(".before-booking .book-now")
    map_top = phone_page.locator(".tour-map").bounding_box()["y"]
    assert book.bounding_box()["y"] < map_top, "Book comes before the map"
    assert in_first_screen(phone_page, book), "Book is on the first screen of a phone"
    # The samples schedule walks too: find this walk's guide among them.
    guide = phone_page.locator(".session-guide", has_text=GUIDE).first
    assert guide.inner_text() == f"Guide: {GUIDE}"
    assert guide.is_visible()
    # The booking form says it all again, with a small map of the meeting point.
    book.click()
    phone_page.wait_for_selector('.meeting-map [data-bidean-map][data-bidean-ready="true"]')
    details = phone_page.locator(".walk-details")
    text = details.inner_text()
    assert "Plaza Corazón de María, Bilbao" in text and "€10.00 per person" in text
    assert f"Guide: {GUIDE}" in text and "English" in text
    assert details.locator(".meeting-map [data-bidean-map]").count() == 1


def test_the_price_follows_the_visitor_locale(phone_page, server):
    open_tour(phone_page, server, "?lang=es")
    text = phone_page.locator(".before-booking").inner_text()
    assert "Paga lo que quieras" in text and "10,00\xa0€ por persona" in text


FITS = """(container) => {
  const map = container.bideanMap;
  const view = map.getBounds();
  const points = [];
  map.eachLayer((layer) => {
    if (layer.getLatLngs) { points.push(...layer.getLatLngs().flat(2)); }
    else if (layer.getLatLng) { points.push(layer.getLatLng()); }
  });
  return {count: points.length, outside: points.filter((p) => !view.contains(p)).length};
}"""


@pytest.mark.parametrize("size", [(360, 740), (1280, 800), (360, 400)])
def test_the_map_fits_the_route_and_stops(browser, server, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=LOCALE)
    page = context.new_page()
    try:
        open_tour(page, server)
        container = page.locator(".tour-map [data-bidean-map]")
        result = container.evaluate(FITS)
        assert result["count"] > 40 and result["outside"] == 0, result
        page.set_viewport_size({"width": 900, "height": 700})  # a rotated tablet
        page.wait_for_timeout(300)
        assert container.evaluate(FITS)["outside"] == 0
    finally:
        context.close()


def test_escape_closes_a_popup(desktop_page, server):
    open_tour(desktop_page, server)
    desktop_page.locator(".tour-map .leaflet-marker-icon").first.click()
    desktop_page.wait_for_selector(".leaflet-popup")
    desktop_page.keyboard.press("Escape")
    desktop_page.wait_for_selector(".leaflet-popup", state="detached")


def test_axe_finds_no_violations_on_the_tour_page_at_360px(phone_page, server):
    open_tour(phone_page, server)
    results = axe_results(phone_page)
    assert any(rule["id"] == "target-size" for rule in results["passes"])
    violations = violations_in(results)
    assert violations == [], json.dumps(violations, indent=1)


def test_the_tour_page_shows_a_small_map_of_the_meeting_point(phone_page, server):
    open_tour(phone_page, server)
    meeting = phone_page.locator(".before-booking .meeting-map [data-bidean-map]")
    assert meeting.count() == 1
    # Lazy: drawn after the tour map, and only once it comes into view.
    drawn_out_of_view = meeting.evaluate(
        """(c) => { const box = c.getBoundingClientRect();
          const inView = box.bottom > 0 && box.top < window.innerHeight;
          return Boolean(c.bideanMap) && !inView; }"""
    )
    assert not drawn_out_of_view
    meeting.scroll_into_view_if_needed()
    phone_page.wait_for_selector('.meeting-map [data-bidean-map][data-bidean-ready="true"]')
    marker = meeting.evaluate(
        """(c) => { const found = [];
          c.bideanMap.eachLayer((l) => { if (l.getLatLng && l.options.title) {
            found.push([l.getLatLng().lat, l.getLatLng().lng, l.options.title]); } });
          return found; }"""
    )
    # The first stop of the tour, where its list of stops starts too.
    first_stop = phone_page.locator(".tour-map [data-bidean-map]").evaluate(
        """(c) => { let first = null;
          c.bideanMap.eachLayer((l) => { if (l.bideanHome && l.options.title.startsWith("1. ")) {
            first = [l.bideanHome.lat, l.bideanHome.lng]; } });
          return first; }"""
    )
    assert len(marker) == 1 and marker[0][2] == "Corazón de María Square"
    assert meeting.get_attribute("aria-label") == "Map: Corazón de María Square"
    assert "Corazón de María Square" in phone_page.locator(".stop h3").first.inner_text()
    assert marker[0][:2] == pytest.approx(first_stop)
    box = meeting.bounding_box()
    assert 150 <= box["height"] <= 260 and box["width"] <= 360
