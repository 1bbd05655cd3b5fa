"""Withdrawing a contribution in one transaction: every tour version, its row, its emails;
and the purge rule of tellers' addresses."""

from __future__ import annotations

import copy
import json
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from tests.tours.tourdoc import tour
from tours.booking import outbox
from tours.booking.models import OutboxMessage
from tours.stories.consent import CREDIT_FIRST_NAME, LICENCE_SITE_ONLY, ConsentChoices
from tours.stories.contributions import (
    ConsentGiven,
    ContributionNotFound,
    Proposal,
    StoredMedia,
    get,
    submit,
)
from tours.stories.document import contribution_ids, mark
from tours.stories.models import (
    AUDIO,
    DECLINED,
    IMAGE,
    WITHDRAWN,
    Contribution,
    ContributionEdit,
    ContributionMedia,
)
from tours.stories.traces import (
    DOCUMENTS,
    MESSAGES,
    OWN_RECORDS,
    needles_of,
    purge_contacts,
    scrub,
)
from tours.stories.withdrawal import (
    NAME_REMOVED,
    PLACEHOLDER,
    TODO_CODE,
    preview,
    withdraw,
    without_names,
)
from tours.tour.models import TourCatalogueRecord, TourRecord, TourVersionRecord
from tours.tour.store import DRAFT, PUBLISHED, save_document, set_status
from tours.tour.store import WITHDRAWN as TOUR_WITHDRAWN

MARKER = "zq7-marker-Ümlaut"
STORY = f"Mi abuela abrió la tienda en 1972. {MARKER} Todavía huele a café."
TITLE = f"La tienda {MARKER}"
IMAGE_KEY = "a1" * 16
AUDIO_KEY = "b2" * 16
SLUG = "san-francisco-voices"
WORDING = "Your story is credited to “Amina”. Guardian: Fatima Zahra agrees."


def choices(**changes: Any) -> ConsentChoices:
    values = dict(
        credit=CREDIT_FIRST_NAME,
        credit_name="Amina",
        tour_pages=True,
        guide_scripts=True,
        kits=False,
        photos=True,
        audio=True,
        licence=LICENCE_SITE_ONLY,
        age_16_or_over=False,
        guardian_name="Fatima Zahra",
    )
    values.update(changes)
    return ConsentChoices(**values)


def contribute(db_session, *, email: str | None = "amina@example.org", media=None, **kw):
    proposal = Proposal(
        language="es",
        interface_language="ar",
        title=kw.pop("title", TITLE),
        story=kw.pop("story", STORY),
        lon=-2.925,
        lat=43.254,
        contact_email=email,
        media=media
        if media is not None
        else (
            StoredMedia(IMAGE, IMAGE_KEY, "image/webp", 100),
            StoredMedia(AUDIO, AUDIO_KEY, "audio/ogg", 500, 12.0),
        ),
    )
    given = ConsentGiven(choices(), wording=WORDING, wording_language="en")
    contribution, _ = submit(db_session, proposal, given)
    contribution.transcript = {"es": f"Transcripción {MARKER} de la grabación entera."}
    contribution.edits.append(
        ContributionEdit(actor="coordinator@example.org", title=TITLE, story=STORY + " (edited)")
    )
    db_session.flush()
    return contribution


def with_story(public_id: str, stop_id: str = "plaza", **stop_props: Any) -> dict[str, Any]:
    """The test tour with the contribution's story (Spanish) and media on ``stop_id``."""
    document = tour()
    for feature in document["features"][1:]:
        props = feature["properties"]
        if props["id"] != stop_id:
            continue
        props["story"] = {"es": STORY}
        props["script"] = {"es": f"Guide: tell them. {STORY}"}
        props["media"] = [
            {"url": f"media:{IMAGE_KEY}", "type": "image", "contribution": public_id},
            {
                "url": f"audio:{AUDIO_KEY}",
                "type": "audio",
                "contribution": public_id,
                "transcript": {"es": f"Transcripción {MARKER} de la grabación entera."},
            },
            {"url": "https://example.org/other.jpg", "type": "image"},
        ]
        props.update(stop_props)
    return mark(document, stop_id, public_id, ["story.es"], credit="Amina", neighbourhood="SF")


def store(db_session, document: dict[str, Any], *, draft: bool = False, slug: str = SLUG) -> int:
    route = document["features"][0]["properties"]
    return save_document(
        db_session,
        copy.deepcopy(document),
        slug=slug,
        city=route["city"],
        languages=route["languages"],
        title=route["title"],
        source_name="test",
        draft=draft,
    )


def versions(db_session, slug: str = SLUG) -> dict[int, TourVersionRecord]:
    rows = db_session.scalars(
        select(TourVersionRecord)
        .join(TourRecord)
        .where(TourRecord.slug == slug)
        .order_by(TourVersionRecord.version)
    )
    return {row.version: row for row in rows}


def record(db_session, slug: str = SLUG) -> TourRecord:
    return db_session.scalars(select(TourRecord).where(TourRecord.slug == slug)).one()


def dumped(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def stop_props(document: dict[str, Any], stop_id: str) -> dict[str, Any] | None:
    for feature in document["features"][1:]:
        if feature["properties"].get("id") == stop_id:
            return feature["properties"]
    return None


def test_every_version_keeps_a_placeholder_and_a_new_version_is_public(db_transaction):
    with db_transaction() as db_session:
        contribution = contribute(db_session)
        public_id, ident = contribution.public_id, contribution.id
        store(db_session, tour())  # v1: before the story
        store(db_session, with_story(public_id))  # v2: published with it
    with db_transaction(write_lock=True) as db_session:
        done = withdraw(db_session, public_id)
    assert not done.already and done.contact_email == "amina@example.org"
    [change] = done.tours
    assert (change.slug, change.rewritten, change.published, change.draft) == (SLUG, [2], 3, None)
    assert change.emptied_stops == ["plaza"] and not change.removed_stops
    assert sorted(done.image_keys) == [IMAGE_KEY] and done.audio_keys == [AUDIO_KEY]
    with db_transaction() as db_session:
        rows = versions(db_session)
        assert record(db_session).current_version == 3
        assert record(db_session).status == PUBLISHED
        # The history keeps a placeholder where the story was, nothing else of it.
        history = stop_props(rows[2].document, "plaza")
        assert history["story"] == {"es": PLACEHOLDER}
        assert history["contributions"] == [{"id": public_id, "withdrawn": True}]
        assert history["script"] == {"es": PLACEHOLDER}  # a copy of its words, scrubbed
        assert [m["url"] for m in history["media"]] == ["https://example.org/other.jpg"]
        assert rows[1].document == tour()  # a version without it is untouched
        # The new public version has no trace of it; the stop is a draft with a to-do.
        current = stop_props(rows[3].document, "plaza")
        assert "story" not in current and "contributions" not in current
        assert current["status"] == "draft"
        assert [m["url"] for m in current["media"]] == ["https://example.org/other.jpg"]
        assert [t["code"] for t in rows[3].todo] == [TODO_CODE]
        assert rows[3].todo[0]["pointer"] == "/features/1/properties/story"
        assert stop_props(rows[3].document, "cortes")["status"] == "published"
        for row in rows.values():
            assert MARKER not in dumped(row.document) and MARKER not in dumped(row.todo)
            card = db_session.get(TourCatalogueRecord, row.id)
            assert card is None or IMAGE_KEY not in dumped(card.facts)
        # The row keeps status, dates and consent choices; not its words or media.
        kept = db_session.get(Contribution, ident)
        assert kept.status == WITHDRAWN and kept.withdrawn_at is not None
        assert (kept.title, kept.story, kept.transcript) == ("", "", {})
        assert kept.contact_email is None and kept.lon is None and kept.lat is None
        assert kept.consent.credit == CREDIT_FIRST_NAME and kept.consent.kits is False
        assert kept.consent.credit_name is None and kept.consent.guardian_name is None
        assert kept.consent.wording == (
            f"Your story is credited to “{NAME_REMOVED}”. Guardian: {NAME_REMOVED} agrees."
        )
        assert db_session.scalars(select(ContributionMedia)).all() == []
        assert db_session.scalars(select(ContributionEdit)).all() == []


def test_a_second_withdrawal_changes_nothing(db_transaction):
    with db_transaction() as db_session:
        public_id = contribute(db_session).public_id
        store(db_session, with_story(public_id))
    with db_transaction(write_lock=True) as db_session:
        first = withdraw(db_session, public_id)
    with db_transaction(write_lock=True) as db_session:
        again = withdraw(db_session, first.contribution_id)
        assert again.already and again.tours == [] and again.image_keys == []
        assert again.withdrawn_at == first.withdrawn_at
        assert max(versions(db_session)) == 2
    with db_transaction() as db_session, pytest.raises(ContributionNotFound):
        withdraw(db_session, "ctb-nosuchcontribution")


def test_a_waiting_draft_stays_the_newest_version_without_it(db_transaction):
    with db_transaction() as db_session:
        public_id = contribute(db_session).public_id
        store(db_session, with_story(public_id))  # v1 published
        draft = with_story(public_id)
        draft["features"][0]["properties"]["summary"]["en"] = "A walk, edited."
        store(db_session, draft, draft=True)  # v2 waits to be published
    with db_transaction(write_lock=True) as db_session:
        [change] = withdraw(db_session, public_id).tours
        assert (change.rewritten, change.published, change.draft) == ([1, 2], 3, 4)
        rows = versions(db_session)
        assert record(db_session).current_version == 3  # the public sees v3
        assert record(db_session).status == PUBLISHED
        newest = rows[4].document
        assert newest["features"][0]["properties"]["summary"]["en"] == "A walk, edited."
        assert public_id not in contribution_ids(newest)
        assert TODO_CODE in [t["code"] for t in rows[4].todo]


def test_a_draft_tour_gets_a_new_draft_and_a_withdrawn_tour_stays_withdrawn(db_transaction):
    with db_transaction() as db_session:
        public_id = contribute(db_session).public_id
        store(db_session, with_story(public_id), draft=True)
        store(db_session, with_story(public_id), slug="other-walk")
        set_status(db_session, "other-walk", TOUR_WITHDRAWN)
    with db_transaction(write_lock=True) as db_session:
        changes = {c.slug: c for c in withdraw(db_session, public_id).tours}
        assert (changes[SLUG].published, changes[SLUG].draft) == (None, 2)
        assert (changes["other-walk"].published, changes["other-walk"].draft) == (None, 2)
        assert record(db_session).status == DRAFT and record(db_session).current_version == 2
        other = record(db_session, "other-walk")
        assert other.status == TOUR_WITHDRAWN
        for slug in (SLUG, "other-walk"):
            assert public_id not in contribution_ids(versions(db_session, slug)[2].document)


def test_a_stop_that_was_all_its_own_goes_and_a_tour_left_empty_is_a_draft(db_transaction):
    with db_transaction() as db_session:
        public_id = contribute(db_session).public_id
        document = with_story(public_id, name={"es": TITLE})
        document = mark(document, "plaza", public_id, ["name.es"], credit="Amina")
        cortes = stop_props(document, "cortes")
        cortes["story"] = {"es": STORY}
        document = mark(document, "cortes", public_id, ["story.es"], credit="Amina")
        store(db_session, document)
    with db_transaction(write_lock=True) as db_session:
        [change] = withdraw(db_session, public_id).tours
        assert change.removed_stops == ["plaza"] and change.emptied_stops == ["cortes"]
        assert change.unpublished
        current = versions(db_session)[2].document
        assert stop_props(current, "plaza") is None
        assert stop_props(current, "cortes")["status"] == "draft"
        assert record(db_session).status == DRAFT


def test_a_file_still_used_elsewhere_is_kept(db_transaction):
    shared = StoredMedia(IMAGE, IMAGE_KEY, "image/webp", 100)
    with db_transaction() as db_session:
        public_id = contribute(db_session, media=(shared,)).public_id
        contribute(db_session, media=(shared,), email="other@example.org")
        store(db_session, with_story(public_id))
    with db_transaction(write_lock=True) as db_session:
        done = withdraw(db_session, public_id)
    # The same photo (content-addressed) belongs to another contribution too.
    assert done.image_keys == [] and done.kept_keys == [IMAGE_KEY]
    assert done.audio_keys == [AUDIO_KEY]  # named only by this contribution's tour marks


def test_the_emails_about_it_go_and_others_stay(db_transaction):
    def message(kind: str, to: str, body: str) -> int:
        email = EmailMessage()
        email["Subject"], email["To"] = "Subject", to
        email.set_content(body)
        email.add_alternative(f"<p>{body.replace('’', '&#8217;')}</p>", subtype="html")
        return outbox.record(
            db_session,
            kind=kind,
            recipient=to,
            subject="Subject",
            raw=email.as_bytes(),
            departure_id=None,
        ).id

    with db_transaction() as db_session:
        mine = contribute(db_session)
        public_id = mine.public_id
        receipt = message("contribution_receipt", "Amina@Example.org", "We got it.")
        notice = message("contribution_new", "coord@example.org", f"New: {STORY[:60]}…")
        unrelated = message("contribution_receipt", "x@example.org", "Another story entirely.")
        booking = message("booking_confirmed", "amina@example.org", STORY)  # not about it
    with db_transaction(write_lock=True) as db_session:
        done = withdraw(db_session, public_id)
        left = set(db_session.scalars(select(OutboxMessage.id)))
    assert sorted(i for i, _ in done.messages) == sorted([receipt, notice])
    assert left == {unrelated, booking}


def test_a_shared_address_keeps_the_other_storys_mail(db_transaction):
    with db_transaction() as db_session:
        public_id = contribute(db_session).public_id
        contribute(db_session, title="Otro", story="Otra historia, muy distinta de la primera.")
        other = outbox.record(
            db_session,
            kind="contribution_receipt",
            recipient="amina@example.org",
            subject="Receipt",
            raw=b"Subject: Receipt\r\n\r\nOtra historia, muy distinta de la primera.\r\n",
            departure_id=None,
        ).id
    with db_transaction(write_lock=True) as db_session:
        withdraw(db_session, public_id)
        assert db_session.get(OutboxMessage, other) is not None


def test_preview_lists_what_will_go(db_transaction):
    with db_transaction() as db_session:
        public_id = contribute(db_session).public_id
        store(db_session, with_story(public_id))
        store(db_session, with_story(public_id), slug="draft-walk", draft=True)
        seen = preview(db_session, public_id)
    assert (seen.title, seen.photos, seen.recording) == (TITLE, 1, True)
    assert [slug for slug, _ in seen.tours] == [SLUG]  # drafts are not public


def test_needles_find_copies_cut_short_and_scrub_replaces_them(db_transaction):
    with db_transaction() as db_session:
        contribution = contribute(db_session, title="Mercado de la Ribera")
        needles = needles_of(contribution)
    assert needles.found_in(f"Preview: {STORY[:45]}…", MESSAGES)
    assert needles.found_in("a   whole\n" + STORY.replace(" ", "\n  "), DOCUMENTS)
    # A title may be a stop's own name: looked for in emails, never in tour documents.
    assert needles.found_in("Re: Mercado de la Ribera", MESSAGES)
    assert not needles.found_in("Mercado de la Ribera", DOCUMENTS)
    assert not needles.found_in("Todavía huele a café.", DOCUMENTS)  # too short a piece
    assert needles.found_in("Amina", OWN_RECORDS) and not needles.found_in("Amina", MESSAGES)
    assert needles.found_in("amina@example.org", OWN_RECORDS)
    value = {"a": [STORY, "keep"], "b": {"c": f"x {STORY[:40]} y"}, "n": 3}
    assert scrub(value, needles, "-") == {"a": ["-", "keep"], "b": {"c": "-"}, "n": 3}
    assert without_names("Credited to “Ana”; Banana stays.", ["Ana"]) == (
        f"Credited to “{NAME_REMOVED}”; Banana stays."
    )


def test_purge_removes_the_address_of_declined_and_withdrawn_stories_after_their_mail(
    db_transaction,
):
    with db_transaction() as db_session:
        declined = contribute(db_session, email="declined@example.org")
        declined.status = DECLINED
        waiting = contribute(db_session, email="waiting@example.org")
        waiting.status = DECLINED
        live = contribute(db_session, email="live@example.org")
        ids = (declined.id, waiting.id, live.id)
        sent = outbox.record(
            db_session,
            kind="contribution_declined",
            recipient="declined@example.org",
            subject="s",
            raw=b"x",
            departure_id=None,
        )
        outbox.mark_sent(sent)
        outbox.record(
            db_session,
            kind="contribution_declined",
            recipient="waiting@example.org",
            subject="s",
            raw=b"x",
            departure_id=None,
        )
        live_mail = outbox.record(
            db_session,
            kind="contribution_receipt",
            recipient="live@example.org",
            subject="s",
            raw=b"x",
            departure_id=None,
        )
        outbox.mark_sent(live_mail)
        sent_id, live_id = sent.id, live_mail.id
    with db_transaction() as db_session:
        purged = purge_contacts(db_session)
    assert (purged.contributions, purged.messages) == (1, 1)
    assert purged.message_files == [(sent_id, "contribution_declined")]
    with db_transaction() as db_session:
        contacts = [get(db_session, i).contact_email for i in ids]
        assert contacts == [None, "waiting@example.org", "live@example.org"]
        assert db_session.get(OutboxMessage, live_id) is not None
