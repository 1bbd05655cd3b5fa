"""The KML reader takes features straight from the element tree (issue #21, point 11).

What fastkml gave is kept (names, descriptions, ExtendedData, Multi* geometries), and
what it silently lost is read: files in Google Earth's older namespaces or in none,
the document order of Placemarks beside folders, ``<gx:MultiTrack>``.
"""

from __future__ import annotations

import pytest

from tours.content.reading import kml
from tours.content.reading.kml import read_kml
from tours.content.reading.limits import scan_xml

GX = 'xmlns:gx="http://www.google.com/kml/ext/2.2"'
BODY = """<Document><name> Walk </name><description>By the river</description>
<Folder><name>Stops</name>
<Placemark><name> Market </name><description><![CDATA[<b>Old</b> market]]></description>
<ExtendedData><Data name="order"><value>2</value></Data><Data name="blank"><value> </value></Data>
</ExtendedData><Point><coordinates>-2.93,43.26,12</coordinates></Point></Placemark>
<Folder><name>Inner</name><Placemark><name>Bridge</name>
<Point><coordinates>-2.92, 43.27</coordinates></Point></Placemark></Folder>
<Placemark><name>Square</name><Point><coordinates>-2.91,43.28</coordinates></Point></Placemark>
</Folder>
<Placemark><name>Route</name><MultiGeometry>
<LineString><coordinates>-2.93,43.26 -2.92,43.27</coordinates></LineString>
<LineString><coordinates>-2.92,43.27 -2.91,43.28</coordinates></LineString>
</MultiGeometry></Placemark>
<Placemark><name>Track</name><gx:MultiTrack><gx:Track><gx:coord>1 2 3</gx:coord>
<gx:coord>4 5 6</gx:coord></gx:Track></gx:MultiTrack></Placemark>
<Placemark><name>Nothing</name></Placemark>
</Document>"""


@pytest.mark.parametrize(
    "namespace",
    [
        'xmlns="http://www.opengis.net/kml/2.2"',
        'xmlns="http://earth.google.com/kml/2.2"',  # fastkml found no Placemark in these
        'xmlns="http://earth.google.com/kml/2.1"',
        "",
    ],
)
def test_placemarks_in_document_order_whatever_the_namespace(namespace):
    data = f'<?xml version="1.0" encoding="UTF-8"?>\n<kml {namespace} {GX}>{BODY}</kml>'
    result = read_kml(data.encode(), "walk.kml")
    assert result.problems == []
    assert (result.name, result.description) == ("Walk", "By the river")
    got = [
        (f["properties"].get("name"), f["geometry"]["type"], line) for f, line in result.features
    ]
    # Bridge, in a sub-folder between Market and Square, keeps its place and its line.
    assert got == [
        ("Market", "Point", 4),
        ("Bridge", "Point", 7),
        ("Square", "Point", 9),
        ("Route", "MultiLineString", 11),
        ("Track", "MultiLineString", 15),
    ]
    market = result.features[0][0]
    assert market["properties"] == {
        "name": "Market",
        "description": "<b>Old</b> market",
        "order": "2",
    }
    assert market["geometry"]["coordinates"] == [-2.93, 43.26, 12.0]
    assert result.features[1][0]["geometry"]["coordinates"] == [-2.92, 43.27]
    assert result.features[4][0]["geometry"]["coordinates"] == [[[1, 2, 3], [4, 5, 6]]]
    assert result.skipped == ["Placemark at line 17 (no geometry)"]


def test_bad_coordinates_name_the_placemark():
    data = b'<kml xmlns="http://www.opengis.net/kml/2.2">\n<Placemark><name>x</name>\n<Point><coordinates>a,b</coordinates></Point></Placemark></kml>'
    result = read_kml(data, "bad.kml")
    [problem] = result.problems
    assert (problem.code, problem.line) == ("kml.invalid", 2)
    assert "line 2" in problem.message and result.features == []


def test_a_mixed_multigeometry_gives_a_feature_per_part():
    data = (
        b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>m</name><MultiGeometry>'
        b"<Point><coordinates>0,0</coordinates></Point>"
        b"<LineString><coordinates>0,0 1,1</coordinates></LineString>"
        b"<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates>"
        b"</LinearRing></outerBoundaryIs><innerBoundaryIs><LinearRing><coordinates>"
        b".1,.1 .2,.1 .2,.2 .1,.1</coordinates></LinearRing></innerBoundaryIs></Polygon>"
        b"</MultiGeometry></Placemark></kml>"
    )
    result = read_kml(data, "m.kml")
    assert [f["geometry"]["type"] for f, _ in result.features] == ["Point", "LineString", "Polygon"]
    assert len(result.features[2][0]["geometry"]["coordinates"]) == 2  # outer and inner ring
    assert all(f["properties"] == {"name": "m"} for f, _ in result.features)


def _expat_lines(data: bytes) -> list[int]:
    """The line of every Placemark as expat's streaming pass gives it."""
    return scan_xml(data, code="kml.too-deep", kind="KML", counted="Placemark").lines


TRICKY = [
    # Windows and old Mac line ends: expat counts CR, LF and CRLF each as one line end.
    f'<kml xmlns="http://www.opengis.net/kml/2.2" {GX}>{BODY}</kml>'.replace("\n", "\r\n"),
    f'<kml xmlns="http://www.opengis.net/kml/2.2" {GX}>{BODY}</kml>'.replace("\n", "\r"),
    # A prefixed namespace, as some converters write it.
    '<k:kml xmlns:k="http://www.opengis.net/kml/2.2">\n<k:Document>\n'
    "<k:Placemark><k:name>A</k:name><k:Point><k:coordinates>1,2</k:coordinates></k:Point>"
    "</k:Placemark>\n\n<k:Placemark\n><k:name>B</k:name><k:Point><k:coordinates>3,4"
    "</k:coordinates></k:Point></k:Placemark></k:Document></k:kml>",
]
#: Text that looks like a Placemark's start tag but is none: the lines come from expat.
NOT_TAGS = [
    "<!-- an old <Placemark> left out -->\n",
    "<description><![CDATA[\n<Placemark>\n]]></description>\n",
]


@pytest.mark.parametrize("data", TRICKY, ids=["crlf", "cr", "prefixed"])
def test_placemark_lines_counted_in_the_bytes_are_expat_s(data, monkeypatch):
    """A UTF-8 file without a DOCTYPE skips expat's streaming pass: same lines, same
    features."""
    expected = _expat_lines(data.encode())
    assert expected  # the variants do hold Placemarks

    def no_pass(*args, **kwargs):
        raise AssertionError("expat's streaming pass is not needed for this file")

    monkeypatch.setattr(kml, "scan_xml", no_pass)
    result = read_kml(data.encode(), "walk.kml")
    assert result.problems == []
    lines = [line for _, line in result.features] + [int(s.split()[3]) for s in result.skipped]
    assert sorted(lines) == expected


@pytest.mark.parametrize("noise", NOT_TAGS, ids=["comment", "cdata"])
def test_a_placemark_tag_in_a_comment_or_cdata_leaves_the_lines_to_expat(noise):
    data = f'<kml xmlns="http://www.opengis.net/kml/2.2" {GX}>\n{noise}{BODY}</kml>'.encode()
    result = read_kml(data, "walk.kml")
    assert result.problems == []
    lines = _expat_lines(data)
    assert [line for _, line in result.features] == [lines[i] for i in (0, 1, 2, 3, 4)]
    assert result.skipped == [f"Placemark at line {lines[5]} (no geometry)"]


@pytest.mark.parametrize(
    "head",
    [
        '<?xml version="1.0" encoding="ISO-8859-1"?>',  # not UTF-8: expat's pass reads it
        '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x "y">]>',
    ],
    ids=["latin-1", "doctype"],
)
def test_other_files_still_go_through_expat_s_pass(head, monkeypatch):
    calls: list[bytes] = []
    real = kml.scan_xml

    def counted(data, *args, **kwargs):
        calls.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(kml, "scan_xml", counted)
    data = f'{head}<kml xmlns="http://www.opengis.net/kml/2.2" {GX}>{BODY}</kml>'.encode()
    result = read_kml(data, "walk.kml")
    assert len(calls) == 1
    codes = [p.code for p in result.problems]
    assert codes == (["kml.doctype"] if "DOCTYPE" in head else [])


def _line_kml(coordinates: str) -> bytes:
    return (
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>r</name><LineString>'
        f"<coordinates>{coordinates}</coordinates></LineString></Placemark></kml>"
    ).encode()


def _one_by_one(coordinates: str) -> list[list[float]]:
    """How a tuple of ``<coordinates>`` reads on its own: ``float`` of each value."""
    return [[float(v) for v in t.split(",")] for t in coordinates.replace(", ", ",").split()]


@pytest.mark.parametrize(
    "tuple_of",
    [
        lambda i: f"{-2.9 + i * 1e-5:.7f},{43.2 + i * 1e-5:.7f},0",
        lambda i: f"{-2.9 + i * 1e-5:.7f}, {43.2 + i * 1e-5:.7f}",  # Google Earth's ", "
        lambda i: f"{-2.9 + i * 1e-5:.7f},{43.2:.7f}" + (",12" if i % 2 else ""),  # mixed
        lambda i: f"{i}e-3,+{i}.5,1_0",  # what float() reads, numpy reads alike
    ],
    ids=["3d", "spaced", "mixed", "odd-numbers"],
)
def test_a_long_line_reads_as_float_reads_each_value_and_keeps_its_array(tuple_of):
    coordinates = "\n  ".join(tuple_of(i) for i in range(200))
    result = read_kml(_line_kml(coordinates), "line.kml")
    [(feature, _)] = result.features
    positions = feature["geometry"]["coordinates"]
    assert positions == _one_by_one(coordinates)
    assert all(type(v) is float for position in positions for v in position)
    if len({len(p) for p in positions}) > 1:
        assert result.arrays == {}
    else:
        [(kept, array)] = result.arrays.values()
        assert kept is positions and array.tolist() == positions


@pytest.mark.parametrize("bad", ["1,,2", "1,2,x", "1,2,"])
def test_a_bad_value_in_a_long_line_is_still_named(bad):
    coordinates = "\n".join(["-2.9,43.2,0"] * 100 + [bad] + ["-2.9,43.2,0"] * 10)
    [problem] = read_kml(_line_kml(coordinates), "line.kml").problems
    assert problem.code == "kml.invalid"
