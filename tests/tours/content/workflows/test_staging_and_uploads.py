"""Staged uploads (bound to an account, expiring) and planning an import from bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tours.content.assembly.assemble import AssemblyOptions
from tours.content.assembly.assembly_order import move_stops
from tours.content.workflows import staging
from tours.content.workflows.preview import build_preview
from tours.content.workflows.staging import StagedFile, StagingNotFound
from tours.content.workflows.uploads import plan_import

HOUR = 3600.0


def test_a_staged_upload_is_read_back_only_by_its_account_and_only_until_it_expires(tmp_path):
    files = [StagedFile("route", "../../etc/passwd", b"{}"), StagedFile("stops", "a.csv", b"x")]
    staged = staging.stage(tmp_path, 7, files, {"city": "Wien"}, now=1000.0)
    folder = tmp_path / staged.token
    assert sorted(p.name for p in folder.iterdir()) == ["0", "1", "manifest.json"]
    again = staging.load(tmp_path, staged.token, 7, HOUR, now=1000.0 + HOUR - 1)
    assert again.files == files and again.options == {"city": "Wien"}
    with pytest.raises(StagingNotFound):
        staging.load(tmp_path, staged.token, 8, HOUR, now=1001.0)
    assert staging.discard(tmp_path, staged.token, 8) is False and folder.exists()
    with pytest.raises(StagingNotFound):
        staging.load(tmp_path, staged.token, 7, HOUR, now=1000.0 + HOUR + 1)
    assert not folder.exists()  # an expired upload is removed when it is found


@pytest.mark.parametrize("token", ["../x", "a" * 31, "", "a/" + "b" * 30])
def test_tokens_that_are_not_ours_are_never_paths(tmp_path, token):
    with pytest.raises(StagingNotFound):
        staging.load(tmp_path, token, 1, HOUR)
    assert staging.discard(tmp_path, token, 1) is False


def test_purge_removes_only_what_is_too_old(tmp_path):
    old = staging.stage(tmp_path, 1, [StagedFile("tour", "a.geojson", b"{}")], now=0.0)
    new = staging.stage(tmp_path, 1, [StagedFile("tour", "b.geojson", b"{}")], now=5000.0)
    (tmp_path / "not-a-token").mkdir()
    assert staging.purge_expired(tmp_path, HOUR, now=5000.0) == 1
    assert not (tmp_path / old.token).exists() and (tmp_path / new.token).exists()
    assert (tmp_path / "not-a-token").exists()


def test_options_are_saved_with_the_files(tmp_path):
    staged = staging.stage(tmp_path, 1, [StagedFile("tour", "a.geojson", b"{}")])
    staged.options = {"stop_order": [2, 0, 1]}
    staging.save_options(tmp_path, staged)
    assert staging.load(tmp_path, staged.token, 1, HOUR).options == {"stop_order": [2, 0, 1]}


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        ({3: 1}, [3, 0, 1, 2]),
        ({0: 4}, [1, 2, 3, 0]),
        ({0: 9}, [1, 2, 3, 0]),  # past the end: last
        ({3: 2, 0: 4}, [1, 3, 2, 0]),
        ({}, [0, 1, 2, 3]),
    ],
)
def test_move_stops_puts_the_moved_ones_where_asked_and_keeps_the_others_in_order(wanted, expected):
    assert move_stops([0, 1, 2, 3], wanted) == expected


def _vienna(interop: Path) -> list[StagedFile]:
    real = interop / "real"
    return [
        StagedFile(
            role,
            f"vienna_walk_{role}.geojson",
            (real / f"vienna_walk_{role}.geojson").read_bytes(),
        )
        for role in ("route", "stops")
    ]


def test_vienna_from_bytes_matches_the_command_line_and_takes_an_order_set_by_hand(interop):
    files = _vienna(interop)
    plan = plan_import(files, AssemblyOptions(city="Wien"))
    preview = build_preview(files, plan, None, publish=True)
    assert [s.name for s in preview.stops] == list("ABCDEFGHIJKL")
    assert [s.source_position for s in preview.stops][:6] == [1, 2, 3, 5, 6, 4]
    assert preview.stops[0].fields["story"] == "title" and preview.stops[0].languages == ("en",)
    assert {p.field for p in preview.todo} == {"title", "summary", "timezone", "licence"}
    assert preview.outcome.status == "draft" and not preview.complete  # publish needs all
    source = json.loads(files[1].data)
    assert preview.stops[0].story.startswith(source["features"][0]["properties"]["title"][:60])
    options = AssemblyOptions(
        city="Wien",
        timezone="Europe/Vienna",
        licence="CC-BY-4.0",
        title="Vienna",
        summary="A walk.",
        stop_order=tuple(range(11, -1, -1)),
    )
    plan = plan_import(files, options)
    preview = build_preview(files, plan, None, publish=True)
    assert plan.complete and preview.outcome.status == "published"
    assert [s.source_position for s in preview.stops] == list(range(12, 0, -1))
    assert preview.order_rule == "set by hand in the preview"


def test_a_tour_file_alone_is_checked_as_a_whole_tour(sample_routes):
    data = sample_routes[0].read_bytes()
    plan = plan_import([StagedFile("tour", sample_routes[0].name, data)], AssemblyOptions())
    assert plan.kind == "tour" and plan.complete and plan.slug
