"""The Bidean tour profile (``profile.*`` codes) and normalisation.

Runs on a document that passed :mod:`tours.content.checking.validate` (RFC 7946) and answers the
profile's questions: which feature is the route, which are stops and districts, and
do their ``properties`` say what ``docs/geojson-profile.md`` asks.  When nothing is
wrong it also produces the *normalised* document that :class:`tours.tour.domain.Tour` is
built from: a FeatureCollection with the route first, then the stops in tour order,
then the districts; coordinates rounded to 6 decimals; rings counter-clockwise;
language tags canonical; ``crs``, ``bbox`` and foreign members dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tours.content.checking.findings import Findings
from tours.content.checking.profile_features import FeatureRef, feature_ref
from tours.content.checking.profile_geometry import (
    round_geometry,
    rounded_positions,
    route_warnings,
)
from tours.content.checking.profile_route import RouteRules
from tours.content.checking.profile_stops import StopRules
from tours.content.checking.textmaps import TextChecker
from tours.content.checking.validate import CoordinateArrays
from tours.content.report import Problem
from tours.coords import LonLat
from tours.tour.geometry import GeometryError, RouteGeometry, plan_itinerary

DEFAULT_STOP_DISTANCE_M = 50.0

_ROUTE_TYPES = ("LineString", "MultiLineString")
_DISTRICT_TYPES = ("Polygon", "MultiPolygon")


@dataclass
class ProfileResult:
    """What the profile found, and the normalised document when there were no errors."""

    problems: list[Problem]
    document: dict[str, Any] | None
    #: The route as stored (rounded), measured: a ``Tour`` of ``document`` can take it
    #: instead of measuring its route again (``Tour.with_geometry``).
    route_geometry: RouteGeometry | None = None


def apply_profile(
    document: dict[str, Any],
    *,
    stop_distance_m: float = DEFAULT_STOP_DISTANCE_M,
    city: str | None = None,
    arrays: CoordinateArrays | None = None,
    route_geometry: RouteGeometry | None = None,
) -> ProfileResult:
    """Check ``document`` against the tour profile and normalise it.

    ``document`` must be structurally valid GeoJSON (no ``geojson.*`` errors).  ``city``
    overrides the tour's city.  ``arrays`` are the coordinate arrays validation made
    (:func:`tours.content.checking.validate.validate_geojson`), reused so big routes are
    converted once.  ``route_geometry`` is the route already measured (an assembly
    measured it to order the stops): used when it is of the document's route as stored.
    The normalised document is returned only when there are no errors; warnings never
    block it.
    """
    return ProfileChecker(stop_distance_m, city, arrays, route_geometry).run(document)


def normalize(document: dict[str, Any], **options: Any) -> dict[str, Any] | None:
    """The normalised profile document, or None when the profile finds errors."""
    return apply_profile(document, **options).document


class ProfileChecker:
    """One run of the profile over one document: it finds which feature plays which
    role, hands each to its rule object (the route's to :class:`RouteRules`, stops and
    districts to :class:`StopRules`) and measures the route; all add to one
    :class:`Findings`."""

    def __init__(
        self,
        stop_distance_m: float,
        city: str | None,
        arrays: CoordinateArrays | None,
        measured: RouteGeometry | None = None,
    ) -> None:
        self.findings = Findings()
        self.error = self.findings.error
        self.warn = self.findings.warn
        self.route_rules = RouteRules(self.findings, city)
        self.stop_rules = StopRules(self.findings)
        self.stop_distance_m = stop_distance_m
        self.arrays = arrays
        self.route_geometry: RouteGeometry | None = None
        self.measured = measured

    def run(self, document: dict[str, Any]) -> ProfileResult:
        """Every problem of ``document``, and its normalised form when none is an error."""
        features = self._features(document)
        routes = [f for f in features if f.kind in _ROUTE_TYPES]
        stops = [f for f in features if f.kind == "Point"]
        districts = [f for f in features if f.kind in _DISTRICT_TYPES]
        self._unsupported(features)
        self._foreign(document, features)
        route = self._route_feature(routes)
        problems = self.findings.problems
        texts = TextChecker(problems, self.route_rules.languages(route))
        route_props = self.route_rules.properties(route, texts) if route else None
        stop_props = [self.stop_rules.stop(stop, texts) for stop in stops]
        self.stop_rules.uniqueness(stops)
        self.stop_rules.some_published(stop_props)
        district_props = [self.stop_rules.district(d, texts) for d in districts]
        self.findings.extend(texts.coverage_warnings(self.findings.labels))
        orders = self._geometry(route, stops, stop_props)
        if self.findings.has_errors or route_props is None:
            return ProfileResult(problems, None)
        assert route is not None
        return ProfileResult(
            problems,
            _normalised(
                route,
                route_props,
                stops,
                stop_props,
                orders,
                districts,
                district_props,
                self.arrays,
            ),
            self.route_geometry,
        )

    # -- features and roles -----------------------------------------------------------------

    def _features(self, document: dict[str, Any]) -> list[FeatureRef]:
        kind = document["type"]
        if kind == "FeatureCollection":
            return [feature_ref(f, f"/features/{i}") for i, f in enumerate(document["features"])]
        if kind == "Feature":
            return [feature_ref(document, "")]
        return [FeatureRef("", document, {}, bare=True)]

    def _unsupported(self, features: list[FeatureRef]) -> None:
        for f in features:
            if f.kind in (*_ROUTE_TYPES, *_DISTRICT_TYPES, "Point"):
                continue
            what = f"a {f.kind}" if f.kind else "no geometry"
            hint = {
                "MultiPoint": " Split it into one Point feature per stop.",
                "GeometryCollection": " Split it into one feature per geometry.",
            }.get(f.kind or "", " Give it a geometry or remove it.")
            self.error(
                "profile.unsupported-geometry",
                f.geometry_ptr,
                f"This feature has {what}, which plays no role in a tour (the route is a"
                " LineString or MultiLineString, stops are Points, districts are Polygons or"
                f" MultiPolygons).{hint}",
            )

    def _foreign(self, document: dict[str, Any], features: list[FeatureRef]) -> None:
        """Members outside properties do not survive normalisation: say so, once per
        member name rather than once per feature (an OSM export has an id on each)."""
        if document["type"] == "FeatureCollection":
            extra = [k for k in document if k not in ("type", "features", "bbox", "crs")]
            if extra:
                self.warn(
                    "profile.foreign-member-dropped",
                    "",
                    f"Bidean drops the members {', '.join(extra)} of the FeatureCollection on"
                    " import. Move anything worth keeping into the route's properties.",
                )
        holders: dict[str, list[FeatureRef]] = {}
        for f in features:
            for member in f.foreign:
                holders.setdefault(member, []).append(f)
        for member, owners in holders.items():
            hint = " (for a stop, put its id in properties.id)" if member == "id" else ""
            count = f"{len(owners)} features have" if len(owners) > 1 else "This feature has"
            self.warn(
                "profile.foreign-member-dropped",
                owners[0].ptr,
                f'{count} a top-level "{member}" member, which Bidean drops on import{hint}.'
                " Move anything worth keeping into properties.",
            )

    def _route_feature(self, routes: list[FeatureRef]) -> FeatureRef | None:
        if not routes:
            self.error(
                "profile.no-route",
                "",
                "The tour has no route: add one Feature whose geometry is a LineString (or a"
                " MultiLineString) and whose properties hold the tour's metadata.",
            )
            return None
        for extra in routes[1:]:
            self.error(
                "profile.multiple-routes",
                extra.geometry_ptr,
                f"This is a second route; the first is at {routes[0].geometry_ptr or 'the root'}."
                " A tour has exactly one route: merge them into one MultiLineString, or import"
                " them as separate tours.",
            )
        return routes[0]

    # -- geometry: crossings, distances, order ----------------------------------------------

    def _geometry(
        self, route: FeatureRef | None, stops: list[FeatureRef], stop_props: list[dict[str, Any]]
    ) -> list[int]:
        """Geometry warnings; returns the stops' indices in tour order."""
        default_order = list(range(len(stops)))
        if route is None or route.geometry is None:
            return default_order
        coords = route.geometry["coordinates"]
        lines = [coords] if route.geometry["type"] == "LineString" else coords
        # Measured as it will be stored (rounded), so the tour built from the normalised
        # document can take this geometry rather than build it again.
        lines = [rounded_positions(line, self.arrays) for line in lines]
        try:
            geometry = self.measured
            if geometry is None or not geometry.measures(lines):
                geometry = RouteGeometry(lines)
            itinerary = plan_itinerary(
                geometry,
                [_lonlat(s) for s in stops],
                [p.get("order") for p in stop_props],
                dwell_minutes=0.0,
            )
        except (GeometryError, ValueError) as exc:
            self.error(
                "profile.route-geometry",
                route.geometry_ptr,
                f"Bidean cannot measure this route: {exc}. Check its coordinates.",
            )
            return default_order
        self.route_geometry = geometry
        self.findings.extend(
            route_warnings(
                geometry,
                itinerary.locations,
                route.geometry_ptr,
                [(s.geometry_ptr, self.findings.labels.get(s.props_ptr, "A stop")) for s in stops],
                self.stop_distance_m,
            )
        )
        return itinerary.order


def _normalised(
    route: FeatureRef,
    route_props: dict[str, Any],
    stops: list[FeatureRef],
    stop_props: list[dict[str, Any]],
    order: list[int],
    districts: list[FeatureRef],
    district_props: list[dict[str, Any]],
    arrays: CoordinateArrays | None,
) -> dict[str, Any]:
    """The profile document: route, stops in tour order (``order`` 1..n), districts."""
    assert route.geometry is not None
    geometry = round_geometry(route.geometry, arrays)
    if geometry["type"] == "MultiLineString" and len(geometry["coordinates"]) == 1:
        geometry = {"type": "LineString", "coordinates": geometry["coordinates"][0]}
    features = [{"type": "Feature", "geometry": geometry, "properties": route_props}]
    for position, index in enumerate(order, start=1):
        stop = stops[index]
        assert stop.geometry is not None
        features.append(
            {
                "type": "Feature",
                "geometry": round_geometry(stop.geometry),
                "properties": {**stop_props[index], "order": position},
            }
        )
    for district, props in zip(districts, district_props, strict=True):
        assert district.geometry is not None
        features.append(
            {
                "type": "Feature",
                "geometry": round_geometry(district.geometry, arrays),
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _lonlat(stop: FeatureRef) -> LonLat:
    assert stop.geometry is not None
    lon, lat = stop.geometry["coordinates"][:2]
    return LonLat(lon, lat)
