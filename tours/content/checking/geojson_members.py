"""RFC 7946 members any GeoJSON object may carry: ``bbox`` and the legacy ``crs``.

A rule object of :mod:`tours.content.checking.validate`'s checker.
"""

from __future__ import annotations

import re
from typing import Any

from tours.content.checking.findings import Findings
from tours.content.checking.geojson_positions import finite, json_type

_CRS84_NAMES = frozenset(
    (
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "urn:ogc:def:crs:ogc:crs84",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
        "https://www.opengis.net/def/crs/ogc/1.3/crs84",
        "ogc:crs84",
        "crs84",
    )
)
# EPSG:4326, urn:ogc:def:crs:EPSG::4326, http://www.opengis.net/def/crs/EPSG/0/4326 ...:
# "epsg", a non-word character, then the rest of that line ending in a 4326 that no
# digit precedes.  One expression (``epsg\W.*(?<![0-9])4326$``) searched from every
# "epsg" and scanned each to the end: quadratic in the name, minutes for a name of
# "epsg:" repeated over a few hundred kilobytes.  Two linear searches say the same.
_ENDS_4326 = re.compile(r"(?<![0-9])4326$")
_EPSG = re.compile(r"epsg\W", re.IGNORECASE)


def says_epsg_4326(name: str) -> bool:
    """Whether a ``crs`` name is EPSG:4326 (latitude first), in time linear in its length."""
    end = _ENDS_4326.search(name)
    if end is None:
        return False
    head = name[: end.start()]
    # "epsg" and its non-word character, on the line of the 4326 (the character may be
    # the line break just before it).
    return _EPSG.search(head, max(0, head.rfind("\n") - 4)) is not None


class MemberChecks:
    """The checks of ``bbox`` and ``crs``, adding to the run's findings."""

    def __init__(self, findings: Findings) -> None:
        self.error = findings.error
        self.warn = findings.warn

    def bbox(self, box: Any, ptr: str) -> None:
        """A ``bbox``: 4 (or 6) finite numbers, south not above north."""
        if not isinstance(box, list) or len(box) not in (4, 6) or not all(map(finite, box)):
            found = f"{len(box)} values" if isinstance(box, list) else json_type(box)
            self.error(
                "geojson.bbox",
                ptr,
                f'A "bbox" must be an array of 4 numbers [west, south, east, north] (or 6 with'
                f" elevations), found {found}. Fix it or remove it: Bidean recomputes it.",
            )
            return
        half = len(box) // 2
        south, north = box[1], box[half + 1]
        if not (-90 <= south <= north <= 90):
            self.error(
                "geojson.bbox",
                ptr,
                f"The bbox latitudes run from {south} to {north}; they must lie within -90..90"
                " with south before north. Fix it or remove it: Bidean recomputes it.",
            )

    def crs(self, crs: Any, ptr: str) -> None:
        """The pre-RFC 7946 ``crs`` member: harmless only when it names WGS84 lon/lat."""
        props = crs.get("properties") if isinstance(crs, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        name = name if isinstance(name, str) else None
        if crs is None or (name is not None and name.strip().lower() in _CRS84_NAMES):
            self.warn(
                "geojson.crs-legacy",
                ptr,
                'The "crs" member is not part of GeoJSON since RFC 7946 (2016). It names'
                " WGS84 longitude/latitude, which is what GeoJSON always uses, so Bidean drops"
                " it on import; remove it to silence this warning.",
            )
            return
        if name is not None and says_epsg_4326(name):
            self.error(
                "geojson.crs",
                ptr,
                f'The "crs" member says {name}, which officially puts latitude first.'
                " GeoJSON positions are always [longitude, latitude] in WGS84 (RFC 7946 §4)."
                " If the coordinates are already longitude first, just delete the crs member;"
                " otherwise swap each pair and delete it.",
            )
            return
        said = name or shown(crs)
        self.error(
            "geojson.crs",
            ptr,
            f'The "crs" member says the coordinates are in {said}. GeoJSON coordinates must be'
            " WGS84 longitude/latitude (RFC 7946 §4): reproject the file to EPSG:4326 (QGIS"
            ' "Save Features As", or ogr2ogr -t_srs EPSG:4326) and remove the crs member.',
        )


def shown(value: Any) -> str:
    """A bad value as messages show it, cut at 60 characters."""
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."
