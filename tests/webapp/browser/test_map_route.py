"""The route on the map after it left the page: drawn, exact when it matters, cached.

A short route comes in the page and nothing else is fetched.  A long one comes
simplified; zoomed in, map.js swaps in the exact route from the tour's versioned
GeoJSON, which a second visit takes from the browser's cache.  Either way the map draws
the route and one numbered marker per published stop, and says when it is ready.
"""

from __future__ import annotations

import pytest

from tests.webapp.browser.conftest import LOCALE, MAP_WALK_STOPS, map_walk_document

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LONG_VERTICES = 5_000
LONG_STOPS = 12
ROUTE = '.tour-map .leaflet-overlay-pane path[stroke="#8f2d0b"]:not(.bidean-spread-leg)'
MARKERS = ".tour-map .leaflet-marker-pane .leaflet-marker-icon"
CONTAINER = ".tour-map [data-bidean-map]"
ROUTE_VERTICES = """(container) => {
  let count = null;
  container.bideanMap.eachLayer((layer) => {
    if (layer instanceof L.Polyline && !(layer instanceof L.Polygon)
        && layer.options.color === "#8f2d0b") {
      count = layer.getLatLngs().flat(Infinity).length;
    }
  });
  return count;
}"""


def long_walk_document() -> dict:
    """The map walk with a 5,000-vertex zig-zag route (~10 m steps) and 12 stops on it."""
    doc = map_walk_document("long-walk")
    route = [
        [round(-2.95 + i * 0.0001, 7), round(43.25 + (0.0003 if i % 40 < 20 else 0), 7)]
        for i in range(LONG_VERTICES)
    ]
    line = doc["features"][0]
    line["geometry"]["coordinates"] = route
    line["properties"]["title"] = {"es": "Paseo largo"}
    stops = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": route[i * 400 + 5]},
            "properties": {
                "id": f"s{i + 1}",
                "name": {"es": f"Parada {i + 1}"},
                "story": {"es": f"Historia {i + 1}."},
            },
        }
        for i in range(LONG_STOPS)
    ]
    doc["features"] = [line, *stops]
    return doc


@pytest.fixture(scope="module")
def long_server(start_live_server):
    return start_live_server(
        extra_tours={"long-walk": long_walk_document(), "map-walk": map_walk_document()}
    )


def geojson_requests(requests: list[str]) -> list[str]:
    return [url for url in requests if ".geojson" in url]


def test_a_short_route_is_drawn_from_the_page_alone(phone_page, long_server, watch):
    seen = watch(phone_page, long_server.origin)
    requests: list[str] = []
    phone_page.on("request", lambda request: requests.append(request.url))
    phone_page.goto(f"{long_server.url}/tours/map-walk")
    phone_page.wait_for_selector("html[data-map-ready='true']")
    assert phone_page.locator(ROUTE).count() == 1
    assert phone_page.locator(MARKERS).all_inner_texts() == [
        str(n) for n in range(1, MAP_WALK_STOPS + 1)
    ]
    assert phone_page.locator(CONTAINER).get_attribute("data-bidean-route") == "exact"
    phone_page.wait_for_load_state("networkidle")
    assert geojson_requests(requests) == []
    assert seen.errors == [] and seen.console_errors == []


def test_a_long_route_is_drawn_simplified_then_exact_when_zoomed_in(phone_page, long_server, watch):
    seen = watch(phone_page, long_server.origin)
    requests: list[str] = []
    phone_page.on("request", lambda request: requests.append(request.url))
    phone_page.goto(f"{long_server.url}/tours/long-walk")
    phone_page.wait_for_selector("html[data-map-ready='true']")
    container = phone_page.locator(CONTAINER)
    # Ready: the route and every marker are on the map, from the page alone.
    assert phone_page.locator(ROUTE).count() == 1
    assert phone_page.locator(MARKERS).all_inner_texts() == [
        str(n) for n in range(1, LONG_STOPS + 1)
    ]
    assert container.get_attribute("data-bidean-route") == "preview"
    preview = container.evaluate(ROUTE_VERTICES)
    assert 2 <= preview < LONG_VERTICES
    assert geojson_requests(requests) == [], "the whole route is not needed at this zoom"

    container.evaluate("(c) => c.bideanMap.setZoom(18, {animate: false})")
    phone_page.wait_for_selector(f'{CONTAINER}[data-bidean-route="exact"]')
    assert container.evaluate(ROUTE_VERTICES) == LONG_VERTICES
    assert [url.split("/api/", 1)[1] for url in geojson_requests(requests)] == [
        "tours/long-walk.geojson?v=1"
    ]
    assert phone_page.locator(ROUTE).count() == 1
    assert seen.errors == [] and seen.console_errors == []


def test_a_second_visit_takes_the_exact_route_from_the_cache(browser, long_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale=LOCALE)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        urls: dict[str, str] = {}
        cached: set[str] = set()
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]),
        )
        # Memory cache, or disk cache (where Chromium keeps bigger bodies).
        cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
        cdp.on(
            "Network.responseReceived",
            lambda e: e["response"].get("fromDiskCache") and cached.add(e["requestId"]),
        )
        for _ in range(2):
            urls.clear()
            cached.clear()
            page.goto(f"{long_server.url}/tours/long-walk")
            page.wait_for_selector("html[data-map-ready='true']")
            page.locator(CONTAINER).evaluate("(c) => c.bideanMap.setZoom(18, {animate: false})")
            page.wait_for_selector(f'{CONTAINER}[data-bidean-route="exact"]')
            page.wait_for_load_state("networkidle")
        (request_id,) = [rid for rid, url in urls.items() if ".geojson" in url]
        assert request_id in cached, "the versioned GeoJSON is cached as immutable"
    finally:
        context.close()
