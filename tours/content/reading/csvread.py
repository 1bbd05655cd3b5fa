"""Stops from a CSV file (the standard library's ``csv``): one row per stop.

The coordinates come from a pair of columns, found by name (``lat``/``lon``, ``lng``,
``latitude``/``longitude``, ``x``/``y``, in any case); every other column becomes a
property of the stop, so the field map reads ``name``, ``description`` and friends as
it would in GeoJSON.  Each row remembers its line, so problems can name it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from tours.content.report import Problem, Severity

_LATITUDE = ("lat", "latitude", "y", "latitud", "breite")
_LONGITUDE = ("lon", "lng", "long", "longitude", "x", "longitud", "laenge", "länge")


@dataclass
class CsvStops:
    """Point features (with the line of their row), the columns used, and problems."""

    features: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    coordinates: tuple[str, str] | None = None
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def looks_like_csv(text: str, file: str) -> bool:
    """A ``.csv``/``.tsv`` name, or a first line with a delimiter and a lat/lon column."""
    if file.lower().endswith((".csv", ".tsv")):
        return True
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip().lower()
    if first.startswith(("{", "[", "<")) or not first:
        return False
    cells = [c.strip().strip('"') for c in first.replace(";", ",").replace("\t", ",").split(",")]
    return any(c in _LATITUDE for c in cells) and any(c in _LONGITUDE for c in cells)


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def read_csv(text: str, file: str) -> CsvStops:
    """Rows with coordinates become Point features; the rest are reported and skipped."""
    result = CsvStops()
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    columns = [c for c in (reader.fieldnames or []) if c is not None]
    result.columns = columns
    lowered = {c.strip().lower(): c for c in columns}
    lat = next((lowered[n] for n in _LATITUDE if n in lowered), None)
    lon = next((lowered[n] for n in _LONGITUDE if n in lowered), None)
    if lat is None or lon is None:
        result.problems.append(
            Problem(
                "csv.no-coordinates",
                "",
                f"The CSV file has the columns {', '.join(columns) or '(none)'} but no pair of"
                " coordinate columns: name them lat and lon (or latitude and longitude), in"
                " decimal degrees.",
                line=1,
                column=1,
                file=file,
            )
        )
        return result
    result.coordinates = (lat, lon)
    for row in reader:
        line = reader.line_num
        lat_value, lon_value = _number(row.get(lat) or ""), _number(row.get(lon) or "")
        if lat_value is None or lon_value is None:
            result.skipped.append(f"line {line} (no numbers in {lat}/{lon})")
            result.problems.append(
                Problem(
                    "csv.row-without-coordinates",
                    "",
                    f"Row at line {line} has no usable {lat}/{lon} numbers"
                    f" ({row.get(lat)!r}, {row.get(lon)!r}); it was skipped.",
                    Severity.WARNING,
                    line=line,
                    column=1,
                    file=file,
                )
            )
            continue
        props = {
            k: v.strip()
            for k, v in row.items()
            if k is not None and k not in (lat, lon) and isinstance(v, str) and v.strip()
        }
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon_value, lat_value]},
            "properties": props,
        }
        result.features.append((feature, line))
    return result
