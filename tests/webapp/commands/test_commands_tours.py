"""``bidean validate``, ``import``, ``export`` and ``tours``: through Flask's CliRunner on
both backends, and once through the real console script in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.tours.tourdoc import encode, tour
from tours.tour.models import TourRecord, TourVersionRecord
from webapp.common.database import get_db


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A valid tour, a second valid tour, an invalid one and a broken JSON file."""
    paths = {
        "valid": tmp_path / "san-francisco.geojson",
        "other": tmp_path / "other.geojson",
        "invalid": tmp_path / "bad-bbox.geojson",
        "broken": tmp_path / "broken.geojson",
    }
    paths["valid"].write_bytes(encode(tour()))
    paths["other"].write_bytes(encode(tour(slug="zabala-kitchens")))
    paths["invalid"].write_bytes(encode({**tour(slug="never-stored"), "bbox": [1, 2, 3]}))
    paths["broken"].write_bytes(b'{\n  "type": "FeatureCollection",\n  "features": [')
    return paths


def counts(app) -> tuple[int, int]:
    with get_db(app).transaction() as db_session:
        return (
            db_session.scalar(select(func.count()).select_from(TourRecord)),
            db_session.scalar(select(func.count()).select_from(TourVersionRecord)),
        )


# -- validate ---------------------------------------------------------------------------


def test_validate_valid_file_exits_0(runner, files):
    result = runner.invoke(args=["validate", str(files["valid"])])
    assert result.exit_code == 0, result.output
    assert f"{files['valid']}: valid (0 errors, 0 warnings)" in result.output


def test_validate_reports_every_file_and_exits_1(runner, files):
    result = runner.invoke(
        args=["validate", str(files["valid"]), str(files["invalid"]), str(files["broken"])]
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    # Every problem gives its line and column, then its pointer (issue 9).
    bbox_line = next(line for line in lines if line.startswith(f"{files['invalid']}: error: "))
    assert ": error: line 1, column " in bbox_line and "(/bbox): " in bbox_line
    assert any(line.endswith("[geojson.bbox]") for line in lines)
    assert f"{files['broken']}: error: line 3, column" in result.output
    assert f"{files['broken']}: INVALID (1 error, 0 warnings)" in lines
    assert "Traceback" not in result.output


def test_validate_json_output(runner, files):
    result = runner.invoke(args=["validate", "--json", str(files["valid"]), str(files["broken"])])
    assert result.exit_code == 1
    reports = json.loads(result.output)
    assert [(r["file"], r["valid"]) for r in reports] == [
        (str(files["valid"]), True),
        (str(files["broken"]), False),
    ]
    [error] = reports[1]["errors"]
    assert error["code"] == "json.syntax" and error["pointer"] == ""
    assert error["line"] == 3 and error["column"] >= 1
    assert reports[0]["warnings"] == []


@pytest.mark.parametrize(
    "args",
    [["validate"], ["validate", "--no-such-option", "x.geojson"], ["import"], ["export"]],
)
def test_usage_errors_exit_2(runner, args):
    assert runner.invoke(args=args).exit_code == 2


def test_missing_file_and_directory_are_reported_not_raised(runner, tmp_path):
    result = runner.invoke(
        args=["validate", "--json", str(tmp_path / "nope.geojson"), str(tmp_path)]
    )
    assert result.exit_code == 1
    assert [r["errors"][0]["code"] for r in json.loads(result.output)] == [
        "file.not-found",
        "file.unreadable",
    ]


def test_size_limit_comes_from_the_config(app, runner, files):
    app.config["MAX_IMPORT_MB"] = 0.0001  # about 100 bytes
    result = runner.invoke(args=["validate", "--json", str(files["valid"])])
    assert result.exit_code == 1
    [error] = json.loads(result.output)[0]["errors"]
    assert error["code"] == "json.too-large" and "BIDEAN_MAX_IMPORT_MB" in error["message"]


def test_a_bad_config_value_is_a_message_not_a_traceback(app, runner, files):
    app.config["MAX_IMPORT_MB"] = "lots"
    result = runner.invoke(args=["validate", str(files["valid"])])
    assert result.exit_code == 1
    assert "BIDEAN_MAX_IMPORT_MB" in result.output and "Traceback" not in result.output


def test_stop_distance_comes_from_the_config(app, runner, tmp_path):
    document = tour()
    document["features"][2]["geometry"]["coordinates"] = [-2.9249, 43.2538]  # ~110 m off
    path = tmp_path / "far.geojson"
    path.write_bytes(encode(document))
    far = runner.invoke(args=["validate", "--json", str(path)])
    assert [w["code"] for w in json.loads(far.output)[0]["warnings"]] == [
        "profile.stop-far-from-route"
    ]
    app.config["STOP_DISTANCE_M"] = 500
    near = runner.invoke(args=["validate", "--json", str(path)])
    assert json.loads(near.output)[0]["warnings"] == []


# -- import / export / tours --------------------------------------------------------------


def test_import_stores_valid_files_one_transaction_each(app, runner, files):
    result = runner.invoke(
        args=["import", str(files["valid"]), str(files["invalid"]), str(files["other"])]
    )
    assert result.exit_code == 1
    assert f"stored san-francisco-voices version 1 ({files['valid']})" in result.output
    assert f"stored zabala-kitchens version 1 ({files['other']})" in result.output
    assert f"{files['invalid']}: INVALID" in result.output
    assert counts(app) == (2, 2)
    with get_db(app).transaction() as db_session:
        slugs = db_session.scalars(select(TourRecord.slug).order_by(TourRecord.slug)).all()
    assert slugs == ["san-francisco-voices", "zabala-kitchens"]


def test_invalid_only_stores_nothing(app, runner, files):
    result = runner.invoke(args=["import", str(files["invalid"]), str(files["broken"])])
    assert result.exit_code == 1
    assert counts(app) == (0, 0)


def test_reimport_creates_version_2_and_city_override(app, runner, files):
    assert runner.invoke(args=["import", str(files["valid"])]).exit_code == 0
    result = runner.invoke(args=["import", "--city", "Bilbo", str(files["valid"])])
    assert result.exit_code == 0, result.output
    assert "stored san-francisco-voices version 2" in result.output
    assert counts(app) == (1, 2)
    listing = runner.invoke(args=["tours"])
    assert listing.exit_code == 0
    assert listing.output.split("\t") == [
        "san-francisco-voices",
        "version 2",
        "Bilbo",
        "es eu en\n",
    ]


def test_export_round_trips(app, runner, files, tmp_path):
    assert runner.invoke(args=["import", str(files["valid"])]).exit_code == 0
    out = tmp_path / "exported.geojson"
    result = runner.invoke(args=["export", "san-francisco-voices", "-o", str(out)])
    assert result.exit_code == 0, result.output
    stdout = runner.invoke(args=["export", "san-francisco-voices", "--version", "1"])
    assert json.loads(stdout.output) == json.loads(out.read_text(encoding="utf-8"))
    again = runner.invoke(args=["import", str(out)])
    # The export is identical to the stored version, so importing it stores nothing (issue 11).
    assert again.exit_code == 0 and "unchanged san-francisco-voices version 1" in again.output
    from tours.tour.store import get_tour

    with get_db(app).transaction() as db_session:
        assert get_tour(db_session, "san-francisco-voices").version == 1


def test_export_unknown_slug_or_version(runner, files):
    result = runner.invoke(args=["export", "nope"])
    assert result.exit_code == 1
    assert "No tour 'nope' is stored" in result.output
    runner.invoke(args=["import", str(files["valid"])])
    result = runner.invoke(args=["export", "san-francisco-voices", "--version", "7"])
    assert result.exit_code == 1 and "version 7" in result.output
    assert "Traceback" not in result.output


def test_import_gpx_with_options(app, runner, tmp_path):
    path = tmp_path / "walk.gpx"
    path.write_text(
        '<?xml version="1.0"?><gpx version="1.0"><name>Paseo</name><desc>Corto.</desc>'
        '<wpt lat="43.2556" lon="-2.9262"><name>Plaza</name><desc>Historia.</desc></wpt>'
        '<trk><trkseg><trkpt lat="43.2556" lon="-2.9262"/><trkpt lat="43.2548" lon="-2.9249"/>'
        "</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    # Alone, what a GPX file cannot say is a draft's to-do list (issue 21), never INVALID.
    draft = runner.invoke(args=["import", str(path)])
    assert draft.exit_code == 0 and "stored paseo version 1 as a draft" in draft.output
    assert "--timezone" in draft.output and "--city" in draft.output
    args = ["--city", "Bilbao", "--timezone", "Europe/Madrid", "--licence", "CC0-1.0"]
    result = runner.invoke(args=["import", *args, "--language", "es", str(path)])
    assert result.exit_code == 0, result.output
    assert "stored paseo version 2 (" in result.output  # the draft's tour, now complete


# -- the real console script ----------------------------------------------------------------


def _bidean() -> list[str]:
    script = Path(sys.executable).parent / "bidean"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from webapp.cli import main; main()"]


def test_console_script_exit_codes_and_json(files, tmp_path):
    env = {
        **os.environ,
        "BIDEAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "BIDEAN_SECRET_KEY": "test-secret",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_bidean(), *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )

    ok = run("validate", "--json", str(files["valid"]))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)[0]["valid"] is True
    bad = run("validate", str(files["invalid"]))
    assert bad.returncode == 1 and "[geojson.bbox]" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
    assert run("validate").returncode == 2
    stored = run("import", str(files["valid"]))
    assert stored.returncode == 0 and "stored san-francisco-voices version 1" in stored.stdout
    exported = run("export", "san-francisco-voices")
    assert exported.returncode == 0
    assert json.loads(exported.stdout)["type"] == "FeatureCollection"


# -- the Python API ---------------------------------------------------------------------------


def test_import_paths_one_transaction_per_file(engine, files):
    from tours.content.workflows.storing import import_paths
    from tours.db import make_sessionmaker

    sessions = make_sessionmaker(engine)
    outcomes = import_paths(sessions, [files["valid"], files["broken"], files["valid"]])
    assert [(o.ok, o.stored.version if o.stored else None) for o in outcomes] == [
        (True, 1),
        (False, None),
        (True, 1),  # the same file again stores nothing new (issue 11)
    ]
    assert outcomes[2].stored.unchanged
    assert outcomes[1].result.report.errors[0].code == "json.syntax"


def test_a_database_error_is_a_problem_not_a_traceback(tmp_path, files):
    from tours.content.workflows.storing import import_paths
    from tours.db import make_engine, make_sessionmaker

    engine = make_engine(f"sqlite:///{tmp_path / 'no-tables.sqlite3'}")  # never migrated
    [outcome] = import_paths(make_sessionmaker(engine), [files["valid"]])
    engine.dispose()
    assert not outcome.ok
    assert [p.code for p in outcome.result.report.errors] == ["store.failed"]
    assert "Nothing was stored" in outcome.result.report.errors[0].message


def test_reimporting_an_identical_file_stores_nothing_and_says_unchanged(app, runner, files):
    assert runner.invoke(args=["import", str(files["valid"])]).exit_code == 0
    again = runner.invoke(args=["import", str(files["valid"])])
    assert again.exit_code == 0, again.output
    assert "unchanged san-francisco-voices version 1" in again.output
    assert "stored" not in again.output
    assert counts(app) == (1, 1)
    changed = tour()
    changed["features"][0]["properties"]["summary"] = {"es": "Otra cosa."}
    files["valid"].write_bytes(encode(changed))
    third = runner.invoke(args=["import", str(files["valid"])])
    assert "stored san-francisco-voices version 2" in third.output
    assert counts(app) == (1, 2)
