"""Tour actions (publish, withdraw, the editor's saves and restores, translation files,
forks), through the action itself, the console and the ``bidean`` commands: each change
and its audit record commit together (a failure after the record keeps neither), and a
change that changes nothing records nothing."""

from __future__ import annotations

import pytest

from guides.audit import Actor
from tests.tours.tourdoc import tour
from tests.webapp.actions.support import (
    CLI,
    AfterRecord,
    audit_log,
    entries_in,
    fail_after_record,
    log_in_in_english,
)
from tests.webapp.commands.test_translations_cli import import_tour, translate
from tests.webapp.console.editor_support import (
    COORDINATOR,
    DRAFT_SLUG,
    PUBLISHED_SLUG,
    editor_world,
)
from tests.webapp.console.support import ADMIN, build_world
from tests.webapp.console.test_tour_editor import _form
from tests.webapp.console.test_tour_translations import filled_csv, upload
from tours.content.workflows.editing import set_tour_text
from tours.errors import TourNotFound
from tours.tour.store import (
    DRAFT,
    PUBLISHED,
    WITHDRAWN,
    newest_version,
    save_document,
    tour_record,
    version_history,
)
from webapp.actions import tours as tour_actions
from webapp.common.database import get_db

ACTOR = Actor.account("coordinator@example.org")
SLUG = "san-francisco-voices"  # the slug of the test tour (tests.tours.tourdoc)


def _store_draft(db_session, **changes) -> None:
    document = tour(**changes)
    props = document["features"][0]["properties"]
    with db_session(write_lock=True) as session:
        save_document(
            session,
            document,
            slug=SLUG,
            city=props["city"],
            languages=props["languages"],
            title=props.get("title", {}),
            draft=True,
        )


def _status(session, slug: str = SLUG) -> tuple[str, int]:
    record = tour_record(session, slug, lock=False)
    return record.status, record.current_version


def _versions(session, slug: str = SLUG) -> list[int]:
    return [v.version for v in version_history(session, slug)]


# -- the actions ----------------------------------------------------------------------------


def test_publish_and_withdraw_record_each_change_and_repeats_record_nothing(db_transaction):
    _store_draft(db_transaction)
    outcomes = []
    for _ in range(2):
        with db_transaction(write_lock=True) as db_session:
            outcomes.append(tour_actions.publish_tour(db_session, ACTOR, SLUG))
    assert [(o.ok, o.unchanged) for o in outcomes] == [(True, False), (True, True)]
    version = outcomes[0].version
    assert outcomes[1].version == version
    withdrawn = []
    for _ in range(2):
        with db_transaction(write_lock=True) as db_session:
            withdrawn.append(tour_actions.withdraw_tour(db_session, ACTOR, SLUG))
    assert withdrawn == [True, False]
    with db_transaction() as db_session:
        assert _status(db_session) == (WITHDRAWN, version)
        assert entries_in(db_session) == [
            (ACTOR.name, "tour.publish", f"tour:{SLUG}", {"version": version}),
            (ACTOR.name, "tour.withdraw", f"tour:{SLUG}", {"version": version}),
        ]


def test_a_refused_publish_records_nothing(db_transaction):
    _store_draft(db_transaction, title=None)
    with db_transaction(write_lock=True) as db_session:
        outcome = tour_actions.publish_tour(db_session, ACTOR, SLUG)
    assert not outcome.ok and outcome.todo
    with db_transaction() as db_session:
        assert _status(db_session)[0] == DRAFT and entries_in(db_session) == []


def test_a_failure_after_publishing_keeps_the_draft_and_no_record(db_transaction):
    _store_draft(db_transaction)
    with pytest.raises(RuntimeError), db_transaction(write_lock=True) as db_session:
        tour_actions.publish_tour(db_session, ACTOR, SLUG)
        raise RuntimeError("after the action")
    with db_transaction() as db_session:
        assert _status(db_session)[0] == DRAFT and entries_in(db_session) == []


def test_an_unchanged_edit_records_nothing_a_change_and_a_restore_do(db_transaction):
    _store_draft(db_transaction)
    with db_transaction(write_lock=True) as db_session:
        unchanged = tour_actions.save_tour_edit(db_session, ACTOR, SLUG, 1, lambda d: d)
    assert unchanged.unchanged
    with db_transaction(write_lock=True) as db_session:
        saved = tour_actions.save_tour_edit(
            db_session, ACTOR, SLUG, 1, lambda d: set_tour_text(d, "title", "en", "Other voices")
        )
    with db_transaction(write_lock=True) as db_session:
        restored = tour_actions.restore_tour_version(db_session, ACTOR, SLUG, 1, saved.version)
    with db_transaction() as db_session:
        assert _versions(db_session) == [3, 2, 1]
        assert newest_version(db_session, SLUG).source_name == f"version 1 restored by {ACTOR.name}"
        assert entries_in(db_session) == [
            (ACTOR.name, "tour.edit", f"tour:{SLUG}", {"version": 2}),
            (ACTOR.name, "tour.restore", f"tour:{SLUG}", {"version": 3, "restored": 1}),
        ]
    assert restored.version == 3


def test_a_fork_is_recorded_on_the_copy_and_a_failure_keeps_neither(db_transaction):
    _store_draft(db_transaction)
    with pytest.raises(RuntimeError), db_transaction(write_lock=True) as db_session:
        tour_actions.fork_tour(db_session, ACTOR, SLUG, "Wrocław", "wroclaw-voices")
        raise RuntimeError("after the action")
    with db_transaction() as db_session, pytest.raises(TourNotFound):
        tour_record(db_session, "wroclaw-voices")
    with db_transaction(write_lock=True) as db_session:
        result = tour_actions.fork_tour(db_session, ACTOR, SLUG, "Wrocław", "wroclaw-voices")
    with db_transaction() as db_session:
        assert entries_in(db_session) == [
            (
                ACTOR.name,
                "tour.fork",
                "tour:wroclaw-voices",
                {"source": SLUG, "source_version": result.source_version, "scripts": False},
            )
        ]


# -- the console ------------------------------------------------------------------------------

EDITOR = f"/console/tours/{PUBLISHED_SLUG}"


def _flash(response) -> str:
    return response.get_data(as_text=True)


def _current(app, slug: str = PUBLISHED_SLUG) -> tuple[str, int]:
    with get_db(app).transaction() as db_session:
        return _status(db_session, slug)


def test_console_withdraw_and_publish_record_once_and_say_when_nothing_changed(app, client):
    editor_world(app)
    log_in_in_english(client, COORDINATOR)
    _status_before, version = _current(app)
    first = client.post(f"{EDITOR}/withdraw", follow_redirects=True)
    assert "Withdrawn: the tour is no longer on the public site." in _flash(first)
    again = client.post(f"{EDITOR}/withdraw", follow_redirects=True)
    assert "The tour was withdrawn already: nothing changed." in _flash(again)
    published = client.post(f"{EDITOR}/publish", follow_redirects=True)
    assert f"Published: version {version} is on the public site." in _flash(published)
    same = client.post(f"{EDITOR}/publish", follow_redirects=True)
    assert f"Version {version} was on the public site already: nothing changed." in _flash(same)
    assert _current(app) == (PUBLISHED, version)
    target = f"tour:{PUBLISHED_SLUG}"
    assert audit_log(app) == [
        (COORDINATOR, "tour.withdraw", target, {"version": version}),
        (COORDINATOR, "tour.publish", target, {"version": version}),
    ]


def test_console_keeps_a_tour_public_when_its_withdrawal_fails_after_the_record(
    app, client, monkeypatch
):
    editor_world(app)
    log_in_in_english(client, COORDINATOR)
    before = _current(app)
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        client.post(f"{EDITOR}/withdraw")
    assert _current(app) == before and audit_log(app) == []


def test_console_editor_records_a_change_and_a_restore_but_not_an_unchanged_form(app, client):
    editor_world(app)
    log_in_in_english(client, COORDINATOR)
    edit = f"/console/tours/{DRAFT_SLUG}"
    same = client.post(edit, data=_form(client, edit, write="en"), follow_redirects=True)
    assert "Nothing changed, so no new version was saved." in _flash(same)
    data = _form(client, edit, write="en")
    data["tour-title"] = ["Second"]
    assert client.post(edit, data=data).status_code == 302
    restore = client.post(f"{edit}/restore", data={"version": "1", "based_on": "2"})
    assert restore.status_code == 302
    assert audit_log(app) == [
        (COORDINATOR, "tour.edit", f"tour:{DRAFT_SLUG}", {"version": 2}),
        (COORDINATOR, "tour.restore", f"tour:{DRAFT_SLUG}", {"version": 3, "restored": 1}),
    ]


def test_console_editor_keeps_no_version_when_the_save_fails_after_the_record(
    app, client, monkeypatch
):
    editor_world(app)
    log_in_in_english(client, COORDINATOR)
    edit = f"/console/tours/{DRAFT_SLUG}"
    data = _form(client, edit, write="en")
    data["tour-title"] = ["Second"]
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        client.post(edit, data=data)
    with get_db(app).transaction() as db_session:
        assert _versions(db_session, DRAFT_SLUG) == [1]
    assert audit_log(app) == []


def test_console_records_a_translation_file_once_and_not_the_same_file_again(app, client):
    build_world(app)
    log_in_in_english(client, ADMIN)
    texts = {("sf-01", "name"): "Plac Serca"}
    assert upload(client, filled_csv(client, texts)).status_code == 302
    # The file of the new version with the same text: nothing to store, nothing to record.
    same = upload(client, filled_csv(client, texts))
    assert "No text changed: nothing was stored." in _flash(client.get(same.headers["Location"]))
    assert audit_log(app) == [
        (
            ADMIN,
            "tour.translations",
            f"tour:{PUBLISHED_SLUG}",
            {"language": "pl", "version": 2, "changed": 1},
        )
    ]


def test_console_keeps_no_translation_when_the_transaction_fails_after_the_record(
    app, client, monkeypatch
):
    build_world(app)
    log_in_in_english(client, ADMIN)
    data = filled_csv(client, {("sf-01", "name"): "Plac Serca"})
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        upload(client, data)
    with get_db(app).transaction() as db_session:
        assert _versions(db_session, PUBLISHED_SLUG) == [1]
    assert audit_log(app) == []


def test_console_records_a_fork_and_keeps_none_when_it_fails_after_the_record(
    app, client, monkeypatch
):
    build_world(app)
    log_in_in_english(client, ADMIN)
    url = f"/console/tours/{PUBLISHED_SLUG}/fork"
    form = {"city": "Wrocław", "slug": "wroclaw-voices"}
    with monkeypatch.context() as failing:
        fail_after_record(failing)
        with pytest.raises(AfterRecord):
            client.post(url, data=form)
    assert audit_log(app) == []
    assert client.post(url, data=form).status_code == 302
    assert audit_log(app) == [
        (
            ADMIN,
            "tour.fork",
            "tour:wroclaw-voices",
            {"source": PUBLISHED_SLUG, "source_version": 1, "scripts": False},
        )
    ]


# -- the command line -------------------------------------------------------------------------


def test_cli_withdraw_and_publish_record_as_the_command_line_once(app, runner, tmp_path):
    import_tour(runner, tmp_path)
    outputs = [
        runner.invoke(args=[command, SLUG]).output
        for command in ("withdraw", "withdraw", "publish", "publish")
    ]
    assert outputs == [
        f"withdrew {SLUG}\n",
        f"{SLUG} was withdrawn already; nothing changed\n",
        f"published {SLUG} version 1\n",
        f"{SLUG} version 1 was published already; nothing changed\n",
    ]
    assert audit_log(app)[1:] == [
        (CLI, "tour.withdraw", f"tour:{SLUG}", {"version": 1}),
        (CLI, "tour.publish", f"tour:{SLUG}", {"version": 1}),
    ]


@pytest.mark.parametrize("command", ["withdraw", "publish"])
def test_cli_keeps_the_tour_as_it_was_when_the_transaction_fails_after_the_record(
    app, runner, tmp_path, monkeypatch, command
):
    import_tour(runner, tmp_path)
    if command == "publish":
        assert runner.invoke(args=["withdraw", SLUG]).exit_code == 0
    before = _current(app, SLUG)
    entries = audit_log(app)
    fail_after_record(monkeypatch)
    assert isinstance(runner.invoke(args=[command, SLUG]).exception, AfterRecord)
    assert _current(app, SLUG) == before and audit_log(app) == entries


def _translation_file(runner, tmp_path):
    exported = tmp_path / "pl.csv"
    runner.invoke(args=["translations", "export", SLUG, "-l", "pl", "-o", str(exported)])
    return translate(exported, {("plaza", "name"): "Rynek"}, tmp_path / "pl-done.csv")


def test_cli_records_a_translation_file_once_and_keeps_none_when_it_fails(
    app, runner, tmp_path, monkeypatch
):
    import_tour(runner, tmp_path)
    filled = _translation_file(runner, tmp_path)
    command = ["translations", "import", SLUG, str(filled)]
    with monkeypatch.context() as failing:
        fail_after_record(failing)
        assert isinstance(runner.invoke(args=command).exception, AfterRecord)
    with get_db(app).transaction() as db_session:
        assert _versions(db_session) == [1]
    assert runner.invoke(args=command).exit_code == 0
    # The file of the new version with the same text: nothing to store, nothing to record.
    same = _translation_file(runner, tmp_path)
    again = runner.invoke(args=["translations", "import", SLUG, str(same)])
    assert again.exit_code == 0 and "no text changed" in again.output
    assert audit_log(app)[1:] == [
        (CLI, "tour.translations", f"tour:{SLUG}", {"language": "pl", "version": 2, "changed": 1})
    ]


def test_cli_records_a_fork_and_keeps_none_when_it_fails(app, runner, tmp_path, monkeypatch):
    import_tour(runner, tmp_path)
    command = ["fork", SLUG, "--city", "Wrocław", "--slug", "wroclaw-voices", "--with-scripts"]
    with monkeypatch.context() as failing:
        fail_after_record(failing)
        assert isinstance(runner.invoke(args=command).exception, AfterRecord)
    assert len(audit_log(app)) == 1  # the import's
    assert runner.invoke(args=command).exit_code == 0
    assert audit_log(app)[1:] == [
        (
            CLI,
            "tour.fork",
            "tour:wroclaw-voices",
            {"source": SLUG, "source_version": 1, "scripts": True},
        )
    ]
