"""One format sniff for every caller: the import names the format assembly reads."""

from __future__ import annotations

import pytest

from tours.content.assembly.sources import read_bytes
from tours.content.checking.pipeline import validate_bytes
from tours.content.reading.sniff import sniff_format

GPX = b'<?xml version="1.0"?><gpx version="1.1" creator="t"></gpx>'
KML = b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>'
CSV = b"name,lat,lon\nPlaza,43.2,-2.9\n"
JSON = b'{"type": "FeatureCollection", "features": []}'

CASES = [
    (GPX, "walk.gpx", "GPX"),
    (GPX, "upload", "GPX"),  # by content
    (b"\xef\xbb\xbf  <gpx version='1.1'/>", "upload.bin", "GPX"),
    (KML, "places.kml", "KML"),
    (KML, "upload", "KML"),  # by content, though it starts like a GPX file
    (b"PK\x03\x04 zipped", "places.kmz", "KML"),
    (CSV, "stops.csv", "CSV"),
    (CSV, "upload.txt", "CSV"),  # by its header line
    (b"\xef\xbb\xbf" + CSV, "upload", "CSV"),
    (GPX, "stops.csv", "GPX"),  # the tests run KML, GPX, CSV in this order
    (JSON, "tour.geojson", "GeoJSON"),
    (b"not anything", "notes.txt", "GeoJSON"),  # the JSON reader says what is wrong
]


@pytest.mark.parametrize(("data", "file", "expected"), CASES)
def test_sniff_format(data, file, expected):
    assert sniff_format(data, file) == expected


# What the import reports for a format it does not read (CSV, KML) or for a file that
# one reader took for its own but another format (``json.syntax`` for a GPX file).
_NOT = {
    "KML": ("json.", "gpx.", "format.csv"),
    "CSV": ("json.", "gpx.", "format.kml"),
    "GPX": ("json.", "format."),
    "GeoJSON": ("gpx.", "format."),
}
_NAMED = {"KML": "format.kml", "CSV": "format.csv"}


@pytest.mark.parametrize(("data", "file", "expected"), CASES)
def test_the_import_and_the_assembly_take_a_file_for_the_same_format(data, file, expected):
    assert read_bytes(data, file, max_bytes=1 << 20).format == expected
    codes = [p.code for p in validate_bytes(data, file).report.problems]
    assert codes and not [c for c in codes if c.startswith(_NOT[expected])], codes
    assert _NAMED.get(expected, codes[0]) in codes
