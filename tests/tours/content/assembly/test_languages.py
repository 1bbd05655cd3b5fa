"""Every text kept in its language: ``name``, ``description`` and their ``:xx`` variants
(OSM, Wikidata-style) each go to their language; the plain one goes to ``--language``,
unless that language has a variant too: then the variant wins and the plain text is kept
as the stop's ``local_name``.  The report counts the texts of each language."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tours.content.assembly.test_assemble import line_file, points_file, stops_of, write
from tours.content.assembly.assemble import AssemblyOptions, assemble_paths

CAPPADOCIA = "nevsehir-cappadocia_heritage-pois_osm-export.geojson"


def osm_stops(tmp_path: Path) -> Path:
    return points_file(
        tmp_path,
        [
            {
                "@id": "node/1",
                "name": "Göreme Açık Hava Müzesi",
                "name:en": "Göreme Open Air Museum",
                "name:DE": "Freilichtmuseum Göreme",
                "name:de": "Museum Göreme",
                "name:tr": "Göreme Açık Hava Müzesi",
                "description": "Kaya kiliseleri",
                "description:en": "Rock-cut churches",
                "description:fr": "Églises rupestres",
            },
            {"@id": "node/2", "name": "Uçhisar Kalesi", "name:de": "Burg Uçhisar"},
            {"@id": "node/3", "name": "Paşabağ", "name:en": "Paşabağ", "name:left": "West"},
            {"@id": "node/4", "name": "Zelve", "name:en": "Zelve Valley", "local_name": "Z."},
            {"@id": "node/5", "title": "Kilise", "name:en": "Church"},
        ],
    )


def test_the_language_variant_wins_and_the_plain_name_is_kept_as_local_name(tmp_path):
    route = line_file(tmp_path, {"name": "Kapadokya yürüyüşü", "name:en": "Cappadocia walk"})
    result = assemble_paths(
        [], route=route, stops=[osm_stops(tmp_path)], options=AssemblyOptions(language="en")
    )
    museum, castle, pasabag, zelve, church = sorted(stops_of(result), key=lambda p: p["@id"])
    assert museum["name"] == {
        "en": "Göreme Open Air Museum",
        "de": "Freilichtmuseum Göreme",
        "tr": "Göreme Açık Hava Müzesi",
    }
    assert museum["local_name"] == "Göreme Açık Hava Müzesi"
    assert museum["name:de"] == "Museum Göreme"  # a second German name: kept as it was
    assert museum["story"] == {"en": "Rock-cut churches", "fr": "Églises rupestres"}
    assert museum["local_story"] == "Kaya kiliseleri"
    # Without an English variant the plain name is the English one, as before.
    assert castle["name"] == {"en": "Uçhisar Kalesi", "de": "Burg Uçhisar"}
    assert "local_name" not in castle
    # The same text twice is one text; "left" is no language, so name:left stays as it was.
    assert pasabag["name"] == {"en": "Paşabağ"} and "local_name" not in pasabag
    assert pasabag["name:left"] == "West"
    # A feature that has its own local_name keeps it; the plain name is reported instead.
    assert zelve["name"] == {"en": "Zelve Valley"} and zelve["local_name"] == "Z."
    assert any("'Zelve'" in item and "local_name" in item for item in result.not_carried)
    assert church["name"] == {"en": "Church"} and church["local_name"] == "Kilise"
    route_props = result.document["features"][0]["properties"]
    assert route_props["title"] == {"en": "Cappadocia walk"}
    assert route_props["local_title"] == "Kapadokya yürüyüşü"
    assert not any(k.startswith(("name:", "description:")) for k in castle)
    assert result.to_dict()["texts_per_language"] == {"en": 7, "de": 2, "fr": 1, "tr": 1}
    notes = "\n".join(result.notes)
    assert "Texts per language (plain texts went to en): en 7 (name 5, story 1, title 1)" in notes
    assert "1 stop kept the plain 'name' as local_name: name:en gave the en text." in notes
    assert "1 stop kept the plain 'title' as local_name: name:en gave the en text." in notes
    assert "1 stop kept the plain 'description' as local_story" in notes
    assert "The route kept the plain 'name' as local_title" in notes
    assert "name:left on 1 stop is kept as it was: 'left' is not a language tag." in notes


def test_the_plain_name_goes_to_the_language_the_coordinator_names(tmp_path):
    result = assemble_paths(
        [],
        route=line_file(tmp_path),
        stops=[osm_stops(tmp_path)],
        options=AssemblyOptions(language="tr"),
    )
    museum = sorted(stops_of(result), key=lambda p: p["@id"])[0]
    assert museum["name"]["tr"] == "Göreme Açık Hava Müzesi" and "local_name" not in museum
    assert museum["story"] == {
        "tr": "Kaya kiliseleri",
        "en": "Rock-cut churches",
        "fr": "Églises rupestres",
    }
    assert result.to_dict()["texts_per_language"]["tr"] == 6


def test_cappadocia_english_names_come_from_name_en_and_nothing_is_dropped(interop, tmp_path):
    points = interop / "real" / CAPPADOCIA
    source = json.loads(points.read_text(encoding="utf-8"))
    coordinates = [f["geometry"]["coordinates"] for f in source["features"]]
    route = write(
        tmp_path / "route.geojson",
        {"type": "LineString", "coordinates": [min(coordinates), max(coordinates)]},
    )
    result = assemble_paths([], route=route, stops=[points], options=AssemblyOptions(language="en"))
    by_osm = {p["@id"]: p for p in stops_of(result)}
    assert len(by_osm) == len(source["features"]) == 201
    expected: dict[str, int] = {}
    for feature in source["features"]:
        props, stop = feature["properties"], by_osm[feature["properties"]["@id"]]
        texts = {k[5:]: v for k, v in props.items() if k.startswith("name:")}
        if "name" in props and "en" not in texts:
            texts["en"] = props["name"]
        assert stop.get("name", {}) == texts, props["@id"]  # every name, each in its language
        for tag in texts:
            expected[tag] = expected.get(tag, 0) + 1
        if "description" in props:  # three stops tell a story, in no other language
            assert stop["story"] == {"en": props["description"]}
            expected["en"] += 1
        if "name:en" in props and props.get("name", props["name:en"]) != props["name:en"]:
            assert stop["local_name"] == props["name"]
        else:
            assert "local_name" not in stop
    assert sum("local_name" in p for p in by_osm.values()) > 40
    first = by_osm["relation/252585"]
    assert first["name"]["en"] == "Göreme Historical National Park"
    assert first["local_name"] == "Göreme Millî Parkı"
    assert first["name"]["de"] == "Historischer Nationalpark Göreme"
    assert first["name"]["fr"] == "Parc national de Göreme et sites rupestres de Cappadoce"
    counts = result.to_dict()["texts_per_language"]
    assert counts == expected and counts["de"] == 24 and counts["tr"] == 16
