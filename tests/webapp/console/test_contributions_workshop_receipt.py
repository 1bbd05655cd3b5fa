"""A story entered at a workshop whose teller gave an email: they get the web form's receipt
(``contribution_receipt``) in the language the facilitator chose for their emails, with a
personal withdrawal link that works; no email, no receipt."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from guides.audit import Actor
from tests.webapp.actions.support import AfterRecord, fail_after_record, one_transaction
from tests.webapp.console.contribution_support import FACILITATOR, facilitator_logged_in
from tests.webapp.console.support import SLUG
from tours.booking.models import OutboxMessage
from tours.stories.consent import ConsentChoices
from tours.stories.contributions import ConsentGiven, Proposal
from tours.stories.models import WITHDRAWN, Contribution
from webapp.actions import contributions as actions
from webapp.actions.links import read_withdrawal_token
from webapp.commands.samples import load_sample_routes
from webapp.common.database import get_db
from webapp.common.i18n import LANGUAGES

TITLE = "Le marché du samedi"
STORY = "Chaque samedi, ma tante vendait du thiéboudienne ici."


@pytest.fixture
def facilitator(app, client):
    return facilitator_logged_in(app, client)


def _form(**changes) -> dict:
    data = {
        "submission_key": "form-key-0042",
        "stop": f"{SLUG}:sf-02",
        "language": "wo",
        "title": TITLE,
        "story": STORY,
        "interface_language": "ar",
        "contact_email": "awa@example.org",
        "credit": "first_name",
        "credit_name": "Awa",
        "tour_pages": "y",
        "licence": "CC-BY-4.0",
        "age_16_or_over": "y",
        "method": "paper",
        "consent_language": "fr",
        "paper_reference": "KOOP-2027-015",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _outbox(app) -> list[tuple[str, str, bytes]]:
    with get_db(app).transaction() as db_session:
        rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.kind, r.recipient, r.raw) for r in rows]


def _contribution(app) -> tuple[int, str, str, str]:
    with get_db(app).transaction() as db_session:
        found = db_session.scalars(select(Contribution)).one()
        return found.id, found.public_id, found.interface_language, found.consent.wording


def test_the_teller_gets_the_receipt_in_the_language_chosen_with_a_working_link(app, facilitator):
    response = facilitator.post("/console/contributions/new", data=_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    contribution_id, public_id, language, wording = _contribution(app)
    assert language == "ar"
    ((kind, recipient, raw),) = _outbox(app)
    assert (kind, recipient) == ("contribution_receipt", "awa@example.org")
    message = message_from_bytes(raw, policy=default)
    assert message["Content-Language"] == "ar"
    with app.test_request_context(), force_locale("ar"):
        subject = gettext("We received your story: %(title)s", title=TITLE)
    assert message["Subject"] == subject and "تلقّينا قصتك" in subject
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert '<html lang="ar" dir="rtl">' in html
    assert public_id in text and STORY in text
    # Where, in the teller's language: the tour's title and the stop's name in Arabic.
    assert "أصوات سان فرانسيسكو" in text and "شارع بلباو لا بييخا" in text
    # The consent in the words it was asked in (French here), line by line.
    for line in wording.splitlines():
        assert f"- {line}" in text
    link = next(line for line in text.splitlines() if "/share/withdraw/" in line).strip()
    assert link.startswith("http://localhost/share/withdraw/") and f'href="{link}"' in html
    token = link.rsplit("/", 1)[1]
    with app.test_request_context():
        assert read_withdrawal_token(token) == public_id

    # The teller follows it, with no login: the confirmation page, nothing withdrawn yet.
    teller = app.test_client()
    path = link.removeprefix("http://localhost")
    page = teller.get(path + "?lang=en")
    shown = page.get_data(as_text=True)
    assert page.status_code == 200 and "Withdraw your story" in shown
    assert public_id in shown and TITLE in shown and "<form" in shown
    with get_db(app).transaction() as db_session:
        assert db_session.get(Contribution, contribution_id).status != WITHDRAWN
    # Withdrawing from it deletes the receipt too (a ``contribution_`` mail).
    done = teller.post(path + "?lang=en")
    assert done.status_code == 200
    assert "Your story has been withdrawn." in done.get_data(as_text=True)
    assert [(k, r) for k, r, _ in _outbox(app)] == [("contribution_withdrawn", "awa@example.org")]


def test_no_email_no_receipt(app, facilitator):
    response = facilitator.post("/console/contributions/new", data=_form(contact_email=""))
    assert response.status_code == 302
    _id, _public_id, language, _wording = _contribution(app)
    assert language == "ar" and _outbox(app) == []


def test_the_emails_language_is_one_of_the_interface_languages_preselected(app, facilitator):
    html = facilitator.get("/console/contributions/new").get_data(as_text=True)
    select_html = re.search(r'<select id="interface_language"[^>]*>(.*?)</select>', html, re.S)
    assert select_html is not None
    offered = re.findall(r'value="([^"]+)"', select_html[1])
    assert offered == list(LANGUAGES)
    assert re.findall(r'<option selected value="([^"]+)"', select_html[1]) == ["en"]
    french = facilitator.get("/console/contributions/new?lang=fr").get_data(as_text=True)
    chosen = re.search(r'<select id="interface_language"[^>]*>(.*?)</select>', french, re.S)
    assert re.findall(r'<option selected value="([^"]+)"', chosen[1]) == ["fr"]
    # A language the interface does not speak is refused beside the field.
    refused = facilitator.post("/console/contributions/new", data=_form(interface_language="wo"))
    assert refused.status_code == 422
    assert 'id="interface_language-error"' in refused.get_data(as_text=True)
    assert _outbox(app) == []


def _proposal(email: str | None) -> Proposal:
    return Proposal(
        language="es",
        interface_language="eu",
        title="La tienda",
        story="Mi madre abrió aquí su tienda.",
        tour_slug=SLUG,
        stop_id="sf-01",
        contact_email=email,
    )


def _consent() -> ConsentGiven:
    choices = ConsentChoices("anonymous", None, True, False, False, True, True, "site-only", True)
    return ConsentGiven(choices, "Words shown.", "es", method="spoken", witness="Itziar")


def test_the_receipt_is_recorded_in_the_contributions_transaction(app, monkeypatch):
    load_sample_routes(app)
    who = Actor.account(FACILITATOR)
    with one_transaction(app) as db_session:
        found, created = actions.enter_for_resident(
            db_session, who, _proposal("itziar@example.org"), _consent(), submission_key="k"
        )
        assert created
        (row,) = db_session.scalars(select(OutboxMessage)).all()
        message = message_from_bytes(row.raw, policy=default)
        assert row.kind == "contribution_receipt" and message["Content-Language"] == "eu"
        assert row.recipient == found.contact_email == "itziar@example.org"
        assert found.interface_language == "eu"
        assert "Corazón de María plaza" in message.get_body(("plain",)).get_content()
        # The same form again: no second receipt.
        actions.enter_for_resident(
            db_session, who, _proposal("itziar@example.org"), _consent(), submission_key="k"
        )
        assert len(db_session.scalars(select(OutboxMessage)).all()) == 1
    # A transaction that fails after the action keeps neither the story nor its receipt.
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord), one_transaction(app) as db_session:
        actions.enter_for_resident(db_session, who, _proposal("x@example.org"), _consent())
    with get_db(app).transaction() as db_session:
        assert len(db_session.scalars(select(Contribution)).all()) == 1
        assert len(db_session.scalars(select(OutboxMessage)).all()) == 1
