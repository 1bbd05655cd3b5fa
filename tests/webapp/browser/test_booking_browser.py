"""Booking in a real Chromium at a phone viewport, against a real ``bidean serve``.

The booking made in the browser must land in the server's outbox as an .eml with its
calendar file; a double tap books once; the Arabic form lays out right to left.
"""

from __future__ import annotations

import email
import re
import time
from datetime import UTC, datetime, timedelta
from email import policy

import icalendar
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.webapp.browser.conftest import map_walk_document
from tours.booking.bookings import invariant_problems
from tours.booking.departures import DepartureRequest, schedule
from tours.booking.models import Booking
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

SLUG = "booking-walk"
REFERENCE = re.compile(r"^[2-9A-HJKMNP-Z]{8}$")


def _written_mail(outbox, reference: str, timeout_s: float = 15.0) -> list:
    """The .eml files about ``reference``, once the server's mail worker thread wrote them."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [p for p in sorted(outbox.glob("*.eml")) if reference.encode() in p.read_bytes()]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.fixture(scope="module")
def booking_server(start_live_server, tmp_path_factory):
    """A server of its own (its sessions must not show up in other tests' pages)."""
    outbox = tmp_path_factory.mktemp("outbox")
    server = start_live_server(
        extra_tours={SLUG: map_walk_document(SLUG)}, env={"BIDEAN_OUTBOX_DIR": str(outbox)}
    )
    server.outbox = outbox  # type: ignore[attr-defined]
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    day = (datetime.now(UTC) + timedelta(days=14)).date()
    with transaction(make_sessionmaker(engine), write_lock=True) as db_session:
        (departure,) = schedule(
            db_session,
            DepartureRequest(SLUG, datetime(day.year, day.month, day.day, 11, 0), "es", 12),
        )
        server.departure_id = departure.id  # type: ignore[attr-defined]
    server.engine = engine  # type: ignore[attr-defined]
    yield server
    with transaction(make_sessionmaker(engine)) as db_session:
        assert invariant_problems(db_session) == []
    engine.dispose()


def booking_count(server) -> int:
    with transaction(make_sessionmaker(server.engine)) as db_session:
        return len(db_session.scalars(select(Booking)).all())


def fill_form(page, name: str, email_address: str, size: str) -> None:
    page.fill("#party_size", size)
    page.fill("#name", name)
    page.fill("#email", email_address)
    page.fill("#phone", "+34 600 123 456")
    page.select_option("#language", "eu")
    page.check("#privacy")


def test_phone_booking_lands_in_the_outbox_with_its_calendar(booking_server, phone_page, watch):
    seen = watch(phone_page, booking_server.origin)
    phone_page.goto(f"{booking_server.url}/tours/{SLUG}?lang=es")
    sessions = phone_page.locator(".tour-sessions")
    assert "Quedan 12 plazas" in sessions.inner_text()
    sessions.get_by_role("link", name="Reservar").click()
    phone_page.wait_for_url(re.compile(rf"/tours/{SLUG}/book\?session=\d+"))

    # A server-side error first: the message is next to the field, the typing is kept.
    fill_form(phone_page, "Miren", "miren@example.org", "0")
    phone_page.get_by_role("button", name="Reservar").click()
    assert phone_page.locator("#party_size-error").inner_text() == (
        "Una reserva es para al menos una persona."
    )
    assert phone_page.input_value("#email") == "miren@example.org"
    assert phone_page.input_value("#phone") == "+34 600 123 456"
    assert phone_page.is_checked("#privacy")

    phone_page.fill("#party_size", "2")
    phone_page.get_by_role("button", name="Reservar").click()
    phone_page.wait_for_url(re.compile(r"/bookings/[^/]+/confirmed"))
    assert phone_page.locator("h1").inner_text() == "Reserva confirmada"
    reference = phone_page.locator(".reference").inner_text().strip()
    assert REFERENCE.match(reference)
    assert phone_page.locator(".meeting-map").count() == 1
    assert "Cancelar esta reserva" in phone_page.locator(".cancel-help").inner_text()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the confirmation page scrolls sideways on a phone ({width}px)"
    assert seen.errors == [] and seen.foreign_requests() == []

    (eml,) = _written_mail(booking_server.outbox, reference)
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "miren@example.org"
    assert message["Subject"].startswith(f"Zure {reference} erreserba")
    (attachment,) = list(message.iter_attachments())
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]).startswith(f"booking-{reference}@")
    assert event["DTSTART"].params["TZID"] == "Europe/Madrid"
    assert event.decoded("DTSTART").hour == 11


def test_a_double_tap_on_book_makes_one_booking(booking_server, phone_page):
    before = booking_count(booking_server)
    phone_page.goto(
        f"{booking_server.url}/tours/{SLUG}/book?session={booking_server.departure_id}&lang=en"
    )
    fill_form(phone_page, "Double Tap", "tap@example.org", "1")
    phone_page.get_by_role("button", name="Book").dblclick()
    # The second tap's submission cancels the first one's navigation (net::ERR_ABORTED);
    # wait_for_url fails when it is already following the cancelled one, which happens on
    # a loaded machine.  Polling the address waits for wherever the page ends up instead.
    expect(phone_page).to_have_url(re.compile(r"/bookings/[^/]+/confirmed"))
    phone_page.wait_for_load_state()
    assert phone_page.locator("h1").inner_text() == "Booking confirmed"
    assert booking_count(booking_server) == before + 1


def test_arabic_form_reads_right_to_left_on_a_phone(booking_server, phone_page, watch):
    seen = watch(phone_page, booking_server.origin)
    phone_page.goto(
        f"{booking_server.url}/tours/{SLUG}/book?session={booking_server.departure_id}&lang=ar"
    )
    assert phone_page.locator("html").get_attribute("dir") == "rtl"
    assert phone_page.locator("h1").inner_text() == "احجز جولة"
    # Right to left: the label's text starts at the right edge, above its field.
    text = phone_page.evaluate(
        """() => { const range = document.createRange();
                   range.selectNodeContents(document.querySelector('label[for=name]'));
                   const box = range.getBoundingClientRect();
                   return {left: box.left, right: box.right}; }"""
    )
    field = phone_page.locator("#name").bounding_box()
    assert text["right"] == pytest.approx(field["x"] + field["width"], abs=2)
    assert text["left"] > 360 / 2
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    assert seen.errors == []
