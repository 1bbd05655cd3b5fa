"""RFC 7946 coordinates: positions, lines, rings, with a vectorised fast path.

A rule object of :mod:`tours.content.checking.validate`'s checker.  Coordinates are
most of a route file, so an array of positions is first confirmed at once by a few
C-level passes (``set(map(type, ...))``, one ``numpy`` conversion, vectorised range
checks); only when that finds something wrong does a per-position loop run to name the
exact pointer of each bad position.  The arrays made on the way can be kept in a
:class:`CoordinateArrays` so normalisation and route geometry do not convert them again.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

from tours.content.checking.findings import Findings
from tours.content.report import Problem, Severity
from tours.text import counted

FloatArray = npt.NDArray[np.float64]

#: How many positions with the same problem are listed one by one per geometry; the rest
#: are summed up in one message, so a route drawn with swapped axes gives a readable report
#: rather than 100,000 lines.
MAX_LISTED = 20

_PLAIN_NUMBERS = frozenset((int, float))
_TYPE_NAMES = {
    str: "a string",
    bool: "true/false",
    type(None): "null",
    list: "an array",
    dict: "an object",
    int: "a number",
    float: "a number",
}


def json_type(value: Any) -> str:
    """How JSON would name the type of ``value``, for messages ("a string", "null")."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def is_number(value: Any) -> bool:
    """A JSON number: int or float, but not a bool (``True`` is an ``int`` in Python)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class CoordinateArrays:
    """Float arrays of the coordinate lists validation has already converted.

    Normalisation and route geometry need the same arrays; converting 100,000 positions
    costs tens of milliseconds each time, so validation hands its arrays over.  Entries
    are keyed by ``id()`` of the list and keep the list itself, so an id can never be
    confused with a list created later.
    """

    #: Shorter arrays are not worth keeping: converting them is as cheap as looking up.
    MIN_POSITIONS = 64

    def __init__(self) -> None:
        self._arrays: dict[int, tuple[list[Any], FloatArray]] = {}
        self._made_from: set[int] = set()

    def keep(self, coords: list[Any], array: FloatArray, *, made_from: bool = False) -> None:
        """Keep ``array`` for ``coords``; ``made_from`` when ``coords`` is
        ``array.tolist()`` (a reader's), so its values are plain floats, known unseen."""
        if len(coords) >= self.MIN_POSITIONS:
            self._arrays[id(coords)] = (coords, array)
            if made_from:
                self._made_from.add(id(coords))

    def get(self, coords: Any) -> FloatArray | None:
        """The full ``(n, 2 or 3)`` array of ``coords``, if validation converted it."""
        entry = self._arrays.get(id(coords))
        return entry[1] if entry is not None and entry[0] is coords else None

    def made_from(self, coords: Any) -> FloatArray | None:
        """The array ``coords`` was made from (``tolist``), if kept with ``made_from``."""
        return self.get(coords) if id(coords) in self._made_from else None


class CoordinateChecks:
    """The coordinate checks of the validator, adding to the run's findings."""

    def __init__(self, findings: Findings, arrays: CoordinateArrays | None = None) -> None:
        self.findings = findings
        self.error = findings.error
        self.warn = findings.warn
        self.arrays = arrays
        # (geometry pointer, code) -> how many positions had that problem.
        self._counts: Counter[tuple[str, str]] = Counter()
        self._geometry = ""

    def geometry(self, kind: str, coords: list[Any], geometry_ptr: str) -> None:
        """Check the ``coordinates`` of a ``kind`` geometry, then sum up what was not listed."""
        outer, self._geometry = self._geometry, geometry_ptr
        try:
            COORDINATE_CHECKS[kind](self, coords, f"{geometry_ptr}/coordinates")
        finally:
            self._geometry = outer
        self._summarise(geometry_ptr)

    def _listed(self, code: str) -> bool:
        """Count a position problem; True while it should still be listed on its own."""
        key = (self._geometry, code)
        self._counts[key] += 1
        return self._counts[key] <= MAX_LISTED

    def _summarise(self, geometry_ptr: str) -> None:
        """After a geometry: one message for the positions beyond ``MAX_LISTED``."""
        for (where, code), count in sorted(self._counts.items()):
            if where == geometry_ptr and count > MAX_LISTED:
                severity = Severity.WARNING if code.endswith("extra-values") else Severity.ERROR
                self.findings.note(
                    Problem(
                        code,
                        f"{geometry_ptr}/coordinates",
                        f"... and {count - MAX_LISTED} more positions in this geometry have the"
                        " same problem (only the first ones are listed).",
                        severity,
                    )
                )

    # -- geometries -------------------------------------------------------------------------

    def point(self, coords: list[Any], ptr: str) -> None:
        self.position(coords, ptr)

    def positions(self, coords: Any, ptr: str, what: str) -> FloatArray | None:
        """Check an array of positions; return its ``(n, 2)`` lon/lat array when all are
        numeric (out-of-range values included, so shape checks can still run)."""
        if not isinstance(coords, list):
            self.error(
                "geojson.coordinates",
                ptr,
                f"The coordinates of a {what} must be an array of positions, not"
                f" {json_type(coords)}.",
            )
            return None
        origin = self.arrays.made_from(coords) if self.arrays is not None else None
        if origin is not None and origin.ndim == 2 and origin.shape[1] in (2, 3):
            # A reader's list of plain floats: the array alone says whether all are fine.
            fast = _fast_array(origin)
        else:
            known = self.arrays.get(coords) if self.arrays is not None else None
            fast = _fast_positions(coords, known)
        if fast is not None:
            array, uniform = fast
            if uniform and self.arrays is not None:
                self.arrays.keep(coords, array)
            return array[:, :2]
        numeric = [self.position(pos, f"{ptr}/{i}") for i, pos in enumerate(coords)]
        if not all(numeric):
            return None
        return np.asarray([pos[:2] for pos in coords], dtype=np.float64)

    def position(self, pos: Any, ptr: str) -> bool:
        """Check one position; True when it holds at least two finite numbers."""
        if not isinstance(pos, list):
            if self._listed("geojson.position"):
                self.error(
                    "geojson.position",
                    ptr,
                    f"A position must be an array [longitude, latitude], not {json_type(pos)}.",
                )
            return False
        for i, value in enumerate(pos):
            if not finite(value):
                if self._listed("geojson.position"):
                    self.error("geojson.position", f"{ptr}/{i}", _bad_number(value))
                return False
        if len(pos) < 2:
            if self._listed("geojson.position"):
                self.error(
                    "geojson.position",
                    ptr,
                    f"A position needs at least 2 numbers [longitude, latitude]; this one has"
                    f" {len(pos)}.",
                )
            return False
        if len(pos) > 3:
            self._too_many_values(pos, ptr)
        self._ranges(float(pos[0]), float(pos[1]), ptr)
        return True

    def _too_many_values(self, pos: list[Any], ptr: str) -> None:
        if self._listed("geojson.position-extra-values"):
            self.warn(
                "geojson.position-extra-values",
                ptr,
                f"This position has {len(pos)} numbers; GeoJSON positions should have at most 3"
                " (longitude, latitude, elevation) (RFC 7946 §3.1.1).",
            )
        if self._listed("profile.position-dimensions"):
            self.error(
                "profile.position-dimensions",
                ptr,
                f"Bidean stores positions as [longitude, latitude] or [longitude, latitude,"
                f" elevation]; remove the extra {counted(len(pos) - 3, 'number')} (a time or a"
                " measure belongs in properties).",
            )

    def _ranges(self, lon: float, lat: float, ptr: str) -> None:
        if abs(lon) > 360 and abs(lat) > 360:
            if self._listed("geojson.longitude-range"):
                self.error(
                    "geojson.longitude-range",
                    ptr,
                    f"[{lon}, {lat}] are not degrees: they look like projected coordinates"
                    " (metres, e.g. UTM or Web Mercator). Reproject the file to WGS84"
                    " longitude/latitude (EPSG:4326).",
                )
            return
        if not -180 <= lon <= 180 and self._listed("geojson.longitude-range"):
            hint = (
                " If the line crosses the antimeridian, keep longitudes within -180..180 and"
                " split it there into a Multi* geometry (RFC 7946 §3.1.9)."
                if abs(lon) <= 360
                else ""
            )
            self.error(
                "geojson.longitude-range",
                f"{ptr}/0",
                f"Longitude {lon} is outside -180..180.{hint}",
            )
        if not -90 <= lat <= 90 and self._listed("geojson.latitude-range"):
            hint = (
                " Did you swap longitude and latitude? GeoJSON positions are [longitude, latitude]."
                if -180 <= lon <= 180
                else ""
            )
            self.error(
                "geojson.latitude-range", f"{ptr}/1", f"Latitude {lat} is outside -90..90.{hint}"
            )

    def multi_point(self, coords: list[Any], ptr: str) -> None:
        if not coords:
            self.warn("geojson.empty-geometry", ptr, EMPTY_MESSAGE)
        self.positions(coords, ptr, "MultiPoint")

    def line_string(self, coords: list[Any], ptr: str) -> None:
        array = self.positions(coords, ptr, "LineString")
        if array is None:
            return
        if len(array) < 2 or not (array != array[0]).any():
            self.error(
                "geojson.linestring",
                ptr,
                f"A LineString needs at least 2 different positions; this one has"
                f" {counted(len(array), 'position')}"
                f"{' all at the same place' if len(array) >= 2 else ''}.",
            )

    def multi_line_string(self, coords: list[Any], ptr: str) -> None:
        self._multi(coords, ptr, "LineString", self.line_string)

    def polygon(self, coords: list[Any], ptr: str) -> None:
        if not coords:
            self.error(
                "geojson.polygon",
                ptr,
                "A Polygon needs at least one ring (its outline); this one has none.",
            )
            return
        for i, ring in enumerate(coords):
            self.ring(ring, f"{ptr}/{i}", exterior=i == 0)

    def multi_polygon(self, coords: list[Any], ptr: str) -> None:
        self._multi(coords, ptr, "Polygon", self.polygon)

    def _multi(self, coords: list[Any], ptr: str, part: str, check: Any) -> None:
        if not coords:
            self.warn("geojson.empty-geometry", ptr, EMPTY_MESSAGE)
        for i, member in enumerate(coords):
            if isinstance(member, list):
                check(member, f"{ptr}/{i}")
            else:
                self.error(
                    "geojson.coordinates",
                    f"{ptr}/{i}",
                    f"Each part must be the coordinates of a {part} (an array), not"
                    f" {json_type(member)}.",
                )

    def ring(self, ring: Any, ptr: str, *, exterior: bool) -> None:
        array = self.positions(ring, ptr, "Polygon ring")
        if array is None:
            return
        what = "outer ring" if exterior else "hole"
        if len(array) < 4:
            self.error(
                "geojson.ring-too-short",
                ptr,
                f"A polygon {what} needs at least 4 positions (a triangle plus the first"
                f" position repeated at the end); this one has {len(array)}.",
            )
            return
        if ring[0] != ring[-1]:
            self.error(
                "geojson.ring-not-closed",
                ptr,
                f"This polygon {what} is not closed: its last position {ring[-1]} must be the"
                f" same as its first {ring[0]}. Add the first position again at the end.",
            )
            return
        area = ring_area(array)
        if (exterior and area < 0) or (not exterior and area > 0):
            expected = "counter-clockwise" if exterior else "clockwise"
            self.warn(
                "geojson.ring-winding",
                ptr,
                f"This polygon {what} runs the wrong way round: it should be {expected} (the"
                " right-hand rule, RFC 7946 §3.1.6). Bidean reverses it on import.",
            )


def ring_area(lonlat: FloatArray) -> float:
    """Signed planar area (shoelace) of a closed ring: positive when counter-clockwise."""
    x, y = lonlat[:, 0], lonlat[:, 1]
    return float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) / 2.0


def _fast_positions(
    coords: list[Any], converted: FloatArray | None = None
) -> tuple[FloatArray, bool] | None:
    """When every position is 2 or 3 finite, in-range numbers: the float array and
    whether it is the *full* array (all positions the same length; otherwise it holds
    lon/lat only).  None as soon as anything needs a closer look (the slow path then
    reports exactly what).  ``converted`` is ``coords`` already converted by the caller
    (an assembly measured its route before checking it): the same array, not made again."""
    if not coords or set(map(type, coords)) != {list}:
        return None
    lengths = set(map(len, coords))
    if not lengths <= {2, 3}:
        return None
    # Exact types: bool is a subclass of int, and the json.* sentinels subclass float.
    if not set(map(type, chain.from_iterable(coords))) <= _PLAIN_NUMBERS:
        return None
    uniform = len(lengths) == 1
    try:
        if uniform and converted is not None:
            array = converted
        elif uniform:
            array = np.asarray(coords, dtype=np.float64)
        else:
            array = np.asarray([pos[:2] for pos in coords], dtype=np.float64)
    except OverflowError:  # an integer beyond the range of a double
        return None
    return _fast_array(array, uniform)


def _fast_array(array: FloatArray, uniform: bool = True) -> tuple[FloatArray, bool] | None:
    """``_fast_positions`` of positions already in one float array: finite, in range."""
    lonlat = array[:, :2]
    if not np.isfinite(lonlat).all() or not np.isfinite(array).all():
        return None
    if (np.abs(lonlat[:, 0]) > 180).any() or (np.abs(lonlat[:, 1]) > 90).any():
        return None
    return array, uniform


def finite(value: Any) -> bool:
    """A JSON number (not a bool) that is finite, even if too big for a float."""
    if type(value) in _PLAIN_NUMBERS:
        try:
            return math.isfinite(value)
        except OverflowError:
            return False
    return is_number(value) and math.isfinite(value)


def _bad_number(value: Any) -> str:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            pass
        else:
            return f'Coordinates must be numbers, not text: remove the quotes around "{value}".'
    if is_number(value):
        return f"{value} is not a finite number; coordinates must be real numbers of degrees."
    return f"Coordinates must be numbers, not {json_type(value)}."


#: The check of each geometry type's ``coordinates``.
COORDINATE_CHECKS: dict[str, Callable[[CoordinateChecks, list[Any], str], None]] = {
    "Point": CoordinateChecks.point,
    "MultiPoint": CoordinateChecks.multi_point,
    "LineString": CoordinateChecks.line_string,
    "MultiLineString": CoordinateChecks.multi_line_string,
    "Polygon": CoordinateChecks.polygon,
    "MultiPolygon": CoordinateChecks.multi_polygon,
}
EMPTY_MESSAGE = (
    "This geometry is empty. GeoJSON allows it, but it places nothing on the map; remove it or"
    " fill it in."
)
