"""GPX 1.0/1.1 to a tour profile document.

A GPX file knows a line and some named points, not a tour's metadata, so the
conversion fills what it can and leaves the rest for the profile to report:

* the **route** is the tracks (``<trk>``), every segment one part of a
  MultiLineString (a single segment gives a LineString); if the file has no track, its
  routes (``<rte>``) are used instead;
* each **waypoint** (``<wpt>``) becomes a stop: ``<name>`` is its name and ``<desc>``
  (else ``<cmt>``) its story, in ``default_language``; its id is made from the name;
* **slug** from the name of the metadata, the first track or route, else the file name;
  **title** from that name, **summary** from the matching ``<desc>``, **licence** from
  ``<metadata><copyright><license>``, **credits** from ``<metadata><author><name>`` (else
  the ``<copyright author>``), **copyright** from the ``<copyright>``'s author and year;
* **city** and **timezone** come from the import options (``--city``/``--timezone``),
  and so does the licence when the file has none (``--licence``; GPX 1.0 cannot say it);
  **languages** is ``[default_language]`` and **districts** is empty.

Elevation is kept as a third coordinate only when every point of a line (or the
waypoint) has one and they are not all 0 (GPS exporters write 0.0 for "unknown").
Times (``<time>`` of points and metadata), the author's e-mail and link, the application
that wrote the file, ``<extensions>`` and heights that are all 0 are not kept: the
report lists them (:func:`gpx_times`, :func:`gpx_unkept`).

Pointers in the problems refer to the *converted* GeoJSON document (feature 0 is the
route, then one feature per waypoint); :func:`gpx_source` says which GPX element a
pointer came from, so messages can name it.

The XML is first read by expat with a handler that refuses any ``<!DOCTYPE>``: a GPX
file never needs one, and refusing it rules out entity expansion ("billion laughs")
and external entities before gpxpy ever sees the file.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from tours.content.reading.jsonload import UTF8_BOM, human_size
from tours.content.reading.limits import xml_too_deep
from tours.content.reading.xmltext import as_utf8
from tours.content.report import Problem, Severity
from tours.text import counted, slugify
from tours.tour import PROFILE_VERSION

if TYPE_CHECKING:
    import gpxpy.gpx

_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@dataclass
class GpxConversion:
    """The converted document (None if the GPX could not be read), the problems met, and
    the GPX origin of pointers (see :func:`gpx_source`)."""

    document: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


class _Refused(Exception):
    """Raised from an expat handler to stop at a DOCTYPE or entity declaration."""


def gpx_to_document(
    data: bytes,
    *,
    file: str,
    max_bytes: int,
    default_language: str = "en",
    city: str | None = None,
    timezone: str | None = None,
    licence: str | None = None,
) -> GpxConversion:
    """Convert GPX bytes into a tour profile document; never raises.

    ``city``, ``timezone`` and ``licence`` fill what the GPX cannot say (a GPX 1.1
    ``<license>`` wins over ``licence``)."""
    gpx, problems = read_gpx(data, max_bytes=max_bytes)
    if gpx is None:
        return GpxConversion(None, problems)
    conversion = _Converter(gpx, file, default_language, city, timezone, licence).convert()
    conversion.problems[:0] = problems  # warnings only: the encoding it was read in
    return conversion


def read_gpx(data: bytes, *, max_bytes: int) -> tuple[gpxpy.gpx.GPX | None, list[Problem]]:
    """Parse GPX bytes safely with gpxpy: the size limit, no DOCTYPE, a ``<gpx>`` root,
    the declared encoding, and blank elements read as absent; never raises."""
    if len(data) > max_bytes:
        return None, [too_large(len(data), max_bytes)]
    if not data.removeprefix(UTF8_BOM).strip():
        return None, [Problem("gpx.empty", "", "The file is empty. Export the GPX again.")]
    data, encoding = as_utf8(data, "gpx.encoding", "GPX")
    if encoding is not None and encoding.severity is Severity.ERROR:
        return None, [encoding]
    warnings = [encoding] if encoding is not None else []
    problem = _check_xml(data) or xml_too_deep(data)
    if problem is not None:
        return None, [*warnings, problem]
    text, problem = _decode(data)
    if problem is not None:
        return None, [*warnings, problem]
    # Late import, only to keep `bidean validate` fast: the importer sniffs every file
    # (`sniff.looks_like_gpx`), gpxpy is needed only for a GPX one.
    import gpxpy

    try:
        return gpxpy.parse(without_blank_elements(text)), warnings
    except Exception as exc:  # gpxpy raises GPXException but also ValueError on bad numbers
        return None, [
            *warnings,
            Problem(
                "gpx.invalid",
                "",
                f"The XML is well-formed but is not GPX that Bidean can read: {exc}."
                " Export the file again as GPX 1.1.",
            ),
        ]


# Esri ArcGIS writes <ele> </ele> and <name> </name> for "no value"; gpxpy refuses a blank
# number, and a blank name is no name.  Such elements are read as absent.
# Only elements without attributes: <trkpt lat=".." lon=".."></trkpt> is a point, not blank.
_BLANK_ELEMENT = re.compile(r"<((?:\w+:)?\w+)>\s*</\1>|<(?:\w+:)?\w+\s*/>")


def without_blank_elements(text: str) -> str:
    """``text`` without elements holding only whitespace (``<ele> </ele>``, ``<name/>``)."""
    return _BLANK_ELEMENT.sub("", text)


def too_large(size: int, max_bytes: int) -> Problem:
    """The problem for a file of ``size`` bytes over the ``max_bytes`` limit."""
    return Problem(
        "gpx.too-large",
        "",
        f"The file is {human_size(size)}, more than the import limit of {human_size(max_bytes)}."
        " Simplify the track (fewer points); an administrator can raise the limit (in MB)"
        " with the environment variable BIDEAN_MAX_IMPORT_MB.",
    )


def _check_xml(data: bytes) -> Problem | None:
    """Well-formedness with line/column, no DOCTYPE, and a <gpx> root, before gpxpy
    reads the file (gpxpy itself would accept any root element and find nothing)."""
    parser = xml.parsers.expat.ParserCreate()
    roots: list[str] = []

    def refuse(*_args: Any) -> None:
        raise _Refused

    def element(name: str, _attributes: Any) -> None:
        if not roots:
            roots.append(name)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = element
    try:
        parser.Parse(data, True)
    except _Refused:
        line, column = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        return Problem(
            "gpx.doctype",
            "",
            f"The file has a <!DOCTYPE> or entity declaration (line {line}, column {column})."
            " GPX never needs one and Bidean refuses it, because entities can make a small"
            " file expand enormously or read other files. Remove the declaration.",
            line=line,
            column=column,
        )
    except LookupError as exc:  # the XML declaration names an encoding Python lacks
        return Problem(
            "gpx.encoding",
            "",
            f"The file declares an encoding Bidean does not know ({exc}). Save it as UTF-8.",
            line=1,
            column=1,
        )
    except xml.parsers.expat.ExpatError as exc:
        line, column = exc.lineno, exc.offset + 1
        reason = xml.parsers.expat.ErrorString(exc.code)
        return Problem(
            "gpx.syntax",
            "",
            f"XML syntax error at line {line}, column {column}: {reason}. Check the tags"
            " near that point (a missing closing tag or an unescaped & or <).",
            line=line,
            column=column,
        )
    if roots and roots[0].rpartition(":")[2] != "gpx":
        return Problem(
            "gpx.invalid",
            "",
            f"The XML's root element is <{roots[0]}>, not <gpx>: this is not a GPX file."
            " Export the tour as GPX 1.1, or upload its GeoJSON.",
        )
    return None


def _decode(data: bytes) -> tuple[str, Problem | None]:
    data = data.removeprefix(UTF8_BOM)
    declared = _DECLARED_ENCODING.match(data)
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding), None
    except (LookupError, UnicodeDecodeError) as exc:
        return "", Problem(
            "gpx.encoding",
            "",
            f"The file cannot be read as {encoding}: {exc}. Save it again as UTF-8.",
        )


class _Converter:
    def __init__(
        self,
        gpx: gpxpy.gpx.GPX,
        file: str,
        language: str,
        city: str | None,
        timezone: str | None,
        licence: str | None,
    ) -> None:
        self.licence = licence
        self.gpx = gpx
        self.file = file
        self.language = language
        self.city = city
        self.timezone = timezone
        self.problems: list[Problem] = []
        self.sources: dict[str, str] = {}

    def convert(self) -> GpxConversion:
        self._not_kept(gpx_authorship(self.gpx))
        lines, line_source = self._lines()
        features: list[dict[str, Any]] = []
        if lines:
            geometry: dict[str, Any] = (
                {"type": "LineString", "coordinates": lines[0]}
                if len(lines) == 1
                else {"type": "MultiLineString", "coordinates": lines}
            )
            features.append(
                {"type": "Feature", "geometry": geometry, "properties": self._route_properties()}
            )
            self._route_sources(line_source)
        features.extend(self._stops(first_index=len(features)))
        document = {"type": "FeatureCollection", "features": features}
        return GpxConversion(document, self.problems, self.sources)

    def _lines(self) -> tuple[list[list[list[float]]], str]:
        lines: list[list[list[float]]] = []
        for t, track in enumerate(self.gpx.tracks):
            for s, segment in enumerate(track.segments):
                self._add_line(lines, segment.points, f"<trk> {t + 1}, <trkseg> {s + 1}")
        if lines:
            if self.gpx.routes:
                self.problems.append(
                    Problem(
                        "gpx.routes-ignored",
                        "",
                        "The file has tracks and"
                        f" {counted(len(self.gpx.routes), '<rte> route')}; Bidean used the"
                        " tracks as the tour's route and ignored the <rte> routes.",
                        Severity.WARNING,
                    )
                )
            return lines, "the <trk> tracks (one part per <trkseg>)"
        for r, route in enumerate(self.gpx.routes):
            self._add_line(lines, route.points, f"<rte> {r + 1}")
        return lines, "the <rte> routes (one part per <rte>)"

    def _add_line(self, lines: list[list[list[float]]], points: list[Any], where: str) -> None:
        if len(points) < 2:
            self.problems.append(
                Problem(
                    "gpx.short-segment",
                    "",
                    f"{where} has {counted(len(points), 'point')}; a line needs at least 2, so"
                    " Bidean skipped it.",
                    Severity.WARNING,
                )
            )
            return
        lines.append(gpx_positions(points))

    def _named(self) -> tuple[str | None, str | None, str]:
        """The first (name, description) among metadata, tracks and routes, and its source."""
        candidates = [(self.gpx.name, self.gpx.description, "<metadata>")]
        candidates += [(t.name, t.description, "<trk>") for t in self.gpx.tracks]
        candidates += [(r.name, r.description, "<rte>") for r in self.gpx.routes]
        name = next(((n, d, w) for n, d, w in candidates if n and n.strip()), None)
        if name is not None:
            desc = name[1] if name[1] and name[1].strip() else None
            if desc is None:
                desc = next((d for _, d, _ in candidates if d and d.strip()), None)
            return name[0], desc, name[2]
        desc = next((d for _, d, _ in candidates if d and d.strip()), None)
        return None, desc, "<metadata>"

    def _route_properties(self) -> dict[str, Any]:
        name, desc, _ = self._named()
        authorship = gpx_authorship(self.gpx)
        text = self.language
        props: dict[str, Any] = {
            "profile": PROFILE_VERSION,
            "slug": slugify(name or PurePath(self.file).stem) or None,
            "title": {text: name.strip()} if name else None,
            "summary": {text: desc.strip()} if desc else None,
            "city": self.city,
            "timezone": self.timezone,
            "districts": [],
            "languages": [text],
            "licence": self.gpx.copyright_license or self.licence,
            "credits": {text: authorship.credits} if authorship.credits else None,
            "copyright": authorship.copyright,
        }
        return {k: v for k, v in props.items() if v is not None}

    def _not_kept(self, authorship: GpxAuthorship) -> None:
        """A warning for what the file says that the tour cannot keep."""
        times = gpx_times(self.gpx)
        # Not the creator here: GPX 1.1 requires one, and a warning on every file is noise.
        unkept = gpx_unkept(self.gpx, with_creator=False)
        items = [*authorship.not_carried, *([times] if times else []), *unkept]
        if items:
            self.problems.append(
                Problem(
                    "gpx.not-carried",
                    "",
                    f"Not carried over into the tour: {'; '.join(items)}.",
                    Severity.WARNING,
                )
            )

    def _route_sources(self, line_source: str) -> None:
        base = "/features/0"
        self.sources[f"{base}/geometry"] = line_source
        self.sources[f"{base}/properties"] = "the GPX file's metadata and the import options"
        for key, source in {
            "slug": "made from <metadata><name> (else <trk><name>, else the file name)",
            "title": "<metadata><name> or <trk><name>",
            "summary": "<metadata><desc> or <trk><desc>",
            "city": "the --city option",
            "timezone": "the --timezone option (for example Europe/Madrid)",
            "licence": "<metadata><copyright><license>, else the --licence option",
            "languages": "the --language option",
            "credits": "<metadata><author><name> (else <copyright author>)",
            "copyright": "<metadata><copyright> (its author and <year>)",
        }.items():
            self.sources[f"{base}/properties/{key}"] = source

    def _stops(self, first_index: int) -> list[dict[str, Any]]:
        features = []
        used: set[str] = set()
        for i, wpt in enumerate(self.gpx.waypoints):
            ptr = f"/features/{first_index + i}"
            name = (wpt.name or "").strip()
            story = (wpt.description or wpt.comment or "").strip()
            stop_id = _unique(slugify(name)[:56] or f"wpt-{i + 1}", used)
            position = [wpt.longitude, wpt.latitude]
            if wpt.elevation:
                position.append(wpt.elevation)
            props: dict[str, Any] = {"id": stop_id}
            if name:
                props["name"] = {self.language: name}
            if story:
                props["story"] = {self.language: story}
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": position},
                    "properties": props,
                }
            )
            label = f'<wpt> {i + 1} "{name}"' if name else f"<wpt> {i + 1}"
            self.sources[ptr] = label
            self.sources[f"{ptr}/properties/name"] = f"the <name> of {label}"
            self.sources[f"{ptr}/properties/story"] = f"the <desc> (or <cmt>) of {label}"
        return features


def _unique(stop_id: str, used: set[str]) -> str:
    candidate, n = stop_id, 2
    while candidate in used:
        candidate, n = f"{stop_id}-{n}", n + 1
    used.add(candidate)
    return candidate


@dataclass(frozen=True)
class GpxAuthorship:
    """What a GPX file's ``<metadata>`` says of who made it, as a tour says it.

    ``credits`` is the ``<author><name>``, else the ``<copyright author>``; ``copyright``
    the ``<copyright>``'s author and year (the route property of that name); what has no
    place in a tour (the author's e-mail and link) is listed in ``not_carried``."""

    credits: str | None = None
    copyright: dict[str, Any] | None = None
    not_carried: tuple[str, ...] = ()


def gpx_authorship(gpx: gpxpy.gpx.GPX) -> GpxAuthorship:
    """The authorship of a parsed GPX file (see :class:`GpxAuthorship`)."""
    name = _stripped(gpx.author_name)
    holder = _stripped(gpx.copyright_author)
    year = _stripped(gpx.copyright_year)
    copyright: dict[str, Any] = {}
    if holder:
        copyright["author"] = holder
    if year:
        copyright["year"] = int(year) if year.isdigit() else year
    dropped = [
        f"the author's {what} in <metadata><author>"
        for what, value in (("e-mail", gpx.author_email), ("link", gpx.author_link))
        if _stripped(value)
    ]
    return GpxAuthorship(name or holder, copyright or None, tuple(dropped))


def gpx_unkept(gpx: gpxpy.gpx.GPX, *, with_creator: bool = True) -> list[str]:
    """What else a GPX file says that a tour does not keep, for the report's "not carried
    over": the application that wrote it (an export names Bidean), the ``<extensions>``
    of the file, its tracks, routes and waypoints with their values (a line's colour),
    how many points had extensions, and heights that are all 0 (no heights at all)."""
    unkept = []
    creator = _stripped(gpx.creator) if with_creator else None
    if creator and creator != "Bidean":  # a tour's own export says nothing lost
        unkept.append(f'the application that wrote it, <gpx creator="{creator}">')
    owners = [("<gpx>", gpx.extensions), ("<metadata>", gpx.metadata_extensions)]
    owners += [(f"<trk> {i + 1}", t.extensions) for i, t in enumerate(gpx.tracks)]
    owners += [(f"<rte> {i + 1}", r.extensions) for i, r in enumerate(gpx.routes)]
    owners += [(f"<wpt> {i + 1}", w.extensions) for i, w in enumerate(gpx.waypoints)]
    for owner, elements in owners:
        values = [
            f'{_local(e.tag)} "{e.text.strip()}"'
            for element in elements or []
            for e in element.iter()
            if e.text and e.text.strip()
        ]
        tags = ", ".join(_local(e.tag) for e in elements or [])
        if elements:
            unkept.append(f"the <extensions> of {owner} ({'; '.join(values) or tags})")
    segments = [s.points for t in gpx.tracks for s in t.segments] + [r.points for r in gpx.routes]
    points = [p for points in segments for p in points]
    extended = sum(1 for p in points if p.extensions)
    if extended:
        unkept.append(f"the <extensions> of {counted(extended, 'point')} of the lines")
    flat = [
        points
        for points in segments
        if points and all(p.elevation is not None for p in points)
        if not any(p.elevation for p in points)
    ]
    if flat:
        heights = counted(sum(len(points) for points in flat), "point")
        unkept.append(f"the <ele> of {heights} of the lines: all 0, so no heights were kept")
    return unkept


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def gpx_times(gpx: gpxpy.gpx.GPX) -> str | None:
    """What a GPX file says of times, which a tour does not keep ("the <time> of 1200
    track points (2019-05-04T08:00:00Z to …)"), or None when it has none."""
    track = [p.time for t in gpx.tracks for s in t.segments for p in s.points if p.time]
    route = [p.time for r in gpx.routes for p in r.points if p.time]
    waypoints = [w.time for w in gpx.waypoints if w.time]
    parts = []
    for times, noun in ((track, "track point"), (route, "route point"), (waypoints, "waypoint")):
        if times:
            stamps = sorted(t.isoformat() for t in times)  # strings: naive and aware mix
            span = stamps[0] if stamps[0] == stamps[-1] else f"{stamps[0]} to {stamps[-1]}"
            parts.append(f"of {counted(len(times), noun)} ({span})")
    if gpx.time:
        parts.append(f"of the <metadata> ({gpx.time.isoformat()})")
    return f"the <time> {', '.join(parts)}" if parts else None


def _stripped(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def gpx_source(sources: dict[str, str], ptr: str) -> str | None:
    """The GPX element a pointer of the converted document came from (longest prefix)."""
    while True:
        if ptr in sources:
            return sources[ptr]
        if not ptr:
            return None
        ptr = ptr.rsplit("/", 1)[0]


def gpx_positions(points: list[Any]) -> list[list[float]]:
    """``[lon, lat]`` of each gpxpy point, with its height when every point has one and
    not all are 0 (a GPS that writes 0 for "unknown")."""
    with_ele = all(p.elevation is not None for p in points) and any(p.elevation for p in points)
    if with_ele:
        return [[p.longitude, p.latitude, p.elevation] for p in points]
    return [[p.longitude, p.latitude] for p in points]
