"""The route a tour page carries for the map's first paint: exact when small, else simplified.

A route of a few hundred vertices costs a few KB and goes into the page as it is.  A long
one (a 100,000-vertex GPS track is 3.5 MB of JSON) would make every visit download it, so
the page gets a copy simplified in metres (Douglas-Peucker, shapely) to about a pixel at
the zoom that fits the whole route on a large screen, at most ``PREVIEW_MAX_VERTICES``
vertices; ``map.js`` fetches the exact route from the tour's versioned, immutable
``.geojson`` only when the map is zoomed in past what the preview can show.  The kept
vertices are vertices of the stored route, unchanged: nothing is moved, only left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

# Up to this many vertices the page carries the exact route (about 40 bytes a vertex).
INLINE_MAX_VERTICES = 2_000
PREVIEW_MAX_VERTICES = 2_000
# The preview is within about one pixel at the zoom that fits the route into this width.
FIT_PIXELS = 2_000
METRES_PER_DEG_LAT = 111_320.0

Line = list[list[float]]  # [[lon, lat], ...]


@dataclass(frozen=True)
class RoutePreview:
    """The lines to draw first, and how far (metres) they may stray from the exact route
    (0 when they are the exact route)."""

    lines: list[Line]
    tolerance_m: float

    @property
    def exact(self) -> bool:
        return self.tolerance_m == 0


def route_preview(
    route: Sequence[Sequence[Sequence[float]]],
    inline_max: int = INLINE_MAX_VERTICES,
    preview_max: int = PREVIEW_MAX_VERTICES,
) -> RoutePreview:
    """``route`` (lines of ``[lon, lat(, ele)]``) as it is when small, else simplified."""
    lines = [[[float(p[0]), float(p[1])] for p in line] for line in route]
    total = sum(len(line) for line in lines)
    if total <= inline_max:
        return RoutePreview(lines, 0.0)
    everything = np.array([p for line in lines for p in line])
    west, south = everything.min(axis=0)
    east, north = everything.max(axis=0)
    per_lon = METRES_PER_DEG_LAT * math.cos(math.radians((south + north) / 2))
    diagonal = math.hypot((east - west) * per_lon, (north - south) * METRES_PER_DEG_LAT)
    tolerance = max(diagonal / FIT_PIXELS, 0.5)
    projected = []
    for line in lines:
        points = np.array(line)
        # x, y in metres on a local equirectangular plane; z is the vertex's index, so each
        # kept vertex is taken back from the stored route exactly.
        xyz = np.column_stack(
            (
                (points[:, 0] - west) * per_lon,
                (points[:, 1] - south) * METRES_PER_DEG_LAT,
                np.arange(len(points), dtype=float),
            )
        )
        projected.append((line, shapely.linestrings(xyz)))
    while True:
        kept = [_simplified(line, geometry, tolerance) for line, geometry in projected]
        if sum(len(line) for line in kept) <= preview_max:
            return RoutePreview(kept, tolerance)
        tolerance *= 1.5


def _simplified(line: Line, geometry: shapely.LineString, tolerance: float) -> Line:
    coords = shapely.get_coordinates(
        shapely.simplify(geometry, tolerance, preserve_topology=False), include_z=True
    )
    indices = sorted({0, len(line) - 1, *(int(z) for z in coords[:, 2])})
    return [line[i] for i in indices]
