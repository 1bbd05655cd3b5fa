"""Feedback in Chromium on a 360 px phone in French: a walker checked in on a walk that
has ended opens the link of the email `bidean feedback ask` wrote (the `.eml` file the
worker leaves without a mail server), gets errors beside the fields, answers, and a
second visit says the answer was received.  axe-core checks the form."""

from __future__ import annotations

import email
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from guides.models import CheckIn
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import PHONE
from tours.booking.bookings import Party, book
from tours.booking.departures import DepartureRequest, schedule
from tours.booking.models import Departure, WalkFeedback
from tours.db import make_engine, make_sessionmaker, transaction
from webapp import create_app

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
LOCALE = "fr-FR"


@pytest.fixture(scope="module")
def feedback_server(start_live_server):
    # Its own mail worker does not ask (it would race the command below); the form still
    # takes answers to emails already sent, as it does on a site that switched asking off.
    return start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false", "BIDEAN_FEEDBACK": "false"})


def _walk_that_ended(factory) -> int:
    """A walk scheduled ahead, then moved to three hours ago, with one French walker
    checked in as arrived; the booking's id."""
    later = datetime.now(ZoneInfo("Europe/Madrid")) + timedelta(days=5)
    later = later.replace(tzinfo=None, hour=11, minute=0, second=0, microsecond=0)
    with transaction(factory, write_lock=True) as db_session:
        (walk,) = schedule(db_session, DepartureRequest(SLUG, later, "es", 12))
        walker = Party("Camille Durand", "camille@example.org", 2, "fr")
        booking = book(db_session, walk.id, walker).booking
        db_session.execute(
            update(Departure)
            .where(Departure.id == walk.id)
            .values(starts_at=datetime.now(UTC) - timedelta(hours=4))
        )
        db_session.add(
            CheckIn(booking_id=booking.id, state="arrived", idempotency_key=uuid.uuid4().hex)
        )
        return booking.id


def _ask_by_command(server, outbox_dir) -> str:
    """Run `bidean feedback ask` on the server's database; the form's path in the .eml."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{server.instance / 'bidean.sqlite3'}",
            "SECRET_KEY": "browser-tests",
            "PUBLIC_URL": server.url,
            "FEEDBACK": True,
            "OUTBOX_DIR": str(outbox_dir),
            "INSTANCE_PATH": str(outbox_dir.parent / "cli-instance"),
        }
    )
    try:
        result = app.test_cli_runner().invoke(args=["feedback", "ask"])
    finally:
        app.extensions["bidean.db"].engine.dispose()
    assert result.exit_code == 0, result.output
    assert "1 booking asked for feedback, 1 sent" in result.output
    (eml,) = outbox_dir.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "camille@example.org" and message["Content-Language"] == "fr"
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"https?://\S+?(/feedback/[A-Za-z0-9_.\-]+)\s", text)
    assert found, text
    return found.group(1)


def test_a_walker_answers_from_the_emailed_link_in_french(browser, feedback_server, tmp_path):
    engine = make_engine(f"sqlite:///{feedback_server.instance / 'bidean.sqlite3'}")
    factory = make_sessionmaker(engine)
    booking_id = _walk_that_ended(factory)
    path = _ask_by_command(feedback_server, tmp_path / "outbox")
    context = browser.new_context(**{**PHONE, "locale": LOCALE})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{feedback_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == "fr"
        expect(page.locator("h1")).to_have_text("Comment s’est passée votre visite ?")
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)

        # Sent without a rating nor an answer to "recommend": errors beside them, in French.
        page.click("form.feedback-form button[type=submit]")
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("#rating-error")).to_have_text("Choisissez une note de 1 à 5.")
        expect(page.locator("#recommend-error")).to_have_text("Répondez oui ou non.")
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)

        page.check("input[name=rating][value='4']")
        page.check("input[name=recommend][value=yes]")
        page.fill("#learned", "Que les commerces de la rue racontent des voyages.")
        page.select_option("#followed_language", "fr")
        page.check("#quote_consent")
        page.check("input[name=credit][value=first]")
        page.click("form.feedback-form button[type=submit]")
        expect(page.locator("[role=status]")).to_contain_text("Nous avons bien reçu vos réponses")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # A second visit of the emailed link: received, no form.
        page.goto(f"{feedback_server.url}{path}")
        expect(page.locator("[role=status]")).to_contain_text("Nous avons bien reçu vos réponses")
        assert page.locator("form.feedback-form").count() == 0
    finally:
        context.close()
    with transaction(factory) as db_session:
        row = db_session.scalars(
            select(WalkFeedback).where(WalkFeedback.booking_id == booking_id)
        ).one()
        stored = (row.rating, row.recommend, row.followed_language, row.credit_name)
    engine.dispose()
    assert stored == (4, True, "fr", "Camille")
