"""KML and KMZ (Google My Maps, Google Earth) to features, through fastkml.

The XML is first read by defusedxml, which refuses any DTD, entity declaration or
external reference (so no "billion laughs" and no reading other files), and by expat
for the line of every ``<Placemark>``; only then does fastkml build its objects.  A
KMZ is a ZIP archive whose first ``.kml`` member is the document.

Each Placemark gives one feature: its ``<name>`` and ``<description>`` become the
``name`` and ``description`` properties (the field map then reads them as any other
file's), its ``<ExtendedData>`` values become properties too, and its geometry is
converted with its ``__geo_interface__`` (a MultiGeometry gives one feature per part).
"""

from __future__ import annotations

import contextlib
import io
import xml.parsers.expat
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from tours.content.reading.jsonload import human_size
from tours.content.reading.limits import xml_too_deep
from tours.content.reading.xmltext import as_utf8
from tours.content.report import Problem, Severity

KMZ_MAGIC = b"PK\x03\x04"
_CENTRAL_ENTRY = b"PK\x01\x02"  # the signature of each file's entry in the archive's index
_CHUNK = 1024 * 1024
_MIB = 1024 * 1024


@dataclass(frozen=True)
class KmzLimits:
    """How much a KMZ archive may inflate to: its KML, all members, and the ratio.

    A 1 MB archive of zeros inflating to 1 GiB took 35 s and 2.3 GB of memory.  The KML
    is capped at the default import limit (a plain KML file may be no larger), and
    fastkml builds objects worth several times it.  The ratio stops a bomb long before
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


def looks_like_kml(data: bytes, file: str) -> bool:
    """A ``.kml``/``.kmz`` name, a ZIP archive named so, or XML whose root is ``<kml>``."""
    lower = file.lower()
    if lower.endswith((".kml", ".kmz")):
        return True
    head = data[:512].lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<kml") or (head.startswith(b"<?xml") and b"<kml" in head)


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
    # Folders are walked recursively: refuse absurd nesting before any parser builds a tree.
    too_deep = xml_too_deep(data, code="kml.too-deep", kind="KML")
    if too_deep is not None:
        result.problems.append(
            _problem(
                too_deep.code, too_deep.message, file, too_deep.line or 1, too_deep.column or 1
            )
        )
        return result
    try:
        safe_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        result.problems.append(
            _problem(
                "kml.doctype",
                "The KML has a <!DOCTYPE> or entity declaration, which Bidean refuses for"
                " safety (KML never needs one). Remove the declaration and import it again.",
                file,
            )
        )
        return result
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
        return result
    lines = _placemark_lines(data)
    # Late import, only to keep `bidean validate` fast: the importer needs `looks_like_kml`
    # on every file, fastkml only for a KML one.
    from fastkml import kml as fastkml

    try:
        document = fastkml.KML.from_string(data)
    except Exception as exc:  # fastkml raises several kinds on unexpected content
        result.problems.append(
            _problem("kml.invalid", f"The KML cannot be read: {exc}. Export it again.", file)
        )
        return result
    placemarks: list[Any] = []
    _walk(document, placemarks, result)
    for index, placemark in enumerate(placemarks):
        line = lines[index] if index < len(lines) else 1
        _add_placemark(placemark, line, result)
    return result


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


def _walk(container: Any, placemarks: list[Any], result: KmlFeatures) -> None:
    for child in getattr(container, "features", None) or []:
        if type(child).__name__ == "Placemark":
            placemarks.append(child)
            continue
        if result.name is None and getattr(child, "name", None):
            result.name = child.name
            result.description = getattr(child, "description", None)
        _walk(child, placemarks, result)


def _add_placemark(placemark: Any, line: int, result: KmlFeatures) -> None:
    props: dict[str, Any] = {}
    if placemark.name and placemark.name.strip():
        props["name"] = placemark.name.strip()
    if placemark.description and placemark.description.strip():
        props["description"] = placemark.description.strip()
    extended = getattr(placemark, "extended_data", None)
    for data in getattr(extended, "elements", None) or []:
        name, value = getattr(data, "name", None), getattr(data, "value", None)
        if name and value is not None and str(value).strip():
            props[name] = value
    geometry = placemark.geometry
    if geometry is None:
        result.skipped.append(f"Placemark at line {line} (no geometry)")
        return
    shape = _plain(geometry.__geo_interface__)
    parts = shape["geometries"] if shape["type"] == "GeometryCollection" else [shape]
    for part in parts:
        result.features.append(
            ({"type": "Feature", "geometry": part, "properties": dict(props)}, line)
        )


def _plain(value: Any) -> Any:
    """Tuples to lists and no ``bbox``, as a GeoJSON document would have them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "bbox"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _placemark_lines(data: bytes) -> list[int]:
    """The line of every ``<Placemark>`` start tag, in document order."""
    lines: list[int] = []
    parser = xml.parsers.expat.ParserCreate()

    def start(name: str, _attributes: Any) -> None:
        if name.rpartition(":")[2] == "Placemark":
            lines.append(parser.CurrentLineNumber)

    parser.StartElementHandler = start
    # defusedxml has already accepted the file; on any surprise the lines found are kept.
    with contextlib.suppress(xml.parsers.expat.ExpatError):
        parser.Parse(data, True)
    return lines
