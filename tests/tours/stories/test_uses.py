"""What each use of a tour shows of residents' contributions, from their consent rows."""

from __future__ import annotations

import json

from tests.stories_support import MARK, contribute, contribute_all, contributed_document
from tours.content.checking.pipeline import ValidationOptions, validate_document
from tours.stories.consent import USE_GUIDE_SCRIPTS, USE_KITS, USE_TOUR_PAGES
from tours.stories.document import Allowed
from tours.stories.models import DECLINED, WITHDRAWN
from tours.stories.uses import allowed_for, document_for_use, tour_for_use


def checked(document):
    result = validate_document(document, "t.geojson", ValidationOptions())
    assert result.valid, result.report.to_text()
    return result.tour


def text_of(tour) -> str:
    return json.dumps(tour.to_document(with_scripts=True), ensure_ascii=False)


def test_allowed_for_reads_the_consent_rows(db_transaction):
    with db_transaction() as db_session:
        ids = contribute_all(db_session)
        gone = contribute(db_session, "named", status=WITHDRAWN)
        declined = contribute(db_session, "named", status=DECLINED)
        found = allowed_for(db_session, [*ids.values(), gone, declined, "ctb-elsewhere"])
    everything = frozenset({USE_TOUR_PAGES, USE_GUIDE_SCRIPTS, USE_KITS})
    assert found[ids["named"]] == Allowed(everything, photos=True, audio=True)
    # "This site only" keeps it out of kits whatever else was ticked.
    assert found[ids["anonymous"]].uses == {USE_TOUR_PAGES, USE_GUIDE_SCRIPTS}
    assert found[ids["guides"]].uses == {USE_GUIDE_SCRIPTS}
    assert found[ids["nophotos"]] == Allowed(everything, photos=False, audio=False)
    assert found[gone] == found[declined] == Allowed(frozenset(), photos=False, audio=False)
    assert "ctb-elsewhere" not in found  # another site's: its consent came with its file


def test_tour_pages_leave_out_what_their_consent_keeps_from_them(db_transaction):
    with db_transaction() as db_session:
        ids = contribute_all(db_session)
        tour = checked(contributed_document(ids))
        filtered = tour_for_use(db_session, tour, USE_TOUR_PAGES)
    shown = text_of(filtered.tour)
    assert MARK["named"] in shown and f"{MARK['named']}-photo" in shown
    assert MARK["anonymous"] in shown and MARK["nophotos"] in shown
    assert MARK["guides"] not in shown  # guides' scripts only
    assert f"{MARK['nophotos']}-photo" not in shown and f"{MARK['nophotos']}-t" not in shown
    assert [s.id for s in filtered.tour.stops] == ["plaza", "cortes"]  # mercado had no name left
    assert filtered.tour.stops[0].media[0].url == "https://example.org/own.jpg"
    assert filtered.lines == [
        "Stop `cortes` (Parada cortes): photos left out: photos not consented.",
        "Stop `cortes` (Parada cortes): recording left out: recording not consented.",
        "Stop `mercado`: story left out: the teller did not consent to this site's tour pages.",
        "Stop `mercado`: the stop left out: none of its name or story may be shown.",
    ]
    assert all(marker not in " ".join(filtered.lines) for marker in MARK.values())


def test_guide_scripts_show_what_guides_may_see(db_transaction):
    with db_transaction() as db_session:
        ids = contribute_all(db_session)
        tour = checked(contributed_document(ids))
        filtered = tour_for_use(db_session, tour, USE_GUIDE_SCRIPTS)
    assert MARK["guides"] in text_of(filtered.tour)
    assert [s.id for s in filtered.tour.stops] == ["plaza", "cortes", "mercado"]


def test_kits_leave_out_this_site_only_and_say_why(db_transaction):
    with db_transaction() as db_session:
        ids = contribute_all(db_session)
        tour = checked(contributed_document(ids))
        filtered = tour_for_use(db_session, tour, USE_KITS)
    shown = text_of(filtered.tour)
    assert MARK["named"] in shown and MARK["nophotos"] in shown
    for gone in (MARK["anonymous"], MARK["guides"], f"{MARK['nophotos']}-photo"):
        assert gone not in shown
    assert "Stop `cortes` (Parada cortes): story left out: the teller chose this site only." in (
        filtered.lines
    )


def test_withdrawn_contributions_are_shown_nowhere(db_transaction):
    with db_transaction() as db_session:
        ids = contribute_all(db_session, named=WITHDRAWN)
        tour = checked(contributed_document(ids))
        for use in (USE_TOUR_PAGES, USE_GUIDE_SCRIPTS, USE_KITS):
            filtered = tour_for_use(db_session, tour, use)
            assert MARK["named"] not in text_of(filtered.tour)
            assert "Stop `plaza` (Parada plaza): story, photos and recording left out:" \
                " withdrawn by the teller." in filtered.lines  # fmt: skip


def test_a_recording_without_its_type_takes_the_rows(db_transaction):
    with db_transaction() as db_session:
        ids = {"named": contribute(db_session, "named")}
        document = contributed_document(ids)
        recording = document["features"][1]["properties"]["media"][2]
        del recording["mime"]
        filtered = tour_for_use(db_session, checked(document), USE_TOUR_PAGES)
    [_, _, played] = filtered.tour.stops[0].media
    assert (played.mime, played.recording_extension) == ("audio/mpeg", "mp3")


def test_documents_for_exports_and_tours_without_contributions(db_transaction):
    with db_transaction() as db_session:
        ids = contribute_all(db_session)
        document = checked(contributed_document(ids)).to_document(with_scripts=True)
        exported, lines = document_for_use(db_session, document, USE_KITS)
        plain = checked(contributed_document({})).to_document()
        same, none = document_for_use(db_session, plain, USE_KITS)
    assert MARK["anonymous"] not in json.dumps(exported, ensure_ascii=False)
    assert checked(exported).stops[0].id == "plaza"  # what is left imports again
    assert len(lines) == 5 and same == plain and none == []
