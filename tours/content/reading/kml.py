"""KML and KMZ (Google My Maps, Google Earth) to features.

No DOCTYPE is accepted, so no entity can be declared (no "billion laughs", no reading
other files), nesting is limited, and the line of every ``<Placemark>`` is noted; the
standard library's parser builds the element tree, and the features are taken straight
from it.  A UTF-8 file without the bytes ``<!DOCTYPE`` is parsed at once and its lines
counted in the bytes (:func:`_quick_tree`); any other first gets one streaming pass of
expat (``limits.scan_xml``) that refuses a DOCTYPE before any tree is built.  (fastkml
built an object per element and a pygeoif geometry per Placemark: 30 times the cost of
parsing a My Maps export, see ``bench/assemble_bench.py``.)
Elements are matched by their local name, so KML 2.2, Google Earth's older namespaces
and files without one read alike.  A KMZ is a ZIP archive whose first ``.kml`` member
is the document.

Each Placemark gives one feature: its ``<name>`` and ``<description>`` become the
``name`` and ``description`` properties (the field map then reads them as any other
file's), its ``<ExtendedData>`` values become properties too, and its geometry becomes
GeoJSON's (a MultiGeometry of one type gives one Multi* feature, a mixed one a feature
per part; a ``<gx:Track>`` is a LineString).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

import numpy as np

from tours.content.reading.jsonload import human_size
from tours.content.reading.limits import MAX_XML_DEPTH, scan_xml
from tours.content.reading.xmltext import as_utf8
from tours.content.report import Problem, Severity

KMZ_MAGIC = b"PK\x03\x04"
_CENTRAL_ENTRY = b"PK\x01\x02"  # the signature of each file's entry in the archive's index
_CHUNK = 1024 * 1024
_MIB = 1024 * 1024
_SPACED_COMMA = re.compile(r", +")
_DOCTYPE = b"<!DOCTYPE"
#: The start tag of a Placemark, with or without a namespace prefix; or a DOCTYPE.
_PLACEMARK_TAG = re.compile(rb"<(?:[^\s<>/!?:=\"']+:)?Placemark[\s/>]|<!DOCTYPE")
#: A declared encoding, after a byte order mark perhaps.
_ENCODING = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
_UTF8 = frozenset((b"utf-8", b"utf8"))
_TAG = attrgetter("tag")
_NOT_SEPARATOR = bytes(b for b in range(256) if b not in b", ")
#: Lines this long are converted to floats all at once (numpy), and their arrays kept.
ARRAY_FROM = 64
Arrays = dict[int, tuple[list[list[float]], np.ndarray]]


@dataclass(frozen=True)
class KmzLimits:
    """How much a KMZ archive may inflate to: its KML, all members, and the ratio.

    A 1 MB archive of zeros inflating to 1 GiB took 35 s and 2.3 GB of memory.  The KML
    is capped at the default import limit (a plain KML file may be no larger), and
    the element tree is worth several times it.  The ratio stops a bomb long before
    the cap (100: a guess kept well above what XML of names and coordinates reaches);
    it is only checked on members over ``ratio_from`` bytes, as tiny files can compress
    oddly well and cost nothing.
    """

    member_bytes: int = 50 * _MIB
    total_bytes: int = 200 * _MIB
    max_ratio: int = 100
    ratio_from: int = _MIB
    # Opening an archive builds an object per member: 100,000 empty ones (8.6 MB) took
    # 0.55 s and 52 MB before anything was inflated.
    max_members: int = 10_000

    def refusal(self, member: zipfile.ZipInfo, total: int) -> str | None:
        """Why the sizes the archive declares are refused, or None."""
        if member.file_size > self.member_bytes:
            return self.too_large(member.filename)
        if total > self.total_bytes:
            return (
                f"This KMZ archive's files would inflate to {human_size(total)}, more than"
                f" the {human_size(self.total_bytes)} Bidean unpacks. Export the map again"
                " as KML (not KMZ), or without its images."
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > self.ratio_from and ratio > self.max_ratio:
            return (
                f"{member.filename} in this KMZ archive inflates {ratio:.0f} times"
                f" ({human_size(member.compress_size)} to {human_size(member.file_size)});"
                f" Bidean refuses more than {self.max_ratio} times, as a real map never"
                " compresses so well. Export the map again from its application."
            )
        return None

    def too_large(self, name: str) -> str:
        """The message for a KML member larger than ``member_bytes`` once inflated."""
        return (
            f"{name} in this KMZ archive inflates to more than"
            f" {human_size(self.member_bytes)}, the most Bidean unpacks. Simplify the map"
            " (fewer points or placemarks), or split it into several files."
        )


KMZ_LIMITS = KmzLimits()


@dataclass
class KmlFeatures:
    """Features with the line of their Placemark, the document's name, and problems."""

    features: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    name: str | None = None
    description: str | None = None
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: The float arrays of lines of ``ARRAY_FROM`` positions or more, by the id of their
    #: list (held too): whoever measures or checks the line need not convert it again.
    arrays: Arrays = field(default_factory=dict)


def _problem(code: str, message: str, file: str, line: int = 1, column: int = 1) -> Problem:
    return Problem(code, "", message, line=line, column=column, file=file)


def read_kml(data: bytes, file: str, limits: KmzLimits = KMZ_LIMITS) -> KmlFeatures:
    """Placemarks of a KML or KMZ file as GeoJSON-like features; never raises."""
    result = KmlFeatures()
    if data.startswith(KMZ_MAGIC):
        unpacked = kml_of_kmz(data, file, limits)
        if isinstance(unpacked, Problem):
            result.problems.append(unpacked)
            return result
        data = unpacked
    data, encoding = as_utf8(data, "kml.encoding", "KML")
    if encoding is not None:
        result.problems.append(replace(encoding, file=file))
        if encoding.severity is Severity.ERROR:
            return result
    tree = _quick_tree(data)
    if tree is None:
        read = _scanned_tree(data, file, result)
        if read is None:
            return result
        tree = read
    root, lines = tree
    placemarks: list[Element] = []
    _walk(root, placemarks, result)
    for index, placemark in enumerate(placemarks):
        line = lines[index] if index < len(lines) else 1
        try:
            _add_placemark(placemark, line, result)
        except _BadCoordinates as exc:
            result.problems.append(
                _problem(
                    "kml.invalid",
                    f"The KML cannot be read: the Placemark at line {line} has invalid"
                    f" coordinates ({exc}). Export it again.",
                    file,
                    line,
                )
            )
            result.features.clear()
            return result
    return result


def _scanned_tree(data: bytes, file: str, result: KmlFeatures) -> tuple[Element, list[int]] | None:
    """The element tree and the line of each Placemark, after one pass of expat that
    refuses a DOCTYPE and absurd nesting (problems go to ``result``; None then)."""
    # One pass before any tree is built: absurd nesting (folders are walked recursively),
    # a DOCTYPE, and the line of every Placemark.
    scan = scan_xml(data, code="kml.too-deep", kind="KML", counted="Placemark")
    if scan.too_deep is not None:
        problem = scan.too_deep
        result.problems.append(
            _problem(problem.code, problem.message, file, problem.line or 1, problem.column or 1)
        )
        return None
    if scan.doctype:
        result.problems.append(
            _problem(
                "kml.doctype",
                "The KML has a <!DOCTYPE> or entity declaration, which Bidean refuses for"
                " safety (KML never needs one). Remove the declaration and import it again.",
                file,
            )
        )
        return None
    try:
        # Safe without defusedxml: with no DOCTYPE there is no entity to expand or fetch.
        root = ElementTree.fromstring(data)
    except Exception as exc:  # ParseError and friends: report with line and column
        line, column = getattr(exc, "position", (1, 0))
        result.problems.append(
            _problem(
                "kml.syntax",
                f"XML syntax error in the KML at line {line}, column {column + 1}: {exc}.",
                file,
                line,
                column + 1,
            )
        )
        return None
    if not scan.complete:  # never a tree that the DOCTYPE check did not see whole
        result.problems.append(_problem("kml.syntax", "XML syntax error in the KML.", file))
        return None
    return root, scan.lines


def _quick_tree(data: bytes) -> tuple[Element, list[int]] | None:
    """What :func:`_scanned_tree` gives, without expat's streaming pass, when the bytes
    vouch for it; None sends the file through that pass.

    A UTF-8 file without the bytes ``<!DOCTYPE`` declares no DOCTYPE, so no entity, and
    the standard library's parser may build its tree at once.  The tree then gives the
    nesting depth, and the line of each Placemark is counted up to its start tag,
    found in the bytes: when the tags found are as many as the Placemark elements of
    the tree (none in a comment or CDATA section), they are those elements', in order.
    Expat's pass over a My Maps export cost about as much as building its tree.
    """
    declared = _ENCODING.match(data)
    if declared and declared.group(1).lower() not in _UTF8:
        return None
    # One search finds both: the Placemark start tags and any DOCTYPE.
    found = [(match.start(), match.group()) for match in _PLACEMARK_TAG.finditer(data)]
    if any(text == _DOCTYPE for _, text in found):
        return None
    try:
        root = ElementTree.fromstring(data)
    except Exception:  # the pass and the parser after it say what is wrong, with where
        return None
    depth, placemarks = _shape(root)
    starts = [start for start, _ in found]
    if depth > MAX_XML_DEPTH or len(starts) != placemarks:
        return None
    return root, _lines_at(data, starts)


def _shape(root: Element) -> tuple[int, int]:
    """How deeply the tree nests (the root is 1), and how many Placemarks it holds;
    the depth is counted no further than past ``MAX_XML_DEPTH``."""
    depth = placemarks = 0
    level = [root]
    while level:
        depth += 1
        if depth > MAX_XML_DEPTH:
            break
        tags = Counter(map(_TAG, level))
        placemarks += sum(n for tag, n in tags.items() if _local(tag) == "Placemark")
        level = [child for element in level for child in element]
    return depth, placemarks


def _lines_at(data: bytes, offsets: list[int]) -> list[int]:
    """The line of each offset (ascending), counted as expat counts: LF, CR and CRLF
    each end a line.  An offset never splits a CRLF: each is the ``<`` of a tag."""
    lines: list[int] = []
    line, previous = 1, 0
    carriage = b"\r" in data
    for offset in offsets:
        line += data.count(b"\n", previous, offset)
        if carriage:
            line += data.count(b"\r", previous, offset) - data.count(b"\r\n", previous, offset)
        lines.append(line)
        previous = offset
    return lines


def kml_of_kmz(data: bytes, file: str, limits: KmzLimits = KMZ_LIMITS) -> bytes | Problem:
    """The first ``.kml`` member of a KMZ archive, or the problem that refuses it.

    The sizes the archive declares are checked before anything is inflated, and the
    bytes are counted while inflating too, because a crafted header can lie.
    """
    # Counted before the archive is opened (an upper bound: the signature could also
    # occur inside compressed data, far too rarely to matter at this limit).
    if data.count(_CENTRAL_ENTRY) > limits.max_members:
        return _problem(
            "kml.too-large",
            f"This KMZ archive holds more than {limits.max_members} files; a map needs its"
            " KML and perhaps some icons. Export the map again as KML (not KMZ).",
            file,
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            member = next((m for m in members if m.filename.lower().endswith(".kml")), None)
            if member is None:
                return _problem("kml.invalid", "This KMZ archive holds no .kml file.", file)
            declared = limits.refusal(member, sum(m.file_size for m in members))
            if declared is not None:
                return _problem("kml.too-large", declared, file)
            return _inflate(archive, member, limits.member_bytes) or _problem(
                "kml.too-large", limits.too_large(member.filename), file
            )
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
        return _problem("kml.invalid", f"This KMZ archive cannot be opened: {exc}.", file)


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, cap: int) -> bytes | None:
    """The member's bytes, read in chunks; None as soon as they pass ``cap``."""
    chunks: list[bytes] = []
    size = 0
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


#: The KML features that hold others, and those that are a feature but hold none.
_CONTAINERS = frozenset({"Document", "Folder"})
_LEAVES = frozenset({"GroundOverlay", "PhotoOverlay", "ScreenOverlay", "NetworkLink"})
_GEOMETRIES = frozenset(
    {"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Track", "MultiTrack"}
)
_TEXTS = frozenset({"name", "description"})
#: GeoJSON's name of a MultiGeometry whose parts are all of one type.
_MULTI = {"Point": "MultiPoint", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}


class _BadCoordinates(ValueError):
    """A ``<coordinates>`` or ``<gx:coord>`` that holds something other than numbers."""


#: Local names by full tag, so that each distinct tag is split once (a 0.8 MB My Maps
#: export has a dozen distinct tags and 8,000 elements).
_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    """An element's name without its namespace: KML 2.2, Google Earth's older ones, none."""
    local = _LOCAL_NAMES.get(tag)
    if local is None:
        local = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        if len(_LOCAL_NAMES) < 1000:  # a bound, as tags are the file's to choose
            _LOCAL_NAMES[tag] = local
    return local


def _text(element: Element, name: str) -> str | None:
    """The stripped text of the first child ``name``, or None when it is empty."""
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _walk(container: Element, placemarks: list[Element], result: KmlFeatures) -> None:
    """Placemarks in document order; the first named Document, Folder or overlay names
    the whole file."""
    for child in container:
        kind = _local(child.tag)
        if kind == "Placemark":
            placemarks.append(child)
            continue
        if kind not in _CONTAINERS and kind not in _LEAVES:
            continue
        name = _text(child, "name")
        if result.name is None and name:
            result.name, result.description = name, _text(child, "description")
        if kind in _CONTAINERS:
            _walk(child, placemarks, result)


def _add_placemark(placemark: Element, line: int, result: KmlFeatures) -> None:
    texts: dict[str, Any] = {}
    extended: list[Element] = []
    geometry: dict[str, Any] | None = None
    found = False
    for child in placemark:
        kind = _local(child.tag)
        if kind in _TEXTS:
            if kind not in texts:  # the first <name>, as a reader finds it
                texts[kind] = (child.text or "").strip()
        elif kind == "ExtendedData":
            extended.append(child)
        elif kind in _GEOMETRIES and not found:  # a Placemark has one geometry
            found = True
            geometry = _geometry(child, kind, result.arrays)
    props = {key: text for key, text in texts.items() if text}
    for data in extended:  # after the name: a Data named "name" overrides it
        _extended(data, props)
    if geometry is None:
        result.skipped.append(f"Placemark at line {line} (no geometry)")
        return
    parts = geometry["geometries"] if geometry["type"] == "GeometryCollection" else [geometry]
    for part in parts:
        result.features.append(
            ({"type": "Feature", "geometry": part, "properties": dict(props)}, line)
        )


def _extended(extended: Element, props: dict[str, Any]) -> None:
    """``<Data name="…"><value>…</value></Data>`` pairs whose value is not blank."""
    for data in extended:
        name = data.get("name")
        if _local(data.tag) != "Data" or not name:
            continue
        for child in data:
            if _local(child.tag) == "value":
                text = (child.text or "").strip()
                if text:
                    props[name] = text
                break


def _geometry(element: Element, kind: str, arrays: Arrays | None = None) -> dict[str, Any] | None:
    """A KML geometry as a GeoJSON geometry, or None when it holds no position; the
    arrays of long lines go into ``arrays``."""
    if kind == "Point":
        positions = _coordinates(element)
        if not positions or len(positions[0]) < 2:
            return None
        return {"type": "Point", "coordinates": positions[0]}
    if kind in ("LineString", "LinearRing", "Track"):
        line = _track(element) if kind == "Track" else _coordinates(element, arrays)
        array = arrays.get(id(line)) if arrays is not None else None
        if array is not None and array[0] is line:  # its width says it for every position
            return {"type": "LineString", "coordinates": line} if array[1].shape[1] >= 2 else None
        return {"type": "LineString", "coordinates": line} if _positions(line) else None
    if kind == "Polygon":
        return _polygon(element)
    if kind == "MultiTrack":
        lines = [_track(c) for c in element if _local(c.tag) == "Track"]
        lines = [line for line in lines if _positions(line)]
        return {"type": "MultiLineString", "coordinates": lines} if lines else None
    parts = [_geometry(c, _local(c.tag), arrays) for c in element if _local(c.tag) in _GEOMETRIES]
    return _multi([part for part in parts if part is not None])


def _multi(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A MultiGeometry: one Multi* geometry when its parts share a type, else a
    collection (whose parts become features of their own)."""
    if not parts:
        return None
    kinds = {part["type"] for part in parts}
    if len(kinds) == 1 and (kind := kinds.pop()) in _MULTI:
        return {"type": _MULTI[kind], "coordinates": [part["coordinates"] for part in parts]}
    return {"type": "GeometryCollection", "geometries": parts}


def _polygon(element: Element) -> dict[str, Any] | None:
    rings: list[list[list[float]]] = []
    outer: list[list[float]] | None = None
    for boundary in element:
        kind = _local(boundary.tag)
        if kind not in ("outerBoundaryIs", "innerBoundaryIs"):
            continue
        for ring in boundary:
            if _local(ring.tag) != "LinearRing":
                continue
            positions = _coordinates(ring)
            if not _positions(positions):
                continue
            if kind == "outerBoundaryIs":
                outer = outer or positions
            else:
                rings.append(positions)
    return {"type": "Polygon", "coordinates": [outer, *rings]} if outer else None


def _positions(positions: list[list[float]]) -> bool:
    """Whether there are positions, each of at least longitude and latitude."""
    return bool(positions) and all(len(position) >= 2 for position in positions)


def _coordinates(element: Element, arrays: Arrays | None = None) -> list[list[float]]:
    """The positions of the ``<coordinates>`` child: tuples ``lon,lat[,alt]`` apart by
    whitespace (a space after a comma is tolerated, as Google Earth writes some).  A long
    line's array goes into ``arrays``."""
    for child in element:
        if _local(child.tag) == "coordinates":
            tuples = _SPACED_COMMA.sub(",", (child.text or "").strip()).split()
            array = _as_array(tuples) if len(tuples) >= ARRAY_FROM else None
            if array is not None:
                positions: list[list[float]] = array.tolist()
                if arrays is not None:
                    arrays[id(positions)] = (positions, array)
                return positions
            try:
                return [list(map(float, t.split(","))) for t in tuples]
            except ValueError as exc:
                raise _BadCoordinates(str(exc)) from None
    return []


def _as_array(tuples: list[str]) -> np.ndarray | None:
    """Tuples that all have the same number of values as one float array, converted
    all at once (numpy reads text as ``float`` does); None when the numbers per tuple
    vary or one is not a number, which the tuple by tuple reading then deals with."""
    width = tuples[0].count(",") + 1
    joined = " ".join(tuples)
    separators = joined.encode().translate(None, _NOT_SEPARATOR)
    if separators != ((b"," * (width - 1) + b" ") * len(tuples))[:-1]:
        return None
    try:
        values = np.asarray(joined.replace(",", " ").split(" "), dtype=np.float64)
    except ValueError:  # an empty value ("1,,2") or not a number
        return None
    return values.reshape(-1, width)


def _track(element: Element) -> list[list[float]]:
    """The positions of a ``<gx:Track>``: one ``<gx:coord>lon lat alt</gx:coord>`` each."""
    try:
        return [
            list(map(float, (c.text or "").split())) for c in element if _local(c.tag) == "coord"
        ]
    except ValueError as exc:
        raise _BadCoordinates(str(exc)) from None
