"""Editing a tour document: the plain functions, the check, and saving with the stale check."""

from __future__ import annotations

import copy
import threading
import time

import pytest
from sqlalchemy.orm import sessionmaker

from guides.scripts import SCRIPT_MAX, set_shared_script
from tests.tours.tourdoc import tour
from tours.content.checking.pipeline import ValidationOptions
from tours.content.workflows import editing
from tours.content.workflows.editing import EditError, EditRefused, check_document
from tours.db import make_sessionmaker, transaction
from tours.tour.domain import Tour
from tours.tour.store import (
    DRAFT,
    PUBLISHED,
    StaleVersion,
    get_document,
    newest_version,
    save_document,
    save_tour,
    version_history,
)

SLUG = "san-francisco-voices"


# -- the plain functions ------------------------------------------------------------------


def _title_map(document):
    return document["features"][0]["properties"]["title"]


def test_set_tour_text_adds_replaces_and_removes_one_language_only():
    doc = tour()
    changed = editing.set_tour_text(doc, "title", "de", "  Stimmen  ")
    assert changed["features"][0]["properties"]["title"]["de"] == "Stimmen"
    assert "de" not in doc["features"][0]["properties"]["title"]  # the input is not changed
    replaced = editing.set_tour_text(changed, "title", "DE", "Neu")
    assert replaced["features"][0]["properties"]["title"]["de"] == "Neu"
    assert "DE" not in replaced["features"][0]["properties"]["title"]
    removed = editing.set_tour_text(replaced, "title", "de", "")
    assert _title_map(removed) == _title_map(doc)
    accessible = editing.set_tour_text(doc, "accessibility", "es", "Sin escaleras.")
    assert accessible["features"][0]["properties"]["accessibility"] == {"es": "Sin escaleras."}
    assert (
        "accessibility"
        not in editing.set_tour_text(accessible, "accessibility", "es", "")["features"][0][
            "properties"
        ]
    )


def test_a_bad_language_tag_names_its_field():
    with pytest.raises(EditError) as caught:
        editing.set_stop_text(tour(), "plaza", "story", "de_DE!", "x")
    assert caught.value.field == "stop-plaza-story"


def test_unknown_stop_is_refused():
    with pytest.raises(EditError) as caught:
        editing.set_stop_text(tour(), "nowhere", "name", "es", "x")
    assert caught.value.field == "stop-nowhere"


def test_move_add_and_reorder_stops():
    doc = editing.move_stop(tour(), "plaza", -2.9261234567, 43.2556)
    assert doc["features"][1]["geometry"]["coordinates"] == [-2.926123, 43.2556]
    with pytest.raises(EditError) as caught:
        editing.move_stop(doc, "plaza", 43.2, 200.0)
    assert caught.value.field == "stop-plaza-position"
    added = editing.add_stop(doc, -2.925, 43.2551, "Nueva", "es")
    assert editing.stop_ids(added)[-1] == "stop-3"
    new = added["features"][3]["properties"]
    assert new == {"id": "stop-3", "name": {"es": "Nueva"}}
    reordered = editing.reorder_stops(added, ["stop-3", "plaza", "cortes"])
    assert editing.stop_ids(reordered) == ["stop-3", "plaza", "cortes"]
    with pytest.raises(EditError):
        editing.reorder_stops(added, ["plaza", "cortes"])
    assert editing.shift_stop(["a", "b", "c"], "c", -1) == ["a", "c", "b"]
    assert editing.shift_stop(["a", "b", "c"], "a", -1) == ["a", "b", "c"]


def test_declare_language_appends_once():
    doc = editing.declare_language(tour(), "de")
    assert doc["features"][0]["properties"]["languages"] == ["es", "eu", "en", "de"]
    assert editing.declare_language(doc, "DE") == doc


def test_scripts_go_through_guides_and_stay_out_of_public_forms():
    doc = set_shared_script(tour(), "plaza", "es", "SECRET-CUE-4711")
    assert doc["features"][1]["properties"]["script"] == {"es": "SECRET-CUE-4711"}
    public = Tour.from_document(doc).to_document(published_only=True)
    assert "SECRET-CUE-4711" not in str(public)
    with pytest.raises(EditError) as caught:
        set_shared_script(doc, "plaza", "es", "x" * (SCRIPT_MAX + 1))
    assert caught.value.field == "stop-plaza-script"


def test_check_document_puts_missing_things_on_the_to_do_list_and_refuses_wrong_ones():
    doc = tour()
    del doc["features"][0]["properties"]["title"]
    checked = check_document(doc, SLUG, ValidationOptions())
    assert [item["code"] for item in checked.todo] == ["profile.missing-property"]
    assert checked.refused == []
    wrong = tour()
    wrong["features"][0]["properties"]["timezone"] = "Mars/Olympus"
    wrong["features"][2]["properties"]["dwell_minutes"] = -3
    refused = check_document(wrong, SLUG, ValidationOptions()).refused
    assert {p.field for p in refused} == {"tour-timezone", "stop-cortes-dwell_minutes"}


def test_only_errors_an_edit_brings_in_refuse_it():
    draft = tour()
    draft["features"][0]["properties"]["timezone"] = "Mars/Olympus"  # wrong before the edit
    edited = editing.set_tour_text(draft, "title", "en", "Better")
    checked = check_document(edited, SLUG, ValidationOptions(), base=draft)
    assert checked.refused == [] and [t["code"] for t in checked.todo] == ["profile.timezone"]
    worse = copy.deepcopy(edited)
    worse["features"][1]["properties"]["dwell_minutes"] = -1
    refused = check_document(worse, SLUG, ValidationOptions(), base=draft).refused
    assert [(p.field, p.code) for p in refused] == [
        ("stop-plaza-dwell_minutes", "profile.dwell-minutes")
    ]


def test_text_that_cannot_be_stored_is_refused_at_its_field():
    with pytest.raises(EditError) as caught:
        editing.set_stop_text(tour(), "plaza", "story", "es", "a\x00b")
    assert caught.value.field == "stop-plaza-story"


def test_changed_fields_says_what_changed():
    before = tour()
    after = editing.set_stop_text(before, "plaza", "story", "de", "Eine Geschichte.")
    after = editing.set_tour_text(after, "title", "de", "Stimmen")
    assert editing.changed_fields(before, after) == ["title", "stop plaza: story"]


# -- saving against the database ----------------------------------------------------------


@pytest.fixture
def sessions(engine) -> sessionmaker:
    factory = make_sessionmaker(engine)
    with transaction(factory, write_lock=True) as db_session:
        checked = check_document(tour(), SLUG, ValidationOptions())
        save_tour(db_session, Tour.from_document(checked.document))
    return factory


def save_edit(sessions, *args, **kwargs):
    """``editing.save_edit`` in a transaction of its own, as the editor's page runs it."""
    with transaction(sessions, write_lock=True) as db_session:
        return editing.save_edit(db_session, *args, **kwargs)


def restore(sessions, *args, **kwargs):
    """``editing.restore`` in a transaction of its own, as the history page runs it."""
    with transaction(sessions, write_lock=True) as db_session:
        return editing.restore(db_session, *args, **kwargs)


def _title(document, language):
    return document["features"][0]["properties"]["title"].get(language)


def test_save_edit_stores_a_new_draft_version_and_keeps_the_public_one(sessions):
    saved = save_edit(
        sessions, SLUG, 1, lambda d: editing.set_tour_text(d, "title", "en", "New voices")
    )
    assert saved.version == 2 and saved.todo == []
    with transaction(sessions) as db_session:
        assert _title(get_document(db_session, SLUG, 2), "en") == "New voices"
        assert _title(get_document(db_session, SLUG), "en") == "Voices"  # public: version 1
        assert newest_version(db_session, SLUG).tour.status == PUBLISHED
        assert [v.version for v in version_history(db_session, SLUG)] == [2, 1]


def test_invalid_edit_is_refused_and_nothing_is_stored(sessions):
    def bad(document):
        document = copy.deepcopy(document)
        document["features"][0]["properties"]["timezone"] = "Nowhere/Nothing"
        return editing.set_tour_text(document, "title", "en", "Kept out")

    with pytest.raises(EditRefused) as caught:
        save_edit(sessions, SLUG, 1, bad)
    assert caught.value.problems[0].field == "tour-timezone"
    with transaction(sessions) as db_session:
        assert [v.version for v in version_history(db_session, SLUG)] == [1]


def test_unchanged_form_stores_nothing(sessions):
    saved = save_edit(sessions, SLUG, 1, lambda d: d)
    assert saved.unchanged and saved.version == 1


def test_a_save_based_on_a_stale_version_is_refused(sessions):
    save_edit(sessions, SLUG, 1, lambda d: editing.set_tour_text(d, "title", "en", "A"))
    with pytest.raises(StaleVersion) as caught:
        save_edit(sessions, SLUG, 1, lambda d: editing.set_tour_text(d, "title", "en", "B"))
    assert (caught.value.based_on, caught.value.newest) == (1, 2)
    with transaction(sessions) as db_session:
        assert _title(newest_version(db_session, SLUG).document, "en") == "A"


def test_two_concurrent_saves_based_on_the_same_version_one_wins(sessions):
    """Two saves of forms based on version 1 start together; each is slow while holding its
    transaction.  The row lock (PostgreSQL) or the write lock (SQLite) makes the second
    wait, then see version 2 and be refused: never two versions 2, never a lost edit."""
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(text):
        def change(document):
            time.sleep(0.2)  # widen the window in which the other save would interleave
            return editing.set_tour_text(document, "title", "en", text)

        return change

    def run(text):
        start.wait(timeout=10)
        try:
            save_edit(sessions, SLUG, 1, edit(text))
            outcomes.append("saved")
        except StaleVersion:
            outcomes.append("stale")
        except Exception as error:  # an IntegrityError would mean the check raced
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=run, args=(t,)) for t in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["saved", "stale"]
    with transaction(sessions) as db_session:
        assert [v.version for v in version_history(db_session, SLUG)] == [2, 1]
        assert _title(newest_version(db_session, SLUG).document, "en") in ("first", "second")


def test_restore_makes_a_new_version_with_the_old_document(sessions):
    save_edit(sessions, SLUG, 1, lambda d: editing.set_tour_text(d, "title", "en", "B"))
    saved = restore(sessions, SLUG, 1, 2)
    assert saved.version == 3
    with transaction(sessions) as db_session:
        assert _title(get_document(db_session, SLUG, 3), "en") == "Voices"
        assert [v.version for v in version_history(db_session, SLUG)] == [3, 2, 1]
    with pytest.raises(StaleVersion):
        restore(sessions, SLUG, 1, 2)


def test_editing_a_draft_keeps_it_a_draft(engine):
    factory = make_sessionmaker(engine)
    doc = tour(slug="a-draft")
    del doc["features"][0]["properties"]["title"]
    with transaction(factory, write_lock=True) as db_session:
        save_document(
            db_session, doc, slug="a-draft", city="Bilbao", languages=["es"], title={}, draft=True
        )
    saved = save_edit(
        factory, "a-draft", 1, lambda d: editing.set_tour_text(d, "summary", "en", "Short")
    )
    assert [t["code"] for t in saved.todo] == ["profile.missing-property"]
    with transaction(factory) as db_session:
        row = newest_version(db_session, "a-draft")
        assert row.tour.status == DRAFT and row.todo == saved.todo


def test_the_tours_accessibility_is_a_checked_language_map():
    doc = editing.set_tour_text(tour(), "accessibility", "es", "Cuestas suaves, sin escaleras.")
    checked = check_document(doc, SLUG, ValidationOptions())
    assert checked.refused == [] and checked.todo == []
    assert checked.document["features"][0]["properties"]["accessibility"] == {
        "es": "Cuestas suaves, sin escaleras."
    }
    wrong = tour(accessibility={"es": "Cuestas", "no tag": "x"})
    refused = check_document(wrong, SLUG, ValidationOptions()).refused
    assert [(p.field, p.code) for p in refused] == [
        ("tour-accessibility", "profile.invalid-language-tag")
    ]
