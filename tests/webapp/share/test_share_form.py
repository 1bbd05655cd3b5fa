"""The public share form: what it stores, what it refuses and how it says so."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from guides.models import AuditEntry
from tests.webapp.share.support import (
    KEY,
    SLUG,
    a_recording,
    count,
    error_beside,
    form_data,
    import_tour_with_district,
    load_tours,
    media_files,
    nothing_stored,
    png_bytes,
    send,
    with_media,
)
from tours.booking.models import OutboxMessage
from tours.stories.consent import ConsentChoices
from tours.stories.models import Contribution
from webapp import create_app
from webapp.actions.links import read_withdrawal_token
from webapp.common.database import get_db
from webapp.common.forms.consent import wording
from webapp.mail import messages as mail
from webapp.media.audio import audio_store
from webapp.media.store import store_for

CHOICES = ConsentChoices(
    credit="first_name",
    credit_name="Aminata",
    tour_pages=True,
    guide_scripts=True,
    kits=False,
    photos=True,
    audio=True,
    licence="site-only",
    age_16_or_over=True,
)


def _stored(app) -> Contribution:
    with get_db(app).transaction() as db_session:
        found = db_session.scalars(select(Contribution)).one()
        _ = (found.consent, list(found.media))  # loaded while the session is open
        db_session.expunge_all()
    return found


def test_a_story_with_a_photo_and_a_recording_is_stored_with_its_consent(app, client):
    load_tours(app)
    sent = send(
        client,
        f"/tours/{SLUG}/share?lang=fr",
        with_media(form_data(), photos=[png_bytes()], audio=a_recording(4.0)),
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/share/received")
    stored = _stored(app)
    assert (stored.status, stored.tour_slug, stored.stop_id) == ("pending", SLUG, "sf-02")
    assert (stored.language, stored.interface_language) == ("es", "fr")
    assert stored.title == "La tienda de mi madre"
    assert stored.story.endswith("Vendía telas de Dakar.") and "\r" not in stored.story
    assert stored.contact_email == "aminata@example.org"
    assert stored.submission_key.startswith(KEY + ".")
    consent = stored.consent
    assert (consent.credit, consent.credit_name, consent.licence) == (
        "first_name",
        "Aminata",
        "site-only",
    )
    assert consent.tour_pages and consent.guide_scripts and not consent.kits
    assert consent.photos and consent.audio and consent.age_16_or_over
    assert (consent.method, consent.wording_language) == ("web", "fr")
    # The words the teller was shown, in French, with the tour's district.
    with app.test_request_context("/"), force_locale("fr"):
        assert consent.wording == wording(CHOICES, "San Francisco")
    assert "Aminata" in consent.wording and "San Francisco" not in consent.wording
    assert "Votre histoire" in consent.wording and "Your story" not in consent.wording
    kinds = [(m.kind, m.mime, m.position) for m in stored.media]
    assert kinds == [("image", "image/webp", 0), ("audio", "audio/wav", 1)]
    photo, recording = stored.media
    assert store_for(app).get(photo.key) is not None
    assert audio_store(app).path(recording.key) is not None
    assert recording.duration_seconds == pytest.approx(4.0, abs=0.01)
    with get_db(app).transaction() as db_session:
        (receipt,) = db_session.scalars(select(OutboxMessage))
        assert receipt.kind == "contribution_receipt"
        assert receipt.recipient == "aminata@example.org"
        assert "Content-Language: fr" in receipt.raw.decode()
        (entry,) = db_session.scalars(select(AuditEntry))
        assert (entry.actor, entry.action, entry.target) == (
            "public",
            "contribution.add",
            f"contribution:{stored.id}",
        )
        assert entry.details == {"tour": SLUG, "photos": 1, "audio": True}
    # The received page shows the personal withdrawal link once, and clears the copy.
    page = client.get("/share/received?lang=fr").get_data(as_text=True)
    assert 'role="status"' in page and '"clear":true' in page
    link = re.search(r'<a href="(http://localhost/share/withdraw/[^"]+)"', page)[1]
    token = link.rsplit("/", 1)[1]
    with app.test_request_context("/"):
        assert read_withdrawal_token(token) == stored.public_id
    again = client.get("/share/received?lang=fr").get_data(as_text=True)
    assert "/share/withdraw/" not in again


def test_the_form_is_linked_from_tour_pages_and_districts_and_preselects(app, client):
    load_tours(app)
    tour_page = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert f'href="/tours/{SLUG}/share"' in tour_page
    assert "Share a place or story from this district" in tour_page
    catalogue = client.get("/?lang=en").get_data(as_text=True)
    assert 'href="/share?district=San+Francisco"' in catalogue
    form = client.get(f"/tours/{SLUG}/share?lang=en").get_data(as_text=True)
    assert f'<option selected value="{SLUG}">' in form
    assert '<option value="sf-02">2. ' in form  # its stops, numbered as on its page
    assert '<option selected value="en">English</option>' in form  # the interface's
    assert 'value="other">Another language…</option>' in form
    by_district = client.get("/share?district=Zabala&lang=en").get_data(as_text=True)
    assert 'name="district" type="hidden" value="Zabala"' in by_district
    island = re.search(r'id="share-data">(.*?)</script>', by_district)[1]
    assert "a neighbour of Zabala" in json.loads(island)["summary"]["credit"]["anonymous"]
    unknown = client.get("/share?district=Atlantis&lang=en").get_data(as_text=True)
    assert 'name="district" type="hidden" value=""' in unknown
    assert client.get("/tours/no-such-tour/share").status_code == 404


def test_a_page_in_arabic_is_right_to_left(app, client):
    load_tours(app)
    page = client.get("/share?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "شارك" in page.split("<h1>", 1)[1].split("</h1>", 1)[0]


@pytest.mark.parametrize("written", ["ti", "Tigrinya", "TI-er"])
def test_a_story_in_a_language_the_interface_does_not_speak_keeps_its_tag(app, client, written):
    load_tours(app)
    story = "ኣብዚ ቦታ እዚ ኣደይ ድኳን ከፊታ።"
    data = form_data(language="other", language_other=written, story=story, title="ድኳን")
    assert send(client, "/share?lang=en", data).status_code == 303
    stored = _stored(app)
    assert stored.language == ("ti-ER" if written == "TI-er" else "ti")
    assert stored.interface_language == "en" and stored.consent.wording_language == "en"
    assert stored.story == story
    with get_db(app).transaction() as db_session:
        raw = db_session.scalars(select(OutboxMessage.raw)).one().decode()
    assert "Content-Language: en" in raw


def test_a_story_in_tigrinya_sent_back_with_an_error_keeps_its_language(app, client):
    load_tours(app)
    data = form_data(language="other", language_other="ti", story="ኣብዚ ቦታ", credit=None)
    page = send(client, "/share?lang=en", data).get_data(as_text=True)
    assert re.search(r'<textarea [^>]*lang="ti"', page)
    assert '<option selected value="other">' in page
    assert 'value="ti"' in page  # the language written in stays
    assert "How do you want to be credited?" in page  # the page stays in English


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"credit": None}, "credit", "Choose how you want to be credited."),
        ({"credit_name": ""}, "credit_name", "Write the name we should credit you with."),
        ({"licence": None}, "licence", "Choose whether others may reuse your story."),
        (
            {"tour_pages": None, "guide_scripts": None},
            "uses",
            "Choose at least one place where your story may appear.",
        ),
        ({"kits": "y"}, "kits", "A story for this site only cannot go into kits or exports"),
        ({"age_16_or_over": None}, "age", "or give your parent's or guardian's name"),
    ],
)
def test_each_missing_consent_choice_is_named_beside_it_and_nothing_is_stored(
    app, client, changes, field, message
):
    load_tours(app)
    before = media_files(app)
    sent = with_media(form_data(**changes), photos=[png_bytes()], audio=a_recording())
    response = send(client, f"/tours/{SLUG}/share?lang=en", sent)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in error_beside(page, field)
    assert 'class="error-summary" role="alert"' in page and f'href="#{field}"' in page
    assert nothing_stored(app, before)
    # What was typed is there again; the files must be chosen again, and the page says so.
    assert 'value="La tienda de mi madre"' in page
    assert "Vendía telas de Dakar.</textarea>" in page
    assert "choose your photos and recording again" in page
    assert f'name="submission_key" type="hidden" value="{KEY}"' in page


def test_a_guardians_name_stands_for_the_age_confirmation(app, client):
    load_tours(app)
    data = form_data(age_16_or_over=None, guardian_name="Fatou Diop", credit="anonymous")
    assert send(client, f"/tours/{SLUG}/share?lang=en", data).status_code == 303
    consent = _stored(app).consent
    assert not consent.age_16_or_over and consent.guardian_name == "Fatou Diop"
    assert consent.credit_name is None  # an anonymous teller's name is not kept
    assert "Fatou Diop, your guardian, agrees" in consent.wording
    assert "“a neighbour of San Francisco”" in consent.wording


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Give your place or story a title."),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"story": " "}, "story", "Write your story, or add a recording of it."),
        ({"story": "x" * 20_001}, "story", "at most 20000 characters"),
        ({"language": "tlh"}, "language", "Choose one of the languages in the list."),
        ({"language": "other"}, "language_other", "Write the language of your story"),
        ({"language": "other", "language_other": "Elvish"}, "language_other", "do not know"),
        ({"stop": "zab-01"}, "stop", "Choose one of this tour's stops in the list."),
        ({"tour": "no-such-tour", "stop": ""}, "tour", "Choose one of the tours in the list."),
        ({"lon": "-2.93", "lat": "43.25"}, "place", "Choose a stop or put a pin"),
        ({"stop": "", "lon": "east", "lat": "43.25"}, "place", "put it on the map again"),
        ({"stop": "", "lon": "-2.93", "lat": "95"}, "place", "put it on the map again"),
        ({"email": "not-an-address"}, "email", "like name@example.org"),
        ({"credit_name": "x" * 121}, "credit_name", "at most 120 characters"),
    ],
)
def test_each_mistake_is_named_beside_its_field(app, client, changes, field, message):
    load_tours(app)
    before = media_files(app)
    response = send(client, f"/tours/{SLUG}/share?lang=en", form_data(**changes))
    assert response.status_code == 422
    assert message in error_beside(response.get_data(as_text=True), field)
    assert nothing_stored(app, before)


def test_errors_are_in_the_visitors_language(app, client):
    load_tours(app)
    page = send(client, "/share?lang=es", form_data(credit=None)).get_data(as_text=True)
    assert error_beside(page, "credit") == "Elige con qué nombre quieres aparecer."


def test_a_pin_without_a_tour_is_stored_as_a_place(app, client):
    load_tours(app)
    data = form_data(tour="", stop="", lon="-2.925101", lat="43.255403")
    assert send(client, "/share?lang=en", data).status_code == 303
    stored = _stored(app)
    assert (stored.tour_slug, stored.stop_id) == (None, None)
    assert (stored.lon, stored.lat) == (pytest.approx(-2.925101), pytest.approx(43.255403))
    # No tour, no district: an anonymous teller would be "a neighbour".
    assert stored.consent.credit_name == "Aminata"


def test_a_form_sent_twice_makes_one_contribution_and_one_receipt(app, client):
    load_tours(app)
    sent = [
        send(
            client,
            f"/tours/{SLUG}/share?lang=en",
            with_media(form_data(), photos=[png_bytes()], audio=a_recording()),
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [303, 303]
    assert {r.headers["Location"] for r in sent} == {"/share/received"}
    assert count(app, Contribution) == 1 and count(app, OutboxMessage) == 1
    stored = _stored(app)
    assert len(stored.media) == 2  # the second send's files are the first's, kept once
    assert store_for(app).get(stored.media[0].key) is not None
    assert audio_store(app).path(stored.media[1].key) is not None
    # Both sends end on the received page with the one contribution's link.
    assert "/share/withdraw/" in client.get("/share/received").get_data(as_text=True)


def test_a_kept_key_with_another_story_makes_a_new_contribution(app, client):
    """A browser whose received page never loaded keeps the old key with the old text; a
    new story sent with it is not taken for the first."""
    load_tours(app)
    assert send(client, "/share?lang=en", form_data()).status_code == 303
    other = form_data(title="El puente", story="Cruzábamos el puente cada mañana.")
    assert send(client, "/share?lang=en", other).status_code == 303
    assert count(app, Contribution) == 2


def test_a_filled_honeypot_is_thanked_and_stored_nowhere(app, client):
    load_tours(app)
    before = media_files(app)
    data = with_media(form_data(website="http://spam.example"), photos=[png_bytes()])
    response = send(client, "/share?lang=en", data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/received")
    assert nothing_stored(app, before)
    form = client.get("/share?lang=en").get_data(as_text=True)
    assert 'class="hp-field"' in form and 'name="website"' in form


def test_checking_the_choices_without_the_script_shows_them_and_stores_nothing(app, client):
    load_tours(app)
    before = media_files(app)
    response = send(client, f"/tours/{SLUG}/share?lang=en", form_data(check="1"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    summary = page.split('id="consent-summary"', 1)[1].split("</ul>", 1)[0]
    assert "<li>Your story is credited to “Aminata”.</li>" in summary
    assert "It stays on this site only: it never goes into kits or exports." in summary
    assert "This is what you agree to with the answers you gave." in page
    assert 'value="La tienda de mi madre"' in page
    assert nothing_stored(app, before)


def test_a_failed_transaction_leaves_nothing_behind(app, client, monkeypatch):
    load_tours(app)
    before = media_files(app)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the outbox is gone")

    monkeypatch.setattr(mail, "record", broken)
    data = with_media(form_data(), photos=[png_bytes("teal")], audio=a_recording(2.5))
    with pytest.raises(RuntimeError):
        send(client, f"/tours/{SLUG}/share?lang=en", data)
    assert nothing_stored(app, before)


def test_escaping_in_the_page_and_its_json_data(app, client):
    load_tours(app)
    hostile = "</script><script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
    data = form_data(title=hostile, story=hostile, credit_name=hostile, licence=None)
    page = send(client, f"/tours/{SLUG}/share?lang=en", data).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert 'value="&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&gt;' in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&gt;&lt;img" in page
    summary = page.split('id="consent-summary"', 1)[1].split("</ul>", 1)[0]
    assert "“&lt;/script&gt;&lt;script&gt;alert(1)" in summary
    # The JSON data island: nothing in it can end the script element or start markup.
    island = re.search(r'id="share-data">(.*?)</script>', page, re.S)[1]
    assert "<" not in island and ">" not in island and "&" not in island
    named = json.loads(island)["summary"]["credit"]["named"]
    assert named == "Your story is credited to “%(name)s”."


def test_the_json_data_escapes_a_hostile_district(app, client):
    """A district's name comes from tour content, and goes into the page's JSON data."""
    load_tours(app)
    hostile = "</script><script>alert(1)</script>&amp;"
    import_tour_with_district(app, "hostile-walk", hostile)
    page = client.get("/tours/hostile-walk/share?lang=en").get_data(as_text=True)
    island = re.search(r'id="share-data">(.*?)</script>', page, re.S)[1]
    assert "<" not in island and ">" not in island and "&" not in island
    anonymous = json.loads(island)["summary"]["credit"]["anonymous"]
    assert anonymous.endswith(f"is credited to “a neighbour of {hostile}”.")
    assert "<script>alert(1)" not in page


def test_a_request_without_its_csrf_token_is_refused(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "RATELIMIT_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PUBLIC_URL": "http://localhost",
        }
    )
    try:
        load_tours(app)
        before = media_files(app)
        client = app.test_client()
        refused = send(client, "/share?lang=en", form_data())
        assert refused.status_code == 422
        page = refused.get_data(as_text=True)
        assert "security check expired" in page
        assert 'value="La tienda de mi madre"' in page  # the details are still there
        assert nothing_stored(app, before)
        form = client.get("/share?lang=en").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]
        sent = send(client, "/share?lang=en", {**form_data(), "csrf_token": token})
        assert sent.status_code == 303 and count(app, Contribution) == 1
    finally:
        app.extensions["bidean.db"].engine.dispose()


def test_proposals_are_rate_limited_per_client(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "limits",
            "RATELIMIT_ENABLED": True,
            "WTF_CSRF_ENABLED": False,
            "SHARE_RATE_LIMIT": "2 per hour",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PUBLIC_URL": "http://localhost",
        }
    )
    octets = uuid.uuid4().bytes
    me, other = (f"10.{octets[0]}.{octets[1]}.{octets[2] ^ n}" for n in (0, 1))
    try:
        load_tours(app)
        client = app.test_client()

        def post(address: str, url: str = "/share?lang=en", key: str = KEY):
            data = form_data(submission_key=key, title=f"Story {uuid.uuid4().hex[:6]}")
            return send(client, url, data, environ_overrides={"REMOTE_ADDR": address})

        first = post(me, key="a" * 32).status_code
        second = post(me, f"/tours/{SLUG}/share", key="b" * 32).status_code
        assert (first, second) == (303, 303)
        limited = post(me, key="c" * 32)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
        assert client.get("/share", environ_overrides={"REMOTE_ADDR": me}).status_code == 200
        assert post(other, key="d" * 32).status_code == 303  # another client's own allowance
        assert count(app, Contribution) == 3
    finally:
        app.extensions["bidean.db"].engine.dispose()


def test_a_proposal_over_the_size_limit_gets_the_form_back_in_its_language(app, client):
    load_tours(app)
    before = media_files(app)
    app.config["SHARE_UPLOAD_MB"] = 0.05  # about 50 KB
    data = with_media(form_data(), audio=a_recording(10.0))  # 80 KB
    response = send(client, f"/tours/{SLUG}/share?lang=fr", data)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert '<html lang="fr"' in page and "share-form" in page
    beside = error_beside(page, "photos")
    assert "0,05" in beside and "larger" not in beside
    assert '"restore":true' in page  # the browser's copy fills the form again
    assert nothing_stored(app, before)
