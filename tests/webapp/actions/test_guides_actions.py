"""Guide actions (profiles, photos, check-ins, own scripts), through the action itself, the
console and ``bidean guides``: each change and its audit record commit together (a
failure after the record keeps neither), and a change that changes nothing records nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from guides.audit import Actor
from guides.models import CheckIn, GuideRecord, GuideScript
from guides.profiles import get_photo
from tests.webapp.actions.support import (
    CLI,
    AfterRecord,
    audit_log,
    entries_in,
    fail_after_record,
    log_in_in_english,
)
from tests.webapp.console.support import ADMIN, GUIDE_A, SLUG, build_world
from tours.tour.store import get_document
from webapp.actions import guides as guide_actions
from webapp.common.database import get_db

ACTOR = Actor.account("coordinator@example.org")
SPANISH = {"languages-0-tag": "es", "languages-0-level": "native"}  # the console form's first row
NEW_GUIDE = {"guide_id": "nadia", "display_name": "Nadia", **SPANISH, "tours": ""}


def _guide(db_session, guide_id: str = "nadia") -> GuideRecord | None:
    with db_session() as session:
        return session.get(GuideRecord, guide_id)


def _add(db_session) -> None:
    with db_session(write_lock=True) as session:
        guide_actions.add_guide(session, ACTOR, "nadia", "Nadia", "es:native", bio={"es": "Hola"})


# -- the actions ----------------------------------------------------------------------------


def test_each_change_of_a_profile_is_recorded_with_its_actor_and_fields(db_transaction):
    _add(db_transaction)
    with db_transaction(write_lock=True) as db_session:
        update = guide_actions.update_guide(
            db_session, ACTOR, "nadia", display_name="Nadia B.", languages="es:native,en:fluent"
        )
    assert update.changed == ("display_name", "languages")
    assert update.guide.display_name == "Nadia B."
    with db_transaction(write_lock=True) as db_session:
        guide_actions.remove_guide(db_session, ACTOR, "nadia")
    with db_transaction() as db_session:
        assert entries_in(db_session) == [
            (ACTOR.name, "guide.add", "guide:nadia", {}),
            (ACTOR.name, "guide.update", "guide:nadia", {"fields": ["display_name", "languages"]}),
            (ACTOR.name, "guide.remove", "guide:nadia", {}),
        ]
    assert _guide(db_transaction) is None


def test_an_update_with_the_same_values_records_nothing_and_keeps_the_date(db_transaction):
    _add(db_transaction)
    before = _guide(db_transaction).updated_at
    with db_transaction(write_lock=True) as db_session:
        update = guide_actions.update_guide(
            db_session,
            ACTOR,
            "nadia",
            display_name="Nadia",
            languages="es:native",
            bio={"es": "Hola"},
        )
    assert update.changed == ()
    assert _guide(db_transaction).updated_at == before
    with db_transaction() as db_session:
        assert [e[1] for e in entries_in(db_session)] == ["guide.add"]


def test_a_failure_after_the_action_keeps_neither_the_change_nor_its_record(db_transaction):
    with pytest.raises(RuntimeError), db_transaction(write_lock=True) as db_session:
        guide_actions.add_guide(db_session, ACTOR, "nadia", "Nadia", "es:native")
        raise RuntimeError("after the action")
    assert _guide(db_transaction) is None
    _add(db_transaction)
    with pytest.raises(RuntimeError), db_transaction(write_lock=True) as db_session:
        guide_actions.update_guide(db_session, ACTOR, "nadia", display_name="Someone else")
        raise RuntimeError("after the action")
    assert _guide(db_transaction).display_name == "Nadia"
    with db_transaction() as db_session:
        assert [e[1] for e in entries_in(db_session)] == ["guide.add"]


def test_the_same_photo_again_records_nothing(db_transaction):
    _add(db_transaction)
    for jpeg in (b"photo-one", b"photo-one", b"photo-two"):
        with db_transaction(write_lock=True) as db_session:
            guide_actions.set_guide_photo(db_session, ACTOR, "nadia", jpeg)
    with db_transaction() as db_session:
        assert get_photo(db_session, "nadia") == (b"photo-two", 2)
        photos = [e for e in entries_in(db_session) if e[1] == "guide.photo"]
    assert photos == [(ACTOR.name, "guide.photo", "guide:nadia", {})] * 2


# -- the console ------------------------------------------------------------------------------


def test_console_records_a_new_guide_and_a_changed_profile_but_not_the_same_save(app, client):
    build_world(app)
    log_in_in_english(client, ADMIN)
    assert client.post("/console/admin/guides", data=NEW_GUIDE).status_code == 302
    edit = {"display_name": "Nadia B.", **SPANISH, "tours": SLUG}
    assert client.post("/console/admin/guides/nadia", data=edit).status_code == 302
    same = client.post("/console/admin/guides/nadia", data=edit, follow_redirects=True)
    assert "Nothing changed in the profile, so nothing was saved." in same.get_data(as_text=True)
    assert audit_log(app) == [
        (ADMIN, "guide.add", "guide:nadia", {}),
        (ADMIN, "guide.update", "guide:nadia", {"fields": ["display_name", "tours"]}),
    ]


def test_console_keeps_no_guide_when_the_transaction_fails_after_the_record(
    app, client, monkeypatch
):
    build_world(app)
    log_in_in_english(client, ADMIN)
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        client.post("/console/admin/guides", data=NEW_GUIDE)
    assert audit_log(app) == []
    with get_db(app).transaction() as db_session:
        assert db_session.get(GuideRecord, "nadia") is None


def _picture(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def _send_photo(client, data: bytes):
    return client.post(
        "/console/admin/guides/mei/photo",
        data={"photo": (io.BytesIO(data), "me.png")},
        content_type="multipart/form-data",
    )


def test_console_records_a_photo_once_however_often_it_is_sent(app, client):
    build_world(app)
    log_in_in_english(client, ADMIN)
    for colour in ("orange", "orange", "teal"):
        assert _send_photo(client, _picture(colour)).status_code == 302
    assert audit_log(app) == [(ADMIN, "guide.photo", "guide:mei", {})] * 2


def test_console_keeps_no_photo_when_the_transaction_fails_after_the_record(
    app, client, monkeypatch
):
    build_world(app)
    log_in_in_english(client, ADMIN)
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        _send_photo(client, _picture("orange"))
    assert audit_log(app) == []
    with get_db(app).transaction() as db_session:
        assert get_photo(db_session, "mei") is None


def _check_in(client, walk: int, booking_id: int):
    body = {"booking_id": booking_id, "state": "arrived", "key": "offline-key-0001"}
    return client.post(f"/console/departures/{walk}/check-ins", json=body)


def test_console_records_a_check_in_once_per_key_as_the_guide(app, client):
    world = build_world(app)
    log_in_in_english(client, GUIDE_A)
    booking = world.booking_ids[0]
    assert _check_in(client, world.walk_a, booking).get_json()["new"] is True
    assert _check_in(client, world.walk_a, booking).get_json()["new"] is False
    assert audit_log(app) == [
        (GUIDE_A, "checkin", f"booking:{booking}", {"state": "arrived", "departure": world.walk_a})
    ]


def test_console_keeps_no_check_in_when_the_transaction_fails_after_the_record(
    app, client, monkeypatch
):
    world = build_world(app)
    log_in_in_english(client, GUIDE_A)
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        _check_in(client, world.walk_a, world.booking_ids[0])
    assert audit_log(app) == []
    with get_db(app).transaction() as db_session:
        assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 0


def _shared_script(app) -> str:
    with get_db(app).transaction() as db_session:
        document = get_document(db_session, SLUG)
    stop = next(f for f in document["features"] if f["properties"].get("id") == "sf-01")
    return stop["properties"]["script"]["es"]


def test_console_records_an_own_script_once_for_the_same_text(app, client):
    world = build_world(app)
    log_in_in_english(client, GUIDE_A)
    url = f"/console/departures/{world.walk_a}/stops/sf-01/script"
    form = {"text": "Mi versión: empezad por el quiosco.", "based_on": _shared_script(app)}
    assert client.post(url, data=form).status_code == 302
    assert client.post(url, data=form).status_code == 302
    assert audit_log(app) == [
        (GUIDE_A, "script.save", "stop:sf-01", {"departure": world.walk_a, "language": "es"})
    ]


def test_console_keeps_no_own_script_when_the_transaction_fails_after_the_record(
    app, client, monkeypatch
):
    world = build_world(app)
    log_in_in_english(client, GUIDE_A)
    url = f"/console/departures/{world.walk_a}/stops/sf-01/script"
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        client.post(url, data={"text": "Mi versión.", "based_on": _shared_script(app)})
    assert audit_log(app) == []
    with get_db(app).transaction() as db_session:
        assert db_session.scalar(select(func.count()).select_from(GuideScript)) == 0


# -- the command line -------------------------------------------------------------------------


def test_cli_records_each_change_as_the_command_line_but_not_the_same_update(app, runner):
    add = ["guides", "add", "nadia", "--name", "Nadia", "--languages", "es:native"]
    assert runner.invoke(args=add).exit_code == 0
    update = ["guides", "update", "nadia", "--name", "Nadia B."]
    assert runner.invoke(args=update).output == "Guide 'nadia' updated.\n"
    same = runner.invoke(args=update)
    assert same.exit_code == 0 and "nothing changed" in same.output
    assert runner.invoke(args=["guides", "remove", "nadia"]).exit_code == 0
    assert audit_log(app) == [
        (CLI, "guide.add", "guide:nadia", {}),
        (CLI, "guide.update", "guide:nadia", {"fields": ["display_name"]}),
        (CLI, "guide.remove", "guide:nadia", {}),
    ]
    assert CLI.startswith("cli:") and CLI != "cli:"


def test_cli_keeps_no_guide_when_the_transaction_fails_after_the_record(app, runner, monkeypatch):
    fail_after_record(monkeypatch)
    add = ["guides", "add", "nadia", "--name", "Nadia", "--languages", "es:native"]
    assert isinstance(runner.invoke(args=add).exception, AfterRecord)
    assert audit_log(app) == []
    with get_db(app).transaction() as db_session:
        assert db_session.get(GuideRecord, "nadia") is None
