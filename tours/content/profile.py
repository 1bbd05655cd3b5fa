"""The Bidean tour profile (``profile.*`` codes) and normalisation.

Runs on a document that passed :mod:`tours.content.validate` (RFC 7946) and answers the
profile's questions: which feature is the route, which are stops and districts, and
do their ``properties`` say what ``docs/geojson-profile.md`` asks.  When nothing is
wrong it also produces the *normalised* document that :class:`tours.tour.domain.Tour` is
built from: a FeatureCollection with the route first, then the stops in tour order,
then the districts; coordinates rounded to 6 decimals; rings counter-clockwise;
language tags canonical; ``crs``, ``bbox`` and foreign members dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import available_timezones

from tours.content.licences import licence_problem
from tours.content.limits import column_length_error, header_text_warning
from tours.content.profile_geometry import round_geometry, rounded_positions, route_warnings
from tours.content.profile_rules import FeatureRef, StopRules, feature_ref, found
from tours.content.report import Problem, Severity, pointer
from tours.content.textmaps import TextChecker, canonical_tag, invalid_tag
from tours.content.validate import CoordinateArrays, json_type
from tours.coords import LonLat
from tours.tour.domain import PROFILE_VERSION
from tours.tour.geometry import GeometryError, RouteGeometry, plan_itinerary

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_MAX = 64
DEFAULT_STOP_DISTANCE_M = 50.0

# Misspellings seen in the wild, so "missing licence" can say "you wrote license".
_ALIASES = {
    "licence": ("license", "License", "Licence"),
    "timezone": ("time_zone", "tz", "timeZone", "Timezone"),
    "languages": ("language", "lang", "langs"),
    "summary": ("description", "desc"),
    "title": ("name",),
    "slug": ("id",),
}
# What each required route property is, for "missing" messages.
_MEANING = {
    "slug": 'the URL name, such as "san-francisco-voices"',
    "city": 'the city, such as "Bilbao"',
    "timezone": 'the IANA time zone, such as "Europe/Madrid"',
    "districts": 'the districts walked through, such as ["San Francisco"] (may be [])',
    "languages": 'the languages of the texts, default first, such as ["es", "eu", "en"]',
    "licence": 'the licence of the texts, such as "CC-BY-SA-4.0"',
}
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
) -> ProfileResult:
    """Check ``document`` against the tour profile and normalise it.

    ``document`` must be structurally valid GeoJSON (no ``geojson.*`` errors).  ``city``
    overrides the tour's city.  ``arrays`` are the coordinate arrays validation made
    (:func:`tours.content.validate.validate_geojson`), reused so big routes are converted once.
    The normalised document is returned only when there are no errors; warnings never
    block it.
    """
    return _Profile(stop_distance_m, city, arrays).run(document)


def normalize(document: dict[str, Any], **options: Any) -> dict[str, Any] | None:
    """The normalised profile document, or None when the profile finds errors."""
    return apply_profile(document, **options).document


class _Profile(StopRules):
    """One run of the profile over one document; the stop rules come from the base."""

    def __init__(
        self, stop_distance_m: float, city: str | None, arrays: CoordinateArrays | None
    ) -> None:
        super().__init__()
        self.stop_distance_m = stop_distance_m
        self.city = city
        self.arrays = arrays
        self.route_geometry: RouteGeometry | None = None

    def run(self, document: dict[str, Any]) -> ProfileResult:
        features = self._features(document)
        routes = [f for f in features if f.kind in _ROUTE_TYPES]
        stops = [f for f in features if f.kind == "Point"]
        districts = [f for f in features if f.kind in _DISTRICT_TYPES]
        self._unsupported(features)
        self._foreign(document, features)
        route = self._route_feature(routes)
        texts = TextChecker(self.problems, self._languages(route))
        route_props = self._route_properties(route, texts) if route else None
        stop_props = [self._stop(stop, texts) for stop in stops]
        self._stop_uniqueness(stops)
        self._some_published(stop_props)
        district_props = [self._district(d, texts) for d in districts]
        self.problems.extend(texts.coverage_warnings(self.labels))
        orders = self._geometry(route, stops, stop_props)
        if any(p.severity is Severity.ERROR for p in self.problems) or route_props is None:
            return ProfileResult(self.problems, None)
        assert route is not None
        return ProfileResult(
            self.problems,
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

    def _some_published(self, stop_props: list[dict[str, Any]]) -> None:
        if not stop_props:
            self.error(
                "profile.no-published-stop",
                "",
                "The tour has no stops: add a Point feature for each stop, with at least one"
                " published.",
            )
        elif not any(p.get("status") == "published" for p in stop_props):
            self.error(
                "profile.no-published-stop",
                "",
                "The tour has no published stop, so visitors would see nothing. Publish at"
                ' least one stop ("status": "published", the default).',
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

    # -- the route's properties (tour metadata) -------------------------------------------

    def _languages(self, route: FeatureRef | None) -> list[str]:
        """The tour's canonical languages; checked first, as texts depend on them."""
        if route is None:
            return []
        ptr = route.props_ptr + "/languages"
        value = self._required(route, "languages")
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            self.error(
                "profile.languages",
                ptr,
                "languages must be a non-empty array of language tags, the default first,"
                f' such as ["es", "eu", "en"]; found {found(value)}.',
            )
            return []
        languages: list[str] = []
        for i, tag in enumerate(value):
            canonical = canonical_tag(tag)
            if canonical is None:
                self.problems.append(invalid_tag(tag, f"{ptr}/{i}"))
                continue
            if canonical in languages:
                self.error(
                    "profile.duplicate-language",
                    f"{ptr}/{i}",
                    f'"{tag}" is listed twice in languages (as {canonical}); remove one.',
                )
                continue
            languages.append(canonical)
        return languages

    def _route_properties(self, route: FeatureRef, texts: TextChecker) -> dict[str, Any] | None:
        props, ptr = route.properties, route.props_ptr
        self.labels[ptr] = "The route (tour metadata)"
        self._profile_version(props, ptr)
        result: dict[str, Any] = {}
        result["slug"] = self._slug(route)
        for key in ("title", "summary"):
            result[key] = texts.text(props, key, ptr, required=True, what="The tour")
        self.note(header_text_warning(result["title"], f"{ptr}/title", "The title"))
        result["city"] = self.city or self._string(route, "city")
        self.note(column_length_error(result["city"], "city", f"{ptr}/city"))
        result["timezone"] = self._timezone(route)
        result["districts"] = self._districts_list(route)
        result["languages"] = texts.languages if texts.languages else None
        result["licence"] = self._string(route, "licence")
        if result["licence"]:
            self.problems.extend(
                p for p in [licence_problem(result["licence"], f"{ptr}/licence")] if p
            )
        for key in ("credits", "accessibility"):
            if props.get(key) is not None:
                result[key] = texts.text(props, key, ptr)
        if props.get("duration_minutes") is not None:
            result["duration_minutes"] = self._duration(props["duration_minutes"], ptr)
        if props.get("price") is not None:
            result["price"] = self._price(props["price"], ptr)
        if props.get("sample") is not None and not isinstance(props["sample"], bool):
            self.error(
                "profile.property-type",
                f"{ptr}/sample",
                f"sample must be true or false, not {json_type(props['sample'])}.",
            )
        if any(result.get(k) is None for k in result):
            return None
        known = {*result, "profile", "sample"}
        extra = {k: v for k, v in props.items() if k not in known}
        sample = {"sample": True} if props.get("sample") is True else {}
        return {"profile": PROFILE_VERSION, **result, **sample, **extra}

    def _profile_version(self, props: dict[str, Any], ptr: str) -> None:
        value = props.get("profile")
        if value is None:
            self.warn(
                "profile.profile-missing",
                f"{ptr}/profile",
                f'The route has no "profile" property; Bidean reads the file as'
                f' "{PROFILE_VERSION}". Add "profile": "{PROFILE_VERSION}" to say so.',
            )
        elif value != PROFILE_VERSION:
            self.warn(
                "profile.profile-version",
                f"{ptr}/profile",
                f'The file says profile {value!r}; Bidean only knows "{PROFILE_VERSION}" and'
                " read it as that. Check the result.",
            )

    def _required(self, feature: FeatureRef, key: str) -> Any:
        """``properties[key]``, or None after reporting that it is missing."""
        value = feature.properties.get(key)
        if value is not None:
            return value
        found = [a for a in _ALIASES.get(key, ()) if a in feature.properties]
        hint = f' (this feature has "{found[0]}": the profile calls it "{key}")' if found else ""
        wrap = (
            " The document is a bare geometry: wrap it in a Feature with properties."
            if feature.bare
            else ""
        )
        self.error(
            "profile.missing-property",
            feature.props_ptr + pointer(key),
            f'The route needs the property "{key}": {_MEANING.get(key, "see the profile")}'
            f"{hint}.{wrap}",
        )
        return None

    def _string(self, feature: FeatureRef, key: str) -> str | None:
        value = self._required(feature, key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(
                "profile.property-type",
                feature.props_ptr + pointer(key),
                f'"{key}" must be non-empty text, not {found(value)}.',
            )
            return None
        return value

    def _slug(self, route: FeatureRef) -> str | None:
        slug = self._string(route, "slug")
        if slug is None:
            return None
        if len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug):
            suggestion = slugify(slug)
            self.error(
                "profile.slug",
                f"{route.props_ptr}/slug",
                f'The slug "{slug}" is not a valid URL name: use lowercase letters, digits and'
                f" single hyphens, at most {SLUG_MAX} characters"
                + (f', for example "{suggestion}".' if suggestion else "."),
            )
            return None
        return slug

    def _timezone(self, route: FeatureRef) -> str | None:
        zone = self._string(route, "timezone")
        if zone is None or _is_zone(zone):
            return zone
        close = [z for z in _zones() if z.lower() == zone.lower()]
        hint = f' Did you mean "{close[0]}"?' if close else ' For Bilbao it is "Europe/Madrid".'
        self.error(
            "profile.timezone",
            f"{route.props_ptr}/timezone",
            f'"{zone}" is not an IANA time zone name (Area/City, case-sensitive).{hint}',
        )
        return None

    def _districts_list(self, route: FeatureRef) -> list[str] | None:
        value = self._required(route, "districts")
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(d, str) and d.strip() for d in value):
            self.error(
                "profile.districts",
                f"{route.props_ptr}/districts",
                'districts must be an array of district names, such as ["San Francisco",'
                f' "Zabala"] (it may be empty); found {found(value)}.',
            )
            return None
        return value

    def _duration(self, value: Any, ptr: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        self.error(
            "profile.duration-minutes",
            f"{ptr}/duration_minutes",
            f"duration_minutes must be a whole number of minutes above 0, not {found(value)};"
            " or leave it out and Bidean computes it.",
        )
        return None

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
        self.problems.extend(
            route_warnings(
                geometry,
                itinerary.locations,
                route.geometry_ptr,
                [(s.geometry_ptr, self.labels.get(s.props_ptr, "A stop")) for s in stops],
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


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _tzdata_zones() -> frozenset[str]:
    """The zones the ``tzdata`` package lists, read from its one index file; every one of
    them is in ``available_timezones()``.  Empty without tzdata."""
    try:
        with resources.files("tzdata").joinpath("zones").open("r") as f:
            return frozenset(line.strip() for line in f if line.strip())
    except (ImportError, OSError):
        return frozenset()


def _is_zone(zone: str) -> bool:
    """``zone in available_timezones()``, without walking the system's zoneinfo folders
    (a tenth of a second) for the usual zones, which tzdata's index already lists."""
    return (zone in _tzdata_zones() and zone != "posixrules") or zone in _zones()


def slugify(text: str) -> str:
    """A valid slug made from any text ("Voces de San Francisco" -> "voces-de-san-francisco");
    empty when the text has no letters or digits."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")
