"""Exports of a stored tour document: GeoJSON (built with the ``geojson`` package's types)
and GPX 1.1 (built with gpxpy) for OsmAnd, Komoot and Garmin tools.

GPX: the route is one track (a segment per piece of a MultiLineString) and each stop
a waypoint whose ``<name>`` and ``<desc>`` are its name and story in the chosen
language, through the content fallback chain; the tour's title and summary are the
metadata's name and description; its credits the metadata's author, and its ``copyright``
(author, year) and licence the metadata's copyright.  Bidean is only the ``creator``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import geojson
import gpxpy.gpx

from tours.i18n import LocalizedText

_YEAR = re.compile(r"-?\d{4,}")  # an xsd:gYear without a time zone

_GEOMETRIES: dict[str, Any] = {
    "Point": geojson.Point,
    "LineString": geojson.LineString,
    "MultiLineString": geojson.MultiLineString,
    "Polygon": geojson.Polygon,
    "MultiPolygon": geojson.MultiPolygon,
}


def to_geojson(document: dict[str, Any]) -> geojson.FeatureCollection:
    """The document as ``geojson`` objects (``is_valid`` checks them); coordinates are
    already rounded to 6 decimals, so the package's own rounding changes nothing."""
    features = []
    for feature in document["features"]:
        shape = feature["geometry"]
        geometry = _GEOMETRIES[shape["type"]](shape["coordinates"], precision=6)
        features.append(geojson.Feature(geometry=geometry, properties=feature["properties"]))
    return geojson.FeatureCollection(features)


def _text(value: Any, language: str, default: str) -> str:
    if isinstance(value, str):
        return value
    return LocalizedText(value if isinstance(value, dict) else {}).get_text(language, default)


def _authorship(gpx: gpxpy.gpx.GPX, props: dict[str, Any], language: str, default: str) -> None:
    """``<metadata><author>`` from the credits, ``<copyright>`` from the route's
    ``copyright`` (its author, else the credits; its year) and the licence.  GPX requires a
    copyright's author, so a licence without any author known goes in a ``<link>``."""
    credits = _text(props.get("credits"), language, default) or None
    copyright = props.get("copyright") if isinstance(props.get("copyright"), dict) else {}
    holder = copyright.get("author") if isinstance(copyright.get("author"), str) else None
    licence = props.get("licence") if isinstance(props.get("licence"), str) else None
    gpx.author_name = credits
    author = holder or credits
    if author is None:
        if licence:
            gpx.link, gpx.link_text = licence_url(licence), f"Licence: {licence}"
        return
    gpx.copyright_author = author
    year = copyright.get("year")
    if isinstance(year, int) or (isinstance(year, str) and _YEAR.fullmatch(year)):
        gpx.copyright_year = str(year)
    gpx.copyright_license = licence


def licence_url(licence: str) -> str:
    """A URL for the licence: itself when it is one, else its page at SPDX."""
    if licence.startswith(("http://", "https://")):
        return licence
    return f"https://spdx.org/licenses/{quote(licence.strip())}.html"


def to_gpx(document: dict[str, Any], language: str, *, published_only: bool = True) -> str:
    """GPX 1.1 text for the document, texts in ``language`` (with fallback)."""
    features = document["features"]
    route = features[0]
    props = route.get("properties") or {}
    languages = props.get("languages") or [language]
    default = languages[0] if languages else language
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "Bidean"  # the application that wrote the file, never its author
    gpx.name = _text(props.get("title"), language, default) or props.get("slug")
    gpx.description = _text(props.get("summary"), language, default) or None
    _authorship(gpx, props, language, default)
    track = gpxpy.gpx.GPXTrack(name=gpx.name)
    geometry = route["geometry"]
    lines = (
        [geometry["coordinates"]] if geometry["type"] == "LineString" else geometry["coordinates"]
    )
    for line in lines:
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points = [
            gpxpy.gpx.GPXTrackPoint(p[1], p[0], elevation=p[2] if len(p) > 2 else None)
            for p in line
        ]
        track.segments.append(segment)
    gpx.tracks.append(track)
    for feature in features[1:]:
        if feature["geometry"]["type"] != "Point":
            continue
        stop = feature.get("properties") or {}
        if published_only and stop.get("status", "published") != "published":
            continue
        lon, lat, *rest = feature["geometry"]["coordinates"]
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                lat,
                lon,
                elevation=rest[0] if rest else None,
                name=_text(stop.get("name"), language, default) or stop.get("id"),
                description=_text(stop.get("story"), language, default) or None,
            )
        )
    return gpx.to_xml(version="1.1")
