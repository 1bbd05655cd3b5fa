"""The guide console in Chromium on a phone: login, check-in, stops, offline, coordinator.

One server of its own; its walks, accounts and bookings are written straight into its
database with the same domain functions the console uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from guides.accounts import create_account, end_sessions, get_account
from guides.assignment import schedule_with_guide
from guides.models import CheckIn
from guides.roster import record_check_in
from tests.webapp.browser.conftest import DESKTOP, PHONE
from tours.booking.bookings import Party, book
from tours.booking.departures import DepartureRequest
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
PASSWORD = "a walk by the river at noon"
STOP_3_SCRIPT = "Colócate junto a la barandilla"  # sf-03 in Spanish, the walk's language
STOP_1_SCRIPT = "Reúne al grupo bajo los árboles"
PAST_BOOKER = "Itziar Goikoetxea"
CACHE = "bidean-console-v1"


@pytest.fixture(scope="module")
def console_server(start_live_server):
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    factory = make_sessionmaker(engine)
    soon = datetime.now(ZoneInfo("Europe/Madrid")) + timedelta(hours=2)
    soon = soon.replace(tzinfo=None, minute=0, second=0, microsecond=0)
    with transaction(factory, write_lock=True) as db_session:
        (today,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, soon, "es", 12, guide_id="youssef")
        )
        (french,) = schedule_with_guide(
            db_session,
            DepartureRequest(SLUG, soon + timedelta(days=2), "fr", 12, guide_id="aminata"),
        )
        (unassigned,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, soon + timedelta(days=3), "en", 12)
        )
        create_account(
            db_session, "youssef@example.org", "guide", guide_id="youssef", password=PASSWORD
        )
        create_account(
            db_session, "aminata@example.org", "guide", guide_id="aminata", password=PASSWORD
        )
        create_account(db_session, "coordinator@example.org", "coordinator", password=PASSWORD)
        server.walks = (today.id, french.id, unassigned.id)  # type: ignore[attr-defined]
    bookings = []
    for name, size in (("Ane Etxeberria", 2), ("Bruno Costa", 3)):
        with transaction(factory, write_lock=True) as db_session:
            result = book(
                db_session,
                server.walks[0],  # type: ignore[attr-defined]
                Party(name, "v@example.org", size, "es", phone="+34 600 111 222"),
            )
            bookings.append(result.booking.id)
    server.bookings = bookings  # type: ignore[attr-defined]
    # A walk of three days ago, scheduled and booked as it was then.
    then = datetime.now(UTC) - timedelta(days=5)
    with transaction(factory, write_lock=True) as db_session:
        (past,) = schedule_with_guide(
            db_session,
            DepartureRequest(SLUG, soon - timedelta(days=3), "es", 12, guide_id="youssef"),
            now=then,
        )
        book(db_session, past.id, Party(PAST_BOOKER, "p@example.org", 2, "es"), now=then)
        server.past_walk = past.id  # type: ignore[attr-defined]
    server.factory = factory  # type: ignore[attr-defined]
    yield server
    engine.dispose()


def check_ins(server, booking_id: int) -> int:
    with transaction(server.factory) as db_session:
        query = select(func.count()).select_from(CheckIn).where(CheckIn.booking_id == booking_id)
        return db_session.scalar(query)


def log_in(page, server, email: str) -> None:
    """Log in on the console's form; once more if the form comes back.

    The service worker refreshes the phone's kept copies in the background (it fetched the
    walk page the previous account opened).  When a test ends a session by clearing the
    cookies, such a fetch can reach the server without one and be sent to the login page,
    whose new session cookie replaces the one the form's CSRF token belongs to: the form
    comes back, as it would to a person, who logs in again.
    """
    for attempt in (1, 2):
        page.goto(f"{server.url}/console/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        if page.url == f"{server.url}/console/" or attempt == 2:
            break
    page.wait_for_url(f"{server.url}/console/")


def guide_opens_walk(browser, server, walk_id: int, locale: str | None = None):
    """Youssef, on his phone, logged in and on one of his walks: (context, page, path)."""
    context = browser.new_context(**({**PHONE, "locale": locale} if locale else PHONE))
    page = context.new_page()
    page.set_default_timeout(20_000)
    log_in(page, server, "youssef@example.org")
    path = f"/console/departures/{walk_id}"
    page.goto(server.url + path)
    return context, page, path


def test_a_guide_works_a_walk_online(console_server, browser):
    server = console_server
    # An English phone: it sends Accept-Language, and the page's words are English.
    context = browser.new_context(**{**PHONE, "locale": "en"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    log_in(page, server, "youssef@example.org")
    # Today's walk is listed first; open it.
    page.click(".walk-link >> nth=0")
    page.wait_for_url(f"{server.url}/console/departures/{server.walks[0]}")
    first = server.bookings[0]

    before = check_ins(server, first)
    row = page.locator(f'.booking[data-booking="{first}"]')
    row.locator("button.arrived").click()
    page.wait_for_function("() => document.getElementById('pending').hidden")
    assert check_ins(server, first) == before + 1
    assert page.text_content("#count-arrived") == "2"

    page.click("#next-stop")
    page.click("#next-stop")
    assert page.text_content("#stop-position") == "Stop 3 of 8"
    assert STOP_3_SCRIPT in page.locator(".stop.current .script-text").inner_text()
    assert page.locator(".stop.current .script-text").get_attribute("lang") == "es"

    # Phone layout: nothing scrolls sideways, every control is at least 44 px tall.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    small = page.evaluate(
        """[...document.querySelectorAll('button, .button, .walk-link, .booking-phone')]
           .filter(el => el.offsetParent && el.getBoundingClientRect().height < 44)
           .map(el => el.outerHTML.slice(0, 80))"""
    )
    assert small == []
    context.close()


def wait_until_kept(page, path: str) -> None:
    """The service worker controls the page and keeps its copy of ``path``."""
    page.wait_for_function(
        """async ([name, path]) => {
             const cache = await caches.open(name);
             return !!(await cache.match(path)) && !!navigator.serviceWorker.controller;
           }""",
        arg=[CACHE, path],
    )


KEPT_WITH = """async (words) => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const answer = await cache.match(request);
      if (!answer) continue;  // deleted by the service worker since keys() listed it
      const text = await answer.text();
      if (words.some((word) => text.includes(word))) found.push(request.url);
    }
  }
  return found;
}"""


def kept_with(page, *words: str) -> list[str]:
    """The URLs of every copy the phone keeps (caches API) that holds one of ``words``."""
    return page.evaluate(KEPT_WITH, list(words))


def roster_and_scripts(page) -> tuple[list[str], list[str]]:
    """The bookers' names and every stop's script, as the page shows them."""
    names = page.locator(".booking-name").all_inner_texts()
    return names, page.locator(".stop .script-text").all_inner_texts()


def queued_check_ins(page) -> int:
    return page.evaluate(
        "JSON.parse(localStorage.getItem('bidean-console-check-ins') || '[]').length"
    )


# Phones send their own language (Accept-Language), whatever the interface shows.
@pytest.mark.parametrize("locale", ["es-ES", "ar"])
def test_a_walk_page_reloads_offline_and_a_double_tap_checks_in_once(
    console_server, browser, locale
):
    server = console_server
    context, page, path = guide_opens_walk(browser, server, server.walks[0], locale)
    page.click("#next-stop")
    page.click("#next-stop")
    online = roster_and_scripts(page)
    assert "Ane Etxeberria" in online[0] and len(online[1]) == 8
    assert STOP_3_SCRIPT in page.locator(".stop.current .script-text").inner_text()
    # Right to left too, nothing scrolls sideways (the phone would zoom the page out).
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The service worker keeps the page and its assets; then the network goes away.
    wait_until_kept(page, path)
    context.set_offline(True)
    page.reload()
    assert roster_and_scripts(page) == online
    assert page.locator(".stop.current").get_attribute("data-stop-index") == "2"
    assert STOP_1_SCRIPT in page.content()
    assert page.is_visible("#offline-banner")

    # A double tap offline queues one mark, and one check-in reaches the server.
    second = server.bookings[1]
    before = check_ins(server, second)
    page.locator(f'.booking[data-booking="{second}"] button.arrived').dblclick()
    assert page.is_visible("#pending")
    assert queued_check_ins(page) == 1
    assert check_ins(server, second) == before

    context.set_offline(False)
    page.wait_for_function("() => document.getElementById('pending').hidden")
    assert check_ins(server, second) == before + 1
    page.reload()
    assert check_ins(server, second) == before + 1
    assert page.get_attribute(f'.booking[data-booking="{second}"]', "data-state") == "arrived"
    context.close()


def test_a_mark_is_sent_when_the_phone_comes_back_online_during_a_failing_try(
    console_server, browser
):
    """The phone comes back online while a try made offline has not failed yet: the mark
    is sent as soon as that try ends, not at the next page load."""
    server = console_server
    context, page, _path = guide_opens_walk(browser, server, server.walks[0], "es-ES")
    first = server.bookings[0]
    before = check_ins(server, first)
    held = []  # the try's CSRF request, held as a slow dead network would hold it

    def hold(route) -> None:
        if held:
            route.continue_()  # later tries reach the server
        else:
            held.append(route)

    context.route("**/console/csrf", hold)  # the context's: the service worker's too
    page.locator(f'.booking[data-booking="{first}"] button.no-show').click()
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    assert held and page.is_visible("#pending")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # back, mid-try
    held[0].abort()  # ... and only now does the first try fail
    page.wait_for_function("() => document.getElementById('pending').hidden")
    assert check_ins(server, first) == before + 1
    assert queued_check_ins(page) == 0
    context.close()


def test_a_check_in_queued_by_one_account_is_never_sent_by_another(console_server, browser):
    """A mark queued offline belongs to the account that made it: when that session ended
    before the phone was back online and another account logs in on the same phone, the
    mark waits (it is neither sent nor shown) until its own account is back."""
    server = console_server
    context, page, path = guide_opens_walk(browser, server, server.walks[0])
    first = server.bookings[0]
    before = check_ins(server, first)
    shown = page.get_attribute(f'.booking[data-booking="{first}"]', "data-state")
    context.set_offline(True)
    page.locator(f'.booking[data-booking="{first}"] button.no-show').click()
    assert queued_check_ins(page) == 1

    context.clear_cookies()  # the guide's session ends while the phone is offline
    # Back online, the page tries to send the mark and is sent to the login page; wait
    # for that answer, whose new session cookie would otherwise race the login form's.
    with page.expect_response(lambda answer: "/console/login" in answer.url):
        context.set_offline(False)
    log_in(page, server, "coordinator@example.org")
    page.goto(server.url + path)
    page.wait_for_selector("#departure[data-flushed]", state="attached")
    assert check_ins(server, first) == before
    assert queued_check_ins(page) == 1
    assert page.get_attribute(f'.booking[data-booking="{first}"]', "data-state") == shown

    context.clear_cookies()
    log_in(page, server, "youssef@example.org")
    page.goto(server.url + path)
    page.wait_for_function("() => document.getElementById('pending').hidden")
    assert check_ins(server, first) == before + 1
    assert queued_check_ins(page) == 0
    context.close()


def test_the_opened_walk_loads_offline_after_the_interface_language_changed(
    console_server, browser
):
    server = console_server
    context, page, path = guide_opens_walk(browser, server, server.walks[0])
    online = roster_and_scripts(page)
    wait_until_kept(page, path)
    page.goto(f"{server.url}/console/?lang=ar")
    assert page.get_attribute("html", "lang") == "ar"

    context.set_offline(True)
    page.goto(server.url + path)
    assert roster_and_scripts(page) == online
    assert page.is_visible("#offline-banner")
    context.close()


def test_a_session_ended_without_logging_out_leaves_no_roster_on_the_phone(console_server, browser):
    server = console_server
    context, page, path = guide_opens_walk(browser, server, server.walks[0])
    wait_until_kept(page, path)
    # The worker may still be writing its copy again (it keeps each page it serves).
    page.wait_for_function(
        f"(words) => ({KEPT_WITH})(words).then((found) => found.length > 0)",
        arg=["Ane Etxeberria", "+34 600 111 222"],
    )

    # Logged out elsewhere: this phone's cookie no longer opens a session.
    with transaction(server.factory, write_lock=True) as db_session:
        end_sessions(db_session, get_account(db_session, "youssef@example.org").id)
    page.goto(f"{server.url}/console/")
    assert "/console/login" in page.url
    page.wait_for_function(
        "async (path) => !(await caches.match(path, { ignoreVary: true }))", arg=path
    )
    assert kept_with(page, "Ane Etxeberria", "+34 600 111 222") == []
    context.close()


def test_a_roster_is_not_served_offline_after_the_day_after_its_walk(console_server, browser):
    server = console_server
    context, page, path = guide_opens_walk(browser, server, server.past_walk)
    assert PAST_BOOKER in page.content()
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    # The copy a phone kept while the walk was current (put back as it was then).
    page.evaluate(
        """async ([name, path]) => {
             const response = await fetch(path);
             await (await caches.open(name)).put(path, response);
           }""",
        [CACHE, path],
    )
    assert kept_with(page, PAST_BOOKER) != []

    context.set_offline(True)
    page.reload()
    assert PAST_BOOKER not in page.content()
    assert kept_with(page, PAST_BOOKER) == []
    context.close()


def test_another_guide_cannot_open_that_walk(console_server, browser):
    server = console_server
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, server, "aminata@example.org")
    assert page.locator(f'a[href="/console/departures/{server.walks[0]}"]').count() == 0
    response = page.goto(f"{server.url}/console/departures/{server.walks[0]}")
    assert response.status == 404
    assert "Ane Etxeberria" not in page.content()
    context.close()


def test_a_coordinator_assigns_a_guide_and_exports_the_roster(console_server, browser):
    server = console_server
    context = browser.new_context(**DESKTOP, accept_downloads=True)
    page = context.new_page()
    log_in(page, server, "coordinator@example.org")
    page.goto(f"{server.url}/console/admin/departures/{server.walks[2]}")
    offered = page.eval_on_selector_all("#guide option", "os => os.map(o => o.value)")
    assert "mei" in offered and "aminata" not in offered  # only English speakers
    page.select_option("#guide", "mei")
    page.click("#assign-form button[type=submit]")
    page.wait_for_selector(".flash")
    assert page.eval_on_selector("#guide", "s => s.value") == "mei"

    # Ane arrived (marked here: tests of this module may run on another worker's server).
    with transaction(server.factory, write_lock=True) as db_session:
        record_check_in(
            db_session, server.walks[0], server.bookings[0], "arrived", "roster-export-1", None
        )
    page.goto(f"{server.url}/console/admin/departures/{server.walks[0]}")
    with page.expect_download() as download:
        page.click("a[download]")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Ane Etxeberria" in text and "arrived" in text
    context.close()
