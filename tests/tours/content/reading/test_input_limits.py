"""Limits checked before a parser sees a file: XML and JSON nesting."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tours.content.reading import limits
from tours.content.reading.kml import read_kml
from tours.content.reading.limits import MAX_XML_DEPTH, json_depth, xml_too_deep


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


def test_a_deeply_nested_kml_is_refused_before_it_is_walked():
    """The nesting limit guards the KML reader too (its folders are walked recursively):
    the tree's depth sends the file to expat's pass, which says where."""
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


def _reference_depth(data: bytes) -> int:
    """The deepest nesting, read byte by byte the way a JSON parser reads strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in data.decode("latin-1"):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


@pytest.mark.parametrize(
    ("data", "depth"),
    [
        (b"", 0),
        (b'"[[["', 0),
        (b'["\\\\", [[1]]]', 3),  # an escaped backslash does not escape the quote after it
        (b'["\\"[[[", 1]', 1),  # an escaped quote does not end the string
        (b'{"a": "\\\\\\"[[", "b": [[]]}', 3),  # three backslashes: the quote is escaped
        (b'[[ "abc [[[[', 2),  # a string left open runs to the end
        (b'["\\', 1),  # a backslash as the last byte
        (b"]]]" * 30, 0),  # more closing than opening, past the small path
    ],
)
def test_json_depth_on_tricky_strings(data, depth):
    assert json_depth(data) == _reference_depth(data) == depth


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200).map(lambda b: b.translate(_SQUEEZE)))
def test_json_depth_reads_strings_like_a_parser_even_in_broken_json(data):
    assert json_depth(data) == _reference_depth(data)
    assert json_depth(data * 3) == _reference_depth(data * 3)  # past the small path


_SQUEEZE = bytes(b'"\\[]{}a '[b % 8] for b in range(256))


def _steps(data: bytes) -> int:
    """Lines of ``tours.content.reading.limits`` run by ``json_depth(data)``: the scan's
    own steps, a count that does not depend on how fast or busy the machine is."""
    count = 0

    def trace(frame, event, _arg):
        nonlocal count
        if frame.f_code.co_filename != limits.__file__:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        json_depth(data)
    finally:
        sys.settrace(None)
    return count


def test_json_depth_is_linear_on_escaped_quotes_in_an_open_string():
    """256 kB of escaped quotes in a string that never closes: a regular expression that
    cut strings out tried again from every quote (minutes for this body, quadratic).
    The scan takes twice the steps for twice the bytes, and gets the depth right."""
    half = b'{"name":"' + b'\\"' * 65_536
    body = b'{"name":"' + b'\\"' * 131_072
    assert len(body) >= 256 * 1024
    assert json_depth(half) == json_depth(body) == 1
    assert json_depth(body + b"]}") == 1  # still inside the string: no closing counted
    ratio = _steps(body) / _steps(half)
    assert 1.9 < ratio < 2.1, ratio
