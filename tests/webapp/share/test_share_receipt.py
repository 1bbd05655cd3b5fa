"""The receipt a teller gets when they gave an email: in their interface language, what was
received, the consent in the words they agreed to, and the personal withdrawal link."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from tests.webapp.share.support import (
    SLUG,
    a_recording,
    count,
    form_data,
    load_tours,
    png_bytes,
    send,
    with_media,
)
from tours.booking.models import OutboxMessage
from tours.stories.models import Contribution
from webapp.actions.contributions import withdrawal_link
from webapp.actions.links import read_withdrawal_token
from webapp.common.database import get_db
from webapp.common.urls import public_url_for


def _receipt(app):
    with get_db(app).transaction() as db_session:
        (row,) = db_session.scalars(select(OutboxMessage))
        contribution = db_session.scalars(select(Contribution)).one()
        public_id, wording = contribution.public_id, contribution.consent.wording
        message = message_from_bytes(row.raw, policy=default)
        return row, message, public_id, wording


def _parts(message) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_the_receipt_says_what_was_received_with_the_withdrawal_link(app, client):
    load_tours(app)
    data = with_media(form_data(), photos=[png_bytes()], audio=a_recording(90.0))
    assert send(client, f"/tours/{SLUG}/share?lang=en", data).status_code == 303
    row, message, public_id, wording = _receipt(app)
    assert (row.kind, row.recipient) == ("contribution_receipt", "aminata@example.org")
    assert message["Subject"] == "We received your story: La tienda de mi madre"
    assert message["Content-Language"] == "en"
    text, html = _parts(message)
    link = next(line for line in text.splitlines() if "/share/withdraw/" in line).strip()
    assert link.startswith("http://localhost/share/withdraw/")
    with app.test_request_context("/"):
        assert read_withdrawal_token(link.rsplit("/", 1)[1]) == public_id
        # The token is signed with the second it was made (payload.timestamp.signature):
        # the same link but for those two parts, which differ once a second has passed.
        assert withdrawal_link(public_id).rsplit(".", 2)[0] == link.rsplit(".", 2)[0]
        if "withdrawal.confirm" in app.view_functions:  # once the withdrawal pages are here
            assert public_url_for("withdrawal.confirm", token=link.rsplit("/", 1)[1]) == link
    assert f'href="{link}"' in html
    assert public_id in text and "Voices of San Francisco" in text
    assert "2. " in text  # the stop, numbered as on the tour page
    assert "Photos: 1" in text and "Recording: 2 min" in text
    assert "Vendía telas de Dakar." in text
    for line in wording.splitlines():  # the consent, as stored, line by line
        assert f"- {line}" in text
    assert '<div lang="es" dir="ltr"' in html


def test_the_receipt_is_in_the_interface_language_and_the_story_in_its_own(app, client):
    load_tours(app)
    story = "ኣብዚ ቦታ እዚ ኣደይ ድኳን ከፊታ።"
    data = form_data(language="other", language_other="ti", story=story, title="ድኳን")
    assert send(client, "/share?lang=ar", data).status_code == 303
    _row, message, _public_id, _wording = _receipt(app)
    assert message["Content-Language"] == "ar"
    text, html = _parts(message)
    assert '<html lang="ar" dir="rtl">' in html
    assert '<div lang="ti" dir="ltr"' in html and story in html
    assert "تلقّينا قصتك" in message["Subject"] and "ድኳን" in message["Subject"]
    assert "/share/withdraw/" in text


def test_the_receipt_escapes_what_the_teller_wrote(app, client):
    load_tours(app)
    hostile = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
    data = form_data(title=hostile, story=hostile, credit_name=hostile)
    assert send(client, "/share?lang=en", data).status_code == 303
    _row, message, _public_id, _wording = _receipt(app)
    _text, html = _parts(message)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&gt;&lt;img" in html
    assert "“&lt;script&gt;alert(1)" in html  # the credit line of the consent, too
    assert "\n" not in message["Subject"]


def test_no_email_no_receipt(app, client):
    load_tours(app)
    assert send(client, "/share?lang=en", form_data(email="")).status_code == 303
    assert count(app, Contribution) == 1 and count(app, OutboxMessage) == 0
    with get_db(app).transaction() as db_session:
        assert db_session.scalars(select(Contribution.contact_email)).one() is None
    # The received page still gives the personal link, once.
    assert "/share/withdraw/" in client.get("/share/received").get_data(as_text=True)
