"""RFC 7946 structure: every problem, each with the exact pointer."""

from __future__ import annotations

import math

import pytest

from tours.content.checking.validate import MAX_LISTED, CoordinateArrays, validate_geojson
from tours.content.report import Severity


def found(value):
    return [(p.code, p.pointer) for p in validate_geojson(value)]


def errors(value):
    return [(p.code, p.pointer) for p in validate_geojson(value) if p.severity is Severity.ERROR]


def warnings(value):
    return [(p.code, p.pointer) for p in validate_geojson(value) if p.severity is Severity.WARNING]


def point(coords):
    return {"type": "Point", "coordinates": coords}


def line(coords):
    return {"type": "LineString", "coordinates": coords}


def feature(geometry, **extra):
    return {"type": "Feature", "geometry": geometry, "properties": {}, **extra}


def collection(*features, **extra):
    return {"type": "FeatureCollection", "features": list(features), **extra}


@pytest.mark.parametrize(
    "root",
    [
        collection(feature(point([-2.93, 43.26]))),
        feature(line([[-2.93, 43.26], [-2.92, 43.25]])),
        line([[-2.93, 43.26], [-2.92, 43.25, 12.5]]),
        {"type": "GeometryCollection", "geometries": [point([0, 0])]},
        {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]},
        collection(feature(None)),
        collection(),
    ],
)
def test_valid_roots_have_no_problems(root):
    assert found(root) == []


@pytest.mark.parametrize(
    ("root", "code", "ptr"),
    [
        ([], "geojson.root", ""),
        ({"features": []}, "geojson.missing-type", ""),
        ({"type": "featurecollection", "features": []}, "geojson.unknown-type", "/type"),
        ({"type": "Topology"}, "geojson.unknown-type", "/type"),
        ({"type": "FeatureCollection"}, "geojson.features", "/features"),
        (collection(point([0, 0])), "geojson.unexpected-type", "/features/0/type"),
        (collection(42), "geojson.unexpected-type", "/features/0"),
        (feature({"type": "Feature"}), "geojson.unexpected-type", "/geometry/type"),
        ({"type": "Feature", "properties": {}}, "geojson.feature-geometry", "/geometry"),
        ({"type": "Feature", "geometry": None}, "geojson.feature-properties", "/properties"),
        (feature(None, properties=[1]), "geojson.feature-properties", "/properties"),
        (feature(None, id=[1]), "geojson.feature-id", "/id"),
        (feature(None, features=[]), "geojson.feature-members", "/features"),
        (feature(None, coordinates=None), "geojson.feature-members", "/coordinates"),
        (collection(geometry=None), "geojson.collection-members", "/geometry"),
        (collection(coordinates=[]), "geojson.collection-members", "/coordinates"),
        ({**point([0, 0]), "properties": {}}, "geojson.geometry-members", "/properties"),
        ({**point([0, 0]), "features": []}, "geojson.geometry-members", "/features"),
        ({"type": "Point"}, "geojson.coordinates", "/coordinates"),
        ({"type": "GeometryCollection"}, "geojson.geometries", "/geometries"),
    ],
)
def test_structure_errors(root, code, ptr):
    assert (code, ptr) in errors(root)


def test_a_case_typo_gets_a_hint():
    [problem] = validate_geojson({"type": "linestring", "coordinates": []})
    assert 'write "LineString"' in problem.message


@pytest.mark.parametrize(
    ("coords", "ptr", "says"),
    [
        ([1], "/coordinates", "at least 2 numbers"),
        (["-2.9", 43.2], "/coordinates/0", "remove the quotes"),
        ([True, 43.2], "/coordinates/0", "true/false"),
        ([None, 43.2], "/coordinates/0", "null"),
        ([-2.9, math.inf], "/coordinates/1", "not a finite number"),
        ({"lon": 1}, "/coordinates", "array"),
    ],
)
def test_bad_positions(coords, ptr, says):
    problems = validate_geojson(point(coords))
    assert [(p.code, p.pointer) for p in problems] in (
        [("geojson.position", ptr)],
        [("geojson.coordinates", ptr)],
    )
    assert says in problems[0].message


def test_four_numbers_warn_in_geojson_and_fail_the_profile():
    problems = validate_geojson(point([2, 4, 6, 8]))
    assert {(p.code, p.severity) for p in problems} == {
        ("geojson.position-extra-values", Severity.WARNING),
        ("profile.position-dimensions", Severity.ERROR),
    }
    assert {p.pointer for p in problems} == {"/coordinates"}


def test_ranges_and_the_swap_hint():
    problems = validate_geojson(line([[-2.93, 43.26], [43.25, -2.93], [43.26, 181.0], [200, 10]]))
    by_ptr = {p.pointer: p for p in problems}
    assert set(by_ptr) == {"/coordinates/2/1", "/coordinates/3/0"}
    assert by_ptr["/coordinates/2/1"].code == "geojson.latitude-range"
    assert "swap" in by_ptr["/coordinates/2/1"].message
    assert by_ptr["/coordinates/3/0"].code == "geojson.longitude-range"
    assert "antimeridian" in by_ptr["/coordinates/3/0"].message


def test_projected_coordinates_are_named():
    [problem] = validate_geojson(point([797494.3, 5827326.6]))
    assert problem.code == "geojson.longitude-range"
    assert "projected" in problem.message


def test_every_bad_position_in_a_long_line_is_found_with_its_pointer():
    coords = [[-2.9 + i * 1e-5, 43.2] for i in range(5000)]
    coords[17] = [-2.9, 95.0]
    coords[4001] = [-2.9, "43.2"]
    assert errors(line(coords)) == [
        ("geojson.latitude-range", "/coordinates/17/1"),
        ("geojson.position", "/coordinates/4001/1"),
    ]


def test_many_bad_positions_are_summarised():
    coords = [[43.2, -2.9 - 90 - i * 1e-3] for i in range(500)]
    problems = validate_geojson(line(coords))
    assert len(problems) == MAX_LISTED + 1
    assert "480 more positions" in problems[-1].message
    assert problems[-1].pointer == "/coordinates"


def test_mixed_2d_and_3d_positions_are_fine():
    assert found(line([[0, 0, 1], [1, 1]] * 50)) == []


def test_a_line_needs_two_distinct_positions():
    assert errors(line([[1, 1]])) == [("geojson.linestring", "/coordinates")]
    assert errors(line([[1, 1], [1, 1, 5]])) == [("geojson.linestring", "/coordinates")]
    assert errors(
        {"type": "MultiLineString", "coordinates": [[[0, 0], [1, 1]], [[2, 2], [2, 2]]]}
    ) == [("geojson.linestring", "/coordinates/1")]


def test_rings():
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    assert found({"type": "Polygon", "coordinates": [square]}) == []
    assert errors({"type": "Polygon", "coordinates": [square[:-1]]}) == [
        ("geojson.ring-not-closed", "/coordinates/0")
    ]
    assert errors({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}) == [
        ("geojson.ring-too-short", "/coordinates/0")
    ]
    assert errors({"type": "Polygon", "coordinates": []}) == [("geojson.polygon", "/coordinates")]


def test_winding_is_a_warning_for_the_exterior_and_the_holes():
    ccw = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole_cw = [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]]
    assert found({"type": "Polygon", "coordinates": [ccw, hole_cw]}) == []
    polygon = {"type": "Polygon", "coordinates": [ccw[::-1], hole_cw[::-1]]}
    assert warnings({"type": "MultiPolygon", "coordinates": [polygon["coordinates"]]}) == [
        ("geojson.ring-winding", "/coordinates/0/0"),
        ("geojson.ring-winding", "/coordinates/0/1"),
    ]


@pytest.mark.parametrize(
    ("bbox", "ok"),
    [
        ([-3, 43, -2, 44], True),
        ([-3, 43, 0, -2, 44, 10], True),
        ([1, 2, 3], False),
        ([-3, 44, -2, 43], False),
        ("0,0,1,1", False),
        ([-3, 43, -2, True], False),
    ],
)
def test_bbox(bbox, ok):
    assert errors({**point([-2.5, 43.5]), "bbox": bbox}) == (
        [] if ok else [("geojson.bbox", "/bbox")]
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "geojson.crs-legacy"),
        ("urn:ogc:def:crs:OGC::CRS84", "geojson.crs-legacy"),
        ("urn:ogc:def:crs:EPSG::4326", "geojson.crs"),
        ("EPSG:4326", "geojson.crs"),
        ("urn:ogc:def:crs:EPSG::32632", "geojson.crs"),
        ("EPSG:43260", "geojson.crs"),
    ],
)
def test_crs(name, code):
    crs = {"type": "name", "properties": {"name": name}}
    problems = validate_geojson(collection(crs=crs))
    assert [(p.code, p.pointer) for p in problems] == [(code, "/crs")]
    expected = Severity.WARNING if code.endswith("legacy") else Severity.ERROR
    assert problems[0].severity is expected


@pytest.mark.parametrize(
    ("name", "latitude_first"),
    [
        # A few hundred kilobytes of "epsg:" took minutes (one search from every "epsg").
        ("epsg:" * 200_000, False),
        ("epsg:" * 200_000 + "4326", True),
        ("EPSG" + " " * 500_000 + "14326", False),
        ("EPSG:\n4326", False),  # the 4326 must be on the line of "epsg:"
        ("EPSG\n4326", True),
        ("EPSG:4326\n", True),
        ("urn:ogc:def:crs:EPSG::32632", False),
    ],
)
def test_epsg_4326_is_recognised_in_time_linear_in_the_name(name, latitude_first):
    crs = {"type": "name", "properties": {"name": name}}
    [problem] = validate_geojson(collection(crs=crs))
    assert problem.code == "geojson.crs"
    assert ("latitude first" in problem.message) is latitude_first


def test_epsg_4326_message_explains_axis_order():
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}
    [problem] = validate_geojson(collection(crs=crs))
    assert "latitude first" in problem.message


def test_geometry_collections_are_checked_member_by_member():
    root = {
        "type": "GeometryCollection",
        "geometries": [
            point([0, 0]),
            {"type": "GeometryCollection", "geometries": [point([0, 100])]},
            feature(None),
        ],
    }
    assert found(root) == [
        ("geojson.nested-geometry-collection", "/geometries/1"),
        ("geojson.latitude-range", "/geometries/1/geometries/0/coordinates/1"),
        ("geojson.unexpected-type", "/geometries/2/type"),
    ]


def test_empty_multi_geometries_warn():
    assert warnings({"type": "MultiPoint", "coordinates": []}) == [
        ("geojson.empty-geometry", "/coordinates")
    ]


def test_all_problems_are_collected_in_one_pass():
    root = collection(
        feature(point([0, 91])),
        feature(line([[0, 0]])),
        {"type": "Feature", "geometry": point([0, 0])},
        bbox=[1],
    )
    assert errors(root) == [
        ("geojson.bbox", "/bbox"),
        ("geojson.latitude-range", "/features/0/geometry/coordinates/1"),
        ("geojson.linestring", "/features/1/geometry/coordinates"),
        ("geojson.feature-properties", "/features/2/properties"),
    ]


def test_coordinate_arrays_are_kept_for_large_lists_only():
    big = [[-2.9 + i * 1e-5, 43.2, 5.0] for i in range(100)]
    small = [[0, 0], [1, 1]]
    arrays = CoordinateArrays()
    validate_geojson({"type": "MultiLineString", "coordinates": [big, small]}, arrays)
    kept = arrays.get(big)
    assert kept is not None and kept.shape == (100, 3)
    assert arrays.get(small) is None
    assert arrays.get([row[:] for row in big]) is None  # an equal list is not the same list
