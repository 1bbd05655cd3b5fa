"""Booking in a real Chromium at a phone viewport, against a real ``bidean serve``.

The booking made in the browser must land in the server's outbox as an .eml with its
calendar file; a double tap books once; the Arabic form lays out right to left.  On a
360x740 phone the form starts on the first screen and ends within two, the tour page
keeps a Book bar at hand, the language menu is one control that works without script,
and axe-core finds no violations on the booking pages (issue #19).
"""

from __future__ import annotations

import email
import json
import re
import time
from datetime import UTC, datetime, timedelta
from email import policy

import icalendar
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import LOCALE, PHONE, map_walk_document
from tours.booking.bookings import Party, book, invariant_problems
from tours.booking.departures import DepartureRequest, schedule
from tours.booking.models import Booking
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

SLUG = "booking-walk"
MANY = "many-walks"  # a tour with a week of walks in four languages, one of them full
NONE = "no-walks"  # a tour with no walks scheduled
MANY_WALKS = ("es", "es", "en", "fr", "es", "en", "ar")
FULL_WALK = 3  # the French one
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
        extra_tours={slug: map_walk_document(slug) for slug in (SLUG, MANY, NONE)},
        env={"BIDEAN_OUTBOX_DIR": str(outbox)},
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
        many = []
        for n, language in enumerate(MANY_WALKS):
            start = datetime(day.year, day.month, day.day, 10, 0) + timedelta(days=n)
            (walk,) = schedule(db_session, DepartureRequest(MANY, start, language, 2))
            many.append(walk.id)
        full = many[FULL_WALK]
        book(db_session, full, Party(name="F", email="f@example.org", party_size=2, language="fr"))
        server.many_walks = many  # type: ignore[attr-defined]
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


def test_the_booking_form_comes_first_on_a_phone(booking_server, phone_page):
    phone_page.goto(f"{booking_server.url}/tours/{MANY}/book?lang=es")
    height = phone_page.viewport_size["height"]
    session = phone_page.locator("#session").bounding_box()
    submit = phone_page.locator(".booking-form button[type=submit]").bounding_box()
    # Measured at 360x740 before issue #19: the date at 1,690 px, Book's foot at 2,674 px.
    assert session["y"] + session["height"] <= height, "the date is on the first screen"
    assert submit["y"] + submit["height"] <= 2 * height, "Book is within two screens"
    names = phone_page.locator(".booking-form label").all_inner_texts()
    assert names[:4] == ["Fecha y hora", "Número de personas", "Nombre", "Correo electrónico"]
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_tour_page_keeps_a_book_bar_at_hand_on_a_phone(booking_server, phone_page):
    phone_page.goto(f"{booking_server.url}/tours/{MANY}?lang=es")
    # Reading the stops, the page's first screen (and its Book button) long gone.
    phone_page.evaluate("document.getElementById('stops-heading').scrollIntoView()")
    assert phone_page.evaluate("window.scrollY") > 740
    bar = phone_page.locator(".book-sticky")
    box = bar.bounding_box()
    assert bar.is_visible() and box is not None
    assert box["y"] + box["height"] == pytest.approx(740, abs=1), "at the foot of the screen"
    assert box["height"] <= 80, "and no more than a bar"
    bar.get_by_role("link", name="Reservar").click()
    phone_page.wait_for_url(re.compile(rf"/tours/{MANY}/book"))
    # A desktop shows the dates beside the text: no bar there.
    phone_page.go_back()
    phone_page.set_viewport_size({"width": 1280, "height": 800})
    assert not phone_page.locator(".book-sticky").is_visible()


def test_the_language_menu_is_one_control_that_works_without_script(booking_server, browser):
    context = browser.new_context(**{**PHONE, "locale": LOCALE}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{booking_server.url}/tours/{MANY}/book?lang=es")
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 80, f"the header takes {header['height']} px of a phone"
        english = page.get_by_role("link", name="English")
        assert not english.is_visible()
        menu = page.locator(".language-switcher summary")
        assert menu.locator("[lang]").inner_text() == "Español"
        menu.click()
        assert english.is_visible()
        english.click()
        page.wait_for_url(re.compile(r"lang=en"))
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator(".language-switcher summary [lang]").inner_text() == "English"
    finally:
        context.close()


def test_axe_finds_no_violations_on_the_booking_pages_at_360px(booking_server, phone_page):
    full = booking_server.many_walks[FULL_WALK]
    phone_page.goto(f"{booking_server.url}/tours/{MANY}/book?session={full}&lang=es")
    assert phone_page.locator("#session").input_value() == str(full)
    phone_page.locator(".language-switcher summary").click()  # the menu open, too
    assert axe_violations(phone_page) == [], "full walk"
    seats = booking_server.many_walks[0]
    phone_page.goto(f"{booking_server.url}/tours/{MANY}/waitlist?session={seats}&lang=es")
    assert phone_page.locator(".open-walk").is_visible()
    assert axe_violations(phone_page) == [], "waiting list"
    phone_page.goto(f"{booking_server.url}/tours/{NONE}/book?lang=es")
    assert phone_page.locator(".no-walks").is_visible()
    violations = axe_violations(phone_page)
    assert violations == [], json.dumps(violations, indent=1)
