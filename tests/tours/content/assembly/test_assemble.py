"""Assembling one tour from several files: field mapping, ids, order, formats, reports."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from tours.content.assembly import assembly_order
from tours.content.assembly.assemble import AssemblyOptions, assemble_paths
from tours.content.assembly.fieldmap import FieldMap, MappingError, text_id
from tours.content.checking import profile
from tours.content.reading.positions import pointer_positions
from tours.content.report import Problem, Report, Severity
from tours.tour.geometry import RouteGeometry

ROUTE = [[-2.9262, 43.2556], [-2.9249, 43.2548], [-2.9236, 43.2540], [-2.9223, 43.2532]]


def write(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def line_file(tmp_path: Path, props: dict | None = None) -> Path:
    feature = {
        "type": "Feature",
        "properties": props or {},
        "geometry": {"type": "LineString", "coordinates": ROUTE},
    }
    return write(
        tmp_path / "walk_route.geojson", {"type": "FeatureCollection", "features": [feature]}
    )


def points_file(
    tmp_path: Path, props_list: list[dict], name: str = "points.geojson", **extra
) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "Point", "coordinates": ROUTE[i % len(ROUTE)]},
            **extra,
        }
        for i, props in enumerate(props_list)
    ]
    return write(tmp_path / name, {"type": "FeatureCollection", "features": features})


def stops_of(assembly) -> list[dict]:
    return [f["properties"] for f in assembly.document["features"][1:]]


def test_default_field_names_osm_languages_and_unmapped_properties_kept(tmp_path):
    stops = points_file(
        tmp_path,
        [
            {"nombre": "Plaza", "descripcion": "Historia", "categoria": "plaza"},
            {"Name": "Mercado", "desc": "Story", "tags": ["a", "b"]},
            {
                "title": "Iglesia",
                "name:de": "Kirche",
                "name:tr": "Kilise",
                "description:en": "A church",
            },
        ],
    )
    result = assemble_paths(
        [], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions(language="es")
    )
    by_name = {next(iter(p["name"].values())): p for p in stops_of(result)}
    assert by_name["Plaza"]["story"] == {"es": "Historia"}
    assert by_name["Plaza"]["categoria"] == "plaza"  # kept, so it is exported again
    assert by_name["Mercado"]["story"] == {"es": "Story"} and by_name["Mercado"]["tags"] == [
        "a",
        "b",
    ]
    church = by_name["Iglesia"]
    assert church["name"] == {"es": "Iglesia", "de": "Kirche", "tr": "Kilise"}
    assert church["story"] == {"en": "A church"}
    assert "name:de" not in church and "description:en" not in church
    # de, tr and en are not the tour's languages (es): partial translations, not a to-do.
    assert not any("language" in t["code"] for t in result.todo)
    [note] = [p for p in result.report.problems if p.code == "profile.partial-language"]
    assert "de, en, tr" in note.message


def test_map_option_overrides_the_defaults(tmp_path):
    stops = points_file(
        tmp_path, [{"name": "A", "description": "short", "historical_relevance": "The long story"}]
    )
    fields = FieldMap.parse(["story=historical_relevance"])
    result = assemble_paths(
        [], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions(fields=fields)
    )
    stop = stops_of(result)[0]
    assert stop["story"] == {"en": "The long story"}
    assert stop["description"] == "short"  # not mapped any more, so kept as it was
    with pytest.raises(MappingError, match="TARGET=SOURCE"):
        FieldMap.parse(["story"])
    with pytest.raises(MappingError, match="not a field"):
        FieldMap.parse(["colour=red"])


def test_integer_and_osm_ids_become_text_ids_and_bad_ones_are_replaced(tmp_path):
    assert text_id(7) == "7" and text_id(7.0) == "7"
    assert text_id("relation/252585") == "relation-252585"
    assert text_id("***") is None and text_id(True) is None
    stops = points_file(
        tmp_path,
        [
            {"name": "One", "id": 7},
            {"name": "Two", "id": "relation/252585"},
            {"name": "Three", "id": 7},
        ],
    )
    result = assemble_paths([], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions())
    ids = sorted(p["id"] for p in stops_of(result))
    assert ids == ["7", "relation-252585", "three"]
    assert any("replaced" in note and "'three'" in note for note in result.notes)
    assert not any(t["code"].startswith("profile.stop-id") for t in result.todo)


def test_feature_level_ids_are_used_and_the_stop_order_is_reported(tmp_path):
    stops = points_file(tmp_path, [{"name": "B"}, {"name": "A"}, {"name": "C"}])
    data = json.loads(stops.read_text())
    for i, feature in enumerate(data["features"]):
        feature["id"] = i * 10
    write(stops, data)
    result = assemble_paths([], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions())
    # The names are a sequence (A, B, C): they say the order.
    assert [p["id"] for p in stops_of(result)] == ["10", "0", "20"]
    rows = result.order.to_dict()["stops"]
    assert [(r["position"], r["source_position"]) for r in rows] == [(1, 2), (2, 1), (3, 3)]
    route = assemble_paths(
        [], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions(order="route")
    )
    assert [p["id"] for p in stops_of(route)] == ["0", "10", "20"]  # along the line
    source = assemble_paths(
        [], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions(order="source")
    )
    assert [p["order"] for p in stops_of(source)] == [1, 2, 3]
    assert [p["id"] for p in stops_of(source)] == ["0", "10", "20"]


@pytest.mark.parametrize("key", ["nr", "seq", "order", "Reihenfolge"])
def test_an_order_property_is_detected_named_and_kept_by_order_source(tmp_path, key):
    """An "nr" order was not read: the stops followed the route and nothing said why."""
    # Along the route: Plaza, Mercado, Iglesia; the walk's own order is the reverse.
    props = [{"name": n, key: 3 - i} for i, n in enumerate(["Plaza", "Mercado", "Iglesia"])]
    stops = points_file(tmp_path, props)
    result = assemble_paths([], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions())
    assert [p["name"]["en"] for p in stops_of(result)] == ["Iglesia", "Mercado", "Plaza"]
    assert repr(key) in result.order.rule
    assert any(f"The stops' {key!r} gives their order" in n for n in result.notes)
    assert all(key == "order" or key not in p for p in stops_of(result))  # read, not kept twice
    source = assemble_paths(
        [], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions(order="source")
    )
    assert source.order.rule == f"the source's order: {key!r} (--order source)"
    assert [p["name"]["en"] for p in stops_of(source)] == ["Iglesia", "Mercado", "Plaza"]


def test_numbered_names_give_the_order(tmp_path):
    names = ["3) Iglesia", "Stop 2 – Mercado", "1. Plaza"]
    stops = points_file(tmp_path, [{"name": n} for n in names])
    result = assemble_paths([], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions())
    assert [p["name"]["en"] for p in stops_of(result)] == list(reversed(names))
    assert result.order.rule == "the names are a sequence, so they give the order"
    # Names that merely start with a number, not in sequence, give no order.
    plain = points_file(tmp_path, [{"name": n} for n in ["12 Apostles", "7 Dials"]], "p.geojson")
    along = assemble_paths([], route=line_file(tmp_path), stops=[plain], options=AssemblyOptions())
    assert "earliest pass" in along.order.rule


def test_several_stops_files_merge_in_order_and_nothing_is_silently_lost(tmp_path):
    first = points_file(tmp_path, [{"name": "Uno"}], "first.geojson", foo="bar")
    second = points_file(tmp_path, [{"name": "Dos"}], "second.geojson")
    data = json.loads(second.read_text())
    data["generator"] = "overpass"
    write(second, data)
    result = assemble_paths(
        [],
        route=line_file(tmp_path),
        stops=[first, second],
        options=AssemblyOptions(order="source"),
    )
    assert [p["name"]["en"] for p in stops_of(result)] == ["Uno", "Dos"]
    carried = " ".join(result.not_carried)
    assert '"generator"' in carried and '"foo"' in carried


def test_a_vienna_like_file_reads_long_titles_as_stories(tmp_path):
    story = "A long paragraph about the place, longer than any name would ever be in a walk."
    stops = points_file(
        tmp_path, [{"name": "A", "title": story}, {"name": "B", "title": story + "!"}]
    )
    result = assemble_paths([], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions())
    assert [p["story"]["en"] for p in stops_of(result)] == [story, story + "!"]
    assert any("'title'" in note for note in result.notes)


def test_missing_things_become_a_todo_list_with_file_line_and_column(tmp_path):
    stops = points_file(tmp_path, [{"name": "Plaza"}, {"description": "No name here"}])
    result = assemble_paths([], route=line_file(tmp_path), stops=[stops], options=AssemblyOptions())
    assert result.ok and result.report.valid
    codes = {(t["code"], t["pointer"].rsplit("/", 1)[-1]) for t in result.todo}
    assert ("profile.missing-property", "title") in codes
    assert ("profile.missing-property", "name") in codes
    assert ("profile.missing-property", "story") in codes
    nameless = next(t for t in result.todo if t["pointer"].endswith("/name"))
    assert nameless["file"] == str(stops) and nameless["line"] > 1 and nameless["column"] >= 1
    options = AssemblyOptions(
        title="T", summary="S", city="Bilbao", timezone="Europe/Madrid", licence="CC0-1.0"
    )
    hint = next(t for t in result.todo if t["pointer"].endswith("/timezone"))
    assert "--timezone" in hint["message"]
    complete = points_file(tmp_path, [{"name": "Plaza", "description": "Historia"}], "ok.geojson")
    done = assemble_paths([], route=line_file(tmp_path), stops=[complete], options=options)
    assert done.todo == []


def test_no_route_is_refused_with_advice(tmp_path):
    stops = points_file(tmp_path, [{"name": "Plaza"}])
    result = assemble_paths([stops], options=AssemblyOptions())
    assert not result.ok
    assert [p.code for p in result.report.errors] == ["assemble.no-route"]
    assert "--route" in result.report.errors[0].message


def test_draw_route_follows_an_explicit_order_and_needs_two_stops(tmp_path):
    # In the file: C, A, B; their "order" says A, B, C.
    stops = points_file(
        tmp_path, [{"name": "C", "order": 3}, {"name": "A", "order": 1}, {"name": "B", "order": 2}]
    )
    result = assemble_paths([stops], options=AssemblyOptions(draw_route=True))
    assert result.ok and result.order is not None
    assert [s["name"] for s in stops_of(result)] == [{"en": "A"}, {"en": "B"}, {"en": "C"}]
    route = result.document["features"][0]
    assert route["geometry"]["coordinates"] == [ROUTE[1], ROUTE[2], ROUTE[0]]
    assert route["properties"]["approximate_route"] is True
    assert [t["code"] for t in result.todo if t["code"] == "profile.approximate-route"] == [
        "profile.approximate-route"
    ]
    # A route in the files wins over drawing one.
    both = assemble_paths([line_file(tmp_path), stops], options=AssemblyOptions(draw_route=True))
    assert both.document["features"][0]["geometry"]["coordinates"] == ROUTE
    assert "approximate_route" not in both.document["features"][0]["properties"]
    one = points_file(tmp_path, [{"name": "Plaza"}], name="one.geojson")
    alone = assemble_paths([one], options=AssemblyOptions(draw_route=True))
    assert not alone.ok and "One stop is not enough" in alone.report.errors[0].message


def test_csv_stops_with_lat_lng_columns(tmp_path):
    csv_file = tmp_path / "stops.csv"
    csv_file.write_text(
        "name,description,lat,lng,extra\n"
        'Plaza,"Historia, larga",43.2556,-2.9262,x\n'
        "Sin sitio,Nada,,,\n"
        "Mercado,Story,43.2540,-2.9236,y\n",
        encoding="utf-8",
    )
    result = assemble_paths(
        [], route=line_file(tmp_path), stops=[csv_file], options=AssemblyOptions()
    )
    stops = stops_of(result)
    assert sorted(p["name"]["en"] for p in stops) == ["Mercado", "Plaza"]
    plaza = next(p for p in stops if p["name"]["en"] == "Plaza")
    assert plaza["story"] == {"en": "Historia, larga"} and plaza["extra"] == "x"
    assert any("lat/lng" in note and "extra" in note for note in result.notes)
    skipped = [p for p in result.report.warnings if p.code == "csv.row-without-coordinates"]
    assert len(skipped) == 1 and skipped[0].line == 3
    assert any("line 3" in item for item in result.not_carried)


def test_gpx_blank_elements_are_absent_and_waypoints_are_stops(tmp_path):
    gpx = tmp_path / "esri.gpx"
    gpx.write_text(
        '<?xml version="1.0"?>\n<gpx version="1.1" creator="ArcGIS" xmlns="http://www.topografix.com/GPX/1/1">\n'
        '<wpt lat="43.2556" lon="-2.9262"><ele> </ele><name> </name>'
        "<desc>Only a story</desc></wpt>\n"
        '<wpt lat="43.2540" lon="-2.9236"><name>Mercado</name><cmt>Comment</cmt></wpt>\n'
        "<trk><name> </name><trkseg>"
        + "".join(f'<trkpt lat="{lat}" lon="{lon}"><ele> </ele></trkpt>' for lon, lat in ROUTE)
        + "</trkseg></trk></gpx>\n",
        encoding="utf-8",
    )
    result = assemble_paths([], route=gpx, stops=[gpx], options=AssemblyOptions())
    assert result.report.valid, result.report.to_text()
    stops = {p["id"]: p for p in stops_of(result)}
    first = next(p for p in stops.values() if p.get("story") == {"en": "Only a story"})
    assert "name" not in first  # a blank <name> is no name: a to-do item, not " "
    mercado = next(p for p in stops.values() if p.get("name") == {"en": "Mercado"})
    assert mercado["cmt"] == "Comment"
    route = result.document["features"][0]["geometry"]
    assert route["type"] == "LineString" and all(len(p) == 2 for p in route["coordinates"])
    nameless = next(t for t in result.todo if t["pointer"].endswith("/name"))
    assert nameless["line"] == 3  # the <wpt> element's line


def test_kml_and_kmz_placemarks(tmp_path):
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>\n'
        "<name>Paseo</name><description>Un paseo corto.</description>\n"
        "<Placemark><name>Ruta</name><LineString><coordinates>"
        + " ".join(f"{lon},{lat},0" for lon, lat in ROUTE)
        + "</coordinates></LineString></Placemark>\n"
        "<Placemark><name>Plaza</name><description>Historia</description>"
        '<ExtendedData><Data name="order"><value>1</value></Data></ExtendedData>'
        "<Point><coordinates>-2.9262,43.2556</coordinates></Point></Placemark>\n"
        "</Document></kml>\n"
    )
    path = tmp_path / "mymaps.kml"
    path.write_text(kml, encoding="utf-8")
    result = assemble_paths([path], options=AssemblyOptions(language="es"))
    assert result.ok, result.report.to_text()
    route_props = result.document["features"][0]["properties"]
    assert route_props["title"] == {"es": "Paseo"} and route_props["summary"] == {
        "es": "Un paseo corto."
    }
    assert stops_of(result)[0]["name"] == {"es": "Plaza"} and stops_of(result)[0]["story"] == {
        "es": "Historia"
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("doc.kml", kml)
    kmz = tmp_path / "mymaps.kmz"
    kmz.write_bytes(buffer.getvalue())
    assert assemble_paths([kmz], options=AssemblyOptions()).document is not None


def test_kml_with_a_doctype_is_refused(tmp_path):
    path = tmp_path / "bomb.kml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml><Document/></kml>',
        encoding="utf-8",
    )
    result = assemble_paths([path], options=AssemblyOptions())
    assert [p.code for p in result.report.errors] == ["kml.doctype"]


_KML_LINE = (
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Caf\u00e9 walk</name>'
    "<Placemark><name>Pla\u00e7a</name><LineString><coordinates>"
    "-2.9262,43.2556 -2.9249,43.2548</coordinates></LineString></Placemark></Document></kml>"
)


@pytest.mark.parametrize(
    ("encoded", "warned"),
    [
        (_KML_LINE.encode("latin-1"), "it looks like Latin-1"),
        (_KML_LINE.encode("utf-16-le"), "it looks like UTF-16"),
        (("\ufeff" + _KML_LINE).encode("utf-16-be"), None),  # a byte order mark says it
    ],
)
def test_a_kml_without_a_declaration_is_read_in_the_encoding_it_looks_like(
    tmp_path, encoded, warned
):
    """A Latin-1 KML without a declaration once got "XML syntax error"."""
    path = tmp_path / "walk.kml"
    path.write_bytes(encoded)
    result = assemble_paths([path], options=AssemblyOptions())
    assert not result.report.errors and result.document is not None
    assert result.document["features"][0]["properties"]["title"] == {"en": "Café walk"}
    warnings = [p.message for p in result.report.warnings if p.code == "kml.encoding"]
    assert warnings == ([] if warned is None else [warnings[0]])
    assert warned is None or warned in warnings[0]


def test_a_kml_in_no_encoding_bidean_can_tell_gets_the_documented_message(tmp_path):
    path = tmp_path / "walk.kml"
    path.write_bytes(_KML_LINE.encode("latin-1").replace(b"\xe7", b"\x81\x8d\x90"))
    result = assemble_paths([path], options=AssemblyOptions())
    [error] = result.report.errors
    assert error.code == "kml.encoding" and "not UTF-8" in error.message
    assert "syntax" not in error.message


def test_json_problems_get_line_and_column_from_the_parser_positions():
    text = (
        '{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",\n'
        '   "properties": {"name": "x"}}]}'
    )
    positions = pointer_positions(
        text, ["/features/0/properties/name", "/features/0/properties/story"]
    )
    assert positions["/features/0/properties/name"] == (4, 27)
    assert positions["/features/0/properties/story"] == (4, 18)  # the enclosing object


def test_repeats_are_grouped_in_text_and_kept_in_json():
    report = Report(
        "walk.geojson",
        [
            Problem(
                "profile.missing-property",
                f"/features/{i}/properties/story",
                "Needs a story",
                line=i,
            )
            for i in range(1, 202)
        ],
    )
    text = report.to_text().splitlines()
    assert len(text) == 2  # one grouped line and the summary
    assert "201 times, features 1–201" in text[0] and "first: line 1" in text[0]
    assert len(report.to_dict()["errors"]) == 201
    assert Problem("x", "/a", "m", Severity.WARNING, 3, 4).where == "line 3, column 4 (/a)"


# -- real data ---------------------------------------------------------------------------


def test_vienna_pair_assembles_with_every_stop_and_story_in_source_order(interop):
    real = interop / "real"
    result = assemble_paths(
        [],
        route=real / "vienna_walk_route.geojson",
        stops=[real / "vienna_walk_stops.geojson"],
        options=AssemblyOptions(city="Wien", language="en"),
    )
    source = json.loads((real / "vienna_walk_stops.geojson").read_text(encoding="utf-8"))
    stops = stops_of(result)
    assert len(stops) == 12
    assert sorted(p["story"]["en"] for p in stops) == sorted(
        f["properties"]["title"] for f in source["features"]
    )
    # The letters A-L are the walk's order, whatever the feature ids say.
    assert [p["name"]["en"] for p in stops] == list("ABCDEFGHIJKL")
    assert [p["id"] for p in stops][:6] == ["0", "1", "2", "4", "5", "3"]


def test_harlem_pair_keeps_every_stop_and_every_story(interop):
    real = interop / "real"
    result = assemble_paths(
        [],
        route=real / "nypl-harlem_walk_path.geojson",
        stops=[real / "nypl-harlem_walk_points.geojson"],
        options=AssemblyOptions(city="New York", language="en"),
    )
    source = json.loads((real / "nypl-harlem_walk_points.geojson").read_text(encoding="utf-8"))
    stops = stops_of(result)
    assert len(stops) == 5
    stories = sorted(p["story"]["en"] for p in stops if "story" in p)
    assert stories == sorted(
        f["properties"]["description"]
        for f in source["features"]
        if "description" in f["properties"]
    )
    kept = {k for p in stops for k in p}
    assert {"artist", "sculptor", "ref_url", "est_date", "alt_name", "date"} <= kept


def test_cappadocia_points_keep_their_osm_languages(interop, tmp_path):
    points = interop / "real" / "nevsehir-cappadocia_heritage-pois_osm-export.geojson"
    source = json.loads(points.read_text(encoding="utf-8"))
    lons = [
        f["geometry"]["coordinates"][0]
        for f in source["features"]
        if f["geometry"]["type"] == "Point"
    ]
    lats = [
        f["geometry"]["coordinates"][1]
        for f in source["features"]
        if f["geometry"]["type"] == "Point"
    ]
    route = write(
        tmp_path / "route.geojson",
        {"type": "LineString", "coordinates": [[min(lons), min(lats)], [max(lons), max(lats)]]},
    )
    result = assemble_paths([], route=route, stops=[points], options=AssemblyOptions(language="en"))
    stops = stops_of(result)
    by_osm = {p.get("@id") or p["id"]: p for p in stops}
    for feature in source["features"]:
        props = feature["properties"]
        stop = by_osm.get(props.get("@id")) or by_osm.get(str(feature.get("id")).replace("/", "-"))
        if stop is None:
            continue
        for tag in ("de", "tr"):
            if f"name:{tag}" in props:
                assert stop["name"][tag] == props[f"name:{tag}"]
    assert sum("de" in p.get("name", {}) for p in stops) == 24
    assert sum("tr" in p.get("name", {}) for p in stops) == 16
    # The names in 17 languages are partial translations: kept, noted, never a to-do.
    assert not any("language" in t["code"] for t in result.todo)
    assert any(p.code == "profile.partial-language" for p in result.report.problems)


def test_the_large_gpx_track_keeps_every_point(interop):
    gpx = interop / "real" / "large_nnml_s8-ranchos-de-taos-to-santa-fe.gpx"
    result = assemble_paths([], route=gpx, options=AssemblyOptions())
    assert result.ok
    assert len(result.document["features"][0]["geometry"]["coordinates"]) == 22868


AUTHORED_GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="OsmAnd" xmlns="http://www.topografix.com/GPX/1/1">
<metadata><name>Paseo</name><author><name>Miren Zabala</name></author>
<copyright author="Ría Viva"><year>2019</year>
<license>https://creativecommons.org/licenses/by/4.0/</license></copyright></metadata>
<wpt lat="43.2556" lon="-2.9262"><time>2019-05-04T08:05:00Z</time><name>Plaza</name></wpt>
<trk><trkseg>
<trkpt lat="43.2556" lon="-2.9262"><time>2019-05-04T08:00:00Z</time></trkpt>
<trkpt lat="43.2548" lon="-2.9249"><time>2019-05-04T08:20:00Z</time></trkpt>
</trkseg></trk></gpx>
"""


def test_gpx_authorship_becomes_credits_and_copyright_and_times_are_listed(tmp_path):
    gpx = tmp_path / "authored.gpx"
    gpx.write_text(AUTHORED_GPX, encoding="utf-8")
    options = AssemblyOptions(language="eu")
    for result in (
        assemble_paths([gpx], options=options),
        assemble_paths([], route=gpx, stops=[gpx], options=options),
    ):
        props = result.document["features"][0]["properties"]
        assert props["credits"] == {"eu": "Miren Zabala"}
        assert props["copyright"] == {"author": "Ría Viva", "year": 2019}
        assert props["licence"] == "https://creativecommons.org/licenses/by/4.0/"
        times = [item for item in result.not_carried if "<time>" in item]
        assert times == [
            "the <time> of 2 track points (2019-05-04T08:00:00+00:00 to"
            f" 2019-05-04T08:20:00+00:00), of 1 waypoint (2019-05-04T08:05:00+00:00) in {gpx}:"
            " a tour keeps no times"
        ]
        # The same file for --route and --stops: each role takes its kind, no noise.
        assert not [item for item in result.not_carried if "option for its role" in item]
    # What the coordinator gives wins over the file.
    given = assemble_paths([gpx], options=AssemblyOptions(licence="CC-BY-4.0"))
    assert given.document["features"][0]["properties"]["licence"] == "CC-BY-4.0"


def test_gpx_creator_extensions_and_flat_heights_are_listed_as_not_carried_over(tmp_path):
    """As in the real NNML track: written by GaiaGPS, a line colour in the track's
    <extensions>, every <ele> 0.0. None is kept, so the report names each."""
    points = "".join(
        f'<trkpt lat="{lat}" lon="{lon}"><ele>0.0</ele>'
        + ("<extensions><speed>1.2</speed></extensions>" if i == 0 else "")
        + "</trkpt>"
        for i, (lon, lat) in enumerate(ROUTE)
    )
    gpx = tmp_path / "gaia.gpx"
    gpx.write_text(
        '<?xml version="1.0" ?><gpx xmlns="http://www.topografix.com/GPX/1/1"'
        ' creator="GaiaGPS" version="1.1"><trk><name>S8</name><desc></desc><extensions>'
        '<line xmlns="http://www.topografix.com/GPX/gpx_style/0/2"><color>0479FF</color>'
        f"</line></extensions><trkseg>{points}</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    result = assemble_paths([gpx], options=AssemblyOptions())
    assert result.not_carried == [
        f'the application that wrote it, <gpx creator="GaiaGPS"> in {gpx}',
        f'the <extensions> of <trk> 1 (color "0479FF") in {gpx}',
        f"the <extensions> of 1 point of the lines in {gpx}",
        f"the <ele> of {len(ROUTE)} points of the lines: all 0, so no heights were kept in {gpx}",
    ]
    route = result.document["features"][0]["geometry"]["coordinates"]
    assert all(len(position) == 2 for position in route)


def test_vienna_route_keeps_its_own_id_and_the_report_names_every_title_source(interop):
    """The route feature's top-level id 0 once disappeared without a line."""
    real = interop / "real"
    result = assemble_paths(
        [],
        route=real / "vienna_walk_route.geojson",
        stops=[real / "vienna_walk_stops.geojson"],
        options=AssemblyOptions(city="Wien", language="en"),
    )
    route = result.document["features"][0]["properties"]
    assert route["source_id"] == 0 and route["Id"] == 0  # its id and its properties
    assert any("route's own id 0" in n and "source_id" in n for n in result.notes)
    assert result.slug == "vienna-walk-route-wien"
    assert any("slug 'vienna-walk-route-wien' comes from its file name" in n for n in result.notes)


def _layer_file(tmp_path: Path) -> Path:
    """A Farnham-like export: the layer's name as the collection's "name", an id beside
    the route's properties."""
    line = {
        "type": "Feature",
        "id": "walk-1",
        "properties": {"surface": "paved"},
        "geometry": {"type": "LineString", "coordinates": ROUTE},
    }
    value = {"type": "FeatureCollection", "name": "Farnham Heritage Trail", "features": [line]}
    return write(tmp_path / "farnham.geojson", value)


def test_a_layer_name_that_becomes_the_title_is_reported_as_its_source(tmp_path):
    """The layer name became the title while the report listed it as not carried over."""
    result = assemble_paths([_layer_file(tmp_path)], options=AssemblyOptions(city="Farnham"))
    props = result.document["features"][0]["properties"]
    assert props["title"] == {"en": "Farnham Heritage Trail"}
    assert not any('"name"' in item for item in result.not_carried), result.not_carried
    assert any(
        'title comes from the FeatureCollection\'s "name" member (its layer name)' in n
        for n in result.notes
    ), result.notes
    assert props["source_id"] == "walk-1" and props["surface"] == "paved"
    assert result.slug == "farnham-heritage-trail"  # the city is in the title already
    # A title given on the command line leaves the layer name listed as not carried over.
    titled = assemble_paths([_layer_file(tmp_path)], options=AssemblyOptions(title="Walk"))
    assert any('"name" member' in item for item in titled.not_carried)


def test_the_route_is_measured_once_for_the_order_and_the_check(tmp_path, monkeypatch):
    """Building a route's geometry was a third of assembling a My Maps KML, and it was
    built twice: to order the stops and again in the profile's check."""
    built: list[int] = []

    class Counted(RouteGeometry):
        def __init__(self, lines):
            built.append(sum(len(line) for line in lines))
            super().__init__(lines)

    monkeypatch.setattr(assembly_order, "RouteGeometry", Counted)
    monkeypatch.setattr(profile, "RouteGeometry", Counted)
    # In the file: the route's 4th vertex, its 2nd, 1st and 3rd.
    placed = [("Tower", 3), ("Bridge", 1), ("Market", 0), ("Square", 2)]
    stops = _points_at(tmp_path, {name: ROUTE[i] for name, i in placed}, "stops.geojson")
    result = assemble_paths([line_file(tmp_path, {"title": "Walk"}), stops])
    assert built == [len(ROUTE)]
    assert [s["name"]["en"] for s in stops_of(result)] == ["Market", "Bridge", "Square", "Tower"]
    assert "along the route" in result.order.rule
    far_file = _points_at(tmp_path, {"Far": [-2.95, 43.25]}, "far.geojson")
    built.clear()
    result = assemble_paths([line_file(tmp_path, {"title": "Walk"}), far_file])
    assert built == [len(ROUTE)]
    # The profile's check still locates the stop on that geometry: it is far from the route.
    assert any(p.code == "profile.stop-far-from-route" for p in result.report.problems)


def _points_at(tmp_path: Path, places: dict[str, list[float]], name: str) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"name": stop},
            "geometry": {"type": "Point", "coordinates": at},
        }
        for stop, at in places.items()
    ]
    return write(tmp_path / name, {"type": "FeatureCollection", "features": features})
