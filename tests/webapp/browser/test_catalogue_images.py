"""The catalogue on a desktop and the tour images, in Chromium.

On a desktop the catalogue uses the width: its cards sit side by side, several to a row.
Images come from the app itself, sized before they load (no layout shift), lazily, with
an alt text in the visitor's language, and the browser picks a width from ``srcset``.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_catalogue_uses_the_width_of_a_desktop(desktop_page, live_server, watch):
    seen = watch(desktop_page)
    desktop_page.goto(f"{live_server.url}/?lang=en")
    cards = [c.bounding_box() for c in desktop_page.locator(".tour-card").all()]
    assert len(cards) >= 4
    first_row = [c for c in cards if abs(c["y"] - cards[0]["y"]) < 2]
    assert len(first_row) >= 3, "three cards or more side by side"
    left = min(c["x"] for c in first_row)
    right = max(c["x"] + c["width"] for c in first_row)
    assert right - left > 0.8 * desktop_page.viewport_size["width"]
    # The covers have loaded, from the app, at a width the browser chose from srcset.
    covers = desktop_page.locator(".card-cover")
    assert covers.count() == 2
    for cover in covers.all():
        cover.scroll_into_view_if_needed()
        desktop_page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=cover.element_handle()
        )
        assert cover.evaluate("(img) => img.currentSrc").startswith(live_server.url + "/media/")
        assert cover.get_attribute("loading") == "lazy"
    assert seen.foreign_requests() == [] and seen.console_errors == []


def test_on_a_phone_the_catalogue_is_one_column(phone_page, live_server):
    phone_page.goto(f"{live_server.url}/?lang=en")
    cards = [c.bounding_box() for c in phone_page.locator(".tour-card").all()]
    assert len({round(c["x"]) for c in cards}) == 1
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_stop_image_is_sized_lazy_and_described_in_the_visitors_language(
    phone_page, live_server, watch
):
    seen = watch(phone_page)
    phone_page.goto(f"{live_server.url}/tours/san-francisco-voices?lang=eu")
    image = phone_page.locator("img.stop-image")
    assert image.count() == 1
    assert image.get_attribute("alt").startswith("Plaza baten marrazki sinplea")
    assert image.get_attribute("loading") == "lazy"
    # Below the fold and lazy: not fetched until the visitor scrolls to it.
    assert not any("/media/" in url for url in seen.requests)
    box_before = image.bounding_box()
    image.scroll_into_view_if_needed()
    phone_page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    # width/height reserved the box: it has the image's 16:10 shape before and after.
    box = image.bounding_box()
    assert box["height"] == pytest.approx(box["width"] * 1000 / 1600, abs=1)
    assert box_before["height"] == pytest.approx(box["height"], abs=1)
    chosen = image.evaluate("(img) => img.currentSrc")
    assert chosen.startswith(live_server.url + "/media/") and chosen.endswith(".webp")
    assert "/1600.webp" not in chosen, "a phone does not download the largest width"
    assert seen.foreign_requests() == []
