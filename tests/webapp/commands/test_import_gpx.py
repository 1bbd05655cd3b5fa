"""``bidean import`` of GPX files (issue 21, points 4 and 5): a GPX file given alone
behaves as ``--route``, ``--title``/``--summary`` apply in every mode, a refused file
names the options that work, and GPX authorship survives import and both exports."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from tests.tours.tourdoc import encode, tour
from tests.webapp.commands.test_import_drafts import GPX_XSD, listing

NS = {"g": "http://www.topografix.com/GPX/1/1"}

AUTHORED = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="OsmAnd" xmlns="http://www.topografix.com/GPX/1/1">
<metadata><name>Paseo de la ría</name><desc>Por la orilla.</desc>
<author><name>Miren Zabala</name></author>
<copyright author="Asociación Ría Viva"><year>2019</year>
<license>https://creativecommons.org/licenses/by/4.0/</license></copyright></metadata>
<wpt lat="43.2556" lon="-2.9262"><time>2019-05-04T08:05:00Z</time><name>Plaza</name>
<desc>Historia de la plaza.</desc></wpt>
<trk><name>Paseo</name><trkseg>
<trkpt lat="43.2556" lon="-2.9262"><time>2019-05-04T08:00:00Z</time></trkpt>
<trkpt lat="43.2552" lon="-2.9255"><time>2019-05-04T08:10:00Z</time></trkpt>
<trkpt lat="43.2548" lon="-2.9249"><time>2019-05-04T08:20:00Z</time></trkpt>
</trkseg></trk></gpx>
"""


@pytest.fixture(scope="module")
def gpx_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(GPX_XSD)))


def test_real_gpx_as_a_plain_argument_is_a_draft_with_the_given_title(runner, interop, gpx_schema):
    gpx = interop / "real" / "large_nnml_s8-ranchos-de-taos-to-santa-fe.gpx"
    args = ["import", str(gpx), "--title", "Ranchos to Santa Fe", "--summary", "A long ride."]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "INVALID" not in result.output and "as a draft" in result.output
    [item] = listing(runner)
    assert item["status"] == "draft"
    todo = {t["pointer"].rsplit("/", 1)[-1] for t in item["todo"]}
    assert {"city", "timezone", "licence"} <= todo and not {"title", "summary"} & todo
    exported = json.loads(runner.invoke(args=["export", item["slug"]]).output)
    props = exported["features"][0]["properties"]
    assert props["title"] == {"en": "Ranchos to Santa Fe"}
    assert props["summary"] == {"en": "A long ride."}
    text = runner.invoke(args=["export", item["slug"], "--format", "gpx"]).output
    document = etree.fromstring(text.encode())
    gpx_schema.assertValid(document)
    assert document.findtext("g:metadata/g:name", namespaces=NS) == "Ranchos to Santa Fe"
    # Nobody is named: Bidean is the creator, never the copyright's author.
    assert document.find("g:metadata/g:copyright", NS) is None
    assert "Bidean" not in text.replace('creator="Bidean"', "")


def test_gpx_authorship_is_kept_and_both_exports_carry_it_back(
    runner, client, tmp_path, gpx_schema
):
    path = tmp_path / "ria.gpx"
    path.write_text(AUTHORED, encoding="utf-8")
    args = ["import", str(path), "--city", "Bilbao", "--timezone", "Europe/Madrid"]
    result = runner.invoke(args=[*args, "--language", "es"])
    assert result.exit_code == 0, result.output
    assert "stored paseo-de-la-ria version 1 (" in result.output  # complete: published
    assert "the <time> of 3 track points (2019-05-04T08:00:00+00:00 to" in result.output
    assert '"CC-BY-4.0"' in result.output  # the licence URL, checked against SPDX
    geojson_export = json.loads(runner.invoke(args=["export", "paseo-de-la-ria"]).output)
    props = geojson_export["features"][0]["properties"]
    assert props["credits"] == {"es": "Miren Zabala"}
    assert props["copyright"] == {"author": "Asociación Ría Viva", "year": 2019}
    assert props["licence"] == "https://creativecommons.org/licenses/by/4.0/"
    api = client.get("/api/tours/paseo-de-la-ria.geojson").get_json()
    assert api["features"][0]["properties"]["copyright"] == props["copyright"]
    text = runner.invoke(args=["export", "paseo-de-la-ria", "--format", "gpx"]).output
    api_gpx = client.get("/api/tours/paseo-de-la-ria.gpx").get_data(as_text=True)
    for exported_text in (text, api_gpx):
        document = etree.fromstring(exported_text.encode())
        gpx_schema.assertValid(document)
        assert document.get("creator") == "Bidean"
        author = document.findtext("g:metadata/g:author/g:name", namespaces=NS)
        assert author == "Miren Zabala"
        copyright = document.find("g:metadata/g:copyright", NS)
        assert copyright.get("author") == "Asociación Ría Viva"
        assert copyright.findtext("g:year", namespaces=NS) == "2019"
        assert copyright.findtext("g:license", namespaces=NS) == props["licence"]
    # The GPX export imports again as the same tour: nothing new is stored.
    exported = tmp_path / "exported.gpx"
    exported.write_text(text, encoding="utf-8")
    again = runner.invoke(args=[*args[:1], str(exported), *args[2:], "--language", "es"])
    assert "unchanged paseo-de-la-ria version 1" in again.output, again.output


def test_title_applies_to_a_whole_file_and_a_refused_file_names_what_works(runner, tmp_path):
    document = tour()
    path = tmp_path / "sf.geojson"
    path.write_bytes(encode(document))
    result = runner.invoke(args=["import", str(path), "--title", "Other", "--language", "en"])
    assert result.exit_code == 0, result.output
    exported = json.loads(runner.invoke(args=["export", "san-francisco-voices"]).output)
    title = exported["features"][0]["properties"]["title"]
    assert title == {**document["features"][0]["properties"]["title"], "en": "Other"}
    del document["features"][0]["properties"]["timezone"]
    broken = tmp_path / "broken.geojson"
    broken.write_bytes(encode(document))
    refused = runner.invoke(args=["import", str(broken)])
    assert refused.exit_code == 1 and "INVALID" in refused.output
    hint = f"import it with --route {broken} --stops {broken}."
    assert hint in refused.output, refused.output
    works = runner.invoke(args=["import", "--route", str(broken), "--stops", str(broken)])
    assert works.exit_code == 0 and "as a draft (1 to do)" in works.output, works.output
    assert "option for its role" not in works.output
