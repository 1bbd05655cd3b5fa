"""Which format a file is in, from its name and its first bytes: one answer for every caller.

Both the import of a tour file (:mod:`tours.content.checking.pipeline`, which names a
CSV or KML file instead of reporting a JSON syntax error) and the assembly of a tour
from other files (:mod:`tours.content.assembly.sources`, which reads each format) ask
:func:`sniff_format`, so a file is never GPX for one and CSV for the other.
"""

from __future__ import annotations

from typing import Literal

from tours.content.reading.csvread import looks_like_csv
from tours.content.reading.gpx import looks_like_gpx
from tours.content.reading.jsonload import UTF8_BOM
from tours.content.reading.kml import looks_like_kml

Format = Literal["KML", "GPX", "CSV", "GeoJSON"]


def sniff_format(data: bytes, file: str) -> Format:
    """``KML``, ``GPX``, ``CSV`` or ``GeoJSON`` (anything else), from the name and the
    first bytes; each test takes a name (``.kmz``, ``.gpx``, ``.csv``) or a content."""
    if looks_like_kml(data, file):
        return "KML"
    if looks_like_gpx(data, file):
        return "GPX"
    if looks_like_csv(csv_head(data), file):
        return "CSV"
    return "GeoJSON"


def csv_head(data: bytes) -> str:
    """The first 4 kB as text, enough for a CSV header line."""
    return data[:4096].removeprefix(UTF8_BOM).decode("utf-8", errors="replace")
