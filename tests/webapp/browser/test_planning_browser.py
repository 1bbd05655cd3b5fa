"""Planning in Chromium: a guide marks a day unavailable on the phone and is no longer
offered for it; an overlapping assignment is refused as an error naming the other walk.

One server of its own; its walks and accounts are written straight into its database
with the same domain functions the console uses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guides.accounts import create_account
from guides.assignment import schedule_with_guide
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import DESKTOP, PHONE
from tours.booking.departures import DepartureRequest, get_departure
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
PASSWORD = "a walk by the river at noon"
SIZES = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(scope="module")
def planning_server(start_live_server):
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    server.factory = make_sessionmaker(engine)  # type: ignore[attr-defined]
    with transaction(server.factory, write_lock=True) as db_session:  # type: ignore[attr-defined]
        create_account(
            db_session, "aminata@example.org", "guide", guide_id="aminata", password=PASSWORD
        )
        create_account(db_session, "coordinator@example.org", "coordinator", password=PASSWORD)
    yield server
    engine.dispose()


def _walk(server, days: int, hour: int, minute: int = 0, guide: str | None = None) -> int:
    """A Spanish walk of San Francisco ``days`` from now at ``hour``:``minute``, Bilbao time."""
    day = (datetime.now(ZoneInfo("Europe/Madrid")) + timedelta(days=days)).date()
    start = datetime(day.year, day.month, day.day, hour, minute)
    with transaction(server.factory, write_lock=True) as db_session:
        (walk,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, start, "es", 12, guide_id=guide)
        )
        return walk.id


def _guide_of(server, walk_id: int) -> str | None:
    with transaction(server.factory) as db_session:
        return get_departure(db_session, walk_id).guide_id


def _log_in(page, server, email: str) -> None:
    page.goto(f"{server.url}/console/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/console/")


def _offered(page) -> list[str]:
    return page.eval_on_selector_all("#guide option", "os => os.map(o => o.value)")


def test_a_guide_marks_a_day_unavailable_and_is_no_longer_offered_for_it(planning_server, browser):
    server = planning_server
    walk = _walk(server, days=6, hour=11)
    day = (datetime.now(ZoneInfo("Europe/Madrid")) + timedelta(days=6)).date()

    desk = browser.new_context(**{**DESKTOP, "locale": "es-ES"})
    coordinator = desk.new_page()
    coordinator.set_default_timeout(20_000)
    _log_in(coordinator, server, "coordinator@example.org")
    coordinator.goto(f"{server.url}/console/admin/departures/{walk}")
    assert "aminata" in _offered(coordinator)

    phone = browser.new_context(**{**PHONE, "locale": "fr-FR"})
    guide = phone.new_page()
    guide.set_default_timeout(20_000)
    _log_in(guide, server, "aminata@example.org")
    guide.click('a[href="/console/availability"]')
    guide.wait_for_url(f"{server.url}/console/availability")
    assert guide.evaluate("document.documentElement.scrollWidth") <= 360  # fits the phone
    guide.check('input[name="available"][value="no"]')
    guide.fill("#first_day", day.isoformat())
    guide.fill("#note", "Rendez-vous médical")
    guide.click("#availability-form button[type=submit]")
    guide.wait_for_url(f"{server.url}/console/availability")
    assert guide.locator('.flash.success[role="status"]').count() == 1
    assert guide.locator(".mark-list .mark").count() == 1
    assert "Rendez-vous médical" in guide.inner_text(".mark-list")
    assert axe_violations(guide) == [], "availability page at 360 px"
    phone.close()

    coordinator.goto(f"{server.url}/console/admin/departures/{walk}")
    offered = _offered(coordinator)
    assert "aminata" not in offered and "youssef" in offered
    desk.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_overlapping_assignment_is_refused_as_an_error_naming_the_other_walk(
    planning_server, browser, size
):
    server = planning_server
    days = 8 if size == "phone" else 9
    first = _walk(server, days=days, hour=11)
    second = _walk(server, days=days, hour=12)  # the tour lasts 95 minutes: they overlap
    context = browser.new_context(**{**SIZES[size], "locale": "es-ES"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    _log_in(page, server, "coordinator@example.org")
    # The assign form of the second walk offers Youssef, free while nothing is assigned...
    page.goto(f"{server.url}/console/admin/departures/{second}")
    assert "youssef" in _offered(page)
    page.select_option("#guide", "youssef")
    # ...then, in another tab, he is given the first walk, at 11:00 the same day.
    other = context.new_page()
    other.goto(f"{server.url}/console/admin/departures/{first}")
    other.select_option("#guide", "youssef")
    other.click("#assign-form button[type=submit]")
    other.wait_for_selector('.flash.success[role="status"]')
    other.close()
    assert _guide_of(server, first) == "youssef"

    page.click("#assign-form button[type=submit]")
    alert = page.wait_for_selector('.flash.error[role="alert"]')
    assert axe_violations(page) == [], "a walk's page with the refusal"
    text = alert.inner_text()
    assert "Voces de San Francisco" in text and "11:00" in text and "Youssef" in text
    assert page.locator('.flash.success[role="status"]').count() == 0
    # It looks like an error: not the colours of a success.
    border = page.eval_on_selector(".flash.error", "e => getComputedStyle(e).borderTopColor")
    assert border == "rgb(164, 22, 26)"
    assert _guide_of(server, second) is None
    context.close()
