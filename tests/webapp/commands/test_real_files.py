"""Every file and pair of real files in ``../shared/interop/real`` gives a tour (a draft) or
one clear message with ``bidean import``, and nothing in a source's features is missing
from both the tour and the import's report.

The table :data:`CASES` says which options each file needs; ``docs/replication.md`` lists
the same files with what each run reported.  The tests skip when ``../shared`` is absent
(the files carry no licence to copy them here).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.conftest import SHARED_INTEROP
from webapp import create_app

REAL = SHARED_INTEROP / "real"

#: file(s) and options → a draft. Points-only files need --draw-route; Rosario's texts
#: are Spanish. File names stand for their path in ``real/``.
CASES: dict[str, list[str]] = {
    "vienna pair": [
        "--route", "vienna_walk_route.geojson", "--stops", "vienna_walk_stops.geojson",
    ],
    "harlem pair": [
        "--route", "nypl-harlem_walk_path.geojson", "--stops", "nypl-harlem_walk_points.geojson",
    ],
    "vienna route": ["vienna_walk_route.geojson"],
    "vienna stops": ["--draw-route", "vienna_walk_stops.geojson"],
    "harlem path": ["nypl-harlem_walk_path.geojson"],
    "harlem points": ["--draw-route", "nypl-harlem_walk_points.geojson"],
    "cappadocia": ["--draw-route", "nevsehir-cappadocia_heritage-pois_osm-export.geojson"],
    "maclehose trail": ["hk_maclehose-trail_route-3d.geojson"],
    "maclehose campsites": ["--draw-route", "hk_maclehose-campsites_bilingual.geojson"],
    "rosario": ["--draw-route", "--language", "es", "rosario_pois_es_crs84.geojson"],
    "nordryggen": ["nordryggen_route_bare-linestring.geojson"],
    "oregon desert trail": ["large_oregon-desert-trail_route_line.geojson"],
    "nnml gpx": ["large_nnml_s8-ranchos-de-taos-to-santa-fe.gpx"],
}  # fmt: skip

#: Files of points only: without --draw-route they get one message naming it.
POINTS_ONLY = [
    "vienna_walk_stops.geojson",
    "nypl-harlem_walk_points.geojson",
    "nevsehir-cappadocia_heritage-pois_osm-export.geojson",
    "hk_maclehose-campsites_bilingual.geojson",
    "rosario_pois_es_crs84.geojson",
]

#: Where a report says what it did with a value (to-dos and errors name no source values).
_REPORT_KEYS = ("warnings", "notes", "not_carried_over")
_SOURCE = re.compile(r" \(source: [^)]*\)")


def files_of(options: list[str]) -> list[str]:
    return [a for a in options if a.endswith((".geojson", ".gpx"))]


def arguments(options: list[str]) -> list[str]:
    return [str(REAL / a) if a in files_of(options) else a for a in options]


@pytest.fixture(scope="module")
def dry_run(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``bidean import --dry-run --json`` on one app for the module; each case runs once."""
    if not REAL.is_dir():
        pytest.skip("../shared/interop is not beside this checkout")
    folder = tmp_path_factory.mktemp("real")
    shutil.copyfile(sqlite_template, folder / "bidean.sqlite3")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'bidean.sqlite3'}",
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(folder / "instance"),
        }
    )
    runner = app.test_cli_runner()
    done: dict[tuple[str, ...], tuple[int, dict[str, Any]]] = {}

    def run(options: list[str]) -> tuple[int, dict[str, Any]]:
        key = tuple(options)
        if key not in done:
            args = ["import", "--dry-run", "--json", *arguments(options)]
            result = runner.invoke(args=args)
            [outcome] = json.loads(result.output)
            done[key] = (result.exit_code, outcome)
        return done[key]

    yield run
    app.extensions["bidean.db"].engine.dispose()


def report_text(outcome: dict[str, Any]) -> str:
    """What the report says in words (its messages and notes, not its line numbers)."""
    said = []
    for key in _REPORT_KEYS:
        for item in outcome.get(key) or []:
            said.append(item["message"] if isinstance(item, dict) else item)
    return _SOURCE.sub("", "\n".join(said))


def leaves(value: Any) -> Iterator[str]:
    """Every scalar inside ``value`` (keys excluded), as text."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    elif isinstance(value, bool):
        yield json.dumps(value)
    elif value is not None:
        yield str(value)


def holds(text: str, value: str) -> bool:
    """``text`` holds ``value`` as a whole (so "0" is not found in "10")."""
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text) is not None


def carried(value: str, kept: list[str], report: str) -> bool:
    """``value`` is in the tour (a text of it holds it) or the report names it."""
    text = value.strip()
    if not text or any(holds(k, text) for k in kept):
        return True
    # A number or a short code is named by the report only in quotes (not as a count).
    short = len(text) < 3 or text.replace(".", "").isdigit()
    return any(holds(report, q + text + q) for q in "\"'") if short else holds(report, text)


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def gpx_values(path: Path) -> list[str]:
    """The values of a GPX file a coordinator would miss: names, descriptions, metadata,
    the application that wrote it and the ``<extensions>`` of the file, its tracks, routes
    and waypoints (a line's colour)."""
    wanted = {"name", "desc", "cmt", "author", "copyright", "year", "license", "keywords"}
    root = ElementTree.parse(path).getroot()
    values = [root.get("creator") or ""]
    for element in root.iter():
        tag = local(element.tag)
        if tag in wanted and element.text and element.text.strip():
            values.append(element.text)
        if tag in ("copyright", "link", "email"):
            values.extend(element.attrib.values())
        for child in element:
            if local(child.tag) == "extensions" and tag not in ("trkpt", "rtept"):
                values += [e.text for e in child.iter() if e.text and e.text.strip()]
    return values


def gpx_heights_lost(path: Path, document: dict[str, Any], report: str) -> bool:
    """Every track point has an ``<ele>``, the route has no heights, and the report is
    silent about them."""
    points = [e for e in ElementTree.parse(path).getroot().iter() if local(e.tag) == "trkpt"]
    every = bool(points) and all(any(local(c.tag) == "ele" for c in p) for p in points)
    line = document["features"][0]["geometry"]["coordinates"]
    first = line[0] if isinstance(line[0][0], float | int) else line[0][0]
    return every and len(first) == 2 and "<ele>" not in report


@pytest.mark.parametrize("case", CASES)
def test_each_real_file_and_pair_becomes_a_draft_with_its_options(dry_run, case):
    code, outcome = dry_run(CASES[case])
    assert code == 0, outcome
    assert outcome["errors"] == [] and outcome["would_store"]["status"] == "draft"
    document = outcome["document"]
    assert document["features"][0]["geometry"]["type"] in ("LineString", "MultiLineString")


@pytest.mark.parametrize("name", POINTS_ONLY)
def test_a_points_only_file_alone_gets_one_message_naming_draw_route(dry_run, name):
    code, outcome = dry_run([name])
    assert code == 1 and outcome["would_store"]["status"] is None
    [error] = outcome["errors"]
    assert error["code"] == "assemble.no-route" and "--draw-route" in error["message"]


@pytest.mark.parametrize("case", CASES)
def test_no_property_value_of_a_real_file_is_lost_from_both_tour_and_report(dry_run, case):
    options = CASES[case]
    _, outcome = dry_run(options)
    document, report = outcome["document"], report_text(outcome)
    # Texts and values only: a number lost from a property must not hide among coordinates.
    kept = [v for f in document["features"] for v in leaves(f["properties"])]
    route = document["features"][0]["properties"]
    lost: list[tuple[Any, ...]] = []
    points = 0
    for name in files_of(options):
        path = REAL / name
        if path.suffix == ".gpx":
            lost += [(name, v) for v in gpx_values(path) if not carried(v, kept, report)]
            if gpx_heights_lost(path, document, report):
                lost.append((name, "<ele>"))
            points += sum(1 for e in ElementTree.parse(path).getroot() if local(e.tag) == "wpt")
            continue
        source = json.loads(path.read_text(encoding="utf-8"))
        for index, feature in enumerate(source.get("features", [source])):
            values = list(leaves(feature.get("properties") or {}))
            lost += [(name, index, v) for v in values if not carried(v, kept, report)]
            kind = (feature.get("geometry") or {}).get("type", "")
            points += kind == "Point"
            lines = kind.endswith("LineString")
            if "id" in feature and lines:
                # A line's own id: kept on the route beside its properties, or reported (a
                # stop's id becomes its id).
                own = [str(v) for k, v in route.items() if k not in feature["properties"]]
                if not carried(str(feature["id"]), own, report):
                    lost.append((name, index, "id", feature["id"]))
    assert lost == []
    assert outcome["stops"] == points  # every point a stop
