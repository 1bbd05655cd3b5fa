"""Group requests in Chromium, on a 360 px phone and on a desktop: a school asks for a walk
on the public form, a coordinator accepts it into a private walk, and that walk is in
neither the catalogue, the tour page, the API nor the sitemap.  axe-core checks the form
at 360 px."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from guides.accounts import create_account
from guides.assignment import schedule_with_guide
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import DESKTOP, LOCALE, PHONE
from tests.webapp.browser.console_steps import log_in
from tours.booking.departures import DepartureRequest
from tours.booking.models import Booking, Departure, GroupRequest, OutboxMessage
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
PASSWORD = "a walk by the river at noon"
COORDINATOR = "coordinator@example.org"


@pytest.fixture(scope="module")
def groups_server(start_live_server):
    """A server with one public walk, a coordinator account and the sample guides."""
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    factory = make_sessionmaker(engine)
    later = datetime.now(ZoneInfo("Europe/Madrid")) + timedelta(days=20)
    later = later.replace(tzinfo=None, hour=11, minute=0, second=0, microsecond=0)
    with transaction(factory, write_lock=True) as db_session:
        (public,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, later, "es", 12, guide_id="youssef")
        )
        create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
        server.public_walk = public.id  # type: ignore[attr-defined]
    server.factory = factory  # type: ignore[attr-defined]
    yield server
    engine.dispose()


def _wall(days: int, hour: int) -> str:
    moment = datetime.now(ZoneInfo("Europe/Madrid")) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def test_the_group_form_passes_axe_on_a_phone(browser, groups_server):
    context = browser.new_context(**{**PHONE, "locale": LOCALE})
    page = context.new_page()
    try:
        page.goto(f"{groups_server.url}/groups")
        assert page.locator("html").get_attribute("lang") == "es"
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        page.fill("#organisation", "IES Miribilla")
        page.click("form.group-form button[type=submit]")
        expect(page.locator("#error-summary")).to_be_visible()
        assert page.locator("#email-error").is_visible()
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        # Nothing sticks out sideways on a 360 px phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
    finally:
        context.close()


@pytest.mark.parametrize(
    ("options", "days", "school"),
    [
        ({**PHONE, "locale": LOCALE}, 2, "IES Miribilla"),
        ({**DESKTOP, "locale": LOCALE}, 3, "Colegio Cervantes"),
    ],
    ids=["phone", "desktop"],
)
def test_a_schools_request_becomes_a_private_walk(browser, groups_server, options, days, school):
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = groups_server.url
    try:
        # The school finds the form from the tour page, its tour already chosen.
        page.goto(f"{base}/tours/{SLUG}")
        page.locator("a.group-request-link").click()
        page.wait_for_url(re.compile(rf".*/tours/{SLUG}/groups$"))
        assert page.locator("#tour").input_value() == SLUG
        page.fill("#organisation", school)
        page.select_option("#kind", "school")
        page.fill("#group_size", "24")
        page.fill("#preferred_1", _wall(days, 10))
        page.select_option("#walk_language", "es")
        page.fill("#contact_name", "Ane Etxeberria")
        page.fill("#email", "ane@example.org")
        page.fill("#phone", "+34 600 111 222")
        page.click("form.group-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/groups/received$"))
        expect(page.locator("[role=status]")).to_be_visible()

        # The coordinator finds it in the queue and accepts it.
        log_in(page, base, COORDINATOR)
        page.locator("nav a[href='/console/admin/groups']").click()
        page.get_by_role("link", name=school).click()
        assert page.locator("#accept-starts_at").input_value() == _wall(days, 10)
        page.click("#accept-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/console/admin/departures/\d+$"))
        walk = int(page.url.rsplit("/", 1)[1])

        with transaction(groups_server.factory) as db_session:
            departure = db_session.get(Departure, walk)
            assert departure.private and departure.seats_taken == 24
            assert departure.guide_id in ("aminata", "youssef")
            (booking,) = db_session.scalars(select(Booking).where(Booking.departure_id == walk))
            assert booking.name == "Ane Etxeberria"
            found = db_session.scalars(
                select(GroupRequest).where(GroupRequest.organisation == school)
            ).one()
            assert found.status == "accepted" and found.departure_id == walk
            kinds = db_session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.recipient == "ane@example.org")
            ).all()
            assert "group_received" in kinds and "group_accepted" in kinds

        # Nowhere public: the catalogue, the tour page, the API, the sitemap.
        page.goto(f"{base}/")
        assert f"session={groups_server.public_walk}" in page.content()
        assert f"session={walk}" not in page.content()
        page.goto(f"{base}/tours/{SLUG}")
        assert f"session={walk}" not in page.content()
        listed = page.request.get(f"{base}/api/sessions").json()
        ids = [item["id"] for item in listed]
        assert groups_server.public_walk in ids and walk not in ids
        assert page.request.get(f"{base}/api/sessions/{walk}").status == 404
        sitemap = page.request.get(f"{base}/sitemap.xml").text()
        assert f"session={groups_server.public_walk}" in sitemap
        assert f"session={walk}" not in sitemap
    finally:
        context.close()
