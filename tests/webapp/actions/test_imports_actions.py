"""Import actions (the console's confirmed upload, ``bidean import``), through the action
itself, the console and the command line: the stored version and its ``tour.import``
record commit together (a failure after the record keeps neither), and an import equal
to the published version records nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from guides.accounts import create_account
from guides.audit import Actor
from tests.tours.tourdoc import encode, tour
from tests.webapp.actions.support import (
    CLI,
    AfterRecord,
    audit_log,
    entries_in,
    fail_after_record,
    log_in_in_english,
)
from tests.webapp.console.support import ADMIN, PASSWORD
from tests.webapp.console.test_importing import route_file, stops_file, token_of, tours, upload
from tours.content.assembly.assemble import AssemblyOptions
from tours.content.workflows.intake import Intake, import_files
from tours.content.workflows.staging import StagedFile
from tours.content.workflows.uploads import plan_import
from tours.tour.store import tour_listings
from webapp.actions import imports
from webapp.common.database import get_db

ACTOR = Actor.account("coordinator@example.org")
SLUG = "san-francisco-voices"  # the slug of the test tour (tests.tours.tourdoc)
UPLOAD = [
    StagedFile("route", "route.geojson", route_file()),
    StagedFile("stops", "stops.geojson", stops_file()),
]


def _tour_file(tmp_path: Path, name: str = "voices.geojson") -> Path:
    path = tmp_path / name
    path.write_bytes(encode(tour()))
    return path


def _slugs(db_session) -> list[str]:
    with db_session() as session:
        return [listing.slug for listing in tour_listings(session)]


# -- the actions ----------------------------------------------------------------------------


def test_a_confirmed_upload_is_recorded_with_its_files(db_transaction):
    plan = plan_import(UPLOAD, AssemblyOptions(city="Wien"))
    with db_transaction(write_lock=True) as db_session:
        stored = imports.confirm_upload(
            db_session, ACTOR, plan, publish=False, files=["route.geojson", "stops.geojson"]
        )
    with db_transaction() as db_session:
        assert entries_in(db_session) == [
            (
                ACTOR.name,
                "tour.import",
                f"tour:{stored.slug}",
                {"version": 1, "status": "draft", "files": ["route.geojson", "stops.geojson"]},
            )
        ]


def test_a_failure_after_confirming_keeps_neither_the_tour_nor_its_record(db_transaction):
    plan = plan_import(UPLOAD, AssemblyOptions(city="Wien"))
    with pytest.raises(RuntimeError), db_transaction(write_lock=True) as db_session:
        imports.confirm_upload(db_session, ACTOR, plan, publish=False, files=["route.geojson"])
        raise RuntimeError("after the action")
    assert _slugs(db_transaction) == []
    with db_transaction() as db_session:
        assert entries_in(db_session) == []


def _store_with(db_session, actor: Actor, *, fail: bool = False):
    def store(intake: Intake) -> None:
        with db_session(write_lock=True) as session:
            imports.store_import(session, actor, intake)
            if fail:
                raise RuntimeError("after the action")

    return store


def test_a_stored_file_is_recorded_and_the_same_file_again_is_not(db_transaction, tmp_path):
    path = _tour_file(tmp_path)
    intakes = [
        import_files(_store_with(db_transaction, ACTOR), [path])[0],
        import_files(_store_with(db_transaction, ACTOR), [path])[0],
    ]
    assert [(i.version, i.unchanged) for i in intakes] == [(1, False), (1, True)]
    with db_transaction() as db_session:
        assert entries_in(db_session) == [
            (
                ACTOR.name,
                "tour.import",
                f"tour:{SLUG}",
                {"version": 1, "status": "published", "files": ["voices.geojson"]},
            )
        ]


def test_a_failure_after_storing_a_file_keeps_neither_the_tour_nor_its_record(
    db_transaction, tmp_path
):
    with pytest.raises(RuntimeError):
        import_files(_store_with(db_transaction, ACTOR, fail=True), [_tour_file(tmp_path)])
    assert _slugs(db_transaction) == []
    with db_transaction() as db_session:
        assert entries_in(db_session) == []


# -- the console ------------------------------------------------------------------------------


@pytest.fixture
def coordinator(app, client):
    with get_db(app).transaction(write_lock=True) as db_session:
        create_account(db_session, ADMIN, "coordinator", password=PASSWORD)
    log_in_in_english(client, ADMIN)
    return client


def _confirm(client, token: str):
    return client.post(f"/console/tours/import/{token}/confirm", follow_redirects=True)


def test_console_records_a_confirmed_import_and_not_one_equal_to_the_published_tour(
    app, coordinator
):
    token = token_of(upload(coordinator, city="Wien"))
    assert _confirm(coordinator, token).status_code == 200
    whole = {"tour": (encode(tour()), "voices.geojson")}
    for _ in range(2):
        page = _confirm(coordinator, token_of(upload(coordinator, files=whole, publish="y")))
    said = "Nothing new: “Voices” is already published like this."  # its English title
    assert said in page.get_data(as_text=True)
    assert audit_log(app) == [
        (
            ADMIN,
            "tour.import",
            "tour:old-town-walk-wien",
            {"version": 1, "status": "draft", "files": ["route.geojson", "stops.geojson"]},
        ),
        (
            ADMIN,
            "tour.import",
            f"tour:{SLUG}",
            {"version": 1, "status": "published", "files": ["voices.geojson"]},
        ),
    ]


def test_console_keeps_no_tour_when_the_confirmation_fails_after_the_record(
    app, coordinator, monkeypatch
):
    token = token_of(upload(coordinator, city="Wien"))
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        coordinator.post(f"/console/tours/import/{token}/confirm")
    assert tours(app) == [] and audit_log(app) == []


# -- the command line -------------------------------------------------------------------------


def test_cli_records_each_stored_tour_as_the_command_line_and_not_an_unchanged_one(
    app, runner, tmp_path
):
    path = _tour_file(tmp_path)
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    again = runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0 and f"unchanged {SLUG} version 1" in again.output
    route, stops = tmp_path / "walk.geojson", tmp_path / "places.geojson"
    route.write_bytes(route_file())
    stops.write_bytes(stops_file())
    drafted = runner.invoke(args=["import", "--route", str(route), "--stops", str(stops)])
    assert drafted.exit_code == 0, drafted.output
    assert audit_log(app) == [
        (
            CLI,
            "tour.import",
            f"tour:{SLUG}",
            {"version": 1, "status": "published", "files": ["voices.geojson"]},
        ),
        (
            CLI,
            "tour.import",
            "tour:old-town-walk",  # named after the route's title
            {"version": 1, "status": "draft", "files": ["walk.geojson", "places.geojson"]},
        ),
    ]


def test_cli_keeps_no_tour_when_storing_fails_after_the_record(app, runner, tmp_path, monkeypatch):
    fail_after_record(monkeypatch)
    result = runner.invoke(args=["import", str(_tour_file(tmp_path))])
    assert isinstance(result.exception, AfterRecord)
    assert tours(app) == [] and audit_log(app) == []
