"""Messages through a real SMTP server (aiosmtpd): language, calendar file, retries."""

from __future__ import annotations

import email
import logging
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from babel.dates import format_skeleton
from flask_babel import force_locale
from sqlalchemy import select

from tests.booking_support import SLUG, add_departure, drain_mail, store_tour
from tests.mail_support import free_port, smtp_server
from tours.booking.models import Booking, OutboxMessage
from webapp.booking.calendar import CalendarEvent, booking_calendar
from webapp.common.departure_views import departure_date, departure_short_date
from webapp.mail.messages import MAIL_POLICY

MADRID = ZoneInfo("Europe/Madrid")


# Whatever a test did, seats taken equal confirmed party sizes afterwards.
pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10)


def book(client, departure_id: int, language: str = "fr", size: int = 3) -> dict:
    response = client.post(
        f"/api/sessions/{departure_id}/bookings",
        json={
            "name": "Fatou",
            "email": "fatou@example.org",
            "party_size": size,
            "language": language,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "booking.ics"
    # UTF-8 said in the part: a reader must not guess how a tour's accents are written.
    assert part.get_content_charset() == "utf-8"
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def outbox_rows(db_session) -> list[OutboxMessage]:
    with db_session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_confirmation_in_the_booker_language_with_a_calendar(
    app, client, db_transaction, departure_id
):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_SENDER="Bidean <tours@bidean.example>")
    app.config["PUBLIC_URL"] = "https://tours.bidean.example"
    with smtp_server() as (inbox, port):
        app.config["SMTP_PORT"] = port
        made = book(client, departure_id, language="fr")
        assert inbox.messages == []  # the request ends at the commit; the worker sends
        drain_mail(app)
    (mail_from, recipients, message) = inbox.messages[0]
    assert (mail_from, recipients) == ("tours@bidean.example", ["fatou@example.org"])
    assert message["Subject"] == f"Votre réservation {made['reference']} : Paseo por Zabala"
    assert message["Content-Language"] == "fr"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Fatou," in text and "Votre réservation est confirmée." in text
    assert '<html lang="fr" dir="ltr">' in html
    manage_url = next(line for line in text.splitlines() if "/bookings/" in line).strip()
    assert manage_url.startswith("https://tours.bidean.example/bookings/")

    calendar = calendar_of(message)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{made['reference']}@tours.bidean.example"
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Madrid"
    assert event["DTSTART"].params["TZID"] == "Europe/Madrid"
    assert (start.hour, start.minute) == (11, 0)
    assert event.decoded("DTEND") - start == timedelta(minutes=90)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]
    assert "Zabalburu" in str(event["LOCATION"]) and "43.256000" in str(event["LOCATION"])
    assert (event["GEO"].latitude, event["GEO"].longitude) == (43.256, -2.93)
    assert str(event["URL"]) == manage_url
    assert [r.status for r in outbox_rows(db_transaction)] == ["sent"]

    # Cancelling sends a METHOD:CANCEL for the same UID, so calendars drop the event.
    with smtp_server(port) as (inbox, _port):
        # Cancelling asks first (issue 11): the post goes to the confirm page.
        path = manage_url.removeprefix("https://tours.bidean.example")
        response = client.post(path + "/cancel")
        assert response.status_code == 303
        drain_mail(app)
    (_from, _to, cancelled) = inbox.messages[0]
    assert cancelled["Subject"] == f"Réservation {made['reference']} annulée"
    cancel_calendar = calendar_of(cancelled)
    assert cancel_calendar["METHOD"] == "CANCEL"
    assert str(cancel_calendar.walk("VEVENT")[0]["UID"]) == str(event["UID"])


# aiosmtpd warns about AUTH without TLS; loopback in a test is the one place that is fine.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtp_login_is_used_when_configured(app, client, departure_id):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"12345"
        return AuthResult(success=ok, handled=False)

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_USER="bidean", SMTP_PASSWORD=12345)
    with smtp_server(authenticator=check, auth_require_tls=False, auth_required=True) as (
        inbox,
        port,
    ):
        app.config["SMTP_PORT"] = port
        book(client, departure_id)
        drain_mail(app)
    assert len(inbox.messages) == 1


def test_a_failed_send_keeps_the_booking_and_mail_retry_delivers(
    app, client, runner, db_transaction, departure_id
):
    port = free_port()  # nothing listens here yet
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    made = book(client, departure_id, language="es")
    with db_transaction() as db_session:
        (booking,) = db_session.scalars(select(Booking)).all()
        assert booking.reference == made["reference"]
    drain_mail(app)
    (row,) = outbox_rows(db_transaction)
    # A refused connection is transient: the message waits for its next attempt.
    assert (row.status, row.attempts) == ("pending", 1) and row.next_attempt_at is not None
    assert "ConnectionRefusedError" in row.last_error
    failing = runner.invoke(args=["mail", "retry"])
    assert failing.exit_code == 1 and "0 messages sent, 1 failed" in failing.output
    with smtp_server(port) as (inbox, _port):
        result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0, result.output
    assert "1 message sent, 0 failed" in result.output
    (_from, _to, message) = inbox.messages[0]
    assert made["reference"] in message["Subject"] and "Tu reserva" in message["Subject"]
    (row,) = outbox_rows(db_transaction)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert row.next_attempt_at is None
    assert runner.invoke(args=["mail", "retry"]).output.startswith("0 messages sent")


def test_without_smtp_messages_go_to_the_outbox_folder(app, client, caplog, departure_id):
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        made = book(client, departure_id, language="ar")
        drain_mail(app)
    (eml,) = sorted((Path(app.instance_path) / "outbox").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "fatou@example.org"
    assert message["Subject"] == f"حجزك {made['reference']}: Paseo por Zabala"
    assert '<html lang="ar" dir="rtl">' in message.get_body(("html",)).get_content()
    (event,) = calendar_of(message).walk("VEVENT")
    assert event.decoded("DTSTART").astimezone(MADRID).hour == 11
    assert any(str(eml) in record.getMessage() for record in caplog.records)
    assert all("fatou@example.org" not in record.getMessage() for record in caplog.records)


def test_departure_cancellation_emails_everyone_booked(
    app, client, runner, db_transaction, departure_id
):
    book(client, departure_id, language="eu", size=2)
    book(client, departure_id, language="en", size=1)
    app.config["SMTP_HOST"] = "127.0.0.1"
    with smtp_server() as (inbox, port):
        app.config["SMTP_PORT"] = port
        result = runner.invoke(args=["sessions", "cancel", str(departure_id)])
    assert result.exit_code == 0, result.output
    assert "2 bookings" in result.output and "2 emails sent" in result.output
    subjects = sorted(message["Subject"] for _f, _t, message in inbox.messages)
    assert subjects[0].startswith("Bertan behera: Zabalako ibilbidea")
    assert subjects[1].startswith("Cancelled: Zabala walk on ")
    for _f, _t, message in inbox.messages:
        assert calendar_of(message)["METHOD"] == "CANCEL"
    with db_transaction() as db_session:
        assert {b.status for b in db_session.scalars(select(Booking))} == {"cancelled"}


def test_tour_page_link_in_mail_uses_public_url(app, client, departure_id):
    app.config["PUBLIC_URL"] = "https://bidean.example/site"
    book(client, departure_id, language="en")
    drain_mail(app)
    (eml,) = sorted((Path(app.instance_path) / "outbox").glob("*.eml"))
    html = email.message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("html",))
    assert f'href="https://bidean.example/site/tours/{SLUG}"' in html.get_content()


# The shortcuts taken to compose mail faster must not change a byte of what is written.


def _calendar_event(timezone: str, cancelled: bool):
    return CalendarEvent(
        reference="K7QX2M9P",
        domain="tours.bidean.example",
        starts_at=datetime(2027, 3, 28, 9, 30, tzinfo=UTC),  # the day clocks change in Madrid
        timezone=timezone,
        duration_minutes=90,
        summary="Bidean: Paseo por Zabala; «sabores», ñ and a long title " * 2,
        description="K7QX2M9P",
        location_name="Plaza Zabálburu, Bilbao",
        lon=-2.93,
        lat=43.256,
        url="https://tours.bidean.example/bookings/" + "x" * 120,
        cancelled=cancelled,
    )


@pytest.mark.parametrize("timezone", ["Europe/Madrid", "America/Lima", "Australia/Lord_Howe"])
@pytest.mark.parametrize("cancelled", [False, True])
def test_calendar_bytes_equal_icalendar_writing_the_whole_tree(timezone, cancelled):
    event = _calendar_event(timezone, cancelled)
    now = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    start = event.starts_at.astimezone(ZoneInfo(timezone))
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Bidean//Walking tour bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", now)
    vevent.add("dtstart", start)
    vevent.add("dtend", start + timedelta(minutes=90))
    vevent.add("summary", event.summary)
    vevent.add("description", event.description)
    vevent.add("location", "Plaza Zabálburu, Bilbao (43.256000, -2.930000)")
    vevent.add("geo", (43.256, -2.93))
    vevent.add("url", event.url)
    vevent.add("sequence", 1 if cancelled else 0)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(
        icalendar.Timezone.from_tzid(
            timezone,
            first_date=datetime(2026, 1, 1).date(),
            last_date=datetime(2028, 12, 31).date(),
        )
    )
    calendar.add_component(vevent)
    expected = calendar.to_ical()

    assert booking_calendar(event, now=now) == expected
    assert booking_calendar(event, now=now) == expected  # again, from the cache


def test_mail_policy_writes_the_same_bytes_as_the_smtp_policy():
    def build(chosen: policy.Policy) -> bytes:
        message = EmailMessage(policy=chosen)
        message["Subject"] = "Votre réservation K7QX2M9P : Paseo por Zabala — «ñ» " * 3
        message["From"] = "Bidean <tours@bidean.example>"
        message["To"] = "Fatou Diop <fatou@example.org>"
        message["Date"] = "Sat, 06 Mar 2027 10:00:00 GMT"
        message["Message-ID"] = "<1.2@tours.bidean.example>"
        message.set_content("Bonjour Fatou,\n" + "é" * 200 + "\n")
        message.add_alternative('<p dir="rtl">مرحبا</p>', subtype="html")
        message.add_attachment(
            b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            maintype="text",
            subtype="calendar",
            filename="booking.ics",
            params={"method": "PUBLISH"},
        )
        message["Content-Language"] = "fr"
        for part in message.walk():  # boundaries are random: fix them to compare
            if part.is_multipart():
                part.set_boundary(f"b-{part.get_content_subtype()}")
        return message.as_bytes()

    smtp_bytes = build(policy.SMTP)
    assert build(MAIL_POLICY) == smtp_bytes
    assert build(MAIL_POLICY) == smtp_bytes  # the header classes, now reused


@pytest.mark.parametrize("language", ["es", "eu", "en", "fr", "ar"])
def test_departure_dates_match_babel_format_skeleton(app, language):
    moment = datetime(2027, 3, 6, 11, 0, tzinfo=MADRID)
    with app.test_request_context(), force_locale(language):
        for skeleton, formatted in (
            ("yMMMMEEEEd", departure_date),
            ("MMMEd", departure_short_date),
        ):
            expected = format_skeleton(skeleton, moment, tzinfo=MADRID, locale=language)
            assert formatted(moment) == expected
            assert formatted(moment) == expected  # second call: the cached pattern
