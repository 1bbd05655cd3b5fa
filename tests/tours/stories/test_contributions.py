"""Taking a proposal with its consent, once, and reading it back."""

from __future__ import annotations

import pytest

from tours.stories.consent import (
    CREDIT_ANONYMOUS,
    CREDIT_FIRST_NAME,
    LICENCE_CC_BY,
    LICENCE_SITE_ONLY,
    METHOD_PAPER,
    USE_GUIDE_SCRIPTS,
    USE_KITS,
    USE_TOUR_PAGES,
    ConsentChoices,
)
from tours.stories.contributions import (
    ConsentGiven,
    ConsentRefused,
    ContributionNotFound,
    Proposal,
    StoredMedia,
    get,
    listed,
    submit,
)
from tours.stories.models import AUDIO, IMAGE, PENDING, Contribution


def choices(**changes) -> ConsentChoices:
    values = dict(
        credit=CREDIT_FIRST_NAME,
        credit_name="Amina",
        tour_pages=True,
        guide_scripts=True,
        kits=False,
        photos=True,
        audio=True,
        licence=LICENCE_SITE_ONLY,
        age_16_or_over=True,
    )
    values.update(changes)
    return ConsentChoices(**values)


def given(**changes) -> ConsentGiven:
    return ConsentGiven(choices(**changes), wording="You agree that…", wording_language="ar")


PROPOSAL = Proposal(
    language="ar",
    interface_language="ar",
    title="المقهى",
    story="قصة المقهى",
    lon=-2.9249,
    lat=43.2548,
    contact_email="amina@example.org",
    media=(
        StoredMedia(IMAGE, "a" * 32, "image/webp", 1000),
        StoredMedia(AUDIO, "b" * 32, "audio/ogg", 5000, 12.5),
    ),
)


def test_submit_records_consent_and_media(db_transaction):
    with db_transaction() as db_session:
        contribution, created = submit(db_session, PROPOSAL, given(), submission_key="k1")
        public_id = contribution.public_id
    assert created
    with db_transaction() as db_session:
        stored = get(db_session, public_id)
        assert stored.status == PENDING
        assert stored.story == "قصة المقهى"
        assert stored.consent.credit_name == "Amina"
        assert stored.consent.wording == "You agree that…"
        assert stored.consent.wording_language == "ar"
        assert [(m.kind, m.url) for m in stored.media] == [
            ("image", "media:" + "a" * 32),
            ("audio", "audio:" + "b" * 32),
        ]
        assert get(db_session, stored.id).public_id == public_id
        assert [c.public_id for c in listed(db_session)] == [public_id]


def test_a_second_send_of_the_same_form_makes_no_second_row(db_transaction):
    with db_transaction() as db_session:
        first, _ = submit(db_session, PROPOSAL, given(), submission_key="same")
    with db_transaction() as db_session:
        again, created = submit(db_session, PROPOSAL, given(), submission_key="same")
        assert not created and again.id == first.id
        assert db_session.query(Contribution).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"credit": None}, "credit"),
        ({"credit_name": " "}, "credit_name"),
        ({"licence": None}, "licence"),
        ({"kits": True}, "kits"),
        ({"tour_pages": False, "guide_scripts": False}, "uses"),
        ({"age_16_or_over": False}, "age"),
    ],
)
def test_missing_consent_is_refused_with_its_field(db_transaction, changes, field):
    with db_transaction() as db_session, pytest.raises(ConsentRefused) as refused:
        submit(db_session, PROPOSAL, given(**changes))
    assert field in [p.field for p in refused.value.problems]
    with db_transaction() as db_session:
        assert db_session.query(Contribution).count() == 0


def test_a_guardian_stands_for_a_teller_under_16_and_paper_needs_its_reference(db_transaction):
    minor = ConsentGiven(
        choices(age_16_or_over=False, guardian_name="Fatima", credit=CREDIT_ANONYMOUS),
        wording="w",
        wording_language="es",
        method=METHOD_PAPER,
    )
    with db_transaction() as db_session, pytest.raises(ConsentRefused) as refused:
        submit(db_session, PROPOSAL, minor)
    assert [p.field for p in refused.value.problems] == ["paper_reference"]
    with db_transaction() as db_session:
        paper = ConsentGiven(**{**minor.__dict__, "paper_reference": "TALLER-3/12"})
        contribution, _ = submit(db_session, PROPOSAL, paper, entered_by="fac@example.org")
        assert contribution.consent.credit_name is None
        assert contribution.entered_by == "fac@example.org"


def test_site_only_keeps_a_story_out_of_kits():
    assert choices(kits=True, licence=LICENCE_CC_BY).uses == {
        USE_TOUR_PAGES, USE_GUIDE_SCRIPTS, USE_KITS,
    }  # fmt: skip
    assert USE_KITS not in choices(kits=True).uses


def test_unknown_ids_say_so(db_transaction):
    with db_transaction() as db_session:
        for ident in (7, "ctb-nothing"):
            with pytest.raises(ContributionNotFound):
                get(db_session, ident)
