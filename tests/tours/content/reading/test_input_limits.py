"""Import limits: nesting before parsing, column lengths, one-line titles and names."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.booking_support import tour_document
from tests.tours.tourdoc import codes
from tours.content.checking.pipeline import validate_document
from tours.content.reading.kml import read_kml
from tours.content.reading.limits import MAX_XML_DEPTH, json_depth, xml_too_deep
from tours.content.report import Severity
from tours.text import _BREAKING, breaks_lines, single_line, unstorable


def test_a_deeply_nested_gpx_is_refused_not_a_crash():
    """160,000 nested elements crashed gpxpy (exit 139): run it in a child process."""
    script = textwrap.dedent(
        """
        from tours.content.checking.pipeline import ValidationOptions, validate_bytes
        body = "<extensions>" * 160_000 + "</extensions>" * 160_000
        data = ('<?xml version="1.0"?><gpx version="1.1" creator="t" '
                'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
                '<trkpt lat="43.25" lon="-2.92">' + body + '</trkpt>'
                '</trkseg></trk></gpx>').encode()
        result = validate_bytes(data, "deep.gpx", ValidationOptions(city="Bilbao"))
        print([p.code for p in result.report.problems], result.tour is None)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['gpx.too-deep'] True"


def test_depth_check_reports_where_and_lets_real_files_through():
    shallow = b"<gpx><trk><trkseg><trkpt><extensions><a><b/></a></extensions></trkpt>"
    shallow += b"</trkseg></trk></gpx>"
    assert xml_too_deep(shallow) is None
    deep = b"<gpx>" + b"<e>" * (MAX_XML_DEPTH + 5) + b"</e>" * (MAX_XML_DEPTH + 5) + b"</gpx>"
    problem = xml_too_deep(deep)
    assert problem is not None and problem.code == "gpx.too-deep" and problem.line == 1
    assert f"at most {MAX_XML_DEPTH}" in problem.message


def test_a_city_longer_than_its_column_is_an_error():
    document = tour_document()
    document["features"][0]["properties"]["city"] = "B" * 121
    result = validate_document(document)
    assert result.tour is None
    assert "profile.too-long" in codes(result)
    document["features"][0]["properties"]["city"] = "B" * 120
    assert validate_document(document).tour is not None


def test_line_breaks_in_titles_and_stop_names_are_warned_about():
    document = tour_document()
    document["features"][0]["properties"]["title"]["es"] = "Paseo\npor Zabala"
    document["features"][1]["properties"]["name"]["en"] = "Zabalburu\u2028Square"
    result = validate_document(document)
    assert result.tour is not None  # a warning: the tour is still imported
    found = [p for p in result.report.problems if p.code == "profile.control-characters"]
    assert [p.pointer for p in found] == [
        "/features/0/properties/title",
        "/features/1/properties/name",
    ]
    assert all(p.severity is Severity.WARNING for p in found)


def test_single_line_and_unstorable():
    assert single_line("a\r\nb\u2028c\u2029d\x00e\tf") == "a b c d e f"
    assert single_line("plain «ñ» مرحبا") == "plain «ñ» مرحبا"
    assert unstorable("a\x00") and unstorable("\ud800") and not unstorable("ñ 😀")


def test_a_deeply_nested_kml_is_refused_before_it_is_parsed():
    """The nesting limit guards the KML reader too (its folders are walked recursively)."""
    folders = 5_000
    deep = (
        b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        + b"<Folder>" * folders
        + b"<Placemark><name>x</name><Point><coordinates>-2.9,43.2</coordinates></Point>"
        + b"</Placemark>"
        + b"</Folder>" * folders
        + b"</Document></kml>"
    )
    result = read_kml(deep, "deep.kml")
    assert [p.code for p in result.problems] == ["kml.too-deep"]
    assert result.problems[0].line == 1 and "KML" in result.problems[0].message
    shallow = deep.replace(b"<Folder>" * folders, b"<Folder>").replace(
        b"</Folder>" * folders, b"</Folder>"
    )
    assert read_kml(shallow, "shallow.kml").problems == []


def test_breaks_lines_is_exactly_the_control_and_separator_categories():
    """The fast character class matches unicodedata on every code point."""
    wrong = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if breaks_lines(chr(code)) != (unicodedata.category(chr(code)) in _BREAKING)
    ]
    assert wrong == []
    assert breaks_lines("Plaza\u2028Nueva") and not breaks_lines("Plaza Nueva")


def _nesting(value) -> int:
    """How deeply ``value`` nests lists and dicts, the plain recursive way."""
    if isinstance(value, list):
        return 1 + max((_nesting(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_nesting(item) for item in value.values()), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=60,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_json_depth_agrees_with_the_parsed_value_small_or_large(value):
    """Small bodies take a loop, large ones numpy: both give the nesting of the value,
    brackets inside strings (even escaped quotes) not counted."""
    text = json.dumps(value)
    assert json_depth(text.encode()) == _nesting(value)
    padded = json.dumps([value] + [[0]] * 40)  # past the small path's size
    assert json_depth(padded.encode()) == max(1 + _nesting(value), 2)
