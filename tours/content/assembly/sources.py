"""Reading the files a tour is assembled from: GeoJSON, GPX, CSV, KML and KMZ.

Each file becomes a list of :class:`SourceFeature` (a geometry, the properties as the
file wrote them, and where in the file it came from: line, column, pointer or element),
plus the problems met and the things that could not be carried over.  No field mapping
happens here (that is :mod:`tours.content.assembly.fieldmap`): a GPX waypoint's ``<desc>`` is
just the property ``desc``.
"""

from __future__ import annotations

import contextlib
import functools
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from tours.content.checking.validate import CoordinateArrays, validate_geojson
from tours.content.reading.csvread import read_csv
from tours.content.reading.gpx import (
    gpx_authorship,
    gpx_positions,
    gpx_times,
    gpx_unkept,
    read_gpx,
)
from tours.content.reading.jsonload import UTF8_BOM, load_json
from tours.content.reading.kml import Arrays, read_kml
from tours.content.reading.positions import pointer_positions
from tours.content.reading.sniff import sniff_format
from tours.content.report import Problem, Severity
from tours.text import counted

_FEATURE_MEMBERS = frozenset(("type", "geometry", "properties", "id", "bbox"))
_COLLECTION_MEMBERS = frozenset(("type", "features", "bbox", "crs"))
# What GPX says about a waypoint besides its position, as properties the field map reads.
_WAYPOINT_FIELDS = ("name", "description", "comment", "symbol", "type", "source")
_WAYPOINT_KEYS = {"description": "desc", "comment": "cmt", "symbol": "sym", "source": "src"}


@functools.lru_cache(maxsize=64)
def _file_name(file: str) -> str:
    """The last part of a file's path (asked for once per feature: a stop's label)."""
    return PurePath(file).name


@dataclass
class SourceFeature:
    """One feature of a source file and where it came from."""

    geometry: dict[str, Any]
    properties: dict[str, Any]
    file: str
    label: str
    pointer: str = ""
    line: int | None = None
    column: int | None = None
    foreign_id: Any = None
    #: A name the file gives the feature outside its properties (a GPX ``<trk>``'s).
    name: str | None = None

    @property
    def kind(self) -> str:
        return self.geometry["type"]

    def where(self) -> str:
        place = f"line {self.line}" if self.line is not None else ""
        return f"{_file_name(self.file)} {place} ({self.label})".replace("  ", " ")


@dataclass
class SourceData:
    """A file read for assembly."""

    file: str
    format: str
    features: list[SourceFeature] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    name: str | None = None
    description: str | None = None
    licence: str | None = None
    #: Who the file names as its author (a GPX ``<metadata><author><name>``, else its
    #: ``<copyright author>``): the tour's credits.
    credits: str | None = None
    #: A GPX ``<copyright>``'s author and year, as the route property ``copyright``.
    copyright: dict[str, Any] | None = None
    not_carried: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Float arrays of long coordinate lists the reader made, by the id of their list.
    arrays: Arrays = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return not any(p.severity is Severity.ERROR for p in self.problems)


def read_source(path: Path, *, max_bytes: int, max_depth: int = 64) -> SourceData:
    """Read one file; problems (with line and column) instead of exceptions."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return SourceData(
                file,
                "file",
                problems=[
                    Problem(
                        "file.too-large",
                        "",
                        f"{file} is {size} bytes, over the import limit of {max_bytes};"
                        " an administrator can raise BIDEAN_MAX_IMPORT_MB.",
                        file=file,
                    )
                ],
            )
        data = path.read_bytes()
    except OSError as exc:
        reason = "there is no such file" if isinstance(exc, FileNotFoundError) else exc.strerror
        return SourceData(
            file,
            "file",
            problems=[
                Problem("file.unreadable", "", f"{file} cannot be read: {reason}.", file=file)
            ],
        )
    return read_bytes(data, file, max_bytes=max_bytes, max_depth=max_depth)


def read_bytes(data: bytes, file: str, *, max_bytes: int, max_depth: int = 64) -> SourceData:
    """Read one file given as bytes, in the format :func:`sniff_format` names."""
    kind = sniff_format(data, file)
    if kind == "KML":
        return _from_kml(data, file)
    if kind == "GPX":
        return _from_gpx(data, file, max_bytes)
    if kind == "CSV":
        return _from_csv(data, file)
    return _from_geojson(data, file, max_bytes, max_depth)


# -- GeoJSON ---------------------------------------------------------------------------


def _from_geojson(data: bytes, file: str, max_bytes: int, max_depth: int) -> SourceData:
    source = SourceData(file, "GeoJSON")
    value, problems = load_json(data, max_bytes=max_bytes, max_depth=max_depth)
    structural = list(problems)
    if value is not None:
        structural += validate_geojson(value, CoordinateArrays())
    text = data.removeprefix(UTF8_BOM).decode("utf-8", errors="replace")
    source.problems = with_positions(structural, text, file)
    if value is None or not source.readable:
        return source
    if value["type"] == "FeatureCollection":
        raw = list(enumerate(value["features"]))
        extra = [k for k in value if k not in _COLLECTION_MEMBERS]
        for key in extra:
            source.not_carried.append(f'the FeatureCollection\'s "{key}" member ({file})')
        if isinstance(value.get("name"), str):
            source.name = value["name"]
        pointers = [f"/features/{i}" for i, _ in raw]
    elif value["type"] == "Feature":
        raw, pointers = [(None, value)], [""]
    else:
        raw, pointers = [(None, {"type": "Feature", "geometry": value, "properties": {}})], [""]
    positions = pointer_positions(text, pointers)
    foreign: dict[str, int] = {}
    for (index, feature), ptr in zip(raw, pointers, strict=True):
        line, column = positions[ptr]
        for key in feature:
            if key not in _FEATURE_MEMBERS:
                foreign[key] = foreign.get(key, 0) + 1
        if feature.get("geometry") is None:
            source.not_carried.append(f"{file} line {line}: a feature without geometry")
            continue
        label = f"feature {index}" if index is not None else "the root"
        source.features.extend(
            SourceFeature(
                geometry,
                dict(feature.get("properties") or {}),
                file,
                label,
                ptr,
                line,
                column,
                feature.get("id"),
            )
            for geometry in _parts(feature["geometry"])
        )
    for key, count in foreign.items():
        source.not_carried.append(
            f'"{key}" outside properties on {counted(count, "feature")} ({file})'
        )
    return source


def _parts(geometry: dict[str, Any]) -> list[dict[str, Any]]:
    """A MultiPoint is several stops and a GeometryCollection several features."""
    if geometry["type"] == "MultiPoint":
        return [{"type": "Point", "coordinates": c} for c in geometry["coordinates"]]
    if geometry["type"] == "GeometryCollection":
        return [part for g in geometry["geometries"] for part in _parts(g)]
    return [geometry]


def with_positions(problems: list[Problem], text: str, file: str) -> list[Problem]:
    """``problems`` with the line and column of their pointers in ``text`` filled in."""
    wanted = {p.pointer for p in problems if p.line is None}
    positions = pointer_positions(text, wanted) if wanted else {}
    out = []
    for p in problems:
        line, column = (p.line, p.column) if p.line is not None else positions[p.pointer]
        out.append(Problem(p.code, p.pointer, p.message, p.severity, line, column, p.file or file))
    return out


# -- GPX -------------------------------------------------------------------------------


def _element_lines(data: bytes, names: tuple[str, ...]) -> dict[str, list[int]]:
    """The line of every start tag named in ``names``, per name, in document order."""
    lines: dict[str, list[int]] = {name: [] for name in names}
    parser = xml.parsers.expat.ParserCreate()

    def start(name: str, _attributes: Any) -> None:
        local = name.rpartition(":")[2]
        if local in lines:
            lines[local].append(parser.CurrentLineNumber)

    parser.StartElementHandler = start
    with contextlib.suppress(xml.parsers.expat.ExpatError):  # read_gpx has reported it
        parser.Parse(data, True)
    return lines


def _from_gpx(data: bytes, file: str, max_bytes: int) -> SourceData:
    source = SourceData(file, "GPX")
    gpx, problems = read_gpx(data, max_bytes=max_bytes)
    source.problems = [
        Problem(p.code, p.pointer, p.message, p.severity, p.line or 1, p.column or 1, file)
        for p in problems
    ]
    if gpx is None:
        return source
    lines = _element_lines(data, ("wpt", "trk", "rte"))
    source.name = next(
        (n.strip() for n in [gpx.name, *(t.name for t in gpx.tracks)] if n and n.strip()), None
    )
    source.description = next(
        (
            d.strip()
            for d in [gpx.description, *(t.description for t in gpx.tracks)]
            if d and d.strip()
        ),
        None,
    )
    source.licence = gpx.copyright_license
    authorship = gpx_authorship(gpx)
    source.credits, source.copyright = authorship.credits, authorship.copyright
    source.not_carried.extend(f"{item} in {file}" for item in authorship.not_carried)
    # One line per track (its segments are one MultiLineString), else per route: several
    # are as several lines of a GeoJSON file, never joined without asking.
    for parts, line, label, name in _gpx_lines(gpx, lines, source):
        geometry = (
            {"type": "LineString", "coordinates": parts[0]}
            if len(parts) == 1
            else {"type": "MultiLineString", "coordinates": parts}
        )
        source.features.append(SourceFeature(geometry, {}, file, label, "", line, 1, name=name))
    for i, wpt in enumerate(gpx.waypoints):
        props: dict[str, Any] = {}
        for attribute in _WAYPOINT_FIELDS:
            value = getattr(wpt, attribute, None)
            if isinstance(value, str) and value.strip():
                props[_WAYPOINT_KEYS.get(attribute, attribute)] = value.strip()
        position = [wpt.longitude, wpt.latitude]
        if wpt.elevation:
            position.append(wpt.elevation)
        wline = lines["wpt"][i] if i < len(lines["wpt"]) else None
        source.features.append(
            SourceFeature(
                {"type": "Point", "coordinates": position},
                props,
                file,
                f"<wpt> {i + 1}",
                "",
                wline,
                1,
            )
        )
    times = gpx_times(gpx)
    if times:
        source.not_carried.append(f"{times} in {file}: a tour keeps no times")
    source.not_carried.extend(f"{item} in {file}" for item in gpx_unkept(gpx))
    return source


def _gpx_lines(
    gpx: Any, lines: dict[str, list[int]], source: SourceData
) -> list[tuple[list[list[list[float]]], int | None, str, str | None]]:
    """Per track (else per route) with points: its parts, line, label and name."""
    found = []
    for element, items in (("trk", gpx.tracks), ("rte", gpx.routes)):
        for i, item in enumerate(items):
            parts: list[list[list[float]]] = []
            for points in [s.points for s in item.segments] if element == "trk" else [item.points]:
                _add_part(parts, points, source)
            if parts:
                label = f"<{element}>" if len(items) == 1 else f"<{element}> {i + 1}"
                line = lines[element][i] if i < len(lines[element]) else None
                name = item.name.strip() if item.name and item.name.strip() else None
                found.append((parts, line, label, name))
        if found:
            if element == "trk" and gpx.routes:
                source.not_carried.append(
                    f"{counted(len(gpx.routes), '<rte> route')} of {source.file}:"
                    " the <trk> tracks were used"
                )
            return found
    return found


def _add_part(parts: list[list[list[float]]], points: list[Any], source: SourceData) -> None:
    if len(points) < 2:
        source.not_carried.append(
            f"a GPX segment of {counted(len(points), 'point')} in {source.file}"
        )
        return
    parts.append(gpx_positions(points))


# -- CSV and KML -----------------------------------------------------------------------


def _decoded(data: bytes, file: str, kind: str) -> tuple[str | None, Problem | None]:
    try:
        return data.removeprefix(UTF8_BOM).decode("utf-8"), None
    except UnicodeDecodeError:
        return None, Problem(
            "csv.encoding",
            "",
            f"This {kind} file is not UTF-8 (it looks like Latin-1): save it as UTF-8.",
            line=1,
            column=1,
            file=file,
        )


def _from_csv(data: bytes, file: str) -> SourceData:
    source = SourceData(file, "CSV")
    text, problem = _decoded(data, file, "CSV")  # KML declares its encoding; expat reads it
    if text is None:
        source.problems.append(problem)  # type: ignore[arg-type]
        return source
    rows = read_csv(text, file)
    source.problems.extend(rows.problems)
    source.not_carried.extend(f"{file} {s}" for s in rows.skipped)
    if rows.coordinates:
        lat, lon = rows.coordinates
        others = [c for c in rows.columns if c not in (lat, lon)]
        source.notes.append(
            f"{PurePath(file).name}: CSV columns found: coordinates from {lat}/{lon};"
            f" properties from {', '.join(others) or '(none)'}"
        )
    for feature, line in rows.features:
        source.features.append(
            SourceFeature(
                feature["geometry"], feature["properties"], file, f"row at line {line}", "", line, 1
            )
        )
    return source


def _from_kml(data: bytes, file: str) -> SourceData:
    source = SourceData(file, "KML")
    placemarks = read_kml(data, file)
    source.problems.extend(placemarks.problems)
    source.name, source.description = placemarks.name, placemarks.description
    source.arrays = placemarks.arrays
    source.not_carried.extend(f"{file}: {s}" for s in placemarks.skipped)
    for feature, line in placemarks.features:
        source.features.append(
            SourceFeature(
                feature["geometry"],
                feature["properties"],
                file,
                f"<Placemark> at line {line}",
                "",
                line,
                1,
            )
        )
    return source
