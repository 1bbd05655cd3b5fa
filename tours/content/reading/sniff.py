"""Which format a file is in, from its name and its first bytes: one answer for every caller.

Both the import of a tour file (:mod:`tours.content.checking.pipeline`, which names a
CSV or KML file instead of reporting a JSON syntax error) and the assembly of a tour
from other files (:mod:`tours.content.assembly.sources`, which reads each format) ask
:func:`sniff_format`, so a file is never GPX for one and CSV for the other.

The KML and GPX tests live here, not beside their readers: sniffing a GeoJSON tour
(`bidean validate`) must not import the readers of the other formats (numpy, zipfile,
ElementTree, expat).  The CSV test stays in :mod:`~tours.content.reading.csvread`, which
is light and shares its column names with the reader.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from tours.content.reading.csvread import looks_like_csv
from tours.content.reading.jsonload import UTF8_BOM

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


def looks_like_kml(data: bytes, file: str) -> bool:
    """A ``.kml``/``.kmz`` name, a ZIP archive named so, or XML whose root is ``<kml>``."""
    lower = file.lower()
    if lower.endswith((".kml", ".kmz")):
        return True
    head = data[:512].lstrip(UTF8_BOM).lstrip()
    return head.startswith(b"<kml") or (head.startswith(b"<?xml") and b"<kml" in head)


def looks_like_gpx(data: bytes, file: str = "") -> bool:
    """True for a ``.gpx`` name or content that starts like XML."""
    if PurePath(file).suffix.lower() == ".gpx":
        return True
    head = data[:64].removeprefix(UTF8_BOM).lstrip()
    return head.startswith((b"<?xml", b"<gpx"))


def csv_head(data: bytes) -> str:
    """The first 4 kB as text, enough for a CSV header line."""
    return data[:4096].removeprefix(UTF8_BOM).decode("utf-8", errors="replace")
