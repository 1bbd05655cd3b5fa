"""The feedback form from the emailed link: one answer, 30 days, errors beside fields,
the opt-out, and what the purge keeps."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from guides.audit import Actor
from guides.models import AuditEntry
from tests.webapp.feedback.support import (
    asked_bookings,
    check_in,
    email_text,
    ended_walk,
    feedback_mails,
    form_path,
)
from tours.booking.models import WalkFeedback
from tours.booking.purge import purge_personal_data
from webapp.actions import feedback
from webapp.common.database import get_db

AFTER = timedelta(minutes=60)
ANSWER = {
    "rating": "5",
    "recommend": "yes",
    "learned": "Que le quartier a été construit par des gens venus de partout.",
    "followed_language": "es",
    "quote_consent": "y",
    "credit": "first",
    "chosen_name": "",
}


def _asked_walk(app, db_transaction, names=("Amaia",)):
    walk = ended_walk(app, db_transaction, names=names)
    for booking_id in walk.bookings.values():
        check_in(db_transaction, booking_id, "arrived")
    with app.app_context():
        feedback.ask_due(app, Actor("test"), now=walk.ends_at + AFTER)
    return walk


def _row(app) -> WalkFeedback:
    with get_db(app).transaction() as db_session:
        row = db_session.scalars(select(WalkFeedback)).one()
        db_session.expunge(row)
        return row


def test_one_answer_per_booking_and_a_second_visit_says_it_was_received(
    app, db_transaction, client
):
    _asked_walk(app, db_transaction)
    path = form_path(feedback_mails(app)[0])
    page = client.get(path + "?lang=fr")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="fr"' in html
    assert '<option lang="es" selected value="es">' in html  # the walk's language, chosen
    response = client.post(path + "?lang=fr", data=ANSWER)
    assert response.status_code == 303
    row = _row(app)
    assert (row.rating, row.recommend, row.followed_language) == (5, True, "es")
    assert row.learned == ANSWER["learned"] and row.answered_at is not None
    assert (row.quote_consent, row.credit, row.credit_name) == (True, "first", "Amaia")
    again = client.get(path + "?lang=fr")
    assert again.status_code == 200
    assert 'role="status"' in again.get_data(as_text=True)
    assert "<form" not in again.get_data(as_text=True).split("<main")[1]
    second = client.post(path, data={**ANSWER, "rating": "1"})
    assert second.status_code == 200 and _row(app).rating == 5
    with get_db(app).transaction() as db_session:
        audit = db_session.scalars(
            select(AuditEntry).where(AuditEntry.action == "feedback.answer")
        ).all()
    assert [(a.actor, a.target) for a in audit] == [("public", f"feedback:{row.id}")]
    assert "Amaia" not in str(audit[0].details) and "quartier" not in str(audit[0].details)


def test_errors_are_beside_their_fields_in_french(app, db_transaction, client):
    _asked_walk(app, db_transaction)
    path = form_path(feedback_mails(app)[0])
    bad = {
        "rating": "9",
        "recommend": "",
        "learned": "x" * 2001,
        "followed_language": "xx",
        "quote_consent": "y",
        "credit": "chosen",
        "chosen_name": " ",
    }
    response = client.post(path + "?lang=fr", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field, words in {
        "rating": "Choisissez une note de 1 à 5.",
        "recommend": "Répondez oui ou non.",
        "learned": "2000",
        "followed_language": "Choisissez une des langues de la liste.",
        "chosen_name": "Écrivez le nom",
    }.items():
        error = html.split(f'id="{field}-error"')[1].split("</p>")[0]
        assert words in error, (field, error)
    assert 'role="alert"' in html
    assert _row(app).answered_at is None


def test_the_link_expires_after_30_days_and_a_bad_token_is_404(
    app, db_transaction, client, monkeypatch
):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda _self: int(time.time()) - 31 * 86400
    )
    _asked_walk(app, db_transaction)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    path = form_path(feedback_mails(app)[0])
    assert client.get(path + "?lang=fr").status_code == 410
    assert client.post(path, data=ANSWER).status_code == 410
    assert _row(app).answered_at is None
    assert client.get(path[:-3] + "abc").status_code == 404
    assert client.get("/feedback/not-a-token").status_code == 404
    # The opt-out link does not expire: saying no never should.
    assert client.get(path + "/opt-out").status_code == 404  # a form token is no opt-out token


def test_a_link_of_29_days_still_works(app, db_transaction, client, monkeypatch):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda _self: int(time.time()) - 29 * 86400
    )
    _asked_walk(app, db_transaction)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    path = form_path(feedback_mails(app)[0])
    assert client.get(path).status_code == 200


def _opt_out_path(app) -> str:
    text = email_text(feedback_mails(app)[0].raw)
    return "/feedback/" + text.split("/feedback/")[2].split()[0]


def test_opting_out_asks_confirmation_then_records_it(app, db_transaction, client):
    walk = _asked_walk(app, db_transaction)
    path = _opt_out_path(app)
    assert path.endswith("/opt-out")
    page = client.get(path + "?lang=fr")
    assert page.status_code == 200 and _row(app).opted_out_at is None  # a GET changes nothing
    assert client.post(path).status_code == 303
    assert _row(app).opted_out_at is not None
    assert 'role="status"' in client.get(path).get_data(as_text=True)
    # The form then says it will not ask, and takes no answer.
    form = form_path(feedback_mails(app)[0])
    assert client.post(form, data=ANSWER).status_code == 200
    assert _row(app).answered_at is None
    assert asked_bookings(app) == set(walk.bookings.values())


@pytest.mark.parametrize("consent", [True, False])
def test_the_purge_empties_free_text_and_credit_unless_quoting_was_allowed(
    app, db_transaction, client, consent
):
    walk = _asked_walk(app, db_transaction)
    path = form_path(feedback_mails(app)[0])
    answer = {**ANSWER, "credit": "chosen", "chosen_name": "Ami"}
    if not consent:
        answer.pop("quote_consent")
    assert client.post(path, data=answer).status_code == 303
    with db_transaction() as db_session:
        result = purge_personal_data(
            db_session, timedelta(days=90), now=walk.starts_at + timedelta(days=91)
        )
    assert result.feedback == (0 if consent else 1)
    row = _row(app)
    assert row.rating == 5 and row.recommend is True  # figures stay
    if consent:
        assert (row.learned, row.credit_name) == (ANSWER["learned"], "Ami")
    else:
        assert (row.learned, row.credit_name) == (None, None)


def test_crawlers_are_kept_off_feedback_links(client):
    assert "Disallow: /feedback/" in client.get("/robots.txt").get_data(as_text=True)
