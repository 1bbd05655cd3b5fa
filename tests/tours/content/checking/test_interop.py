"""The shared interop corpus: real files from other projects, each with an expected verdict.

The verdicts are read from ``../shared/interop/SOURCES.md`` itself, so a file added
there is checked too; the specific codes we expect are listed below per file.  The
files are never copied into this repository: the tests skip when the corpus is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SHARED_INTEROP
from tours.content.checking.pipeline import ValidationOptions, validate_path
from tours.content.report import Severity

STRUCTURAL = ("json.", "gpx.", "geojson.")

#: (code, pointer or None for "any", severity) that each fixture must produce.
EXPECTED: dict[str, list[tuple[str, str | None, Severity]]] = {
    "fixtures/geojsonhint_bad_different-first-last.geojson": [
        ("geojson.ring-not-closed", "/coordinates/0", Severity.ERROR)
    ],
    "fixtures/geojsonhint_bad_polygon_winding_order.geojson": [
        ("geojson.ring-winding", "/coordinates/0", Severity.WARNING)
    ],
    "fixtures/geojsonhint_bad_bbox-4or6elements.geojson": [
        ("geojson.bbox", "/bbox", Severity.ERROR)
    ],
    "fixtures/geojsonhint_bad_bad-duplicate-properties.geojson": [
        ("json.duplicate-key", "/type", Severity.ERROR),
        ("geojson.feature-members", "/features", Severity.ERROR),
    ],
    "fixtures/geojsonhint_bad_point-toomany.geojson": [
        ("geojson.position-extra-values", "/coordinates", Severity.WARNING),
        ("profile.position-dimensions", "/coordinates", Severity.ERROR),
    ],
    "fixtures/geojsonhint_bad_feature_changed_semantics.geojson": [
        ("geojson.feature-members", "/features", Severity.ERROR),
        ("geojson.feature-members", "/coordinates", Severity.ERROR),
    ],
    "fixtures/geojsonhint_good_issue82.geojson": [
        ("geojson.latitude-range", "/coordinates/0/0/0/1", Severity.ERROR),
        ("geojson.longitude-range", "/coordinates/0/0/1/0", Severity.ERROR),
    ],
    "fixtures/chrieke_invalid_featurecollection_crs_defined.geojson": [
        ("geojson.crs", "/crs", Severity.ERROR),
        ("geojson.longitude-range", "/features/0/geometry/coordinates/0/0", Severity.ERROR),
    ],
    "fixtures/chrieke_problematic_crosses_antimeridian.geojson": [
        ("geojson.longitude-range", "/features/0/geometry/coordinates/0/0/0", Severity.ERROR)
    ],
    "real/rosario_pois_es_crs84.geojson": [("geojson.crs-legacy", "/crs", Severity.WARNING)],
    "real/nordryggen_route_bare-linestring.geojson": [
        ("profile.missing-property", "/slug", Severity.ERROR)
    ],
    "real/vienna_walk_stops.geojson": [("profile.no-route", "", Severity.ERROR)],
    "real/hk_maclehose-trail_route-3d.geojson": [
        ("profile.missing-property", "/features/11/properties/slug", Severity.ERROR)
    ],
    "real/large_nnml_s8-ranchos-de-taos-to-santa-fe.gpx": [
        ("profile.missing-property", "/features/0/properties/city", Severity.ERROR)
    ],
}


def _sources(root: Path) -> dict[str, str]:
    """``{relative path: verdict}`` from the tables of SOURCES.md."""
    verdicts = {}
    expected = -1  # the column headed "expected" in the current table
    for line in (root / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if "expected" in cells:
            expected = cells.index("expected")
        elif len(cells) > 2 and re.match(r"^(real|fixtures)/", cells[0]):
            verdicts[cells[0]] = _verdict(cells[expected])
    return verdicts


def _verdict(text: str) -> str:
    if text.lower().startswith("valid gpx"):
        return "GPX"
    for verdict in ("INVALID", "VALID-WARN", "VALID"):
        if text.startswith(verdict):
            return verdict
    raise AssertionError(f"unknown verdict {text!r} in SOURCES.md")


CORPUS = _sources(SHARED_INTEROP) if (SHARED_INTEROP / "SOURCES.md").is_file() else {}


@pytest.fixture(scope="module")
def results():
    """Validate every corpus file once for the whole module (the large ones take a while)."""
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = validate_path(SHARED_INTEROP / name, ValidationOptions())
        return cache[name]

    return get


def test_every_corpus_file_has_a_verdict(interop):
    files = {
        str(p.relative_to(interop))
        for p in interop.rglob("*")
        if p.is_file() and p.name != "SOURCES.md"
    }
    assert files == set(_sources(interop))


@pytest.mark.parametrize(("name", "verdict"), sorted(CORPUS.items()))
def test_verdict_matches_sources(interop, results, name, verdict):
    result = results(name)
    structural = [p for p in result.report.errors if p.code.startswith(STRUCTURAL)]
    if verdict == "INVALID":
        assert structural, result.report.to_text()
    elif verdict == "VALID":
        assert not structural, result.report.to_text()
    elif verdict == "VALID-WARN":
        assert not structural, result.report.to_text()
        assert result.report.warnings
    else:  # a GPX file: it must convert without gpx./json./geojson. errors
        assert not structural, result.report.to_text()


@pytest.mark.parametrize(("name", "verdict"), sorted(CORPUS.items()))
def test_every_error_has_a_pointer_and_syntax_errors_a_place(interop, results, name, verdict):
    for problem in results(name).report.problems:
        assert isinstance(problem.pointer, str)
        assert problem.pointer == "" or problem.pointer.startswith("/")
        assert problem.message and problem.code.split(".")[0] in {
            "json", "gpx", "geojson", "profile", "file",
        }  # fmt: skip
        if problem.code in ("json.syntax", "gpx.syntax"):
            assert problem.line is not None and problem.column is not None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_specific_codes(interop, results, name):
    problems = results(name).report.problems
    for code, ptr, severity in EXPECTED[name]:
        assert any(
            p.code == code and (ptr is None or p.pointer == ptr) and p.severity is severity
            for p in problems
        ), f"{name}: no {severity} {code} at {ptr!r}: {[(p.code, p.pointer) for p in problems]}"


def test_pointers_resolve_in_the_document(interop, results):
    """Spot check: the pointers of range errors lead to the offending number."""
    import json

    name = "fixtures/geojsonhint_good_issue82.geojson"
    document = json.loads((interop / name).read_text())
    for problem in results(name).report.errors:
        value = document
        for part in problem.pointer.split("/")[1:]:
            value = value[int(part)] if isinstance(value, list) else value[part]
        if problem.code == "geojson.latitude-range":
            assert not -90 <= value <= 90
        elif problem.code == "geojson.longitude-range" and problem.pointer.endswith("/0"):
            assert not -180 <= value <= 180
