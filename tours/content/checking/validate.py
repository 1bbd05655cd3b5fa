"""RFC 7946 structural validation: every ``geojson.*`` problem, each with its pointer.

The root may be a ``FeatureCollection``, a ``Feature`` or a bare Geometry.  Validation
never stops at the first problem: a file with three mistakes gets three messages.

This module checks the objects (collections, features, geometries); two rule objects
it composes check the rest: :mod:`tours.content.checking.geojson_positions` the
coordinates, most of a route file, with a vectorised fast path, and
:mod:`tours.content.checking.geojson_members` the ``bbox`` and ``crs`` members.

Two rules here are not RFC rules but Bidean's: a position with more than three numbers
is also a ``profile.position-dimensions`` error (Bidean stores 2 or 3 numbers), and a
line needs two *distinct* positions (a line that goes nowhere is a mistake).
"""

from __future__ import annotations

from typing import Any

from tours.content.checking.findings import Findings
from tours.content.checking.geojson_members import MemberChecks, shown
from tours.content.checking.geojson_positions import (
    EMPTY_MESSAGE,
    MAX_LISTED,
    CoordinateArrays,
    CoordinateChecks,
    FloatArray,
    is_number,
    json_type,
    ring_area,
)
from tours.content.report import Problem, pointer

__all__ = [
    "MAX_LISTED",
    "CoordinateArrays",
    "FloatArray",
    "is_number",
    "json_type",
    "ring_area",
    "validate_geojson",
]

GEOMETRY_TYPES = frozenset(
    ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
)
ALL_GEOMETRY_TYPES = GEOMETRY_TYPES | {"GeometryCollection"}
GEOJSON_TYPES = ALL_GEOMETRY_TYPES | {"Feature", "FeatureCollection"}

# RFC 7946 §7.1: members that define one kind of object must not appear on another.
_FORBIDDEN = {
    "FeatureCollection": (("coordinates", "geometries", "geometry", "properties"), "collection"),
    "Feature": (("coordinates", "geometries", "features"), "feature"),
    "Geometry": (("features", "geometry", "properties"), "geometry"),
}


def validate_geojson(value: Any, arrays: CoordinateArrays | None = None) -> list[Problem]:
    """Check ``value`` (parsed JSON) against RFC 7946; return every problem found.

    Pass ``arrays`` to collect the float arrays of large coordinate lists for reuse.
    """
    validator = GeoJSONChecker(arrays)
    validator.root(value)
    return validator.findings.problems


class GeoJSONChecker:
    """Walks a parsed document once; the objects are checked here, their coordinates by
    :class:`CoordinateChecks` and their ``bbox`` and ``crs`` by :class:`MemberChecks`,
    all adding to one :class:`Findings`."""

    def __init__(self, arrays: CoordinateArrays | None = None) -> None:
        self.findings = Findings()
        self.error = self.findings.error
        self.warn = self.findings.warn
        self.coordinates = CoordinateChecks(self.findings, arrays)
        self.members = MemberChecks(self.findings)

    def root(self, value: Any) -> None:
        if not isinstance(value, dict):
            self.error(
                "geojson.root",
                "",
                f"The document is {json_type(value)}; GeoJSON must be an object with a"
                ' "type" such as "FeatureCollection".',
            )
            return
        kind = self._type(value, "", GEOJSON_TYPES)
        if kind == "FeatureCollection":
            self.feature_collection(value, "")
        elif kind == "Feature":
            self.feature(value, "")
        elif kind is not None:
            self.geometry(value, "")

    def _type(self, obj: dict[str, Any], ptr: str, allowed: frozenset[str]) -> str | None:
        """The object's ``type`` if it is one of ``allowed``; otherwise report and None."""
        if "type" not in obj:
            self.error(
                "geojson.missing-type",
                ptr,
                f'The object at {_where(ptr)} has no "type" member. Add one, for example'
                f' "type": "{_guess_type(obj)}".',
            )
            return None
        kind = obj["type"]
        if kind in allowed:
            return kind
        if kind in GEOJSON_TYPES:
            self.error(
                "geojson.unexpected-type",
                f"{ptr}/type",
                f'A "{kind}" is not allowed here; expected {_one_of(allowed)}.'
                + _wrap_hint(kind, allowed),
            )
            return None
        hint = ""
        if isinstance(kind, str):
            close = [t for t in GEOJSON_TYPES if t.lower() == kind.lower()]
            if close:
                hint = f' Types are case-sensitive: write "{close[0]}".'
        self.error(
            "geojson.unknown-type",
            f"{ptr}/type",
            f"{shown(kind)} is not a GeoJSON type; expected {_one_of(allowed)}.{hint}",
        )
        return None

    def _common(self, obj: dict[str, Any], ptr: str, kind: str) -> None:
        """Members any GeoJSON object may carry (bbox, crs) and members it must not."""
        if "bbox" in obj:
            self.members.bbox(obj["bbox"], f"{ptr}/bbox")
        if "crs" in obj:
            self.members.crs(obj["crs"], f"{ptr}/crs")
        names, what = _FORBIDDEN[kind]
        for name in names:
            if name in obj:
                self.error(
                    f"geojson.{what}-members",
                    pointer(*_parts(ptr), name),
                    f'A {kind} must not have a "{name}" member (RFC 7946 §7.1): it would change'
                    f" what the object means. Remove it, or move it into properties.",
                )

    def _array_member(
        self, obj: dict[str, Any], ptr: str, member: str, code: str, owner: str, want: str
    ) -> bool:
        """True when ``obj[member]`` is an array; otherwise report ``code``.

        Codes are passed written out, not built from ``member``, so every code stays
        greppable (the docs test finds them in the source)."""
        value = obj.get(member)
        if isinstance(value, list):
            return True
        found = "is missing" if member not in obj else f"is {json_type(value)}"
        self.error(
            code,
            f"{ptr}/{member}",
            f'The "{member}" member of {owner} {found}; it must be {want}.',
        )
        return False

    def feature_collection(self, obj: dict[str, Any], ptr: str) -> None:
        self._common(obj, ptr, "FeatureCollection")
        if not self._array_member(
            obj,
            ptr,
            "features",
            "geojson.features",
            "a FeatureCollection",
            "an array of Feature objects (it may be empty)",
        ):
            return
        allowed = frozenset(("Feature",))
        for i, feature in enumerate(obj["features"]):
            fptr = f"{ptr}/features/{i}"
            if not isinstance(feature, dict):
                self.error(
                    "geojson.unexpected-type",
                    fptr,
                    f"Each member of features must be a Feature object, this is"
                    f" {json_type(feature)}.",
                )
            elif self._type(feature, fptr, allowed) == "Feature":
                self.feature(feature, fptr)

    def feature(self, obj: dict[str, Any], ptr: str) -> None:
        self._common(obj, ptr, "Feature")
        if "id" in obj and not (isinstance(obj["id"], str) or is_number(obj["id"])):
            self.error(
                "geojson.feature-id",
                f"{ptr}/id",
                f'A Feature "id" must be a string or a number, not {json_type(obj["id"])}.',
            )
        if "properties" not in obj:
            self.error(
                "geojson.feature-properties",
                f"{ptr}/properties",
                'The Feature has no "properties" member. Add "properties": {} (or null).',
            )
        elif obj["properties"] is not None and not isinstance(obj["properties"], dict):
            self.error(
                "geojson.feature-properties",
                f"{ptr}/properties",
                f'A Feature\'s "properties" must be an object or null, not'
                f" {json_type(obj['properties'])}.",
            )
        if "geometry" not in obj:
            self.error(
                "geojson.feature-geometry",
                f"{ptr}/geometry",
                'The Feature has no "geometry" member. Add the geometry, or "geometry": null'
                " for a feature without a place.",
            )
            return
        geometry = obj["geometry"]
        if geometry is None:
            return
        gptr = f"{ptr}/geometry"
        if not isinstance(geometry, dict):
            self.error(
                "geojson.feature-geometry",
                gptr,
                f'A Feature\'s "geometry" must be a Geometry object or null, not'
                f" {json_type(geometry)}.",
            )
        elif self._type(geometry, gptr, ALL_GEOMETRY_TYPES) is not None:
            self.geometry(geometry, gptr)

    def geometry(self, obj: dict[str, Any], ptr: str, *, nested: bool = False) -> None:
        """A Geometry object whose ``type`` is already known to be a geometry type."""
        kind = obj["type"]
        self._common(obj, ptr, "Geometry")
        if kind == "GeometryCollection":
            self.geometry_collection(obj, ptr, nested)
            return
        if not self._array_member(
            obj, ptr, "coordinates", "geojson.coordinates", f"this {kind}", "an array"
        ):
            return
        self.coordinates.geometry(kind, obj["coordinates"], ptr)

    def geometry_collection(self, obj: dict[str, Any], ptr: str, nested: bool) -> None:
        if nested:
            self.warn(
                "geojson.nested-geometry-collection",
                ptr,
                "A GeometryCollection inside another one should be avoided (RFC 7946 §3.1.8);"
                " flatten it into the outer collection.",
            )
        if not self._array_member(
            obj,
            ptr,
            "geometries",
            "geojson.geometries",
            "a GeometryCollection",
            "an array of Geometry objects",
        ):
            return
        members = obj["geometries"]
        if not members:
            self.warn("geojson.empty-geometry", f"{ptr}/geometries", EMPTY_MESSAGE)
        for i, member in enumerate(members):
            mptr = f"{ptr}/geometries/{i}"
            if not isinstance(member, dict):
                self.error(
                    "geojson.unexpected-type",
                    mptr,
                    "Each member of geometries must be a Geometry object, not"
                    f" {json_type(member)}.",
                )
            elif self._type(member, mptr, ALL_GEOMETRY_TYPES) is not None:
                self.geometry(member, mptr, nested=True)


def _where(ptr: str) -> str:
    return ptr or "the root"


def _parts(ptr: str) -> list[str]:
    """Unescaped segments of a pointer, so ``pointer(*_parts(p), name)`` extends it."""
    if not ptr:
        return []
    return [s.replace("~1", "/").replace("~0", "~") for s in ptr[1:].split("/")]


def _one_of(allowed: frozenset[str]) -> str:
    if allowed == ALL_GEOMETRY_TYPES:
        return "a geometry type (Point, LineString, Polygon, Multi..., GeometryCollection)"
    if allowed == GEOJSON_TYPES:
        return "FeatureCollection, Feature or a geometry type"
    return " or ".join(f'"{t}"' for t in sorted(allowed))


def _wrap_hint(kind: str, allowed: frozenset[str]) -> str:
    if kind in ALL_GEOMETRY_TYPES and allowed == {"Feature"}:
        return (
            ' Wrap the geometry in a Feature: {"type": "Feature", "geometry": ...,'
            ' "properties": {}}.'
        )
    if kind in ("Feature", "FeatureCollection") and allowed == ALL_GEOMETRY_TYPES:
        return " A geometry member holds a geometry itself, not a Feature."
    return ""


def _guess_type(obj: dict[str, Any]) -> str:
    if "features" in obj:
        return "FeatureCollection"
    if "geometry" in obj or "properties" in obj:
        return "Feature"
    return "Point"
