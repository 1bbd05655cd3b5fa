"""Layout on a 360 px phone in every interface language: no page scrolls sideways, words
stay whole, the guide's stop bar stays above the map, the booking form's dates fit, and
axe-core finds nothing on the pages these rules touch.

One server of its own with the sample walks, a coordinator and a booking with
accessibility notes; one browser context per test (per language for the sideways check).
"""

from __future__ import annotations

import json
import math

import pytest
from flask import Flask
from sqlalchemy import select

from guides.accounts import create_account
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import PHONE
from tests.webapp.browser.console_steps import PASSWORD, log_in
from tours.booking.bookings import Party, book
from tours.booking.models import Departure
from tours.db import make_engine, make_sessionmaker, transaction
from tours.tour.models import TourRecord
from webapp.actions.links import manage_token
from webapp.common.i18n import LANGUAGES

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
COORDINATOR = "coordinator@example.org"
NOTES = "Wheelchair user: step-free route please"
WIDTH = PHONE["viewport"]["width"]

# Why the page is wider than the screen: the elements that reach furthest past either
# edge, leaving out those inside a box that clips or scrolls them (a map's tiles) unless
# placed absolutely (their box may be outside the one that scrolls).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    if (['absolute', 'fixed'].includes(getComputedStyle(el).position)) { return false; }
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') { return true; }
    }
    return false;
  };
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    const over = Math.round(Math.max(box.right - width, -box.left));
    if (box.width && over > 0 && !clipped(el)) { found.push([over, el.outerHTML.slice(0, 100)]); }
  }
  found.sort((a, b) => b[0] - a[0]);
  return {scrollWidth: document.documentElement.scrollWidth, widest: found.slice(0, 3)};
}"""

# How many lines a word of the page takes: one box per line it is laid out on.
WORD_LINES = """(word) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + word.length);
      return [...range.getClientRects()].filter((r) => r.width > 0).length;
    }
  }
  return null;
}"""

# Each choice of a select, chosen in turn: the lines its text needs in the select's box at
# the select's font, and the lines that box holds (a select that cannot wrap clips).
SELECT_FIT = """(id) => {
  const select = document.getElementById(id);
  const style = getComputedStyle(select);
  const context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const icon = 24;  // the select's arrow
  const room = select.clientWidth - parseFloat(style.paddingInlineStart)
    - parseFloat(style.paddingInlineEnd) - icon;
  const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
  const found = [];
  for (let i = 0; i < select.options.length; i++) {
    select.selectedIndex = i;
    const text = select.options[i].text;
    const holds = (select.clientHeight - parseFloat(style.paddingBlockStart)
      - parseFloat(style.paddingBlockEnd)) / line;
    found.push({text, needs: Math.ceil(context.measureText(text).width / room), holds});
  }
  return found;
}"""


@pytest.fixture(scope="module")
def layout_server(start_live_server):
    """The samples with their walks; a coordinator; two bookings on the first walk."""
    server = start_live_server()
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    factory = make_sessionmaker(engine)
    with transaction(factory, write_lock=True) as db_session:
        create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
        departure = db_session.scalars(
            select(Departure)
            .join(Departure.tour)
            .where(TourRecord.slug == SLUG)
            .order_by(Departure.starts_at)
        ).first()
        booked = book(
            db_session,
            departure.id,
            Party("Ane Etxeberria", "ane@example.org", 2, "es", notes=NOTES),
        ).booking
        book(db_session, departure.id, Party("Bruno Costa", "bruno@example.org", 1, "pt"))
        # The confirmation page's link, signed as the server signs it (conftest's key).
        with Flask(__name__).app_context() as context:
            context.app.config["SECRET_KEY"] = "browser-tests"
            token = manage_token(booked, departure)
        server.walk = departure.id  # type: ignore[attr-defined]
    server.public_pages = (  # type: ignore[attr-defined]
        "/",
        f"/tours/{SLUG}",
        f"/tours/{SLUG}/book?session={departure.id}",
        f"/bookings/{token}/confirmed",
        f"/bookings/{token}",
        "/guides/youssef",
        "/console/login",
    )
    server.console_pages = (  # type: ignore[attr-defined]
        "/console/",
        f"/console/departures/{departure.id}",
        "/console/admin/departures",
        f"/console/admin/departures/{departure.id}",
        "/console/admin/accounts",
        "/console/admin/guides",
        "/console/admin/audit",
        "/console/tours",
        "/console/tours/import",
        f"/console/tours/{SLUG}",
        f"/console/tours/{SLUG}/translations",
    )
    yield server
    engine.dispose()


def _phone(browser, lang: str = "en"):
    context = browser.new_context(**{**PHONE, "locale": lang})
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def _wide(page, path: str) -> str | None:
    found = page.evaluate(OVERFLOW)
    if found["scrollWidth"] <= WIDTH:
        return None
    return f"{path} is {found['scrollWidth']} px wide; widest: {found['widest']}"


@pytest.mark.slow
@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_page_scrolls_sideways_on_a_phone(layout_server, browser, lang):
    server = layout_server
    context, page = _phone(browser, lang)
    wide = []
    for path in server.public_pages:
        page.goto(server.url + path)
        assert page.locator("html").get_attribute("lang") == lang, path
        wide.append(_wide(page, path))
    # The login page first: a person cannot log in on a page scrolled into empty space.
    assert [w for w in wide if w] == []
    log_in(page, server.url, COORDINATOR)
    for path in server.console_pages:
        page.goto(server.url + path)
        wide.append(_wide(page, path))
    context.close()
    assert [w for w in wide if w] == []


def test_words_stay_whole_in_the_coordinator_tables(layout_server, browser):
    server = layout_server
    context, page = _phone(browser)
    log_in(page, server.url, COORDINATOR)
    page.goto(f"{server.url}/console/admin/accounts")
    assert page.evaluate(WORD_LINES, "Coordinator") == 1
    page.goto(f"{server.url}/console/tours")
    assert page.evaluate(WORD_LINES, "Published") == 1
    context.close()


def test_the_stop_bar_stays_above_the_map_on_a_phone(layout_server, browser):
    server = layout_server
    context, page = _phone(browser)
    log_in(page, server.url, COORDINATOR)
    page.goto(f"{server.url}/console/departures/{server.walk}")
    page.wait_for_selector('.compact-map [data-bidean-map][data-bidean-ready="true"]')
    bar = page.locator(".stop-nav").bounding_box()
    zoom = page.locator(".leaflet-control-zoom-in").bounding_box()
    # Scroll the map's "+" under the bar, which sticks to the bottom of the screen.
    page.evaluate("(dy) => window.scrollBy(0, dy)", zoom["y"] - bar["y"] - 4)
    bar = page.locator(".stop-nav").bounding_box()
    zoom = page.locator(".leaflet-control-zoom-in").bounding_box()
    assert zoom["y"] < bar["y"] + bar["height"] and zoom["y"] + zoom["height"] > bar["y"]
    x = zoom["x"] + zoom["width"] / 2
    y = (max(zoom["y"], bar["y"]) + min(zoom["y"] + zoom["height"], bar["y"] + bar["height"])) / 2
    on_top = page.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y).closest('.stop-nav')", [x, y]
    )
    assert on_top, "the map's zoom button covers the stop bar"
    context.close()


def test_the_meeting_point_name_and_address_are_apart(layout_server, browser):
    server = layout_server
    context, page = _phone(browser)
    page.goto(f"{server.url}/tours/{SLUG}/book")
    meeting = page.locator(".booking-facts dd").first
    name, address = "Corazón de María Square", "Plaza Corazón de María, Bilbao"
    assert meeting.inner_text().split("\n") == [name, address]
    context.close()


@pytest.mark.parametrize("lang", ["eu", "ar"])  # the longest dates, in both directions
def test_every_date_of_the_booking_form_fits_its_select(layout_server, browser, lang):
    server = layout_server
    context, page = _phone(browser, lang)
    page.goto(f"{server.url}/tours/{SLUG}/book")
    choices = page.evaluate(SELECT_FIT, "session")
    assert len(choices) >= 2
    cut = [c for c in choices if c["needs"] > math.floor(c["holds"] + 0.01)]
    assert cut == []
    context.close()


def test_the_coordinator_roster_shows_accessibility_notes(layout_server, browser):
    server = layout_server
    context, page = _phone(browser)
    log_in(page, server.url, COORDINATOR)
    page.goto(f"{server.url}/console/admin/departures/{server.walk}")
    row = page.locator(".roster-table tbody tr", has_text="Ane Etxeberria")
    assert NOTES in row.inner_text()
    header = page.locator(".roster-table thead th").all_inner_texts()
    assert "Accessibility" in header
    context.close()


def test_axe_finds_no_violations_on_the_pages_laid_out_here(layout_server, browser):
    server = layout_server
    context, page = _phone(browser)
    log_in(page, server.url, COORDINATOR)
    found = {}
    for path in (
        "/console/admin/accounts",
        "/console/admin/departures",  # the schedule form, the list's filters and its pages
        f"/console/admin/departures/{server.walk}",
        f"/console/departures/{server.walk}",
        "/console/tours",
        f"/console/tours/{SLUG}/translations",
        "/console/admin/audit",
        f"/tours/{SLUG}/book",
        f"/tours/{SLUG}",  # the compact language menu and the Book bar
        "/",
        "/tours/no-such-walk",  # the error pages, now in the interface's language
    ):
        page.goto(server.url + path)
        found[path] = axe_violations(page)
    context.close()
    assert {path: v for path, v in found.items() if v} == {}, json.dumps(found, indent=1)
