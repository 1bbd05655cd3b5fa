"""A tour whose published stops hold a recording without a transcript cannot be published:
a to-do item, said in the console's language, for ``bidean publish``, the console's
Publish button and an import of a complete file alike."""

from __future__ import annotations

from flask_babel import force_locale

from guides.accounts import create_account
from tests.stories_support import SLUG, contribute, contributed_document
from tests.tours.tourdoc import encode
from tests.webapp.console.support import ADMIN, PASSWORD, log_in
from tours.content.checking.pipeline import ValidationOptions
from tours.content.workflows.drafts import publish
from tours.content.workflows.editing import check_document
from tours.tour.store import DRAFT, PUBLISHED, current_versions, newest_version, save_document
from webapp.common.database import get_db
from webapp.console.wording import problem_sentence

SENTENCE = "A recording has no transcript yet: write what is said in at least one language."


def store_draft(app, *, transcript: bool) -> None:
    with get_db(app).transaction(write_lock=True) as db_session:
        ids = {"named": contribute(db_session, "named")}
        document = contributed_document(ids, transcript=transcript)
        checked = check_document(document, SLUG, ValidationOptions())
        props = document["features"][0]["properties"]
        save_document(
            db_session,
            checked.document,
            slug=SLUG,
            city=props["city"],
            languages=props["languages"],
            title=props["title"],
            todo=checked.todo,
            draft=True,
        )


def test_publishing_is_refused_until_the_recording_has_a_transcript(app):
    store_draft(app, transcript=False)
    with get_db(app).transaction(write_lock=True) as db_session:
        outcome = publish(db_session, SLUG)
        assert not outcome.ok
        [todo] = outcome.todo
        assert todo["code"] == "profile.audio-transcript"
        assert todo["pointer"] == "/features/1/properties/media/2"
        assert current_versions(db_session) == []
    store_draft(app, transcript=True)
    with get_db(app).transaction(write_lock=True) as db_session:
        assert publish(db_session, SLUG).ok
        assert newest_version(db_session, SLUG).tour.status == PUBLISHED


def test_the_console_says_so_in_its_language_and_refuses_the_button(app, client):
    store_draft(app, transcript=False)
    with get_db(app).transaction(write_lock=True) as db_session:
        create_account(db_session, ADMIN, "coordinator", password=PASSWORD)
    log_in(client, ADMIN)
    page = client.get(f"/console/tours/{SLUG}").get_data(as_text=True)
    assert SENTENCE in page and "profile.audio-transcript" in page
    refused = client.post(f"/console/tours/{SLUG}/publish", data={"based_on": "1"})
    assert refused.status_code == 302
    assert "Not published: finish the to-do list first." in client.get(
        f"/console/tours/{SLUG}"
    ).get_data(as_text=True)
    with get_db(app).transaction() as db_session:
        assert newest_version(db_session, SLUG).tour.status == DRAFT
    with app.test_request_context(), force_locale("ar"):
        said = problem_sentence("profile.audio-transcript")
    assert said != SENTENCE and "التسجيل" in said


def test_a_complete_file_with_such_a_recording_is_imported_as_a_draft(app, runner, tmp_path):
    with get_db(app).transaction(write_lock=True) as db_session:
        ids = {"named": contribute(db_session, "named")}
    path = tmp_path / "tour.geojson"
    path.write_bytes(encode(contributed_document(ids, transcript=False)))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0 and "draft" in result.output, result.output
    refused = runner.invoke(args=["publish", SLUG])
    assert refused.exit_code == 1 and "transcript" in refused.output
    with get_db(app).transaction() as db_session:
        assert current_versions(db_session) == []
