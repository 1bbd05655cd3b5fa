"""Geometry helpers of the tour profile: rounding, rewinding and the route warnings.

Kept apart from :mod:`tours.content.checking.profile` so the rules read as rules.  The metric work
(crossings, distances of stops from the route) is done by :mod:`tours.tour.geometry`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tours.content.checking.validate import CoordinateArrays, ring_area
from tours.content.report import Problem, Severity
from tours.tour.geometry import RouteGeometry, StopLocation

#: Decimals kept on import: 1e-6 degrees is about 0.1 m, finer than any GPS.
DECIMALS = 6
#: Beyond this distance a stop is not just misplaced: the axes are probably swapped.
SWAPPED_HINT_M = 100_000.0
#: Self-crossings listed one by one; the rest are counted in one more warning.
MAX_CROSSINGS_LISTED = 10


def round_position(position: Sequence[float]) -> list[float]:
    """One position rounded to ``DECIMALS`` (Python's round: numpy costs more for 2 numbers)."""
    return [round(float(v), DECIMALS) for v in position]


def rounded_positions(
    coords: Sequence[Sequence[float]], arrays: CoordinateArrays | None = None
) -> np.ndarray | list[list[float]]:
    """Positions rounded to ``DECIMALS``: an array, in one numpy call, when they share a
    length (reusing the array validation made, if ``arrays`` has it), else lists.

    The profile measures the route on this (``RouteGeometry`` takes either) and stores
    its lists (``round_positions``): the same numbers."""
    array = arrays.get(coords) if arrays is not None else None
    if array is None:
        if len(coords) < CoordinateArrays.MIN_POSITIONS:
            return [round_position(p) for p in coords]
        try:
            array = np.asarray(coords, dtype=np.float64)
        except ValueError:  # some positions have an elevation and some do not
            return [round_position(p) for p in coords]
    return np.round(array, DECIMALS)


def round_positions(
    coords: Sequence[Sequence[float]], arrays: CoordinateArrays | None = None
) -> list[list[float]]:
    """Positions rounded to ``DECIMALS`` (see ``rounded_positions``), as lists."""
    rounded = rounded_positions(coords, arrays)
    return rounded if isinstance(rounded, list) else rounded.tolist()


def _ring(
    coords: Sequence[Sequence[float]], arrays: CoordinateArrays | None, *, exterior: bool
) -> list[list[float]]:
    """A rounded ring, reversed if needed so the exterior is counter-clockwise and holes
    clockwise (RFC 7946 §3.1.6); measured after rounding, which is what gets stored."""
    ring = round_positions(coords, arrays)
    area = ring_area(np.asarray([p[:2] for p in ring], dtype=np.float64))
    if (exterior and area < 0) or (not exterior and area > 0):
        ring.reverse()
    return ring


def _polygon(coords: Sequence[Any], arrays: CoordinateArrays | None) -> list[list[list[float]]]:
    return [_ring(ring, arrays, exterior=i == 0) for i, ring in enumerate(coords)]


def round_geometry(
    geometry: dict[str, Any], arrays: CoordinateArrays | None = None
) -> dict[str, Any]:
    """A new geometry object with rounded, rewound coordinates and nothing else (no
    ``bbox``, ``crs`` or foreign members)."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        new: Any = round_position(coords)
    elif kind in ("LineString", "MultiPoint"):
        new = round_positions(coords, arrays)
    elif kind == "MultiLineString":
        new = [round_positions(part, arrays) for part in coords]
    elif kind == "Polygon":
        new = _polygon(coords, arrays)
    elif kind == "MultiPolygon":
        new = [_polygon(part, arrays) for part in coords]
    else:  # pragma: no cover - the profile only keeps the kinds above
        raise ValueError(f"no rounding rule for {kind}")
    return {"type": kind, "coordinates": new}


#: Self-crossings closer than this to one already reported are the same crossing.
CROSSING_MERGE_M = 2.0


#: Kept crossings are bucketed in cells of this many metres of latitude and degrees of
#: longitude (twice the merge distance, at Bilbao's latitude), so each crossing is only
#: compared with the kept ones in the cells around it.
_LAT_CELL_M = 2 * CROSSING_MERGE_M
_LON_CELL_DEG = 5e-5
#: Near a pole the merge distance spans many longitude cells: compare with every kept one.
_MAX_LON_CELLS = 64


def distinct_crossings(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """``points`` without those within ``CROSSING_MERGE_M`` of an earlier kept one.

    The distance is measured as it always was (an equirectangular approximation at the
    later point's latitude); the kept points are bucketed in a grid so that each point is
    only compared with those in the neighbouring cells, not with every one kept so far (a
    long route that crosses itself thousands of times made this quadratic).
    """
    kept: list[tuple[float, float]] = []
    grid: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for lon, lat in points:
        metres_per_lon = 111_320.0 * math.cos(math.radians(lat))
        row = math.floor(lat * 110_540.0 / _LAT_CELL_M)
        near: Sequence[tuple[float, float]] = kept
        if metres_per_lon > 0.0:
            # A kept point within the distance is less than half a cell away in latitude,
            # so in this row or the next; in longitude within `reach` degrees (with a
            # margin for rounding).
            reach = 1.01 * CROSSING_MERGE_M / metres_per_lon
            first = math.floor((lon - reach) / _LON_CELL_DEG)
            last = math.floor((lon + reach) / _LON_CELL_DEG)
            if last - first <= _MAX_LON_CELLS:
                near = [
                    k
                    for r in (row - 1, row, row + 1)
                    for c in range(first, last + 1)
                    for k in grid.get((r, c), ())
                ]
        if not any(
            math.hypot((lon - k_lon) * metres_per_lon, (lat - k_lat) * 110_540.0) < CROSSING_MERGE_M
            for k_lon, k_lat in near
        ):
            kept.append((lon, lat))
            cell = (row, math.floor(lon / _LON_CELL_DEG))
            grid.setdefault(cell, []).append((lon, lat))
    return kept


def route_warnings(
    geometry: RouteGeometry,
    locations: Sequence[StopLocation],
    route_ptr: str,
    stops: Sequence[tuple[str, str]],
    stop_distance_m: float,
) -> list[Problem]:
    """Warnings about the route drawing: self-crossings and stops far from the route.

    ``stops`` gives, per stop, its geometry pointer and a label ("Stop "plaza"").
    """
    problems: list[Problem] = []
    # Several segment pairs can cross at one spot (a vertex on the crossing), and a hand
    # drawing crosses itself in clusters: crossings closer than 2 m are reported once.
    crossings = distinct_crossings(
        [(round(c.lon, 6), round(c.lat, 6)) for c in geometry.self_crossings()]
    )
    for lon, lat in crossings[:MAX_CROSSINGS_LISTED]:
        problems.append(
            Problem(
                "profile.route-self-crossing",
                route_ptr,
                f"The route crosses itself at longitude {lon:.6f}, latitude {lat:.6f}."
                " That is fine if the walk really passes there twice;"
                " otherwise check the drawing near that point.",
                Severity.WARNING,
            )
        )
    if len(crossings) > MAX_CROSSINGS_LISTED:
        problems.append(
            Problem(
                "profile.route-self-crossing",
                route_ptr,
                f"... and {len(crossings) - MAX_CROSSINGS_LISTED} more self-crossings.",
                Severity.WARNING,
            )
        )
    for (ptr, label), location in zip(stops, locations, strict=True):
        if location.offset_m > stop_distance_m:
            problems.append(_far_stop(ptr, label, location.offset_m, stop_distance_m))
    return problems


def _far_stop(ptr: str, label: str, offset_m: float, limit_m: float) -> Problem:
    distance = f"{offset_m:,.0f} m" if offset_m < 10_000 else f"{offset_m / 1000:,.0f} km"
    hint = "Move the stop onto the route, or redraw the route to pass by it."
    if offset_m > SWAPPED_HINT_M:
        hint = (
            "That is very far: check that the stop and the route are both written as"
            " [longitude, latitude], not [latitude, longitude]."
        )
    return Problem(
        "profile.stop-far-from-route",
        ptr,
        f"{label} is {distance} from the route (more than {limit_m:g} m). {hint}",
        Severity.WARNING,
    )
