"""The spatial index of a route's segments: runs of consecutive segments in an STRtree.

One GEOS geometry per segment (10,000 for a 10,000-vertex line) cost more to build and
to index than everything else in measuring a route.  Consecutive segments of a walk lie
together, so the index holds *runs* of up to ``RUN`` consecutive walked segments, one
linestring each; a query answers with runs, and the exact work on each of their segments
(the foot of the perpendicular, the crossing test) is numpy, as it was.  A run is
exactly its segments (it never spans the gap between two parts, nor a repeated vertex),
so its distance to a point is the nearest of theirs.

Crossings need pairs of segments, not of runs: a route that GEOS finds simple has none,
and only a route that is not gets the index of its single segments.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from tours.tour.segments import project, proper_crossings

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Segments per run: fewer geometries to build against more segment pairs to test.
RUN = 8


def _spans(first: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """For spans ``first[i] .. first[i] + counts[i] - 1``: each member's span and value."""
    owner = np.repeat(np.arange(len(first)), counts)
    offsets = np.cumsum(counts) - counts
    return owner, first[owner] + (np.arange(int(counts.sum())) - offsets[owner])


class SegmentRuns:
    """The walked segments ``seg_start`` (a vertex index each) of projected ``x``, ``y``."""

    def __init__(
        self, x: FloatArray, y: FloatArray, seg_start: IntArray, *, one_part: bool
    ) -> None:
        self.ax, self.ay = x[seg_start], y[seg_start]
        self.dx, self.dy = x[seg_start + 1] - self.ax, y[seg_start + 1] - self.ay
        count = len(seg_start)
        apart = np.ones(count, dtype=bool)
        apart[1:] = seg_start[1:] != seg_start[:-1] + 1
        stretch = np.cumsum(apart) - 1
        within = np.arange(count) - np.flatnonzero(apart)[stretch]
        self.first: IntArray = np.flatnonzero(apart | (within % RUN == 0))
        self.size: IntArray = np.diff(np.append(self.first, count))
        run, vertex = _spans(seg_start[self.first], self.size + 1)
        self.runs = shapely.linestrings(np.column_stack((x[vertex], y[vertex])), indices=run)
        self.tree = shapely.STRtree(self.runs)
        # A simple line (GEOS finds no point where it meets itself, but for a loop's
        # closing vertex) has no crossing, which is most routes; a sweep of its segments
        # in C says so in a tenth of a millisecond.
        self._simple = one_part and bool(shapely.is_simple(shapely.linestrings(x, y)))

    def nearest_m(self, points: npt.NDArray[np.object_]) -> FloatArray:
        """The distance from each point to its nearest segment."""
        (which, _), distance = self.tree.query_nearest(
            points, return_distance=True, all_matches=False
        )
        nearest = np.empty(len(points), dtype=np.float64)
        nearest[which] = distance
        return nearest

    def within(
        self, points: npt.NDArray[np.object_], px: FloatArray, py: FloatArray, radius: FloatArray
    ) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Every (point, segment) at most ``radius`` apart, sorted by point then route
        order, with the segment's fraction to the foot, the foot and the distance."""
        point, run = self.tree.query(points, predicate="dwithin", distance=radius)
        # Runs sorted by (point, run) give their segments in (point, route) order, as
        # runs are consecutive segments in route order: sorting the pairs of runs, not
        # the eight times as many pairs of segments.
        by_point = np.lexsort((run, point))
        point, run = point[by_point], run[by_point]
        pair, segment = _spans(self.first[run], self.size[run])
        point = point[pair]
        t, foot_x, foot_y = project(
            self.ax[segment], self.ay[segment], self.dx[segment], self.dy[segment],
            px[point], py[point],
        )  # fmt: skip
        distance = np.hypot(px[point] - foot_x, py[point] - foot_y)
        kept = np.flatnonzero(distance <= radius[point])
        return point[kept], segment[kept], t[kept], foot_x[kept], foot_y[kept], distance[kept]

    def crossing_pairs(self) -> tuple[IntArray, IntArray]:
        """Every pair of segments (earlier, later) that properly cross, unordered."""
        if self._simple:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        # Pairs of segments of one run each are too many to test in numpy (64 a pair of
        # runs against 3 a segment): the segments' own index gives the pairs whose boxes
        # meet, built only for a route that is not simple.
        segments = shapely.linestrings(
            np.stack(
                (
                    np.column_stack((self.ax, self.ay)),
                    np.column_stack((self.ax + self.dx, self.ay + self.dy)),
                ),
                axis=1,
            )
        )
        left, right = shapely.STRtree(segments).query(segments)
        later = left < right
        left, right = left[later], right[later]
        proper = proper_crossings(
            self.ax[left], self.ay[left], self.dx[left], self.dy[left],
            self.ax[right], self.ay[right], self.dx[right], self.dy[right],
        )  # fmt: skip
        return left[proper], right[proper]
