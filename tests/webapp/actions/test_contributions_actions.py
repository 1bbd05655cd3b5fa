"""Contribution actions (webapp.actions.contributions): each changes the database as it
says and writes its audit record, without the story's words; accepting puts the story
into a draft version only (with photos and recording as the consent allows); edits are
kept and told to the teller in their language; a decline is mailed with its reason."""

from __future__ import annotations

import email
import json
from email import policy

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from guides.audit import Actor
from tests.webapp.actions.support import one_transaction
from tests.webapp.console.contribution_support import (
    PHOTO_KEY,
    PIN,
    RECORDING_KEY,
    add_contribution,
    audit_of,
    details_text,
    stop_of,
)
from tours.booking.models import OutboxMessage
from tours.content.workflows.editing import stop_ids
from tours.stories.consent import ConsentChoices
from tours.stories.contributions import ConsentGiven, ConsentRefused, Proposal, get
from tours.stories.models import ACCEPTED, DECLINED, PENDING, Contribution, ContributionEdit
from tours.tour.store import DRAFT, PUBLISHED, newest_version, tour_record
from webapp.actions import contributions as actions
from webapp.actions.contributions import (
    AcceptRefused,
    ContributionClosed,
    ExistingStop,
    NewStop,
    NewTour,
)
from webapp.actions.withdrawal import MediaStores, links_to
from webapp.commands.samples import load_sample_routes
from webapp.media.audio import audio_store
from webapp.media.store import store_for

COORDINATOR = Actor.account("coordinator@example.org")
FACILITATOR = Actor.account("facilitator@example.org")
SLUG = "san-francisco-voices"
STORY = "Mi madre abrió aquí su tienda en 1998."
TITLE = "La tienda de mi madre"


@pytest.fixture
def tours(app):
    load_sample_routes(app)
    return app


def _stores(app) -> MediaStores:
    return MediaStores(images=store_for(app), audio=audio_store(app))


def _mails(db_session, kind: str) -> list[email.message.EmailMessage]:
    rows = db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
    return [email.message_from_bytes(r.raw, policy=policy.default) for r in rows]


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def _no_words_in_audit(db_session, *words: str) -> None:
    text = details_text(db_session)
    for word in words:
        assert word not in text


# -- entering a workshop's story -----------------------------------------------------------


def _workshop(method: str, **more) -> ConsentGiven:
    choices = ConsentChoices("anonymous", None, True, False, False, True, True, "site-only", True)
    return ConsentGiven(choices, "Words shown.", "es", method=method, **more)


def _proposal() -> Proposal:
    return Proposal(
        language="es", interface_language="es", title=TITLE, story=STORY, lon=PIN[0], lat=PIN[1]
    )


@pytest.mark.parametrize(
    ("method", "proof"),
    [("paper", {"paper_reference": "KOOP-2027-014"}), ("spoken", {"witness": "Itziar"})],
)
def test_a_facilitator_enters_a_story_with_paper_or_spoken_consent(app, method, proof):
    with one_transaction(app) as db_session:
        found, created = actions.enter_for_resident(
            db_session, FACILITATOR, _proposal(), _workshop(method, **proof), submission_key="k1"
        )
        again, twice = actions.enter_for_resident(
            db_session, FACILITATOR, _proposal(), _workshop(method, **proof), submission_key="k1"
        )
        assert created and not twice and again.id == found.id
        assert found.status == PENDING and found.entered_by == FACILITATOR.name
        assert found.consent.method == method
        assert (found.consent.paper_reference, found.consent.witness) == (
            proof.get("paper_reference"),
            proof.get("witness"),
        )
        assert audit_of(db_session, f"contribution:{found.id}") == [
            (
                FACILITATOR.name,
                "contribution.enter",
                {"method": method, "language": "es", "photos": 0, "audio": False},
            )
        ]
        _no_words_in_audit(db_session, STORY, TITLE)


@pytest.mark.parametrize(
    ("method", "proof", "field"),
    [("web", {}, "method"), ("paper", {}, "paper_reference"), ("spoken", {}, "witness")],
)
def test_a_workshop_story_without_its_proof_of_consent_is_refused(app, method, proof, field):
    with one_transaction(app) as db_session:
        with pytest.raises(ConsentRefused) as refused:
            actions.enter_for_resident(db_session, FACILITATOR, _proposal(), _workshop(method))
        assert [p.field for p in refused.value.problems] == [field]
        assert db_session.scalars(select(Contribution)).all() == []
        assert audit_of(db_session, "contribution:1") == []


# -- accepting into a draft ----------------------------------------------------------------


def test_a_new_stop_goes_into_a_draft_of_a_published_tour_with_what_consent_allows(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(db_session, photos=True, audio=False)
        before = tour_record(db_session, SLUG, lock=False).current_version
        newest_before = newest_version(db_session, SLUG).version
        accepted = actions.accept_into_draft(db_session, COORDINATOR, found.id, NewStop(SLUG))
        record = tour_record(db_session, SLUG, lock=False)
        # The public still sees the version it saw; the story waits in a newer draft.
        assert (record.status, record.current_version) == (PUBLISHED, before)
        row = newest_version(db_session, SLUG)
        assert row.version == accepted.version == newest_before + 1
        assert row.source_name == f"edited by {COORDINATOR.name}"
        stop = stop_of(row.document, accepted.stop_id)
        assert stop["geometry"]["coordinates"] == [round(PIN[0], 6), round(PIN[1], 6)]
        props = stop["properties"]
        assert props["name"] == {"es": TITLE} and props["story"] == {"es": STORY}
        assert props["contributions"] == [
            {"id": found.public_id, "texts": ["name.es", "story.es"], "credit": "Amina"}
        ]
        # Photos allowed, the recording not: only the photo is in the document.
        assert props["media"] == [
            {"url": f"media:{PHOTO_KEY}", "type": "image", "contribution": found.public_id}
        ]
        assert found.status == ACCEPTED and found.decided_at is not None
        assert (found.accepted_tour, found.accepted_stop) == (SLUG, accepted.stop_id)
        assert audit_of(db_session, f"contribution:{found.id}") == [
            (
                COORDINATOR.name,
                "contribution.accept",
                {
                    "into": "new_stop",
                    "tour": SLUG,
                    "stop": accepted.stop_id,
                    "version": accepted.version,
                    "photos": 1,
                    "audio": False,
                },
            )
        ]
        _no_words_in_audit(db_session, STORY, TITLE)


def test_a_translation_goes_onto_an_existing_stop_with_its_recording(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(
            db_session,
            language="pt",
            photos=False,
            audio=True,
            transcript={"pt": "A loja da minha mãe."},
        )
        accepted = actions.accept_into_draft(
            db_session, COORDINATOR, found.id, ExistingStop(SLUG, "sf-02")
        )
        props = stop_of(newest_version(db_session, SLUG).document, "sf-02")["properties"]
        assert props["story"]["pt"] == STORY and props["name"]["pt"] == TITLE
        assert "es" in props["story"]  # the stop's own story stays
        assert props["contributions"][-1] == {
            "id": found.public_id,
            "texts": ["name.pt", "story.pt"],
            "credit": "Amina",
        }
        mine = [m for m in props.get("media", ()) if m.get("contribution") == found.public_id]
        assert mine == [
            {
                "url": f"audio:{RECORDING_KEY}",
                "type": "audio",
                "mime": "audio/ogg",
                "contribution": found.public_id,
                "transcript": {"pt": "A loja da minha mãe."},
            }
        ]
        assert accepted.stop_id == "sf-02"


def test_a_stop_that_has_a_story_in_that_language_is_not_overwritten(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(db_session, language="es")
        version = newest_version(db_session, SLUG).version
        with pytest.raises(AcceptRefused) as refused:
            actions.accept_into_draft(
                db_session, COORDINATOR, found.id, ExistingStop(SLUG, "sf-02")
            )
        assert refused.value.reason == "story-exists"
        assert newest_version(db_session, SLUG).version == version
        assert found.status == PENDING


def test_a_new_draft_tour_credits_an_anonymous_teller_to_its_district(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(
            db_session,
            credit="anonymous",
            credit_name=None,
            photos=False,
            audio=True,
            licence="site-only",
        )
        accepted = actions.accept_into_draft(
            db_session,
            COORDINATOR,
            found.public_id,
            NewTour(city="Bilbao", slug="", district="San Francisco", timezone="Europe/Madrid"),
        )
        assert accepted.slug == "la-tienda-de-mi-madre"
        record = tour_record(db_session, accepted.slug, lock=False)
        assert (record.status, record.current_version) == (DRAFT, 1)
        document = newest_version(db_session, accepted.slug).document
        route = document["features"][0]["properties"]
        assert route["title"] == {"es": TITLE} and route["districts"] == ["San Francisco"]
        assert "licence" not in route  # "this site only" is no licence for a tour's texts
        assert stop_ids(document) == ["stop-1"]
        props = stop_of(document, "stop-1")["properties"]
        assert props["contributions"] == [
            {
                "id": found.public_id,
                "texts": ["name.es", "story.es"],
                "credit": None,
                "neighbourhood": "San Francisco",
            }
        ]
        # The recording without a transcript yet; no photo (not consented).
        assert props["media"] == [
            {
                "url": f"audio:{RECORDING_KEY}",
                "type": "audio",
                "mime": "audio/ogg",
                "contribution": found.public_id,
            }
        ]
        todo = {t["code"] for t in newest_version(db_session, accepted.slug).todo}
        assert "profile.approximate-route" in todo and "profile.missing-property" in todo
        (entry,) = audit_of(db_session, f"contribution:{found.id}")
        assert entry[2]["into"] == "new_tour" and entry[2]["tour"] == accepted.slug


def test_a_story_without_a_pin_cannot_be_a_new_stop_and_a_decided_one_is_closed(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(db_session, pin=None, tour_slug=SLUG, stop_id="sf-01")
        with pytest.raises(AcceptRefused) as refused:
            actions.accept_into_draft(db_session, COORDINATOR, found.id, NewStop(SLUG))
        assert refused.value.reason == "no-pin"
        actions.decline_contribution(
            db_session, COORDINATOR, found.id, "Not about this place.", media_stores=_stores(tours)
        )
        with pytest.raises(ContributionClosed):
            actions.accept_into_draft(
                db_session, COORDINATOR, found.id, ExistingStop(SLUG, "sf-01")
            )


# -- edits ---------------------------------------------------------------------------------


def test_every_edit_is_kept_and_the_teller_is_told_in_their_language(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(db_session, interface_language="fr")
        edited = actions.edit_contribution(
            db_session,
            COORDINATOR,
            found.id,
            title=TITLE,
            story="Mi madre abrió aquí su tienda de telas en 1998.",
            transcript={"es": "Mi madre abrió su tienda."},
        )
        assert edited is not None and edited.changed == ["story", "transcript.es"]
        second = actions.edit_contribution(
            db_session,
            COORDINATOR,
            found.id,
            title="La tienda",
            story="Mi madre abrió aquí su tienda de telas en 1998.",
            transcript={"es": "Mi madre abrió su tienda."},
        )
        assert second is not None and second.changed == ["title"]
        unchanged = actions.edit_contribution(
            db_session,
            COORDINATOR,
            found.id,
            title="La tienda",
            story="Mi madre abrió aquí su tienda de telas en 1998.",
            transcript={"es": "Mi madre abrió su tienda."},
        )
        assert unchanged is None
        edits = db_session.scalars(select(ContributionEdit).order_by(ContributionEdit.id)).all()
        assert [(e.actor, e.title, e.transcript) for e in edits] == [
            (COORDINATOR.name, TITLE, {"es": "Mi madre abrió su tienda."}),
            (COORDINATOR.name, "La tienda", {"es": "Mi madre abrió su tienda."}),
        ]
        assert get(db_session, found.id).title == "La tienda"
        records = audit_of(db_session, f"contribution:{found.id}")
        assert [(a, d["changed"], d["mailed"]) for _, a, d in records] == [
            ("contribution.edit", ["story", "transcript.es"], True),
            ("contribution.edit", ["title"], True),
        ]
        _no_words_in_audit(db_session, "telas", "Mi madre abrió su tienda.")
        mails = _mails(db_session, "contribution_edited")
        assert len(mails) == 2 and mails[0]["To"] == "teller@example.org"
        assert mails[0]["Content-Language"] == "fr"
        with force_locale("fr"):
            assert mails[0]["Subject"] == gettext("Your story, as it will be published")
        assert "telas" in _body(mails[0]) and "Mi madre abrió su tienda." in _body(mails[0])
        # The teller's own withdrawal link: a withdrawal finds (and deletes) this email too.
        assert links_to(_body(mails[0]), found.public_id)


def test_an_accepted_story_edited_later_changes_its_draft_transcript_included(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(db_session, audio=True, photos=False)
        accepted = actions.accept_into_draft(db_session, COORDINATOR, found.id, NewStop(SLUG))
        edited = actions.edit_contribution(
            db_session,
            COORDINATOR,
            found.id,
            title=TITLE,
            story="Una historia corregida.",
            transcript={"es": "Lo que dice la grabación.", "en": "What the recording says."},
        )
        assert edited is not None and edited.version == accepted.version + 1
        props = stop_of(newest_version(db_session, SLUG).document, accepted.stop_id)["properties"]
        assert props["story"] == {"es": "Una historia corregida."}
        (recording,) = [m for m in props["media"] if m["type"] == "audio"]
        assert recording["transcript"] == {
            "en": "What the recording says.",
            "es": "Lo que dice la grabación.",
        }
        assert tour_record(db_session, SLUG, lock=False).status == PUBLISHED
        assert tour_record(db_session, SLUG, lock=False).current_version < edited.version


def test_an_edit_without_an_email_sends_nothing(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(db_session, email=None)
        edited = actions.edit_contribution(
            db_session, COORDINATOR, found.id, title="Otro", story=STORY, transcript={}
        )
        assert edited is not None and not edited.mailed
        assert _mails(db_session, "contribution_edited") == []


# -- declining -----------------------------------------------------------------------------


def test_a_decline_keeps_its_reason_and_mails_it_in_the_tellers_language(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(db_session, interface_language="ar")
        actions.decline_contribution(
            db_session, COORDINATOR, found.id, "  Ya hay una parada.  ", media_stores=_stores(tours)
        )
        assert found.status == DECLINED and found.decline_reason == "Ya hay una parada."
        assert found.decided_at is not None
        assert audit_of(db_session, f"contribution:{found.id}") == [
            (COORDINATOR.name, "contribution.decline", {"mailed": True})
        ]
        (mail,) = _mails(db_session, "contribution_declined")
        assert mail["Content-Language"] == "ar" and mail["To"] == "teller@example.org"
        with force_locale("ar"):
            assert mail["Subject"] == gettext("About the story you proposed")
        assert "Ya hay una parada." in _body(mail)
        assert STORY not in _body(mail)
        _no_words_in_audit(db_session, STORY, "Ya hay una parada.")
        with pytest.raises(ContributionClosed):
            actions.decline_contribution(
                db_session, COORDINATOR, found.id, "Again.", media_stores=_stores(tours)
            )


def test_a_decline_needs_a_reason_and_one_without_email_is_not_mailed(tours):
    with one_transaction(tours) as db_session:
        found = add_contribution(db_session, email=None)
        with pytest.raises(ValueError):
            actions.decline_contribution(
                db_session, COORDINATOR, found.id, "   ", media_stores=_stores(tours)
            )
        assert found.status == PENDING
        actions.decline_contribution(
            db_session, COORDINATOR, found.id, "Fuera del barrio.", media_stores=_stores(tours)
        )
        assert _mails(db_session, "contribution_declined") == []
        assert json.loads(json.dumps(audit_of(db_session, f"contribution:{found.id}"))) == [
            [COORDINATOR.name, "contribution.decline", {"mailed": False}]
        ]
