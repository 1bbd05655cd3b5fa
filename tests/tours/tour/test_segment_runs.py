"""The runs index finds what a brute force over every segment finds."""

import numpy as np
import pytest
import shapely

from tours.tour.segment_runs import RUN, SegmentRuns
from tours.tour.segments import project, proper_crossings


def _runs(xy: np.ndarray, one_part: bool = True) -> tuple[SegmentRuns, np.ndarray]:
    moves = (xy[:-1] != xy[1:]).any(axis=1)
    seg_start = np.flatnonzero(moves)
    return SegmentRuns(xy[:, 0], xy[:, 1], seg_start, one_part=one_part), seg_start


def _brute_crossings(runs: SegmentRuns) -> set[tuple[int, int]]:
    n = len(runs.ax)
    left, right = np.triu_indices(n, 1)
    proper = proper_crossings(
        runs.ax[left], runs.ay[left], runs.dx[left], runs.dy[left],
        runs.ax[right], runs.ay[right], runs.dx[right], runs.dy[right],
    )  # fmt: skip
    return set(zip(left[proper].tolist(), right[proper].tolist(), strict=True))


def _walk(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = np.cumsum(rng.normal(0, 30, (n, 2)), axis=0)
    xy[rng.integers(0, n, n // 10)] = xy[rng.integers(0, n, n // 10)]  # jumps back
    return np.repeat(xy, rng.integers(1, 3, n), axis=0)  # and repeated vertices


@pytest.mark.parametrize("seed", range(6))
def test_crossings_of_a_random_walk_are_the_brute_forces(seed: int) -> None:
    runs, _ = _runs(_walk(seed, 300))
    left, right = runs.crossing_pairs()
    assert _brute_crossings(runs)  # a walk this tangled crosses itself
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == _brute_crossings(runs)


@pytest.mark.parametrize(
    "xy",
    [
        np.column_stack((np.arange(500.0), np.sin(np.arange(500) / 9) * 30)),  # a street
        np.column_stack((np.cos(np.linspace(0, 6.283, 400)), np.sin(np.linspace(0, 6.283, 400))))
        * 300,  # a loop back to its start
        np.column_stack((np.r_[0:60, 58:-1:-1].astype(float), np.zeros(119))),  # out and back
    ],
)
def test_a_route_without_crossings_has_none(xy: np.ndarray) -> None:
    runs, _ = _runs(xy)
    left, _ = runs.crossing_pairs()
    assert len(left) == 0 and not _brute_crossings(runs)


def test_two_parts_that_cross_each_other_are_found() -> None:
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [50.0, -50.0], [50.0, 50.0]])
    # One array of two parts: the step between them (vertex 1 to 2) is not walked.
    runs = SegmentRuns(xy[:, 0], xy[:, 1], np.array([0, 2]), one_part=False)
    left, right = runs.crossing_pairs()
    assert (left.tolist(), right.tolist()) == ([0], [1])


def test_within_gives_every_segment_in_reach_in_route_order() -> None:
    xy = _walk(11, 2_000)
    runs, _ = _runs(xy)
    assert len(runs.first) >= len(runs.ax) / RUN  # runs, not one geometry per segment
    rng = np.random.default_rng(1)
    px, py = xy[rng.integers(0, len(xy), 40), 0] + 5, xy[rng.integers(0, len(xy), 40), 1]
    points = shapely.points(px, py)
    radius = runs.nearest_m(points) + 40.0
    point, segment, _, _, _, distance = runs.within(points, px, py, radius)
    _, fx, fy = project(runs.ax, runs.ay, runs.dx, runs.dy, px[:, None], py[:, None])
    every = np.hypot(px[:, None] - fx, py[:, None] - fy)
    assert np.allclose(runs.nearest_m(points), every.min(axis=1), rtol=0, atol=1e-9)
    expected_point, expected_segment = np.nonzero(every <= radius[:, None])
    assert point.tolist() == expected_point.tolist()
    assert segment.tolist() == expected_segment.tolist()
    assert np.allclose(distance, every[point, segment], rtol=0, atol=1e-12)
