"""A facilitator enters a story told at a workshop: consent on paper (with the form's
reference) or spoken (with a witness), photos and a recording through the stores, each
refusal said beside its field; and the printable consent form, in every interface
language, in the same words as the web form."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select

from guides.audit import AuditEntry
from tests.webapp.console.contribution_support import (
    FACILITATOR,
    facilitator_logged_in,
    png_bytes,
    wav_bytes,
)
from tests.webapp.console.support import SLUG
from tours.stories.consent import CONSENT_VERSION, ConsentChoices
from tours.stories.models import AUDIO, IMAGE, Contribution
from webapp.common.database import get_db
from webapp.common.forms import consent as words
from webapp.common.i18n import LANGUAGES
from webapp.media.audio import audio_store
from webapp.media.store import store_for


@pytest.fixture
def facilitator(app, client):
    return facilitator_logged_in(app, client)


def _form(**changes) -> dict:
    data = {
        "submission_key": "form-key-0001",
        "stop": f"{SLUG}:sf-02",
        "language": "wo",
        "title": "Le marché du samedi",
        "story": "Chaque samedi, ma tante vendait du thiéboudienne ici.",
        "interface_language": "fr",
        "contact_email": "awa@example.org",
        "credit": "chosen_name",
        "credit_name": "Tata Awa",
        "tour_pages": "y",
        "guide_scripts": "y",
        "photos_allowed": "y",
        "audio_allowed": "y",
        "licence": "site-only",
        "age_16_or_over": "y",
        "method": "paper",
        "consent_language": "fr",
        "paper_reference": "KOOP-2027-014",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _contributions(app) -> list[Contribution]:
    with get_db(app).transaction() as db_session:
        found = list(db_session.scalars(select(Contribution).order_by(Contribution.id)))
        for row in found:
            _ = (row.consent, row.media)
            db_session.expunge(row)
        return found


def test_a_paper_consent_with_a_photo_and_a_recording(app, facilitator):
    data = _form()
    data["photos"] = [(io.BytesIO(png_bytes()), "market.png")]
    data["audio"] = (io.BytesIO(wav_bytes(1.5)), "tata.wav")
    response = facilitator.post(
        "/console/contributions/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (found,) = _contributions(app)
    assert response.headers["Location"].endswith(f"/console/contributions/{found.id}")
    assert (found.tour_slug, found.stop_id, found.language) == (SLUG, "sf-02", "wo")
    assert found.entered_by == FACILITATOR and found.interface_language == "fr"
    consent = found.consent
    assert (consent.method, consent.paper_reference, consent.witness) == (
        "paper",
        "KOOP-2027-014",
        None,
    )
    assert (consent.credit, consent.credit_name, consent.licence) == (
        "chosen_name",
        "Tata Awa",
        "site-only",
    )
    assert (consent.tour_pages, consent.guide_scripts, consent.kits) == (True, True, False)
    # The words kept are the summary in the language the questions were asked in.
    choices = ConsentChoices(
        "chosen_name", "Tata Awa", True, True, False, True, True, "site-only", True
    )
    with app.test_request_context(), force_locale("fr"):
        expected = words.wording(choices, "San Francisco")
    assert consent.wording == expected and consent.wording_language == "fr"
    assert consent.wording_version == CONSENT_VERSION
    kinds = {m.kind: m for m in found.media}
    assert set(kinds) == {IMAGE, AUDIO}
    assert kinds[AUDIO].mime == "audio/wav" and kinds[AUDIO].duration_seconds == pytest.approx(1.5)
    assert store_for(app).get(kinds[IMAGE].key) is not None
    assert audio_store(app).path(kinds[AUDIO].key) is not None
    with get_db(app).transaction() as db_session:
        entries = db_session.scalars(select(AuditEntry)).all()
    assert [(e.actor, e.action, e.target) for e in entries if e.action.startswith("contrib")] == [
        (FACILITATOR, "contribution.enter", f"contribution:{found.id}")
    ]


def test_a_spoken_consent_names_its_witness(app, facilitator):
    data = _form(method="spoken", paper_reference=None, witness="Itziar (KOOP SF34)")
    data.update(stop="", lon="-2.9269", lat="43.2561", credit="anonymous", credit_name="")
    response = facilitator.post("/console/contributions/new", data=data)
    assert response.status_code == 302
    (found,) = _contributions(app)
    assert (found.consent.method, found.consent.witness) == ("spoken", "Itziar (KOOP SF34)")
    assert (found.lon, found.lat, found.tour_slug) == (-2.9269, 43.2561, None)
    assert found.consent.credit_name is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"paper_reference": ""}, "paper_reference", "Write the reference on the paper form."),
        (
            {"method": "spoken", "paper_reference": ""},
            "witness",
            "Name who witnessed the spoken consent.",
        ),
        ({"credit": None}, "credit", "Choose how they want to be credited."),
        ({"licence": "site-only", "kits": "y"}, "kits", "cannot go into kits or exports"),
        (
            {"tour_pages": None, "guide_scripts": None},
            "tour_pages",
            "Choose at least one place where the story may appear.",
        ),
        ({"age_16_or_over": None}, "age_16_or_over", "or give a guardian&#39;s name."),
        ({"lat": "43.25"}, "lat", "Give both the longitude and the latitude, or neither."),
    ],
)
def test_a_missing_or_contradictory_answer_is_said_beside_its_field(
    app, facilitator, changes, field, message
):
    response = facilitator.post("/console/contributions/new", data=_form(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error" role="alert">([^<]*)</p>', html)
    assert error is not None and message in error[1]
    # Beside its field: the field (or its group) points to the message.
    assert f'aria-describedby="{field}-error"' in html
    assert _contributions(app) == []
    # What was typed stays in the form.
    assert "Chaque samedi, ma tante vendait du thiéboudienne ici." in html


def test_a_file_that_is_not_a_recording_is_refused_beside_its_field(app, facilitator):
    data = _form()
    data["audio"] = (io.BytesIO(b"not a sound at all" * 100), "song.mp3")
    response = facilitator.post(
        "/console/contributions/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert 'id="audio-error"' in response.get_data(as_text=True)
    assert _contributions(app) == []


def test_the_same_form_sent_twice_is_one_story(app, facilitator):
    for _ in range(2):
        assert facilitator.post("/console/contributions/new", data=_form()).status_code == 302
    assert len(_contributions(app)) == 1
    with get_db(app).transaction() as db_session:
        count = db_session.scalar(
            select(func.count()).where(AuditEntry.action == "contribution.enter")
        )
    assert count == 1


def test_the_entry_form_starts_in_the_facilitators_language_with_a_fresh_key(app, facilitator):
    html = facilitator.get("/console/contributions/new").get_data(as_text=True)
    keys = re.findall(r'name="submission_key" type="hidden" value="([^"]+)"', html)
    other = facilitator.get("/console/contributions/new").get_data(as_text=True)
    assert keys and keys != re.findall(
        r'name="submission_key" type="hidden" value="([^"]+)"', other
    )
    assert '<option selected value="en">' in html  # the story's language, preselected
    assert str(words.CREDIT_QUESTION) in html and str(words.WITHDRAW_PROMISE) in html


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_printable_form_says_what_the_web_form_says_in_each_language(app, facilitator, lang):
    response = facilitator.get(f"/console/contributions/consent-form?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in html
    with app.test_request_context(), force_locale(lang):
        expected = [
            words.CREDIT_QUESTION,
            *(label for _, label in words.CREDIT_OPTIONS),
            words.CREDIT_NAME_LABEL,
            words.USES_QUESTION,
            words.TOUR_PAGES_LABEL,
            words.GUIDE_SCRIPTS_LABEL,
            words.KITS_LABEL,
            words.PHOTOS_LABEL,
            words.AUDIO_LABEL,
            words.LICENCE_QUESTION,
            *(label for _, label in words.LICENCE_OPTIONS),
            words.AGE_LABEL,
            words.GUARDIAN_LABEL,
            words.CONTACT_LABEL,
            words.WITHDRAW_PROMISE,
        ]
        texts = [str(text) for text in expected]
    for text in texts:  # a lazy text is markup to Jinja: its apostrophes stay as they are
        assert text in html or str(escape(text)) in html, text
    assert 'class="reference-box"' in html and html.count('class="blank-line"') >= 8
    assert html.count('class="box"') == 4 + 5 + 3 + 1
    css = (Path(__file__).parents[3] / "webapp/static/css/console.css").read_text()
    assert ".screen-only { display: none !important; }" in css


def test_the_form_offers_file_inputs_for_the_photos_and_the_recording(facilitator):
    """A browser can only send a photo or a recording through an input of type file."""
    page = facilitator.get("/console/contributions/new").get_data(as_text=True)
    inputs = {
        re.search(r'\bname="([^"]+)"', tag).group(1): tag
        for tag in re.findall(r"<input\b[^>]*>", page)
        if re.search(r'\bname="([^"]+)"', tag)
    }
    assert 'type="file"' in inputs["photos"] and "multiple" in inputs["photos"]
    assert 'accept="image/jpeg,image/png,image/webp,image/gif"' in inputs["photos"]
    assert 'type="file"' in inputs["audio"] and 'accept="audio/*,' in inputs["audio"]
    assert 'type="number"' in inputs["lat"] and 'step="any"' in inputs["lat"]
    assert 'type="email"' in inputs["contact_email"]
    assert 'type="text"' in inputs["title"]
