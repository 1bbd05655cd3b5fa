"""The catalogue and tour pages in Chromium, on a phone and on a desktop.

The map must draw the route and one numbered marker per published stop, open popups on
tap or click, load nothing from other hosts but tiles, keep hostile content inert and
visible as text, lay out right to left in Arabic and never scroll sideways on a phone.
"""

from __future__ import annotations

import base64

import pytest

from tests.webapp.browser.conftest import MAP_WALK_STOPS, XSS_PAYLOADS, map_walk_document

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAP_READY = '.tour-map [data-bidean-map][data-bidean-ready="true"]'
MARKERS = ".tour-map .leaflet-marker-pane .leaflet-marker-icon"
ROUTE_COLOUR = "#8f2d0b"
FAKE_TILES = "https://tiles.bidean-test.example/{z}/{x}/{y}.png"
# A 1x1 PNG, served for every fake tile so the tile layer really loads.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def open_tour(page, server, slug: str = "map-walk", query: str = ""):
    response = page.goto(f"{server.url}/tours/{slug}{query}")
    assert response is not None and response.status == 200
    page.wait_for_selector(MAP_READY)
    page.wait_for_load_state("networkidle")
    return response


def is_phone(page) -> bool:
    return page.viewport_size["width"] < 500


def activate(page, locator) -> None:
    """Tap on a touch phone, click with a mouse elsewhere."""
    if is_phone(page):
        locator.tap()
    else:
        locator.click()


def route_paths(page):
    return page.locator(f'.leaflet-overlay-pane path[stroke="{ROUTE_COLOUR}"]')


def test_catalogue_lists_the_tours(any_page, live_server, watch):
    seen = watch(any_page)
    response = any_page.goto(f"{live_server.url}/")
    assert response is not None and response.status == 200
    link = any_page.locator('a[href$="/tours/map-walk"]').first
    assert "Paseo del mapa" in link.inner_text()
    hostile = any_page.locator('a[href$="/tours/xss-walk"]').first
    assert '<img src=x onerror="window.__xss=1">' in hostile.inner_text()
    assert any_page.evaluate("typeof window.__xss") == "undefined" and seen.dialogs == []
    assert seen.errors == [] and seen.console_errors == [] and seen.foreign_requests() == []


def test_map_draws_the_route_and_one_marker_per_published_stop(any_page, live_server, watch):
    seen = watch(any_page)
    open_tour(any_page, live_server)
    assert route_paths(any_page).count() == 1
    assert any_page.locator(".leaflet-overlay-pane path").count() == 2  # route and district
    numbers = any_page.locator(MARKERS).all_inner_texts()
    assert numbers == [str(n) for n in range(1, MAP_WALK_STOPS + 1)]
    assert "Parada en borrador" not in any_page.content()
    # Every marker is inside the visible map, so each can be tapped.
    box = any_page.locator(MAP_READY).bounding_box()
    for marker in any_page.locator(MARKERS).all():
        spot = marker.bounding_box()
        assert box["x"] <= spot["x"] and spot["x"] + spot["width"] <= box["x"] + box["width"]
        assert box["y"] <= spot["y"] and spot["y"] + spot["height"] <= box["y"] + box["height"]
    assert seen.errors == [] and seen.console_errors == [], "no script error, no CSP violation"


def test_a_popup_opens_on_tap_or_click_with_the_stop_name(any_page, live_server):
    open_tour(any_page, live_server)
    activate(any_page, any_page.locator(MARKERS).nth(1))
    popup = any_page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Calle San Francisco" in popup.inner_text()
    assert "Comunidad senegalesa" in popup.inner_text()
    assert "primera tienda senegalesa" in popup.inner_text()


def test_keyboard_opens_a_popup(desktop_page, live_server):
    open_tour(desktop_page, live_server)
    desktop_page.locator(MARKERS).first.focus()
    desktop_page.keyboard.press("Enter")
    assert "Plaza Corazón de María" in desktop_page.locator(".leaflet-popup-content").inner_text()


def test_without_tiles_no_request_leaves_the_app(any_page, live_server, watch):
    seen = watch(any_page)
    any_page.goto(f"{live_server.url}/")
    open_tour(any_page, live_server)
    activate(any_page, any_page.locator(MARKERS).first)
    any_page.locator(".leaflet-popup-content").wait_for()
    assert seen.foreign_requests() == []
    assert any("/assets/leaflet/" in url for url in seen.requests)
    assert not any("jquery" in url for url in seen.requests), "the map does not need jQuery"
    assert not any("/images/marker-" in url for url in seen.requests), "numbered icons only"


@pytest.fixture(scope="module")
def tiled_server(start_live_server):
    return start_live_server(tiles_url=FAKE_TILES, extra_tours={"map-walk": map_walk_document()})


def test_with_tiles_only_the_tile_host_is_asked(any_page, tiled_server, watch):
    seen = watch(any_page, tiled_server.origin)
    tile_host = FAKE_TILES.split("/{z}")[0]
    any_page.route(
        f"{tile_host}/**", lambda route: route.fulfill(body=PNG, content_type="image/png")
    )
    open_tour(any_page, tiled_server)
    any_page.wait_for_selector(".leaflet-tile-loaded")
    foreign = seen.foreign_requests()
    assert foreign, "the tile layer asked for tiles"
    assert all(url.startswith(tile_host + "/") and url.endswith(".png") for url in foreign)
    attribution = any_page.locator(".tour-map .leaflet-control-attribution")
    assert "OpenStreetMap" in attribution.inner_text()


def test_the_map_still_works_when_tiles_cannot_load(any_page, tiled_server, watch):
    seen = watch(any_page, tiled_server.origin)
    any_page.route("https://tiles.bidean-test.example/**", lambda route: route.abort())
    open_tour(any_page, tiled_server)
    assert route_paths(any_page).count() == 1
    assert any_page.locator(MARKERS).count() == MAP_WALK_STOPS
    activate(any_page, any_page.locator(MARKERS).last)
    assert "Parque de Zabala" in any_page.locator(".leaflet-popup-content").inner_text()
    assert seen.errors == []


def xss_state(page) -> str:
    return page.evaluate("typeof window.__xss")


def test_hostile_content_stays_inert_and_shows_literally(any_page, live_server, watch):
    seen = watch(any_page)
    for index in range(MAP_WALK_STOPS):
        # A fresh page per popup: an open popup pans the map, which may hide the next marker.
        open_tour(any_page, live_server, "xss-walk")
        assert xss_state(any_page) == "undefined"
        markers = any_page.locator(MARKERS)
        assert markers.count() == MAP_WALK_STOPS
        activate(any_page, markers.nth(index))
        popup = any_page.locator(".leaflet-popup-content")
        text = popup.inner_text()
        for payload in XSS_PAYLOADS:
            assert payload in text, payload
        assert popup.locator("img, svg, script").count() == 0
        any_page.locator(".leaflet-popup-close-button").click()
        assert xss_state(any_page) == "undefined"
    any_page.locator(".tour-map .leaflet-interactive").first.hover()  # the district tooltip
    assert xss_state(any_page) == "undefined"
    page_text = any_page.locator("main").inner_text()
    assert '<img src=x onerror="window.__xss=1">' in page_text
    assert "${window.__xss=1}" in page_text
    assert "</script>" in any_page.title()
    assert seen.dialogs == [] and seen.errors == [] and seen.console_errors == []
    assert seen.foreign_requests() == []


def test_arabic_lays_out_right_to_left(any_page, live_server):
    open_tour(any_page, live_server, query="?lang=ar")
    assert any_page.evaluate("document.documentElement.dir") == "rtl"
    direction = any_page.evaluate("getComputedStyle(document.querySelector('main')).direction")
    assert direction == "rtl"
    activate(any_page, any_page.locator(MARKERS).first)
    title = any_page.locator(".leaflet-popup-content h3")
    assert title.inner_text() == "ساحة قلب مريم"
    assert title.evaluate("element => getComputedStyle(element).direction") == "rtl"


@pytest.mark.parametrize(
    "path", ["/", "/tours/map-walk", "/tours/xss-walk", "/tours/map-walk?lang=ar"]
)
def test_no_sideways_scrolling_on_a_phone(phone_page, live_server, path):
    response = phone_page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
