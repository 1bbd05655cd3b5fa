"""The tour map's markers, popups and controls in Chromium, on a phone and on a desktop.

Markers that would overlap at the initial zoom are spread so each can be tapped (at
least 24 px, none covering another, and axe-core's ``target-size`` rule passes at
360 px); a popup links to the stop's full text in the list; the scale bar and the
attribution never overlap.
"""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from tests.webapp.browser.conftest import LOCALE
from tests.webapp.browser.test_tour_pages import FAKE_TILES, PNG

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAP_READY = '[data-bidean-map][data-bidean-ready="true"]'
MARKERS = ".tour-map .leaflet-marker-pane .leaflet-marker-icon"
SAMPLES = ("san-francisco-voices", "bilbao-la-vieja-crossings", "zabala-kitchens-and-workshops")
SIZES = {"phone": (360, 740), "desktop": (1280, 800)}
MIN_TARGET_PX = 24


@pytest.fixture(scope="module")
def server(start_live_server):
    """The samples, with a (fake, routed) tile layer so the attribution is shown."""
    return start_live_server(tiles_url=FAKE_TILES)


@pytest.fixture(params=sorted(SIZES))
def page(request, browser):
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height}, locale=LOCALE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    tile_host = FAKE_TILES.split("/{z}")[0]
    page.route(f"{tile_host}/**", lambda route: route.fulfill(body=PNG, content_type="image/png"))
    yield page
    context.close()


def open_tour(page, server, slug: str) -> None:
    response = page.goto(f"{server.url}/tours/{slug}?lang=en")
    assert response is not None and response.status == 200
    page.wait_for_selector(MAP_READY)
    page.wait_for_load_state("networkidle")


HOMES = """(container) => {
  const found = [];
  container.bideanMap.eachLayer((layer) => {
    if (layer.bideanHome) {
      const home = layer.bideanHome, shown = layer.getLatLng();
      found.push({home: [home.lat, home.lng], shown: [shown.lat, shown.lng]});
    }
  });
  return found;
}"""


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def settled(page, locator, rounds: int = 50) -> None:
    """Wait until ``locator`` stays put for 200 ms."""
    last = None
    for _ in range(rounds):
        box = locator.bounding_box()
        if box == last:
            return
        last = box
        page.wait_for_timeout(200)


@pytest.mark.parametrize("slug", SAMPLES)
def test_every_marker_can_be_tapped_at_the_initial_zoom(page, server, slug):
    open_tour(page, server, slug)
    page.locator(".tour-map [data-bidean-map]").scroll_into_view_if_needed()
    boxes = [marker.bounding_box() for marker in page.locator(MARKERS).all()]
    assert len(boxes) >= 6
    for box in boxes:
        assert box["width"] >= MIN_TARGET_PX and box["height"] >= MIN_TARGET_PX, box
    crowded = [
        (i + 1, j + 1)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[i + 1 :], start=i + 1)
        if overlap(a, b)
    ]
    assert crowded == [], f"markers covering each other at the initial zoom: {crowded}"
    # The top marker at each one's centre is that marker itself: each gets its own taps.
    for index, box in enumerate(boxes):
        centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('.leaflet-marker-icon')"
            "?.textContent",
            list(centre),
        )
        assert hit == str(index + 1)


def test_spread_markers_keep_their_true_place_and_come_back_when_zoomed_in(page, server):
    slug = "bilbao-la-vieja-crossings"
    open_tour(page, server, slug)
    container = page.locator(".tour-map [data-bidean-map]")
    homes = container.evaluate(HOMES)
    moved = [h for h in homes if h["shown"] != h["home"]]
    assert moved, "this tour has stops too close to tell apart at the initial zoom"
    # Each moved marker has a leg (a line and a dot) back to where its stop really is.
    assert page.locator(".tour-map path.bidean-spread-leg").count() == 2 * len(moved)
    container.evaluate("(c) => c.bideanMap.setZoom(c.bideanMap.getMaxZoom(), {animate: false})")
    page.wait_for_timeout(200)
    homes = container.evaluate(HOMES)
    assert all(h["shown"] == h["home"] for h in homes), "zoomed in, every marker is home"
    assert page.locator(".tour-map path.bidean-spread-leg").count() == 0


def test_axe_target_size_passes_on_every_sample_at_360px(browser, server):
    axe = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, locale=LOCALE
    )
    page = context.new_page()
    try:
        for slug in SAMPLES:
            open_tour(page, server, slug)
            page.evaluate(f"() => {{ {axe}\n }}")
            results = page.evaluate(
                "async () => await axe.run(document, "
                "{runOnly: {type: 'rule', values: ['target-size']}})"
            )
            violations = [[n["target"] for n in v["nodes"]][:5] for v in results["violations"]]
            assert violations == [], f"{slug}: {json.dumps(violations)}"
            checked = [n for rule in results["passes"] for n in rule["nodes"]]
            assert sum("leaflet-marker-icon" in n["html"] for n in checked) >= 6, slug
    finally:
        context.close()


def test_a_popup_links_to_the_stops_full_text(page, server):
    slug = "san-francisco-voices"
    open_tour(page, server, slug)
    page.locator(MARKERS).nth(1).click()
    link = page.locator(".leaflet-popup-content a.bidean-popup__more")
    link.wait_for()
    settled(page, link)  # the map pans an opening popup into view: click once it stops
    href = link.get_attribute("href")
    assert href.startswith("#stop-")
    target = page.locator(href)
    assert target.count() == 1
    title = page.locator(".leaflet-popup-content .bidean-popup__title").inner_text()
    assert title in target.locator("h3").inner_text()
    link.click()
    page.wait_for_function("(hash) => location.hash === hash", arg=href)
    top = target.bounding_box()["y"]
    assert -1 <= top < page.viewport_size["height"], "the stop scrolled into view"


def test_scale_bar_and_attribution_do_not_overlap(page, server):
    for slug in SAMPLES:
        open_tour(page, server, slug)
        scale = page.locator(".tour-map .leaflet-control-scale").bounding_box()
        attribution = page.locator(".tour-map .leaflet-control-attribution").bounding_box()
        map_box = page.locator(".tour-map [data-bidean-map]").bounding_box()
        assert scale and attribution
        assert not overlap(scale, attribution), (slug, scale, attribution)
        right_edge = map_box["x"] + map_box["width"] + 0.5
        for box in (scale, attribution):
            assert map_box["x"] <= box["x"] and box["x"] + box["width"] <= right_edge
