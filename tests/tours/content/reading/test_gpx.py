"""GPX import: conversion to the profile, and refusing what must not be parsed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.tours.tourdoc import codes, problem
from tours.content.checking.pipeline import ValidationOptions, validate_bytes
from tours.content.reading.gpx import gpx_to_document
from tours.content.reading.sniff import looks_like_gpx
from tours.content.report import Severity

OPTIONS = ValidationOptions(city="Bilbao", timezone="Europe/Madrid", default_language="es")

TRACK = """
  <trk><name>Voces</name><trkseg>
    <trkpt lat="43.2556" lon="-2.9262"><ele>12</ele></trkpt>
    <trkpt lat="43.2552" lon="-2.9256"><ele>13</ele></trkpt>
    <trkpt lat="43.2548" lon="-2.9249"><ele>14</ele></trkpt>
  </trkseg></trk>"""

METADATA = """
  <metadata><name>Voces de Zabala</name><desc>Un paseo corto.</desc>
    <author><name>Asociación Zabala</name></author>
    <copyright author="Zabala"><license>CC-BY-SA-4.0</license></copyright></metadata>"""

WAYPOINTS = """
  <wpt lat="43.2556" lon="-2.9262"><name>Plaza Corazón de María</name><desc>Historia.</desc></wpt>
  <wpt lat="43.2549" lon="-2.9250"><name>Calle Cortes</name><cmt>Otra historia.</cmt></wpt>"""


def gpx(body: str, version: str = "1.1") -> bytes:
    namespace = f"http://www.topografix.com/GPX/{version.replace('.', '/')}"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<gpx version="{version}" creator="test" xmlns="{namespace}">{body}\n</gpx>\n'
    ).encode()


def check(data: bytes, file: str = "walk.gpx", options: ValidationOptions = OPTIONS):
    return validate_bytes(data, file, options)


def test_a_complete_gpx_becomes_a_valid_tour():
    result = check(gpx(METADATA + WAYPOINTS + TRACK))
    assert result.report.problems == []
    tour = result.tour
    assert tour is not None
    assert (tour.slug, tour.city, tour.timezone) == ("voces-de-zabala", "Bilbao", "Europe/Madrid")
    assert tour.languages == ("es",)
    assert dict(tour.title) == {"es": "Voces de Zabala"}
    assert dict(tour.summary) == {"es": "Un paseo corto."}
    assert tour.licence == "CC-BY-SA-4.0"
    assert dict(tour.credits) == {"es": "Asociación Zabala"}
    assert tour.route == (
        ((-2.9262, 43.2556, 12.0), (-2.9256, 43.2552, 13.0), (-2.9249, 43.2548, 14.0)),
    )
    assert [(s.id, s.name["es"], s.story["es"]) for s in tour.stops] == [
        ("plaza-corazon-de-maria", "Plaza Corazón de María", "Historia."),
        ("calle-cortes", "Calle Cortes", "Otra historia."),
    ]


def test_gpx_1_0_is_read():
    body = """<name>Old walk</name><desc>Desc.</desc>
      <wpt lat="43.2556" lon="-2.9262"><name>A</name><desc>Story.</desc></wpt>
      <trk><trkseg><trkpt lat="43.2556" lon="-2.9262"/><trkpt lat="43.2548" lon="-2.9249"/>
      </trkseg></trk>"""
    assert not check(gpx(body, "1.0")).valid  # GPX 1.0 has no <license> element
    result = check(gpx(body, "1.0"), options=replace(OPTIONS, licence="CC0-1.0"))
    assert result.valid, result.report.to_text()
    assert (result.tour.slug, result.tour.licence) == ("old-walk", "CC0-1.0")


def test_segments_become_parts_and_short_ones_are_skipped():
    segments = """<trk>
      <trkseg><trkpt lat="43.2556" lon="-2.9262"/><trkpt lat="43.2552" lon="-2.9256"/></trkseg>
      <trkseg><trkpt lat="43.2552" lon="-2.9256"/></trkseg>
      <trkseg><trkpt lat="43.2550" lon="-2.9253"/><trkpt lat="43.2548" lon="-2.9249"/></trkseg>
    </trk>"""
    result = check(gpx(METADATA + WAYPOINTS + segments))
    assert result.valid
    assert len(result.tour.route) == 2
    warning = problem(result, "gpx.short-segment")
    assert warning.severity is Severity.WARNING and "<trkseg> 2" in warning.message


def test_routes_are_used_when_there_is_no_track():
    rte = """<rte><name>Ruta</name><rtept lat="43.2556" lon="-2.9262"/>
      <rtept lat="43.2548" lon="-2.9249"/></rte>"""
    result = check(gpx(METADATA + WAYPOINTS + rte))
    assert result.valid
    assert result.document["features"][0]["geometry"]["type"] == "LineString"
    result = check(gpx(METADATA + WAYPOINTS + TRACK + rte))
    assert result.valid and "gpx.routes-ignored" in codes(result)


def test_zero_elevations_are_dropped():
    track = TRACK.replace("<ele>12</ele>", "<ele>0.0</ele>")
    track = track.replace("<ele>13</ele>", "<ele>0</ele>").replace("<ele>14</ele>", "<ele>0</ele>")
    result = check(gpx(METADATA + WAYPOINTS + track))
    assert all(len(p) == 2 for p in result.tour.route[0])


def test_what_gpx_cannot_say_is_reported_on_the_converted_document():
    result = check(
        gpx(WAYPOINTS.replace("<desc>Historia.</desc>", "") + TRACK), options=ValidationOptions()
    )
    assert not result.valid
    pointers = {p.pointer for p in result.report.errors}
    assert {
        "/features/0/properties/summary",
        "/features/0/properties/city",
        "/features/0/properties/timezone",
        "/features/0/properties/licence",
        "/features/1/properties/story",
    } <= pointers
    city = problem(result, "profile.missing-property")
    assert "GPX:" in city.message and "converted from the GPX" in city.message
    story = next(p for p in result.report.errors if p.pointer == "/features/1/properties/story")
    assert '<wpt> 1 "Plaza Corazón de María"' in story.message


def test_slug_falls_back_to_the_file_name_and_ids_are_unique():
    waypoints = """<wpt lat="43.2556" lon="-2.9262"><name>Plaza</name><desc>A.</desc></wpt>
      <wpt lat="43.2549" lon="-2.9250"><name>Plaza</name><desc>B.</desc></wpt>
      <wpt lat="43.2549" lon="-2.9250"><desc>C.</desc></wpt>"""
    track = TRACK.replace("<name>Voces</name>", "")
    data = gpx(waypoints + track)
    converted = gpx_to_document(data, file="/tmp/Paseo Zabala.GPX", max_bytes=10**6).document
    assert converted["features"][0]["properties"]["slug"] == "paseo-zabala"
    assert "title" not in converted["features"][0]["properties"]
    ids = [f["properties"]["id"] for f in converted["features"][1:]]
    assert ids == ["plaza", "plaza-2", "wpt-3"]


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>',
        '<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE gpx SYSTEM "http://example.org/gpx.dtd">',
    ],
)
def test_doctype_and_entities_are_refused(doctype):
    data = f'<?xml version="1.0"?>\n{doctype}\n<gpx version="1.1"><metadata/></gpx>'
    result = check(data.encode())
    [error] = result.report.errors
    assert error.code == "gpx.doctype"
    assert error.line == 2 and error.column is not None
    assert result.document is None


def test_xml_syntax_error_has_line_and_column():
    data = b'<?xml version="1.0"?>\n<gpx>\n<trk><trkseg><trkpt lat="1" lon="2"></trk>\n</gpx>'
    [error] = check(data).report.errors
    assert (error.code, error.line, error.column) == ("gpx.syntax", 3, 39)
    assert "line 3, column 39" in error.message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "gpx.empty"),
        (b'<?xml version="1.0"?><kml/>', "format.kml"),  # named by its format (issue 9)
        (b'<?xml version="1.0"?><gpx version="1.1"><wpt lat="abc" lon="2"/></gpx>', "gpx.invalid"),
        (b'<?xml version="1.0" encoding="nope-8"?><gpx version="1.1"/>', "gpx.encoding"),
    ],
)
def test_unreadable_gpx(data, code):
    result = check(data)
    assert codes(result, "error")[0] == code
    assert result.report.errors[0].pointer == ""


def test_declared_latin1_is_decoded():
    data = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?><gpx version="1.1">'
        b"<metadata><name>Caf\xe9</name></metadata></gpx>"
    )
    result = check(data)
    assert not any(c.startswith("gpx.") for c in codes(result))
    assert result.report.errors  # no route: a profile error, not an encoding one


def test_gpx_over_the_size_limit():
    data = gpx(METADATA + WAYPOINTS + TRACK)
    result = check(data, options=ValidationOptions(max_bytes=100))
    assert codes(result) == ["gpx.too-large"]
    assert "BIDEAN_MAX_IMPORT_MB" in result.report.errors[0].message


@pytest.mark.parametrize(
    ("data", "file", "expected"),
    [
        (b"<?xml version='1.0'?><gpx/>", "upload", True),
        (b"\xef\xbb\xbf  <gpx version='1.1'/>", "upload.bin", True),
        (b"{}", "walk.GPX", True),
        (b'{"type": "FeatureCollection"}', "walk.geojson", False),
    ],
)
def test_gpx_detection(data, file, expected):
    assert looks_like_gpx(data, file) is expected


AUTHORED = """
  <metadata><name>Paseo de la ría</name><desc>Por la orilla.</desc>
    <author><name>Miren Zabala</name><email id="miren" domain="example.org"/></author>
    <copyright author="Asociación Ría Viva"><year>2019</year>
      <license>https://creativecommons.org/licenses/by/4.0/</license></copyright>
    <time>2019-05-04T07:59:00Z</time></metadata>
  <wpt lat="43.2556" lon="-2.9262"><time>2019-05-04T08:05:00Z</time><name>Plaza</name>
    <desc>Historia.</desc></wpt>
  <trk><name>Paseo</name><trkseg>
    <trkpt lat="43.2556" lon="-2.9262"><time>2019-05-04T08:00:00Z</time></trkpt>
    <trkpt lat="43.2548" lon="-2.9249"><time>2019-05-04T08:20:00Z</time></trkpt>
  </trkseg></trk>"""


def test_authorship_copyright_and_times_are_kept_or_reported():
    result = check(gpx(AUTHORED))
    assert result.valid, result.report.to_text()
    props = result.document["features"][0]["properties"]
    assert props["credits"] == {"es": "Miren Zabala"}
    assert props["copyright"] == {"author": "Asociación Ría Viva", "year": 2019}
    assert props["licence"] == "https://creativecommons.org/licenses/by/4.0/"
    # The licence is checked against SPDX as any other: a warning naming CC-BY-4.0.
    assert "CC-BY-4.0" in problem(result, "profile.licence-not-spdx").message
    dropped = problem(result, "gpx.not-carried").message
    assert "e-mail" in dropped and "example.org" not in dropped  # said, never repeated
    assert "2 track points (2019-05-04T08:00:00+00:00 to 2019-05-04T08:20:00+00:00)" in dropped
    assert "1 waypoint (2019-05-04T08:05:00+00:00)" in dropped and "<metadata>" in dropped


def test_extensions_and_heights_all_0_are_reported_not_the_required_creator():
    body = TRACK.replace("<ele>12</ele>", "<ele>0</ele>").replace(
        "<name>Voces</name>",
        '<name>Voces</name><extensions><line xmlns="http://www.topografix.com/GPX/gpx_style/0/2">'
        "<color>0479FF</color></line></extensions>",
    )
    flat = body.replace("<ele>13</ele>", "<ele>0</ele>").replace("<ele>14</ele>", "<ele>0</ele>")
    result = check(gpx(METADATA + WAYPOINTS + flat))
    assert result.valid, result.report.to_text()
    dropped = problem(result, "gpx.not-carried").message
    assert 'the <extensions> of <trk> 1 (color "0479FF")' in dropped
    assert "the <ele> of 3 points of the lines: all 0" in dropped
    assert "creator" not in dropped  # GPX 1.1 requires it: no warning on every file
    assert all(len(p) == 2 for p in result.document["features"][0]["geometry"]["coordinates"])


def test_a_copyright_author_alone_becomes_the_credits():
    body = AUTHORED.replace("<author><name>Miren Zabala</name>", "<author>")
    props = check(gpx(body)).document["features"][0]["properties"]
    assert props["credits"] == {"es": "Asociación Ría Viva"}
