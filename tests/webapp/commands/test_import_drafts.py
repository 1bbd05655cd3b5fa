"""``bidean import`` assembling drafts, ``tours --json``, ``publish``, ``withdraw`` and the
exports, through the CLI on both backends; drafts never reach the public."""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import geojson
import pytest
from lxml import etree

from tests.tours.tourdoc import ROUTE, encode, tour
from tours.content.workflows.editing import save_edit, set_route
from webapp.common.database import get_db

# The GPX 1.1 schema (Topografix), as the ``gpx`` package of the dev extra ships it.
GPX_XSD = Path(find_spec("gpx").submodule_search_locations[0]) / "gpx.xsd"


def write_pair(tmp_path: Path) -> tuple[Path, Path]:
    route = tmp_path / "walk_route.geojson"
    route.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": 0,
                        "properties": {"Id": 0},
                        "geometry": {"type": "LineString", "coordinates": ROUTE},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    stops = tmp_path / "walk_stops.geojson"
    features = [
        {
            "type": "Feature",
            "id": i,
            "properties": {
                "name": name,
                "description": f"Story of {name}",
                "name:de": f"Halt {name}",
            },
            "geometry": {"type": "Point", "coordinates": ROUTE[i]},
        }
        for i, name in enumerate(["Plaza", "Mercado", "Iglesia"])
    ]
    stops.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return route, stops


COMPLETE = [
    "--title", "A walk", "--summary", "Three stops.", "--timezone", "Europe/Madrid",
    "--licence", "CC-BY-SA-4.0", "--city", "Bilbao", "--language", "en",
]  # fmt: skip


def listing(runner) -> list[dict]:
    result = runner.invoke(args=["tours", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_assembled_files_become_a_draft_that_is_never_public(runner, client, tmp_path):
    route, stops = write_pair(tmp_path)
    result = runner.invoke(
        args=["import", "--route", str(route), "--stops", str(stops), "--city", "Bilbao"]
    )
    assert result.exit_code == 0, result.output
    assert "stored walk-route-bilbao version 1 as a draft" in result.output
    [item] = listing(runner)
    assert item["status"] == "draft" and item["version"] == 1 and item["city"] == "Bilbao"
    assert item["languages"] == ["en"]
    missing = {t["pointer"].rsplit("/", 1)[-1] for t in item["todo"]}
    assert {"title", "summary", "timezone", "licence"} <= missing
    assert item["todo_count"] == len(item["todo"])
    # Drafts are never public: no page, no API listing, no GeoJSON, no GPX.
    assert client.get("/tours/walk-route-bilbao").status_code == 404
    assert client.get("/api/tours").get_json() == []
    for suffix in ("", ".geojson", ".gpx"):
        assert client.get(f"/api/tours/walk-route-bilbao{suffix}").status_code == 404
    refused = runner.invoke(args=["publish", "walk-route-bilbao"])
    assert refused.exit_code == 1 and "to do" in refused.output and "--title" in refused.output


def test_completing_a_draft_then_publishing_makes_it_public(runner, client, tmp_path):
    route, stops = write_pair(tmp_path)
    args = ["import", "--route", str(route), "--stops", str(stops)]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=[*args, *COMPLETE])
    # Each stop has a German name, but the tour declares only English: German is a partial
    # translation, kept and noted, never a to-do.
    assert "version 2 as a draft (0 to do)" in again.output, again.output
    assert "partial translations" in again.output
    published = runner.invoke(args=["publish", "walk-route"])
    assert published.exit_code == 0, published.output
    [item] = listing(runner)
    assert item["status"] == "published" and item["published_version"] == item["version"]
    page = client.get("/tours/walk-route?lang=en")
    assert page.status_code == 200 and "Story of Mercado" in page.get_data(as_text=True)
    assert "Halt Mercado" not in client.get("/tours/walk-route?lang=de").get_data(as_text=True)
    assert [t["slug"] for t in client.get("/api/tours").get_json()] == ["walk-route"]
    # --languages declares German on import: offered once published.
    third = runner.invoke(args=[*args, *COMPLETE, "--languages", "en,DE"])
    assert "version 4 as a draft (0 to do)" in third.output, third.output
    assert "partial translations" not in third.output
    assert "missing-translation" in third.output and "(de)" in third.output  # as ever
    assert listing(runner)[0]["languages"] == ["en", "de"]
    assert runner.invoke(args=["publish", "walk-route"]).exit_code == 0
    assert "Halt Mercado" in client.get("/tours/walk-route?lang=de").get_data(as_text=True)
    wrong = runner.invoke(args=[*args, *COMPLETE, "--languages", "es,eu"])
    assert wrong.exit_code == 2 and "--language en must be one of" in wrong.output
    # Withdrawn: off the public site, versions kept, publish brings it back.
    assert runner.invoke(args=["withdraw", "walk-route"]).exit_code == 0
    assert client.get("/tours/walk-route").status_code == 404
    assert listing(runner)[0]["status"] == "withdrawn"
    assert runner.invoke(args=["publish", "walk-route"]).exit_code == 0
    back = client.get("/tours/walk-route?lang=en")
    assert back.status_code == 200 and "Story of Mercado" in back.get_data(as_text=True)


def test_a_draft_over_a_published_tour_waits_and_the_public_keeps_the_old_version(
    runner, client, tmp_path
):
    path = tmp_path / "sf.geojson"
    path.write_bytes(encode(tour()))
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    route, stops = write_pair(tmp_path)
    result = runner.invoke(
        args=["import", "--route", str(route), "--stops", str(stops), "--city", "Bilbao"]
    )
    assert result.exit_code == 0
    draft_doc = json.loads(route.read_text())
    draft_doc["features"][0]["properties"]["slug"] = "san-francisco-voices"
    route.write_text(json.dumps(draft_doc), encoding="utf-8")
    runner.invoke(args=["import", "--route", str(route), "--stops", str(stops)])
    item = next(i for i in listing(runner) if i["slug"] == "san-francisco-voices")
    assert item["status"] == "published" and item["version"] == 2 and item["published_version"] == 1
    detail = client.get("/api/tours/san-francisco-voices").get_json()
    assert detail["version"] == 1


def test_dry_run_stores_nothing_and_json_keeps_every_instance(runner, tmp_path):
    route, stops = write_pair(tmp_path)
    result = runner.invoke(
        args=["import", "--dry-run", "--json", "--route", str(route), "--stops", str(stops)]
    )
    assert result.exit_code == 0, result.output
    [outcome] = json.loads(result.output)
    assert outcome["stored"] is None and outcome["would_store"]["status"] == "draft"
    assert outcome["document"]["features"][0]["geometry"]["coordinates"] == ROUTE
    assert outcome["order"]["stops"][0]["source_position"] == 1
    assert listing(runner) == []


def test_positional_plain_geojson_and_csv_become_drafts_profile_files_publish(runner, tmp_path):
    route, stops = write_pair(tmp_path)
    combined = tmp_path / "farnham.geojson"
    first, second = json.loads(route.read_text()), json.loads(stops.read_text())
    combined.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": first["features"] + second["features"]}
        ),
        encoding="utf-8",
    )
    result = runner.invoke(args=["import", str(combined)])
    assert result.exit_code == 0 and "farnham version 1 as a draft" in result.output, result.output
    profile = tmp_path / "sf.geojson"
    profile.write_bytes(encode(tour()))
    published = runner.invoke(args=["import", str(profile)])
    assert "stored san-francisco-voices version 1 (" in published.output
    statuses = {i["slug"]: i["status"] for i in listing(runner)}
    assert statuses == {"farnham": "draft", "san-francisco-voices": "published"}


def test_export_then_import_gives_an_equal_tour_and_drafts_stay_drafts(runner, tmp_path):
    route, stops = write_pair(tmp_path)
    runner.invoke(args=["import", "--route", str(route), "--stops", str(stops)])
    exported = tmp_path / "draft.geojson"
    assert runner.invoke(args=["export", "walk-route", "-o", str(exported)]).exit_code == 0
    document = json.loads(exported.read_text())
    assert document["features"][0]["properties"]["status"] == "draft"
    again = runner.invoke(args=["import", str(exported)])
    assert "walk-route version 2 as a draft" in again.output, again.output
    second = tmp_path / "draft2.geojson"
    runner.invoke(args=["export", "walk-route", "-o", str(second)])
    assert json.loads(second.read_text()) == document
    # A published tour: export, import, equal documents.
    profile = tmp_path / "sf.geojson"
    profile.write_bytes(encode(tour()))
    runner.invoke(args=["import", str(profile)])
    out1, out2 = tmp_path / "sf1.geojson", tmp_path / "sf2.geojson"
    runner.invoke(args=["export", "san-francisco-voices", "-o", str(out1)])
    # Importing the export finds it equal to what is stored (issue 11: no new version).
    again = runner.invoke(args=["import", str(out1)])
    assert "unchanged san-francisco-voices version 1" in again.output, again.output
    runner.invoke(args=["export", "san-francisco-voices", "-o", str(out2)])
    assert json.loads(out1.read_text()) == json.loads(out2.read_text())


def test_geojson_exports_are_valid_for_the_geojson_package(runner, client, tmp_path):
    profile = tmp_path / "sf.geojson"
    profile.write_bytes(encode(tour()))
    runner.invoke(args=["import", str(profile)])
    cli = geojson.loads(runner.invoke(args=["export", "san-francisco-voices"]).output)
    api = geojson.loads(
        client.get("/api/tours/san-francisco-voices.geojson").get_data(as_text=True)
    )
    for document in (cli, api):
        assert document.is_valid, document.errors()
        assert all(feature.is_valid for feature in document["features"])


@pytest.fixture(scope="module")
def gpx_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(GPX_XSD)))


def test_gpx_export_validates_against_the_gpx_11_schema(runner, client, tmp_path, gpx_schema):
    profile = tmp_path / "sf.geojson"
    profile.write_bytes(encode(tour()))
    runner.invoke(args=["import", str(profile)])
    cli = runner.invoke(
        args=["export", "san-francisco-voices", "--format", "gpx", "--language", "eu"]
    )
    assert cli.exit_code == 0, cli.output
    api = client.get("/api/tours/san-francisco-voices.gpx?lang=en")
    assert api.status_code == 200 and api.mimetype == "application/gpx+xml"
    for text, name, story in (
        (cli.output, "Geldialdia plaza", "Istorio bat."),
        (api.get_data(as_text=True), "Stop plaza", "A story."),
    ):
        document = etree.fromstring(text.encode())
        gpx_schema.assertValid(document)
        ns = {"g": "http://www.topografix.com/GPX/1/1"}
        assert len(document.findall("g:trk/g:trkseg/g:trkpt", ns)) == len(ROUTE)
        waypoints = document.findall("g:wpt", ns)
        assert len(waypoints) == 2
        assert any(w.findtext("g:name", namespaces=ns) == name for w in waypoints)
        assert all(w.findtext("g:desc", namespaces=ns) == story for w in waypoints)


def test_real_gpx_track_keeps_every_point_in_storage_and_exports_valid_gpx(
    runner, interop, gpx_schema, tmp_path
):
    gpx = interop / "real" / "large_nnml_s8-ranchos-de-taos-to-santa-fe.gpx"
    result = runner.invoke(args=["import", "--route", str(gpx), "--json"])
    [outcome] = json.loads(result.output)
    slug = outcome["stored"]["slug"]
    exported = json.loads(runner.invoke(args=["export", slug]).output)
    assert len(exported["features"][0]["geometry"]["coordinates"]) == 22868
    text = runner.invoke(args=["export", slug, "--format", "gpx"]).output
    document = etree.fromstring(text.encode())
    gpx_schema.assertValid(document)
    assert text.count("<trkpt") == 22868


def test_vienna_done_when(runner, client, interop, tmp_path):
    real = interop / "real"
    args = [
        "import", "--route", str(real / "vienna_walk_route.geojson"),
        "--stops", str(real / "vienna_walk_stops.geojson"), "--city", "Wien", "--language", "en",
    ]  # fmt: skip
    result = runner.invoke(args=args)
    assert result.exit_code == 0 and "as a draft" in result.output, result.output
    [item] = listing(runner)
    assert item["status"] == "draft" and item["todo_count"] > 0
    exported = json.loads(runner.invoke(args=["export", item["slug"]]).output)
    stops = exported["features"][1:]
    assert len(stops) == 12 and all(s["properties"]["story"]["en"] for s in stops)
    extra = [
        "--title",
        "Vienna",
        "--summary",
        "A walk.",
        "--timezone",
        "Europe/Vienna",
        "--licence",
        "CC-BY-4.0",
    ]
    assert runner.invoke(args=[*args, *extra]).exit_code == 0
    assert runner.invoke(args=["publish", item["slug"]]).exit_code == 0
    public = client.get(f"/tours/{item['slug']}")
    assert public.status_code == 200 and "Vienna" in public.get_data(as_text=True)
    # The real tour round-trips: its export imports as an equal tour (nothing new stored).
    published = tmp_path / "vienna.geojson"
    runner.invoke(args=["export", item["slug"], "-o", str(published)])
    again = runner.invoke(args=["import", str(published), "--city", "Wien"])
    assert again.exit_code == 0 and f"unchanged {item['slug']}" in again.output, again.output
    assert json.loads(runner.invoke(args=["export", item["slug"]]).output) == json.loads(
        published.read_text()
    )


def test_validate_names_csv_and_latin1_and_the_id_advice_works(runner, tmp_path):
    csv_file = tmp_path / "stops.csv"
    csv_file.write_text("name,lat,lon\nPlaza,43.2,-2.9\n", encoding="utf-8")
    result = runner.invoke(args=["validate", str(csv_file)])
    assert (
        "format.csv" in result.output
        and "CSV" in result.output
        and "json.syntax" not in result.output
    )
    latin = tmp_path / "latin.geojson"
    latin.write_bytes(encode(tour(title={"es": "Paseo de Begoña"})).replace("ñ".encode(), b"\xf1"))
    result = runner.invoke(args=["validate", str(latin)])
    assert (
        "this file is not UTF-8 (it looks like Latin-1): save it as UTF-8"
        in result.output.replace("This file", "this file")
    )
    document = tour()
    stop = document["features"][1]
    stop["id"] = 7
    del stop["properties"]["id"]
    path = tmp_path / "int-id.geojson"
    path.write_bytes(encode(document))
    advice = runner.invoke(args=["validate", str(path)])
    assert '"id": "7"' in advice.output
    stop["properties"]["id"] = "7"  # followed the advice
    del stop["id"]
    path.write_bytes(encode(document))
    assert runner.invoke(args=["validate", str(path)]).exit_code == 0


def test_licence_url_warns_with_the_closest_identifier(runner, tmp_path):
    path = tmp_path / "url.geojson"
    path.write_bytes(encode(tour(licence="https://creativecommons.org/licenses/by-sa/4.0/")))
    result = runner.invoke(args=["validate", str(path)])
    assert result.exit_code == 0
    assert "profile.licence-not-spdx" in result.output and '"CC-BY-SA-4.0"' in result.output


def test_cappadocia_names_in_17_languages_are_partial_until_declared(
    runner, client, interop, tmp_path
):
    points = interop / "real" / "nevsehir-cappadocia_heritage-pois_osm-export.geojson"
    source = json.loads(points.read_text(encoding="utf-8"))
    spots = [f["geometry"]["coordinates"] for f in source["features"] if f["geometry"]]
    spots = [c for c in spots if isinstance(c[0], float)]
    lons, lats = [c[0] for c in spots], [c[1] for c in spots]
    route = tmp_path / "route.geojson"
    line = [[min(lons), min(lats)], [max(lons), max(lats)]]
    route.write_text(json.dumps({"type": "LineString", "coordinates": line}), encoding="utf-8")
    args = ["import", "--route", str(route), "--stops", str(points), *COMPLETE[:-2]]
    result = runner.invoke(args=[*args, "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "partial translations" in result.output
    [item] = listing(runner)
    assert not any("language" in t["code"] for t in item["todo"]), item["todo"]
    slug = item["slug"]  # whatever the slug rule makes of it
    report = json.loads(runner.invoke(args=["translations", "report", slug, "--json"]).output)
    partial = {c["language"]: c for c in report["languages"] if c["partial"]}
    assert {"de", "tr"} <= set(partial) and partial["de"]["fields"]["name"]["present"] > 0
    declared = runner.invoke(args=["translations", "declare", slug, "de"])
    assert declared.exit_code == 0, declared.output
    assert listing(runner)[0]["languages"] == ["en", "de"]


def _city_route(folder: Path, shift: float) -> Path:
    """A ``route.geojson`` with two stops, ``shift`` degrees east of the test route."""
    folder.mkdir()
    line = [[lon + shift, lat] for lon, lat in ROUTE[:3]]
    features = [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "LineString", "coordinates": line},
        }
    ] + [
        {
            "type": "Feature",
            "properties": {"name": f"Stop {i}"},
            "geometry": {"type": "Point", "coordinates": p},
        }
        for i, p in enumerate(line[:2], start=1)
    ]
    path = folder / "route.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_two_cities_files_of_the_same_name_never_become_versions_of_one_tour(runner, tmp_path):
    """Two cities' route.geojson once became versions 1 and 2 of the tour "route"."""
    here, there = _city_route(tmp_path / "a", 0.0), _city_route(tmp_path / "b", 60.0)
    assert runner.invoke(args=["import", str(here)]).exit_code == 0
    refused = runner.invoke(args=["import", str(there)])
    assert refused.exit_code == 1, refused.output
    assert "route is elsewhere" in refused.output and "--slug NAME" in refused.output
    assert "--new-version-of route" in refused.output
    assert [(i["slug"], i["version"]) for i in listing(runner)] == [("route", 1)]
    # With a city, each city's file makes its own slug; --slug names one by hand.
    assert runner.invoke(args=["import", str(there), "--city", "Rosario"]).exit_code == 0
    named = runner.invoke(args=["import", str(there), "--slug", "rio-walk"])
    assert named.exit_code == 0, named.output
    slugs = {(i["slug"], i["version"]) for i in listing(runner)}
    assert slugs == {("route", 1), ("route-rosario", 1), ("rio-walk", 1)}
    # The coordinator who means a new version says so.
    moved = runner.invoke(args=["import", str(there), "--new-version-of", "route"])
    assert moved.exit_code == 0 and "stored route version 2" in moved.output, moved.output
    unknown = runner.invoke(args=["import", str(there), "--new-version-of", "nowhere"])
    assert unknown.exit_code == 1 and "no tour 'nowhere'" in unknown.output


def test_a_slug_of_another_city_is_refused_and_the_title_gives_the_slug(runner, tmp_path):
    route, stops = write_pair(tmp_path)
    args = ["import", "--route", str(route), "--stops", str(stops), "--slug", "old-town"]
    assert runner.invoke(args=[*args, "--city", "Bilbao"]).exit_code == 0
    other = runner.invoke(args=[*args, "--city", "Rosario"])
    assert other.exit_code == 1 and "already a tour of Bilbao" in other.output, other.output
    assert "--slug NAME" in other.output and "--new-version-of old-town" in other.output
    titled = runner.invoke(
        args=["import", str(route), "--title", "Río Arriba", "--city", "Rosario"]
    )
    assert "stored rio-arriba-rosario version 1" in titled.output, titled.output
    assert "comes from its title and city" in titled.output
    bad = runner.invoke(args=["import", str(route), "--slug", "Old Town"])
    assert bad.exit_code == 2 and "'old-town'" in bad.output


def test_a_corrected_title_adds_a_version_to_the_tour_the_files_made(runner, tmp_path):
    route, stops = write_pair(tmp_path)
    args = ["import", "--route", str(route), "--stops", str(stops), "--city", "Bilbao"]
    assert (
        "stored a-wlak-bilbao version 1" in runner.invoke(args=[*args, "--title", "A wlak"]).output
    )
    fixed = runner.invoke(args=[*args, "--title", "A walk"])
    assert "stored a-wlak-bilbao version 2" in fixed.output, fixed.output
    assert "the tour these files made before" in fixed.output
    new = runner.invoke(args=[*args, "--title", "A walk", "--slug", "a-walk"])
    assert "stored a-walk version 1" in new.output, new.output


def test_import_reports_texts_per_language_and_keeps_the_local_name(runner, tmp_path):
    route, stops = write_pair(tmp_path)
    data = json.loads(stops.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["name:en"] = "Main Square"
    stops.write_text(json.dumps(data), encoding="utf-8")
    args = ["import", "--route", str(route), "--stops", str(stops), "--dry-run"]
    text = runner.invoke(args=args)
    assert text.exit_code == 0, text.output
    assert (
        "note: Texts per language (plain texts went to en): en 6 (name 3, story 3);" in text.output
    )
    assert "1 stop kept the plain 'name' as local_name: name:en gave the en text." in text.output
    [report] = json.loads(runner.invoke(args=[*args, "--json"]).output)
    assert report["texts_per_language"] == {"en": 6, "de": 3}
    plaza = next(
        f["properties"] for f in report["document"]["features"] if f["properties"].get("local_name")
    )
    assert plaza["name"] == {"en": "Main Square", "de": "Halt Plaza"}
    assert plaza["local_name"] == "Plaza"


# Real files that hold stops only (issue #21, point 9).
POINTS_ONLY = [
    "rosario_pois_es_crs84.geojson",
    "nypl-harlem_walk_points.geojson",
    "hk_maclehose-campsites_bilingual.geojson",
    "nevsehir-cappadocia_heritage-pois_osm-export.geojson",
]
APPROXIMATE = "the route is approximate: redraw it in the editor"


@pytest.mark.parametrize("name", POINTS_ONLY)
def test_draw_route_joins_the_stops_of_a_points_only_file_in_their_order(runner, interop, name):
    path = interop / "real" / name
    refused = runner.invoke(args=["import", "--dry-run", str(path)])
    assert refused.exit_code == 1 and "--draw-route" in refused.output, refused.output
    result = runner.invoke(args=["import", "--dry-run", "--json", "--draw-route", str(path)])
    assert result.exit_code == 0, result.output
    [intake] = json.loads(result.output)
    route, *features = intake["document"]["features"]
    stops = [f for f in features if f["geometry"]["type"] == "Point"]
    # No order in these files: the files' order, and the line goes from stop to stop.
    source = json.loads(path.read_text(encoding="utf-8"))["features"]
    in_file = [f["geometry"]["coordinates"][:2] for f in source if f["geometry"]["type"] == "Point"]
    assert [s["geometry"]["coordinates"][:2] for s in stops] == in_file
    assert route["geometry"] == {"type": "LineString", "coordinates": in_file}
    assert route["properties"]["approximate_route"] is True
    [todo] = [t for t in intake["todo"] if t["code"] == "profile.approximate-route"]
    assert APPROXIMATE in todo["message"].lower()
    assert "--draw-route" in " ".join(intake["notes"])


def test_a_drawn_route_stays_a_to_do_until_the_editor_saves_a_redrawn_one(app, runner, interop):
    path = interop / "real" / "nypl-harlem_walk_points.geojson"
    result = runner.invoke(args=["import", "--draw-route", "--city", "New York", str(path)])
    assert result.exit_code == 0 and "as a draft" in result.output, result.output
    [item] = listing(runner)
    assert any(APPROXIMATE in t["message"].lower() for t in item["todo"])
    assert runner.invoke(args=["publish", item["slug"]]).exit_code == 1
    drawn = json.loads(runner.invoke(args=["export", item["slug"]]).output)
    line = drawn["features"][0]["geometry"]["coordinates"]
    redrawn = [line[0], [line[0][0], line[1][1]], *line[1:]]  # round a corner
    with get_db(app).transaction(write_lock=True) as db_session:
        saved = save_edit(db_session, item["slug"], 1, lambda d: set_route(d, redrawn))
    assert saved.version == 2
    assert not [t for t in saved.todo if t["code"] == "profile.approximate-route"]
    [item] = listing(runner)
    assert item["version"] == 2
    assert not any(APPROXIMATE in t["message"].lower() for t in item["todo"])
    exported = json.loads(runner.invoke(args=["export", item["slug"]]).output)
    assert exported["features"][0]["geometry"]["coordinates"] == redrawn
    assert "approximate_route" not in exported["features"][0]["properties"]
