"""The booking desk in Chromium, on a desktop and a 360 px phone: a coordinator takes a
phone booking from a walk's page, moves it to another date, and the booker gets one
email about the move, with the new date and a calendar file.  axe-core checks the
booking search on the phone.
"""

from __future__ import annotations

import email
import re
import time
from datetime import datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from guides.accounts import create_account
from guides.assignment import schedule_with_guide
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import DESKTOP, PHONE
from tests.webapp.browser.console_steps import log_in
from tours.booking.bookings import Party, book
from tours.booking.departures import DepartureRequest, get_departure
from tours.booking.models import Booking, OutboxMessage
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
PASSWORD = "a walk by the river at noon"
COORDINATOR = "desk@example.org"
MADRID = ZoneInfo("Europe/Madrid")
MAIL_WAIT_S = 20


@pytest.fixture(scope="module")
def desk_server(start_live_server, tmp_path_factory):
    """A server with two walks of one tour, three and four days ahead, and a coordinator."""
    outbox = tmp_path_factory.mktemp("desk-outbox")
    server = start_live_server(
        env={"BIDEAN_SAMPLE_DEPARTURES": "false", "BIDEAN_OUTBOX_DIR": str(outbox)}
    )
    server.outbox = outbox  # type: ignore[attr-defined]
    factory = make_sessionmaker(make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}"))
    start = (datetime.now(MADRID) + timedelta(days=3)).replace(
        tzinfo=None, hour=11, minute=0, second=0, microsecond=0
    )
    with transaction(factory, write_lock=True) as db_session:
        (first,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, start, "es", 12, guide_id="youssef")
        )
        (second,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, start + timedelta(days=1), "es", 12)
        )
        create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
        server.walks = (first.id, second.id)  # type: ignore[attr-defined]
    with transaction(factory, write_lock=True) as db_session:
        # Found by the search whichever test runs first.
        book(db_session, first.id, Party("Fatou Ndiaye", "ndiaye@example.org", 1, "es"))
    server.factory = factory  # type: ignore[attr-defined]
    return server


def _wait_for_sent(server, message_id: int) -> None:
    """The server's mail worker writes the message out as an .eml file; wait for it."""
    deadline = time.monotonic() + MAIL_WAIT_S
    while time.monotonic() < deadline:
        with transaction(server.factory) as db_session:
            if db_session.get(OutboxMessage, message_id).status == "sent":
                return
        time.sleep(0.2)
    pytest.fail(f"message {message_id} was not sent within {MAIL_WAIT_S} s")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_coordinator_takes_a_phone_booking_and_moves_it(desk_server, browser, device):
    server = desk_server
    first, second = server.walks
    # Each context names its locale: the console speaks Spanish to this coordinator.
    context = browser.new_context(**(DESKTOP if device == "desktop" else PHONE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    name = f"Fatou Diop {device}"
    address = f"fatou-{device}@example.org"
    try:
        log_in(page, server.url, COORDINATOR)
        page.goto(f"{server.url}/console/admin/departures/{first}")
        page.locator(f"a[href$='/console/admin/bookings/new?departure={first}']").click()
        page.wait_for_url(re.compile(r".*/console/admin/bookings/new\?departure=\d+$"))
        assert page.locator("#departure").input_value() == str(first)
        page.select_option("#source", "phone")
        page.fill("#name", name)
        page.fill("#party_size", "2")
        page.fill("#email", address)
        page.fill("#phone", "+34 611 222 333")
        page.select_option("#language", "es")
        page.check("#contact_consent")
        page.click("#take-booking button[type=submit]")
        page.wait_for_url(re.compile(r".*/console/admin/bookings/\d+$"))
        booking_id = int(page.url.rsplit("/", 1)[1])
        assert page.locator(".flash[role=status]").count() == 1
        with transaction(server.factory) as db_session:
            booking = db_session.get(Booking, booking_id)
            assert (booking.name, booking.source, booking.contact_consent) == (name, "phone", True)
            assert booking.departure_id == first
            taken_before = get_departure(db_session, second).seats_taken

        page.select_option("#move-form select", str(second))
        page.click("#move-form button[type=submit]")
        page.wait_for_url(re.compile(rf".*/console/admin/bookings/{booking_id}$"))
        page.wait_for_selector(".flash[role=status]")
        with transaction(server.factory) as db_session:
            booking = db_session.get(Booking, booking_id)
            assert booking.departure_id == second
            new_start = get_departure(db_session, second).starts_at
            assert get_departure(db_session, second).seats_taken == taken_before + 2
            messages = list(
                db_session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.booking_id == booking_id)
                    .order_by(OutboxMessage.id)
                )
            )
        # The confirmation when it was taken, and ONE message about the move.
        assert [m.kind for m in messages] == ["confirmation", "moved"]
        moved = messages[1]
        _wait_for_sent(server, moved.id)
        eml = server.outbox / f"{moved.id:08d}-moved.eml"
        mail = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert mail["To"] == address and booking.reference in mail["Subject"]
        (ics,) = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
        (event,) = icalendar.Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")
        assert event.decoded("DTSTART") == new_start
        local = new_start.astimezone(MADRID)
        assert f"{local:%H:%M}" in mail.get_body(("plain",)).get_content()
    finally:
        context.close()


def test_booking_search_has_no_axe_violations_on_a_phone(desk_server, browser):
    context = browser.new_context(**PHONE)  # locale es-ES, 360x740
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, desk_server.url, COORDINATOR)
        page.goto(f"{desk_server.url}/console/admin/bookings")
        page.fill("#q", "fatou")
        page.click("#booking-search button[type=submit]")
        page.wait_for_selector("#booking-results li")
        assert "fatou" not in page.url  # who was searched for stays out of the address
        assert axe_violations(page) == []
        page.fill("#q", "a")  # too short: an error beside the field
        page.click("#booking-search button[type=submit]")
        page.wait_for_selector(".field-error[role=alert]")
        assert axe_violations(page) == []
    finally:
        context.close()
