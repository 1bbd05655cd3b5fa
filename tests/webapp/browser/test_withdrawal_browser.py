"""A resident withdraws their story from their personal link, in Chromium on a 360 px
phone in Arabic: the page says what will disappear (right to left), axe-core finds
nothing to fix, one tap withdraws it, and the tour page no longer holds it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import PHONE
from tests.webapp.withdrawal.support import MARKER, SLUG, TITLE, build_world
from webapp import create_app
from webapp.media.store import store_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def withdrawal_server(start_live_server):
    return start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})


def test_a_resident_withdraws_their_story_on_a_phone_in_arabic(browser, withdrawal_server):
    # The story stored beside the server, as the share form and the queue would have.
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{withdrawal_server.instance / 'bidean.sqlite3'}",
            "SECRET_KEY": "browser-tests",
            "PUBLIC_URL": withdrawal_server.url,
            # The server's media folder: the instance folder every live server shares.
        }
    )
    try:
        world = build_world(app)
        media = store_for(app)
    finally:
        app.extensions["bidean.db"].engine.dispose()
    context = browser.new_context(**{**PHONE, "locale": "ar"})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{withdrawal_server.url}/tours/{SLUG}")
        assert MARKER in page.content()
        page.goto(f"{withdrawal_server.url}/share/withdraw/{world.token}")
        html = page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        expect(page.locator("h1")).to_have_text("اسحب قصتك")
        expect(page.locator("article")).to_contain_text(TITLE)
        expect(page.locator("article")).to_contain_text("تُحذف صورتها.")
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        page.click("form button[type=submit]")
        expect(page.locator("[role=status]")).to_contain_text("تم سحب قصتك.")
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)

        page.goto(f"{withdrawal_server.url}/tours/{SLUG}")
        assert MARKER not in page.content()
    finally:
        context.close()
    assert media.get(world.image_key) is None
