"""GPX and KML files that do not declare their encoding: read as what they look like,
with a warning, or refused with the documented message; never "XML syntax error"."""

from __future__ import annotations

import pytest

from tests.tours.content.reading.test_gpx import METADATA, OPTIONS, TRACK, WAYPOINTS
from tours.content.checking.pipeline import validate_bytes
from tours.content.reading.xmltext import as_utf8
from tours.content.report import Severity

BODY = (
    '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
    f"{METADATA}{WAYPOINTS}{TRACK}\n</gpx>\n"
)


@pytest.mark.parametrize(
    ("encoded", "looks_like"),
    [(BODY.encode("latin-1"), "Latin-1"), (BODY.encode("utf-16-be"), "UTF-16")],
)
def test_a_gpx_without_a_declaration_is_read_in_the_encoding_it_looks_like(encoded, looks_like):
    result = validate_bytes(encoded, "walk.gpx", OPTIONS)
    assert result.valid, result.report.to_text()
    assert result.tour is not None and result.tour.stops[0].name.to_json() == {
        "es": "Plaza Corazón de María"
    }
    [warning] = [p for p in result.report.problems if p.code == "gpx.encoding"]
    assert warning.severity is Severity.WARNING and f"it looks like {looks_like}" in warning.message


def test_utf8_and_declared_encodings_are_left_to_the_parser():
    declared = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + BODY.encode("latin-1")
    assert as_utf8(declared, "gpx.encoding", "GPX") == (declared, None)
    assert as_utf8(BODY.encode(), "gpx.encoding", "GPX") == (BODY.encode(), None)
    result = validate_bytes(declared, "walk.gpx", OPTIONS)
    assert result.valid and not [p for p in result.report.problems if p.code == "gpx.encoding"]


def test_bytes_in_no_encoding_bidean_can_tell_get_the_documented_message():
    data = BODY.encode("latin-1").replace(b"\xf3", b"\x81\x8d")
    result = validate_bytes(data, "walk.gpx", OPTIONS)
    [error] = result.report.errors
    assert error.code == "gpx.encoding" and "is not UTF-8" in error.message
    assert "syntax" not in error.message
