"""Metric geometry of a tour: route length, where stops sit along the route, walking legs.

Everything here takes and returns WGS84 degrees in GeoJSON order (``[lon, lat]``, see
:mod:`tours.coords`) and metres.

Two kinds of maths are used, each where it is the right tool:

* **Distances are geodesic** on the WGS84 ellipsoid (``pyproj.Geod``). They are what a
  visitor walks and they do not depend on where in the world the tour is.
* **Matching a stop to the route is planar**, in a local transverse Mercator projection
  centred on the route. Nearest-segment search needs a spatial index (a shapely
  ``STRtree``), and an index needs Cartesian coordinates. The projection is conformal, so
  the right angle of "the foot of the perpendicular" survives it, and its scale error is
  about a millionth 10 km from the route's centre. The planar result only chooses a segment and a
  fraction along it; the distances reported are geodesic again.

The cost is linear in the number of route vertices to build a :class:`RouteGeometry` and
roughly logarithmic per stop to locate stops. No Python loop runs over the vertices
(except to drop elevation when a part mixes 2- and 3-number positions).

Known limit: routes that cross the antimeridian (±180° longitude) are not supported; a
walking tour never does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer

from tours.coords import BBox, LonLat
from tours.errors import BideanError
from tours.text import counted
from tours.tour.geodesic import GEOD, step_lengths_m
from tours.tour.segment_runs import SegmentRuns

__all__ = [
    "DEFAULT_DWELL_MINUTES",
    "DEFAULT_PACE_KMH",
    "MIN_SLACK_M",
    "ON_ROUTE_MAX_OFFSET_M",
    "SLACK_FRACTION",
    "GeometryError",
    "Itinerary",
    "Leg",
    "RouteGeometry",
    "StopLocation",
    "geodesic_distance_m",
    "plan_itinerary",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: A stop may be matched to any pass of the route within its nearest distance plus this
#: slack (metres), so GPS noise or a stop drawn on the other pavement does not make a later
#: pass of the route win over an earlier one a few metres further away.
MIN_SLACK_M = 10.0
#: ... or this fraction of the nearest distance, whichever is larger: a stop 200 m off the
#: route is equally "near" to passes at 200 m and 240 m.
SLACK_FRACTION = 0.25
#: Beyond this offset (metres) a stop is "not on the route" and its along-route position
#: means little, so legs to or from it use the straight geodesic distance instead.
ON_ROUTE_MAX_OFFSET_M = 100.0
#: An unhurried group walking pace, stops and street crossings not included.
DEFAULT_PACE_KMH = 4.5
#: The profile's default time spent at a stop (docs/geojson-profile.md, ``dwell_minutes``).
DEFAULT_DWELL_MINUTES = 5.0

# Within one pass, segments whose distance to a stop differs by less than this (metres)
# are a tie and the earliest wins. An out-and-back route has the same segment twice,
# once in each direction, and floating point may make the return one nearer by 1e-10 m.
# It is kept far below real differences: a stop on the inside of a bend can be 1 mm
# nearer to one point of the route than to another 2 m further on, and the nearer wins.
_TIE_M = 1e-6
# Legs shorter than this along the route are "zero": both stops project to the same spot.
_ZERO_LEG_M = 0.01

_GEOD = GEOD
#: How many located points a geometry remembers (a tour's stops, many times over).
_REMEMBERED = 100_000


class GeometryError(BideanError, ValueError):
    """A route or stop position that the geometry cannot work with.

    A ``ValueError`` (bad input), and a ``BideanError`` so the web layer handles it like
    every other error the domain core raises on purpose.
    """


@dataclass(frozen=True, slots=True)
class StopLocation:
    """Where a stop sits relative to the route.

    ``along_m`` is the distance along the route (geodesic metres from the route's start)
    of the stop's projection onto the route; ``offset_m`` the geodesic distance from the
    stop to that projection.
    """

    along_m: float
    offset_m: float


@dataclass(frozen=True, slots=True)
class Leg:
    """The walk from one stop to the next; indices are into the ``stops`` given."""

    from_index: int
    to_index: int
    distance_m: float
    walk_minutes: float


@dataclass(frozen=True, slots=True)
class Itinerary:
    """A tour's stops put in order, with walking legs and timings.

    ``order`` lists indices into the ``stops`` given, in tour order. ``locations[i]``
    belongs to ``stops[i]`` (input order, not tour order). ``length_m`` is the walking
    distance from the first stop to the last (the sum of the legs), not the route's
    length; ``walk_minutes`` is the time to walk it, ``dwell_minutes`` the time spent at
    all stops, ``total_minutes`` their sum. ``bbox`` covers the route and every stop.
    """

    order: list[int]
    locations: list[StopLocation]
    legs: list[Leg]
    length_m: float
    walk_minutes: float
    dwell_minutes: float
    total_minutes: float
    bbox: BBox

    def at_pace(self, pace_kmh: float) -> Itinerary:
        """The same legs walked at ``pace_kmh`` (walking time is distance over pace)."""
        if not (math.isfinite(pace_kmh) and pace_kmh > 0):
            raise ValueError(f"pace_kmh must be a positive number, not {pace_kmh!r}")
        metres_per_minute = pace_kmh * 1000.0 / 60.0
        legs = [
            Leg(leg.from_index, leg.to_index, leg.distance_m, leg.distance_m / metres_per_minute)
            for leg in self.legs
        ]
        walk = float(sum(leg.walk_minutes for leg in legs))
        return Itinerary(
            order=self.order,
            locations=self.locations,
            legs=legs,
            length_m=self.length_m,
            walk_minutes=walk,
            dwell_minutes=self.dwell_minutes,
            total_minutes=walk + self.dwell_minutes,
            bbox=self.bbox,
        )


def geodesic_distance_m(a: LonLat, b: LonLat) -> float:
    """Return the geodesic distance in metres between two positions on the WGS84 ellipsoid."""
    _, _, distance = _GEOD.inv(a[0], a[1], b[0], b[1])
    return float(distance)


def _lonlat_array(points: Sequence[Sequence[float]], what: str) -> FloatArray:
    """Return ``points`` as an ``(n, 2)`` float array of checked lon/lat, dropping elevation.

    One ``np.asarray`` call converts the whole list in C. Only if the positions have mixed
    lengths (some with elevation, some without, which GeoJSON allows) do we fall back to a
    per-position slice.
    """
    if len(points) == 0:
        return np.empty((0, 2), dtype=np.float64)
    try:
        array = np.asarray(points, dtype=np.float64)
    except (ValueError, TypeError):
        try:
            array = np.asarray([tuple(p)[:2] for p in points], dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise GeometryError(f"{what}: positions must be [lon, lat] numbers") from exc
    if array.ndim != 2 or array.shape[1] < 2:
        raise GeometryError(f"{what}: positions must be [lon, lat] or [lon, lat, ele]")
    array = np.ascontiguousarray(array[:, :2])
    if not np.isfinite(array).all():
        raise GeometryError(f"{what}: positions must be finite numbers")
    lon, lat = array[:, 0], array[:, 1]
    if (np.abs(lon) > 180.0).any() or (np.abs(lat) > 90.0).any():
        raise GeometryError(
            f"{what}: a position is outside [-180, 180] x [-90, 90];"
            " coordinates must be [lon, lat] in degrees"
        )
    return array


class _Places:
    """Where points were located on one route, by (lon, lat), up to ``_REMEMBERED``: an
    import locates the same stops twice (to order them, then to check them), and a
    point's place depends on nothing but the point and the route."""

    def __init__(self) -> None:
        self._known: dict[tuple[float, float], tuple[float, float]] = {}

    def of(self, points: list[tuple[float, float]]) -> tuple[FloatArray, FloatArray] | None:
        """``along_m`` and ``offset_m`` of every point, or None unless all are known."""
        known = self._known
        if not points or not all(point in known for point in points):
            return None
        along, offset = zip(*(known[point] for point in points), strict=True)
        return np.array(along, dtype=np.float64), np.array(offset, dtype=np.float64)

    def keep(
        self, points: list[tuple[float, float]], along: FloatArray, offset: FloatArray
    ) -> None:
        if len(self._known) + len(points) <= _REMEMBERED:
            places = zip(along.tolist(), offset.tolist(), strict=True)
            self._known.update(zip(points, places, strict=True))


class RouteGeometry:
    """A tour route prepared once for measuring and for locating stops along it.

    ``lines`` holds the route's parts in walking order: one part for a GeoJSON
    ``LineString``, several for a ``MultiLineString``. Each part is a list of positions
    ``[lon, lat]`` or ``[lon, lat, ele]``; elevation is ignored.

    Distance along the route runs through the parts in the order given. **The gap between
    the end of one part and the start of the next counts 0 m**: parts are pieces of one
    walk (a route redrawn after a closed street, say), and the profile gives no path for
    the gap, so we neither invent one nor guess its length.

    Raises :class:`GeometryError` if a part has fewer than 2 positions, if a position is
    not a valid ``[lon, lat]``, or if the whole route has fewer than 2 distinct positions.
    """

    def __init__(self, lines: Sequence[Sequence[Sequence[float]]]) -> None:
        parts = [_lonlat_array(part, f"route part {i}") for i, part in enumerate(lines)]
        for i, part in enumerate(parts):
            if len(part) < 2:
                raise GeometryError(
                    f"route part {i} has {counted(len(part), 'position')}; a line needs at least 2"
                )
        if not parts:
            raise GeometryError("the route has no positions; it needs at least 2 distinct ones")
        lonlat = np.concatenate(parts)
        self._part_lengths = tuple(len(part) for part in parts)
        if not (lonlat != lonlat[0]).any():
            raise GeometryError(
                f"the route has {counted(len(lonlat), 'position')} but all are the same place;"
                " it needs at least 2 distinct positions"
            )
        self._lonlat = lonlat
        lon, lat = lonlat[:, 0], lonlat[:, 1]

        # Steps join consecutive vertices of the concatenated array; the step from the last
        # vertex of a part to the first of the next is the gap, which is not walked.
        part_ends = np.cumsum([len(p) for p in parts])
        walked = np.ones(len(lonlat) - 1, dtype=bool)
        walked[part_ends[:-1] - 1] = False
        step = step_lengths_m(lon, lat)
        self._step_m: FloatArray = np.where(walked, step, 0.0)
        # cumulative[i] is the distance along the route to vertex i.
        self._cumulative_m: FloatArray = np.concatenate(([0.0], np.cumsum(self._step_m)))

        # Column by column: numpy reduced the (n, 2) array along its first axis 0.2 ms a
        # bound for 10,000 vertices, each column takes microseconds.
        west, south = float(lon.min()), float(lat.min())
        east, north = float(lon.max()), float(lat.max())
        self._bbox = BBox(west, south, east, north)

        # Transverse Mercator centred on the bbox centre: conformal, and its scale error
        # grows with the square of the distance from the centre, so it is negligible over a
        # city. A pipeline keeps the axis order explicit (x = lon, y = lat, in degrees, as
        # always_xy=True would) and builds in microseconds, against ~10 ms for from_crs().
        # Python floats (not numpy's, whose repr is "np.float64(...)") go into the string.
        self._transformer = Transformer.from_pipeline(
            "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad"
            f" +step +proj=tmerc +lat_0={(south + north) / 2!r} +lon_0={(west + east) / 2!r}"
            " +k_0=1 +x_0=0 +y_0=0 +ellps=WGS84"
        )
        x, y = self._transformer.transform(lon, lat)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

        # Only segments that are walked and have non-zero length go into the index: the
        # gap is not part of the route, and a repeated vertex is not a segment. Index
        # positions stay in route order, which the "earliest pass" rule relies on.
        moves = (lon[:-1] != lon[1:]) | (lat[:-1] != lat[1:])
        self._seg_start: IntArray = np.flatnonzero(walked & moves)
        if len(self._seg_start) == 0:
            raise GeometryError(
                "no part of the route has 2 distinct positions; a line needs at least 2"
            )
        self._runs = SegmentRuns(x, y, self._seg_start, one_part=len(parts) == 1)
        self._ax, self._ay, self._dx, self._dy = (
            self._runs.ax,
            self._runs.ay,
            self._runs.dx,
            self._runs.dy,
        )
        self._located = _Places()

    def measures(self, lines: Sequence[Sequence[Sequence[float]]]) -> bool:
        """Whether this is the geometry of ``lines``: the same parts, the same lon/lat
        to the last digit (elevation aside), so it may stand in for measuring them."""
        if tuple(len(part) for part in lines) != self._part_lengths:
            return False
        try:
            parts = [_lonlat_array(part, "route") for part in lines]
        except GeometryError:
            return False
        return bool(np.array_equal(np.concatenate(parts), self._lonlat))

    @property
    def positions(self) -> FloatArray:
        """Every vertex as ``[lon, lat]``, the parts one after the other (read only)."""
        view = self._lonlat.view()
        view.flags.writeable = False
        return view

    @property
    def length_m(self) -> float:
        """Total geodesic length of the route in metres (gaps between parts count 0)."""
        return float(self._cumulative_m[-1])

    @property
    def bbox(self) -> BBox:
        """Bounding box of the route's positions."""
        return self._bbox

    def between_m(self, a_along: float, b_along: float) -> float:
        """Return the distance along the route between two along-route positions (metres)."""
        # Along-route positions are geodesic cumulative distances, so their difference is
        # the geodesic length of the route between them, whichever comes first.
        return abs(b_along - a_along)

    def locate(self, points: Sequence[LonLat]) -> list[StopLocation]:
        """Return where each point sits along the route, in the order given.

        The rule for a route that passes near a point more than once (a loop, an
        out-and-back walk, a figure eight):

        1. Find the distance ``d`` from the point to the nearest segment of the route.
        2. Every segment within ``d + max(MIN_SLACK_M, SLACK_FRACTION * d)`` is a
           candidate. A run of consecutive candidate segments (consecutive along the
           route) is one *pass* of the route by the point.
        3. Take the **earliest pass** along the route, and within it the segment nearest to
           the point (near-ties go to the earlier segment).

        So a stop is placed where the walk first reaches it, even if a later pass happens
        to be a few metres closer: on a loop whose end is its start, a stop at the start
        gets ``along_m`` 0, not the loop's length; on an out-and-back walk, stops are
        placed on the way out, and the turnaround stop comes last of them.
        """
        lonlat = _lonlat_array(points, "stops")
        if len(lonlat) == 0:
            return []
        along, offset = self._locate_arrays(lonlat)
        return [StopLocation(a, o) for a, o in zip(along.tolist(), offset.tolist(), strict=True)]

    def _locate_arrays(self, lonlat: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Vectorised :meth:`locate`: arrays of ``along_m`` and ``offset_m``."""
        points = [(lon, lat) for lon, lat in lonlat.tolist()]
        known = self._located.of(points)
        if known is not None:
            return known
        along, offset = self._locate_all(lonlat)
        self._located.keep(points, along, offset)
        return along, offset

    def _locate_all(self, lonlat: FloatArray) -> tuple[FloatArray, FloatArray]:
        n = len(lonlat)
        px, py = self._transformer.transform(lonlat[:, 0], lonlat[:, 1])
        px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
        points = shapely.points(px, py)

        # 1. Distance to the nearest segment, one per point.
        min_d = self._runs.nearest_m(points)
        radius = min_d + np.maximum(MIN_SLACK_M, SLACK_FRACTION * min_d)

        # 2. All candidate segments, by (point, route order), to find the passes.
        cand_pt, cand_seg, t, foot_x, foot_y, dist = self._runs.within(points, px, py, radius)
        new_pass = np.ones(len(cand_pt), dtype=bool)
        new_pass[1:] = (cand_pt[1:] != cand_pt[:-1]) | (cand_seg[1:] != cand_seg[:-1] + 1)
        pass_id = np.cumsum(new_pass)
        first_of_point = np.ones(len(cand_pt), dtype=bool)
        first_of_point[1:] = cand_pt[1:] != cand_pt[:-1]
        earliest_pass = np.zeros(n, dtype=pass_id.dtype)
        earliest_pass[cand_pt[first_of_point]] = pass_id[first_of_point]
        keep = pass_id == earliest_pass[cand_pt]
        cand_pt, cand_seg = cand_pt[keep], cand_seg[keep]
        t, foot_x, foot_y, dist = t[keep], foot_x[keep], foot_y[keep], dist[keep]

        # 3. The earliest segment of that pass within _TIE_M of the pass's nearest distance.
        # Candidates are now grouped by point; group k is the k-th point that has any.
        group_start = np.concatenate(([True], cand_pt[1:] != cand_pt[:-1]))
        group = np.cumsum(group_start) - 1
        pass_min = np.minimum.reduceat(dist, np.flatnonzero(group_start))
        near = np.flatnonzero(dist <= pass_min[group] + _TIE_M)
        # `near` is still sorted by (point, route order): the first entry per point wins.
        first = near[np.concatenate(([True], group[near][1:] != group[near][:-1]))]
        chosen_pt = cand_pt[first]
        vertex = self._seg_start[cand_seg[first]]

        along = np.empty(n, dtype=np.float64)
        along[chosen_pt] = self._cumulative_m[vertex] + t[first] * self._step_m[vertex]
        # The foot goes back to lon/lat so the offset is a geodesic distance too.
        foot_lon, foot_lat = self._transformer.transform(
            foot_x[first], foot_y[first], direction="INVERSE"
        )
        _, _, off = _GEOD.inv(lonlat[chosen_pt, 0], lonlat[chosen_pt, 1], foot_lon, foot_lat)
        offset = np.empty(n, dtype=np.float64)
        offset[chosen_pt] = off
        return along, offset

    def self_crossings(self) -> list[LonLat]:
        """Return the points where the route crosses itself, in route order.

        Only proper crossings count: two segments each of whose endpoints lie strictly on
        opposite sides of the other (by more than a millimetre, so floating-point noise on
        an out-and-back walk is not a crossing). Segments that merely touch at a vertex
        (consecutive segments, the closing vertex of a loop, a route that comes back to a
        vertex) or that overlap along a stretch (an out-and-back walk on the same street)
        are not crossings. A crossing is reported once per pair of segments, ordered by the
        earlier segment, then the later one.

        One consequence: a route that crosses itself exactly at one of its own vertices
        (arriving at a point of an earlier street and leaving on the other side) is not
        reported, because no single pair of segments crosses there.
        """
        # The index gives the runs whose bounding boxes meet; the exact test on their
        # segments' pairs is plain numpy (a GEOS predicate per pair was ~10x slower).
        left, right = self._runs.crossing_pairs()
        if len(left) == 0:
            return []
        route_order = np.lexsort((right, left))
        left, right = left[route_order], right[route_order]
        ax, ay, adx, ady = self._ax[left], self._ay[left], self._dx[left], self._dy[left]
        cx, cy, cdx, cdy = self._ax[right], self._ay[right], self._dx[right], self._dy[right]
        # Where a + t (b - a) meets the other segment; the denominator is non-zero because
        # proper crossings are never parallel.
        t = ((cx - ax) * cdy - (cy - ay) * cdx) / (adx * cdy - ady * cdx)
        lon, lat = self._transformer.transform(ax + t * adx, ay + t * ady, direction="INVERSE")
        return [
            LonLat(a, b)
            for a, b in zip(np.asarray(lon).tolist(), np.asarray(lat).tolist(), strict=True)
        ]


def _tour_order(along: FloatArray, explicit_order: Sequence[int | None] | None) -> list[int]:
    """Return stop indices in tour order; see :func:`plan_itinerary` for the rule."""
    n = len(along)
    if explicit_order is None:
        explicit_order = [None] * n
    if len(explicit_order) != n:
        raise ValueError(
            f"explicit_order has {len(explicit_order)} entries for {n} stops; give one per stop"
        )
    for i, value in enumerate(explicit_order):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, np.integer))
        ):
            raise ValueError(f"explicit_order[{i}] must be an integer or None, not {value!r}")
        if value is not None and value < 1:
            raise ValueError(f"explicit_order[{i}] is {value}; positions start at 1")
    pinned = sorted((int(value), i) for i, value in enumerate(explicit_order) if value is not None)
    free = sorted((float(along[i]), i) for i, value in enumerate(explicit_order) if value is None)
    order: list[int] = []
    p = f = 0
    while p < len(pinned) or f < len(free):
        position = len(order) + 1
        if p < len(pinned) and (pinned[p][0] <= position or f == len(free)):
            order.append(pinned[p][1])
            p += 1
        else:
            order.append(free[f][1])
            f += 1
    return order


def _dwell_array(dwell_minutes: Sequence[float] | float, n: int) -> FloatArray:
    """Return one dwell time per stop, checked."""
    dwell = np.asarray(dwell_minutes, dtype=np.float64)
    if dwell.ndim == 0:
        dwell = np.full(n, float(dwell))
    elif dwell.shape != (n,):
        raise ValueError(f"dwell_minutes has {len(dwell)} entries for {n} stops; give one per stop")
    if not (np.isfinite(dwell).all() and (dwell >= 0).all()):
        raise ValueError("dwell_minutes must be finite and not negative")
    return dwell


def plan_itinerary(
    route: RouteGeometry,
    stops: Sequence[LonLat],
    explicit_order: Sequence[int | None] | None = None,
    *,
    pace_kmh: float = DEFAULT_PACE_KMH,
    dwell_minutes: Sequence[float] | float = DEFAULT_DWELL_MINUTES,
    on_route_max_offset_m: float = ON_ROUTE_MAX_OFFSET_M,
) -> Itinerary:
    """Put the stops in tour order and work out the walking legs between them.

    **Order.** ``explicit_order[i]`` is stop ``i``'s explicit position in the tour (the
    profile's ``order``: an integer from 1) or ``None``. Stops without one are ordered by
    where they sit along the route (:meth:`RouteGeometry.locate`). The two are merged by
    filling positions 1, 2, 3, ... in turn: a position goes to the next explicitly ordered
    stop if its ``order`` is at most that position, otherwise to the next stop along the
    route. So explicit orders win: with all stops ordered the tour follows ``order``; a stop
    with ``order`` 1 comes first even if it is at the end of the route; a stop with
    ``order`` 3 is third if there are stops to fill positions 1 and 2. Gaps and
    duplicates are harmless: an ``order`` beyond the stops available puts the stop after
    the route-ordered ones, and equal ``order`` values (and equal along-route positions)
    keep the input order.

    **Legs.** One per consecutive pair in tour order. The distance is the along-route
    distance between the two stops' projections onto the route; if it is zero (both project
    to the same spot) or either stop is more than ``on_route_max_offset_m`` from the route,
    it is the straight geodesic distance between the stops. Walking time is distance at
    ``pace_kmh``.

    ``dwell_minutes`` is one time for every stop or a sequence with one per stop.
    """
    if not (math.isfinite(pace_kmh) and pace_kmh > 0):
        raise ValueError(f"pace_kmh must be a positive number, not {pace_kmh!r}")
    lonlat = _lonlat_array(stops, "stops")
    n = len(lonlat)
    dwell = _dwell_array(dwell_minutes, n)
    if n:
        along, offset = route._locate_arrays(lonlat)
    else:
        along, offset = np.empty(0), np.empty(0)
    order = _tour_order(along, explicit_order)

    # Every leg at once: along-route distance, with the straight geodesic as the fallback.
    frm, to = np.asarray(order[:-1], dtype=np.intp), np.asarray(order[1:], dtype=np.intp)
    on_route = np.abs(along[to] - along[frm])
    _, _, straight = _GEOD.inv(lonlat[frm, 0], lonlat[frm, 1], lonlat[to, 0], lonlat[to, 1])
    off_route = (offset[frm] > on_route_max_offset_m) | (offset[to] > on_route_max_offset_m)
    distance = np.where(off_route | (on_route < _ZERO_LEG_M), straight, on_route)
    metres_per_minute = pace_kmh * 1000.0 / 60.0
    minutes = distance / metres_per_minute
    legs = [
        Leg(a, b, d, m)
        for a, b, d, m in zip(
            frm.tolist(), to.tolist(), distance.tolist(), minutes.tolist(), strict=True
        )
    ]

    west, south, east, north = route.bbox
    if n:
        west, south = min(west, float(lonlat[:, 0].min())), min(south, float(lonlat[:, 1].min()))
        east, north = max(east, float(lonlat[:, 0].max())), max(north, float(lonlat[:, 1].max()))
    walk = float(minutes.sum())
    dwell_total = float(dwell.sum())
    return Itinerary(
        order=order,
        locations=[
            StopLocation(a, o) for a, o in zip(along.tolist(), offset.tolist(), strict=True)
        ],
        legs=legs,
        length_m=float(distance.sum()),
        walk_minutes=walk,
        dwell_minutes=dwell_total,
        total_minutes=walk + dwell_total,
        bbox=BBox(west, south, east, north),
    )
