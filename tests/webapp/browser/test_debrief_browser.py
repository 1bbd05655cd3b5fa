"""The guide's debrief in Chromium: a guide files it on a 360x740 phone after a walk
(Spanish locale), fixing an error first; the coordinator's dashboard then lists the route
change asked for, and the walk's page shows the debrief.  axe-core finds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from guides.accounts import create_account
from guides.assignment import schedule_with_guide
from guides.models import Debrief
from guides.roster import record_check_in
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import DESKTOP, PHONE
from tours.booking.bookings import Party, book
from tours.booking.departures import DepartureRequest
from tours.booking.models import Departure
from tours.db import make_engine, make_sessionmaker, transaction, utcnow

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
PASSWORD = "a walk by the river at noon"
COORDINATOR = "coordinator@example.org"
GUIDE = "youssef@example.org"
ROUTE_CHANGE = "El puente de la calle Zabala está cerrado: rodear por la plaza."


@pytest.fixture(scope="module")
def walk_server(start_live_server):
    """A live server with one Spanish walk of Youssef's that began two hours ago: three
    parties booked, two of them (3 people) checked in as arrived by their newest mark."""
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    factory = make_sessionmaker(engine)
    soon = datetime.now(ZoneInfo("Europe/Madrid")) + timedelta(days=1)
    soon = soon.replace(tzinfo=None, hour=11, minute=0, second=0, microsecond=0)
    with transaction(factory, write_lock=True) as db_session:
        (walk,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, soon, "es", 12, guide_id="youssef")
        )
        walk_id = walk.id
        create_account(db_session, GUIDE, "guide", guide_id="youssef", password=PASSWORD)
        create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
    bookings = []
    for address, size in (("ane@example.org", 2), ("iker@example.org", 1), ("lur@example.org", 4)):
        with transaction(factory, write_lock=True) as db_session:
            bookings.append(
                book(db_session, walk_id, Party(address, address, size, "es")).booking.id
            )
    with transaction(factory, write_lock=True) as db_session:
        db_session.get(Departure, walk_id).starts_at = utcnow() - timedelta(hours=2)
        marks = ((0, "arrived"), (1, "no_show"), (1, "arrived"), (2, "arrived"), (2, "no_show"))
        for n, (index, state) in enumerate(marks):
            record_check_in(db_session, walk_id, bookings[index], state, f"browser-{n:04d}", None)
    server.walk_id = walk_id  # type: ignore[attr-defined]
    server.factory = factory  # type: ignore[attr-defined]
    yield server
    engine.dispose()


def new_page(browser, screen: dict):
    context = browser.new_context(**{**screen, "locale": "es-ES"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def log_in(page, server, email: str) -> None:
    page.goto(f"{server.url}/console/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/console/")


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_guide_files_a_debrief_on_a_phone_and_the_coordinator_sees_the_route_change(
    browser, walk_server
):
    server = walk_server
    context, page = new_page(browser, PHONE)
    try:
        log_in(page, server, GUIDE)
        page.goto(f"{server.url}/console/departures/{server.walk_id}")
        page.click("#debrief-link")
        page.wait_for_selector("#debrief-form")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.input_value("#headcount") == "3"  # 2 + 1: the newest marks count
        assert no_sideways_scroll(page)
        assert axe_violations(page) == []

        # Asking for a route change without saying which: the error sits by the field.
        page.fill("#headcount", "4")
        page.check("input[name=rating][value='4']")
        page.fill("#notes", "Grupo muy atento; preguntaron por el mercado.")
        page.check("#route_change_needed")
        page.click("#debrief-form button[type=submit]")
        page.wait_for_selector("#route_change-error")
        assert page.get_attribute("#route_change", "aria-invalid") == "true"
        assert page.locator(".flash.error[role=alert]").is_visible()
        assert page.input_value("#headcount") == "4"  # what was written stays
        assert no_sideways_scroll(page)
        assert axe_violations(page) == []

        page.fill("#route_change", ROUTE_CHANGE)
        page.click("#debrief-form button[type=submit]")
        page.wait_for_selector(".flash[role=status]")
        assert page.input_value("#headcount") == "4"
        assert page.is_checked("input[name=rating][value='4']")
        assert no_sideways_scroll(page)
    finally:
        context.close()
    with transaction(server.factory) as db_session:
        saved = db_session.scalar(select(Debrief).where(Debrief.departure_id == server.walk_id))
        assert (saved.headcount, saved.rating, saved.route_change) == (4, 4, ROUTE_CHANGE)

    context, page = new_page(browser, DESKTOP)
    try:
        log_in(page, server, COORDINATOR)
        section = page.locator("#route-changes")
        assert section.is_visible()
        section.locator("summary").click()
        assert ROUTE_CHANGE in section.inner_text()
        assert section.locator(f"a[href='/console/tours/{SLUG}']").count() == 1
        section.locator(f"a[href='/console/admin/departures/{server.walk_id}']").click()
        page.wait_for_selector("#debrief")
        assert page.locator("#debrief .debrief-headcount").inner_text() == "4"
        assert ROUTE_CHANGE in page.locator("#debrief").inner_text()
    finally:
        context.close()
