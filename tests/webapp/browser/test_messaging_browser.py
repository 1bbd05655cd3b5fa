"""Messages to a walk's group in Chromium, on a desktop and on a 360x740 phone.

A coordinator writes to one walk's group from the walk's page, a guide to their own
walk's group from theirs; the server's own mail worker sends through a real SMTP server
(aiosmtpd, in this process), and each booker gets the message once, in their language.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from guides.accounts import create_account
from guides.assignment import schedule_with_guide
from guides.models import WalkMessage
from tests.mail_support import smtp_server
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import DESKTOP, PHONE
from tours.booking.bookings import Party, book
from tours.booking.departures import DepartureRequest
from tours.booking.models import OutboxMessage
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
PASSWORD = "a walk by the river at noon"
COORDINATOR = "coordinator@example.org"
GUIDE = "youssef@example.org"
# Who is booked on each walk, and in which language they booked.
BOOKERS = {"ane@example.org": "es", "marie@example.org": "fr", "john@example.org": "en"}
SCREENS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(scope="module")
def messaging_server(start_live_server):
    with smtp_server() as (inbox, port):
        server = start_live_server(
            env={
                "BIDEAN_SAMPLE_DEPARTURES": "false",
                "BIDEAN_SMTP_HOST": "127.0.0.1",
                "BIDEAN_SMTP_PORT": str(port),
            }
        )
        engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
        factory = make_sessionmaker(engine)
        soon = datetime.now(ZoneInfo("Europe/Madrid")) + timedelta(days=1)
        soon = soon.replace(tzinfo=None, hour=11, minute=0, second=0, microsecond=0)
        walks = {}
        with transaction(factory, write_lock=True) as db_session:
            # One Spanish walk of Youssef's per (writer, screen): each run its own group.
            for n, key in enumerate(
                (w, s) for w in ("coordinator", "guide") for s in ("desktop", "phone")
            ):
                (walk,) = schedule_with_guide(
                    db_session,
                    DepartureRequest(SLUG, soon + timedelta(days=n), "es", 12, guide_id="youssef"),
                )
                walks[key] = walk.id
            create_account(db_session, GUIDE, "guide", guide_id="youssef", password=PASSWORD)
            create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
        for walk_id in walks.values():
            for address, language in BOOKERS.items():
                with transaction(factory, write_lock=True) as db_session:
                    book(db_session, walk_id, Party(address, address, 1, language))
        server.walks = walks  # type: ignore[attr-defined]
        server.factory = factory  # type: ignore[attr-defined]
        server.inbox = inbox  # type: ignore[attr-defined]
        yield server
        engine.dispose()


def new_page(browser, screen: str):
    # The console in Spanish, the site's own language, on either screen.
    context = browser.new_context(**{**SCREENS[screen], "locale": "es-ES"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def log_in(page, server, email: str) -> None:
    page.goto(f"{server.url}/console/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/console/")


def write_to_group(page, spanish: tuple[str, str], french: tuple[str, str]) -> None:
    """On a walk's page: follow its link to the message form, write, send."""
    page.click("#walk-messages a.button")
    page.wait_for_selector("#message-form")
    page.fill("#subject-es", spanish[0])
    page.fill("#text-es", spanish[1])
    page.fill("#subject-fr", french[0])
    page.fill("#text-fr", french[1])
    page.click("#message-form button[type=submit]")
    page.wait_for_selector(".flash[role=status]")


def received(server, marker: str, count: int) -> dict[str, list]:
    """The inbox's messages whose subject holds ``marker``, by recipient, once ``count``
    have arrived (the server's mail worker sends them on its own)."""
    deadline = time.monotonic() + 30
    while True:
        found: dict[str, list] = {}
        for _from, to, message in list(server.inbox.messages):
            if marker in str(message["Subject"]):
                for address in to:
                    found.setdefault(address, []).append(message)
        if sum(map(len, found.values())) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def assert_each_booker_once_in_their_language(server, walk_id: int, marker: str) -> None:
    found = received(server, marker, len(BOOKERS))
    assert sorted(found) == sorted(BOOKERS)
    assert all(len(messages) == 1 for messages in found.values()), found
    texts = {a: m[0].get_body(("plain",)).get_content() for a, m in found.items()}
    assert "prenez un parapluie" in str(found["marie@example.org"][0]["Subject"])
    assert "Rendez-vous sous le pont" in texts["marie@example.org"]
    for address in ("ane@example.org", "john@example.org"):  # no English text: Spanish
        assert "traed paraguas" in str(found[address][0]["Subject"])
        assert "Nos vemos bajo el puente" in texts[address]
        assert "Rendez-vous" not in texts[address]
    for address, messages in found.items():
        raw = messages[0].as_bytes()
        assert not [other for other in BOOKERS if other != address and other.encode() in raw]
    with transaction(server.factory) as db_session:
        rows = db_session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.departure_id == walk_id, OutboxMessage.subject.contains(marker)
            )
        ).all()
        assert sorted(row.recipient for row in rows) == sorted(BOOKERS)
        assert {row.status for row in rows} == {"sent"}
        (logged,) = db_session.scalars(
            select(WalkMessage).where(WalkMessage.departure_id == walk_id)
        ).all()
        assert logged.recipients == len(BOOKERS)


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_coordinator_messages_a_walks_group(messaging_server, browser, screen):
    server = messaging_server
    walk_id = server.walks[("coordinator", screen)]
    marker = f"C-{screen}"
    context, page = new_page(browser, screen)
    log_in(page, server, COORDINATOR)
    page.goto(f"{server.url}/console/admin/departures/{walk_id}")
    write_to_group(
        page,
        (f"Llueve, traed paraguas {marker}", "Nos vemos bajo el puente."),
        (f"Il pleut, prenez un parapluie {marker}", "Rendez-vous sous le pont."),
    )
    assert page.url.endswith(f"/console/departures/{walk_id}/messages")
    # The walk's log, on the coordinator's page of the walk.
    page.goto(f"{server.url}/console/admin/departures/{walk_id}")
    assert marker in page.locator("#walk-messages").inner_text()
    if screen == "phone":
        page.goto(f"{server.url}/console/departures/{walk_id}/messages")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert axe_violations(page) == []
    assert_each_booker_once_in_their_language(server, walk_id, marker)
    context.close()


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_guide_messages_their_own_walks_group(messaging_server, browser, screen):
    server = messaging_server
    walk_id = server.walks[("guide", screen)]
    marker = f"G-{screen}"
    context, page = new_page(browser, screen)
    log_in(page, server, GUIDE)
    page.goto(f"{server.url}/console/departures/{walk_id}")
    write_to_group(
        page,
        (f"Llueve, traed paraguas {marker}", "Nos vemos bajo el puente."),
        (f"Il pleut, prenez un parapluie {marker}", "Rendez-vous sous le pont."),
    )
    # Sending the same again is refused, as an error the screen reader announces.
    page.fill("#subject-es", f"Llueve, traed paraguas {marker}")
    page.fill("#text-es", "Nos vemos bajo el puente.")
    page.fill("#subject-fr", f"Il pleut, prenez un parapluie {marker}")
    page.fill("#text-fr", "Rendez-vous sous le pont.")
    page.click("#message-form button[type=submit]")
    assert page.locator(".flash.error[role=alert]").is_visible()
    page.goto(f"{server.url}/console/departures/{walk_id}")
    assert marker in page.locator("#walk-messages").inner_text()
    assert_each_booker_once_in_their_language(server, walk_id, marker)
    context.close()
