"""The public entry point for checking tour files: bytes or a path in, a report out.

One pipeline for every caller (the CLI, the web upload, the tests)::

    bytes ─ reading.sniff ─┬─ GeoJSON: reading.jsonload (json.*) ─┐
                           └─ GPX:     reading.gpx      (gpx.*)  ─┴─ checking.validate
        (geojson.*) ─ checking.profile (profile.*, normalisation) ─ Tour.from_document

Storing the valid ones is a workflow (:mod:`tours.content.workflows.storing`,
:mod:`tours.content.workflows.intake`); nothing here touches the database.

Every stage adds to one :class:`~tours.content.report.Report`; nothing here raises for a bad
file.  The profile stage runs only on structurally valid GeoJSON: its rules assume
the structure (and a document with duplicate keys or ``NaN`` has no reliable meaning).
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tours.content.checking.profile import apply_profile
from tours.content.checking.validate import CoordinateArrays, validate_geojson
from tours.content.reading.jsonload import load_json
from tours.content.reading.jsonload import too_large as json_too_large
from tours.content.reading.positions import pointer_positions
from tours.content.reading.sniff import csv_head, sniff_format
from tours.content.report import Problem, Report
from tours.tour.domain import Tour
from tours.tour.geometry import RouteGeometry

log = logging.getLogger(__name__)

__all__ = [
    "Prepare",
    "ValidationOptions",
    "ValidationResult",
    "validate_bytes",
    "validate_document",
    "validate_path",
]

# Problems at these levels leave the document's structure in doubt: no profile checks.
_STRUCTURAL = ("json.", "gpx.", "geojson.")
_LINES = ("LineString", "MultiLineString")

#: A step run on a GeoJSON document as soon as it is parsed, before any check: it may
#: change the document in place and returns the problems it found, which join the report
#: with their line and column (the CLI checks or stores the images a tour names by a path
#: beside its file, ``webapp.commands.validate``), so that the file is parsed once.
Prepare = Callable[[Any], list[Problem]]


@dataclass(frozen=True)
class ValidationOptions:
    """Knobs of validation; the CLI fills them from the app config and its options.

    ``city`` overrides the tour's city, and ``title`` and ``summary`` its title and
    summary in the ``default_language`` (else in the file's first language), in every
    format.  ``default_language``, ``timezone`` and ``licence`` are otherwise only used
    for GPX files, which cannot say them (a GPX 1.1 ``<license>`` wins over ``licence``).
    """

    max_bytes: int = 50 * 1024 * 1024
    stop_distance_m: float = 50.0
    max_depth: int = 64
    default_language: str = "en"
    city: str | None = None
    timezone: str | None = None
    licence: str | None = None
    title: str | None = None
    summary: str | None = None


@dataclass
class ValidationResult:
    """The report, and when the file is valid the normalised document and the Tour."""

    report: Report
    document: dict[str, Any] | None
    tour: Tour | None

    @property
    def valid(self) -> bool:
        return self.report.valid and self.tour is not None


def validate_bytes(
    data: bytes,
    file: str,
    options: ValidationOptions | None = None,
    *,
    prepare: Prepare | None = None,
) -> ValidationResult:
    """Validate a GeoJSON or GPX file given as bytes; ``file`` names it in the report.

    GPX is recognised by a ``.gpx`` name or by content starting with ``<?xml``/``<gpx``.
    ``prepare`` runs on a parsed GeoJSON document before it is checked (:data:`Prepare`).
    """
    options = options or ValidationOptions()
    report = Report(file)
    try:
        with without_gc():
            kind = sniff_format(data, file)
            if kind in ("KML", "CSV"):
                report.problems.append(_other_format(kind, data))
                return ValidationResult(report, None, None)
            if kind == "GPX":
                return _validate_gpx(data, report, options)
            value, problems = load_json(
                data, max_bytes=options.max_bytes, max_depth=options.max_depth
            )
            report.problems.extend(problems)
            if value is None:
                return ValidationResult(report, None, None)
            if prepare is not None:
                report.problems.extend(prepare(value))
            result = _validate_value(value, report, options)
            report.problems[:] = _with_positions(report.problems, data)
            return result
    except Exception as exc:  # a bug must not become a traceback for the person importing
        log.exception("validating %s failed", file)
        report.error(
            "import.internal-error",
            "",
            f"Bidean failed while checking this file ({type(exc).__name__}: {exc}). This is a"
            " bug in Bidean, not necessarily in the file: please report it with the file.",
        )
        return ValidationResult(report, None, None)


def validate_document(
    value: Any,
    file: str = "<document>",
    options: ValidationOptions | None = None,
    *,
    route_geometry: RouteGeometry | None = None,
    arrays: CoordinateArrays | None = None,
) -> ValidationResult:
    """Validate an already parsed GeoJSON value (a tour document built in code);
    ``route_geometry``, its route already measured, saves measuring it again when it is
    of the route as stored, and ``arrays``, its coordinates already converted, saves
    converting them again."""
    with without_gc():
        options = options or ValidationOptions()
        return _validate_value(value, Report(file), options, route_geometry, arrays)


@contextmanager
def without_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document is checked.

    Parsing and normalising a big route allocates hundreds of thousands of small lists
    that all stay alive and form no cycles, so every collection the allocations trigger
    scans a growing heap for nothing: on a 100,000-vertex route that was a third of the
    import time.  Storing the tour (``tours.content.workflows.storing`` and ``intake``)
    pauses it too: serialising the document allocates as many again.  Reference counting still
    frees everything as usual; the collector is switched back on afterwards (unless
    something else had already switched it off).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_path(
    path: str | os.PathLike[str],
    options: ValidationOptions | None = None,
    *,
    prepare: Prepare | None = None,
) -> ValidationResult:
    """Validate a file on disk.  A missing, unreadable or oversized file is a problem in
    the report, not an exception; an oversized one is not even read.  ``prepare`` is
    :func:`validate_bytes`'s."""
    options = options or ValidationOptions()
    path = Path(path)
    name = str(path)
    data, problem = _read(path, options.max_bytes)
    if problem is not None:
        return ValidationResult(Report(name, [problem]), None, None)
    return validate_bytes(data, name, options, prepare=prepare)


# -- pipeline -----------------------------------------------------------------------------


def _validate_value(
    value: Any,
    report: Report,
    options: ValidationOptions,
    route_geometry: RouteGeometry | None = None,
    arrays: CoordinateArrays | None = None,
) -> ValidationResult:
    arrays = CoordinateArrays() if arrays is None else arrays
    report.problems.extend(validate_geojson(value, arrays))
    if any(p.code.startswith(_STRUCTURAL) for p in report.errors):
        return ValidationResult(report, None, None)
    profile = apply_profile(
        _with_given_texts(value, options),
        stop_distance_m=options.stop_distance_m,
        city=options.city,
        arrays=arrays,
        route_geometry=route_geometry,
    )
    report.problems.extend(profile.problems)
    if profile.document is None or not report.valid:
        return ValidationResult(report, None, None)
    tour = Tour.from_document(profile.document)
    if profile.route_geometry is not None:
        tour = tour.with_geometry(profile.route_geometry)
    return ValidationResult(report, profile.document, tour)


def _with_given_texts(value: Any, options: ValidationOptions) -> Any:
    """``value`` with the route's title and summary set from the options (a copy: the
    caller's value is not changed); as it was when there are none or no route."""
    given = {k: v for k, v in (("title", options.title), ("summary", options.summary)) if v}
    features = value.get("features") if isinstance(value, dict) and given else None
    for i, feature in enumerate(features if isinstance(features, list) else ()):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in _LINES:
            continue
        props = dict(feature.get("properties") or {})
        languages = props.get("languages")
        language = options.default_language
        if isinstance(languages, list) and languages and language not in languages:
            language = languages[0] if isinstance(languages[0], str) else language
        for key, text in given.items():
            current = props.get(key)
            props[key] = {**(current if isinstance(current, dict) else {}), language: text}
        copied = list(features)
        copied[i] = {**feature, "properties": props}
        return {**value, "features": copied}
    return value


def _validate_gpx(data: bytes, report: Report, options: ValidationOptions) -> ValidationResult:
    # Late import, only for the CLI's start-up: `bidean validate` of a GeoJSON tour reads
    # no GPX (the format is sniffed by `reading.sniff`).
    from tours.content.reading.gpx import gpx_source, gpx_to_document

    conversion = gpx_to_document(
        data,
        file=report.file,
        max_bytes=options.max_bytes,
        default_language=options.default_language,
        city=options.city,
        timezone=options.timezone,
        licence=options.licence,
    )
    report.problems.extend(conversion.problems)
    if conversion.document is None:
        return ValidationResult(report, None, None)
    converted = _validate_value(conversion.document, Report(report.file), options)
    report.problems.extend(
        _from_gpx(p, gpx_source(conversion.sources, p.pointer)) for p in converted.report.problems
    )
    return ValidationResult(report, converted.document, converted.tour)


def _with_positions(problems: list[Problem], data: bytes) -> list[Problem]:
    """Every problem with the line and column of its pointer, from the parser's positions."""
    wanted = {p.pointer for p in problems if p.line is None}
    if not wanted:
        return problems
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    positions = pointer_positions(text, wanted)
    return [
        p
        if p.line is not None
        else dataclasses.replace(p, line=positions[p.pointer][0], column=positions[p.pointer][1])
        for p in problems
    ]


def _other_format(kind: str, data: bytes) -> Problem:
    """A CSV or KML file gets a message naming its format, not a JSON syntax error."""
    if kind == "KML":
        return Problem(
            "format.kml",
            "",
            "This is a KML (or KMZ) file, not a tour document. `bidean import FILE` assembles"
            " its lines and placemarks into a draft tour; `bidean import --route ROUTE --stops"
            " FILE` takes its placemarks as stops.",
            line=1,
            column=1,
        )
    columns = csv_head(data).split("\n", 1)[0].strip()
    return Problem(
        "format.csv",
        "",
        f"This is a CSV file (columns: {columns[:200]}), a list of stops rather than a"
        " tour document. Import it with `bidean import --route ROUTE --stops FILE`: each"
        " row with lat/lon (or latitude/longitude) columns becomes a stop.",
        line=1,
        column=1,
    )


def _from_gpx(problem: Problem, source: str | None) -> Problem:
    """Say which GPX element (``source``) a problem's pointer (into the converted GeoJSON)
    came from."""
    note = f" (GPX: {source}; the pointer is into the GeoJSON converted from the GPX.)"
    return dataclasses.replace(problem, message=problem.message + note) if source else problem


def _read(path: Path, max_bytes: int) -> tuple[bytes, Problem | None]:
    """The file's bytes, or a problem saying plainly why it cannot be read."""
    try:
        if path.is_dir():
            return b"", Problem(
                "file.unreadable", "", f"{path} is a directory; give the tour file inside it."
            )
        size = path.stat().st_size
        if size > max_bytes:  # say so without reading a file that may be huge
            with path.open("rb") as handle:
                head = handle.read(64)
            if sniff_format(head, str(path)) != "GPX":
                return b"", json_too_large(size, max_bytes)
            # Late import, only for the CLI's start-up, as in _validate_gpx.
            from tours.content.reading.gpx import too_large as gpx_too_large

            return b"", gpx_too_large(size, max_bytes)
        return path.read_bytes(), None
    except FileNotFoundError:
        return b"", Problem("file.not-found", "", f"There is no file {path}: check the name.")
    except PermissionError:
        return b"", Problem(
            "file.unreadable", "", f"Bidean may not read {path}: check its permissions."
        )
    except OSError as exc:
        return b"", Problem("file.unreadable", "", f"{path} cannot be read: {exc.strerror}.")
