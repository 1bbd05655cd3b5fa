"""The coordinator's dashboard and calendar in Chromium, on a desktop and a 360 px phone:
a walk without a guide is seen, fixed from its link, and gone on return; axe-core finds
nothing on either page at 360 px."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guides.accounts import create_account
from guides.assignment import schedule_with_guide
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import DESKTOP, PHONE
from tours.booking import outbox
from tours.booking.bookings import Party, book
from tours.booking.departures import DepartureRequest, get_departure
from tours.booking.models import WAITING, WaitlistEntry
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
PASSWORD = "a walk by the river at noon"
COORDINATOR = "coordinator@example.org"
SIZES = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(scope="module")
def dashboard_server(start_live_server):
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    server.factory = make_sessionmaker(engine)  # type: ignore[attr-defined]
    soon = datetime.now(ZoneInfo("Europe/Madrid")).replace(tzinfo=None, second=0, microsecond=0)
    with transaction(server.factory, write_lock=True) as db_session:  # type: ignore[attr-defined]
        create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
        (guided,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, soon + timedelta(days=2), "es", 12, "youssef")
        )
        book(db_session, guided.id, Party("Ane Etxeberria", "a@example.org", 2, "es"))
        # Every section of the dashboard shows something for axe to check.
        outbox.record(
            db_session,
            kind="booking_confirmation",
            recipient="nobody@example.org",
            subject="Tu paseo",
            raw=b"",
            departure_id=guided.id,
            error="550 no such mailbox",
        )
        db_session.add(
            WaitlistEntry(departure_id=guided.id, party_size=2, language="es",
                          name="Itziar", email="i@example.org", status=WAITING)
        )  # fmt: skip
    yield server
    engine.dispose()


def unguided_walk(server, days: int) -> int:
    """A new English walk in ``days`` days that nobody guides yet."""
    start = datetime.now(ZoneInfo("Europe/Madrid")) + timedelta(days=days)
    start = start.replace(tzinfo=None, hour=11, minute=0, second=0, microsecond=0)
    with transaction(server.factory, write_lock=True) as db_session:
        (walk,) = schedule_with_guide(db_session, DepartureRequest(SLUG, start, "en", 12))
        return walk.id


def log_in(page, server) -> None:
    page.goto(f"{server.url}/console/login")
    page.fill("#email", COORDINATOR)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/console/")


def fits_the_screen(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_walk_without_a_guide_is_fixed_from_the_dashboard(dashboard_server, browser, size):
    server = dashboard_server
    walk = unguided_walk(server, days=3 if size == "desktop" else 4)
    context = browser.new_context(**{**SIZES[size], "locale": "es-ES"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    log_in(page, server)
    link = page.locator(f'#without-guide a[href="/console/admin/departures/{walk}"]')
    assert link.is_visible()
    assert fits_the_screen(page)
    link.click()
    page.wait_for_url(f"{server.url}/console/admin/departures/{walk}")
    page.select_option("#guide", "mei")  # Mei speaks English
    page.click("#assign-form button[type=submit]")
    page.wait_for_selector(".flash")
    with transaction(server.factory) as db_session:
        assert get_departure(db_session, walk).guide_id == "mei"
    page.locator('header nav a[href="/console/"]').click()
    page.wait_for_url(f"{server.url}/console/")
    assert page.locator(f'#without-guide a[href="/console/admin/departures/{walk}"]').count() == 0
    # Still listed with the week's walks, now with its guide.
    line = page.locator(f'#this-week li[data-walk="{walk}"]')
    assert "Mei" in line.inner_text()
    context.close()


def test_dashboard_and_calendar_pass_axe_on_a_phone(dashboard_server, phone_page):
    server = dashboard_server
    unguided_walk(server, days=5)
    log_in(phone_page, server)
    for section in ("#without-guide", "#this-week", "#waiting-lists", "#failed-mail"):
        assert phone_page.locator(section).is_visible(), section
    phone_page.locator("#failed-mail summary").first.click()  # the reason, unfolded
    assert axe_violations(phone_page) == [], "dashboard"
    for view in ("month", "week"):
        phone_page.goto(f"{server.url}/console/admin/calendar?view={view}")
        assert phone_page.locator(".calendar-walk").count() >= 1 or view == "week"
        assert fits_the_screen(phone_page), view
        # A list by day: no weekday header row, one day under another.
        assert not phone_page.locator(".calendar-weekdays").is_visible()
        assert axe_violations(phone_page) == [], f"calendar {view}"
    # A wrong filter: errors beside the fields, still no violation.
    phone_page.goto(f"{server.url}/console/admin/calendar?view=year&guide=nobody")
    assert phone_page.locator("#filter-guide-error").is_visible()
    assert axe_violations(phone_page) == [], "calendar with errors"


def test_the_calendar_is_a_grid_on_a_desktop(dashboard_server, desktop_page):
    server = dashboard_server
    log_in(desktop_page, server)
    desktop_page.goto(f"{server.url}/console/admin/calendar?view=month")
    assert desktop_page.locator(".calendar-weekdays").is_visible()
    columns = desktop_page.eval_on_selector(
        ".calendar-days", "e => getComputedStyle(e).gridTemplateColumns.split(' ').length"
    )
    assert columns == 7
    assert axe_violations(desktop_page) == [], "calendar on a desktop"
