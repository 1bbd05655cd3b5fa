"""Benchmark tours.tour.geometry against a naive per-stop projection.

Run from the repository root:  python bench/geometry_bench.py

It builds a 100,000-vertex street-like route around Bilbao and 1,000 stops near it, then
times, in the same process, median of 5 runs each:

* naive: project the route to metres, build one shapely LineString, and for each stop call
  ``line.project`` and ``line.distance`` (each call scans every segment);
* ours: ``RouteGeometry(...)`` + ``locate`` + ``plan_itinerary`` (index built once,
  vectorised queries).

``self_crossings`` is timed separately; it is not part of the itinerary path.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

# Running as a script puts bench/ on sys.path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tours.coords import LonLat
from tours.tour.geometry import MIN_SLACK_M, SLACK_FRACTION, RouteGeometry, plan_itinerary

SEED = 20240611
N_VERTICES = 100_000
N_STOPS = 1_000
RUNS = 5
CENTRE = LonLat(-2.93, 43.25)  # Bilbao
HALF_SIDE_M = 4_000.0  # the walk is folded into an 8 km square, like a city's streets
M_PER_DEG_LAT = 111_320.0


def street_like_route(rng: np.random.Generator) -> list[list[float]]:
    """A random walk that looks like streets: 5-15 m steps, gentle bends, some corners."""
    steps = rng.uniform(5.0, 15.0, N_VERTICES - 1)
    turns = rng.normal(0.0, 0.05, N_VERTICES - 1)  # a street bends a little...
    corners = rng.random(N_VERTICES - 1) < 0.01  # ...and every ~100 m a corner
    turns[corners] += rng.choice([-np.pi / 2, np.pi / 2], corners.sum())
    heading = np.cumsum(turns)
    x = np.concatenate(([0.0], np.cumsum(steps * np.cos(heading))))
    y = np.concatenate(([0.0], np.cumsum(steps * np.sin(heading))))
    # Fold the walk back into the square (a triangle wave keeps step lengths).
    period = 4 * HALF_SIDE_M
    x = np.abs((x + HALF_SIDE_M) % period - 2 * HALF_SIDE_M) - HALF_SIDE_M
    y = np.abs((y + HALF_SIDE_M) % period - 2 * HALF_SIDE_M) - HALF_SIDE_M
    lat = CENTRE.lat + y / M_PER_DEG_LAT
    lon = CENTRE.lon + x / (M_PER_DEG_LAT * np.cos(np.radians(CENTRE.lat)))
    # GeoJSON-like input, rounded to 6 decimals as the importer does.
    return np.round(np.column_stack((lon, lat)), 6).tolist()


def stops_near(route: list[list[float]], rng: np.random.Generator) -> list[LonLat]:
    """Stops up to ~30 m from random route vertices."""
    at = np.asarray(route)[rng.choice(len(route), N_STOPS, replace=False)]
    shift_m = rng.uniform(-30.0, 30.0, (N_STOPS, 2))
    lat = at[:, 1] + shift_m[:, 1] / M_PER_DEG_LAT
    lon = at[:, 0] + shift_m[:, 0] / (M_PER_DEG_LAT * np.cos(np.radians(CENTRE.lat)))
    return [LonLat(a, b) for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]


def naive(route: list[list[float]], stops: list[LonLat]) -> list[tuple[float, float]]:
    """The per-stop baseline: shapely project/distance against the whole route line."""
    transformer = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad"
        f" +step +proj=tmerc +lat_0={CENTRE.lat} +lon_0={CENTRE.lon} +ellps=WGS84"
    )
    coords = np.asarray(route)
    x, y = transformer.transform(coords[:, 0], coords[:, 1])
    line = shapely.LineString(np.column_stack((x, y)))
    sx, sy = transformer.transform([s.lon for s in stops], [s.lat for s in stops])
    out = []
    for px, py in zip(sx, sy, strict=True):
        point = shapely.Point(px, py)
        out.append((line.project(point), line.distance(point)))
    return out


def ours(route: list[list[float]], stops: list[LonLat]) -> object:
    """The RouteGeometry path: build, locate, plan."""
    geometry = RouteGeometry([route])
    geometry.locate(stops)
    return plan_itinerary(geometry, stops)


def median_seconds(fn: Callable[[], object]) -> float:
    """Median wall time of RUNS calls."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Build the data, time both paths, print the figures."""
    rng = np.random.default_rng(SEED)
    route = street_like_route(rng)
    stops = stops_near(route, rng)
    geometry = RouteGeometry([route])
    print(
        f"route: {len(route):,} vertices, {geometry.length_m / 1000:,.1f} km;"
        f" {len(stops):,} stops; median of {RUNS} runs"
    )
    # Sanity check before timing: our offset is never below the true nearest distance and
    # never beyond the slack the earliest-pass rule allows (planar vs geodesic: 1 cm).
    nearest = np.array([d for _, d in naive(route, stops)])
    offset = np.array([loc.offset_m for loc in geometry.locate(stops)])
    slack = np.maximum(MIN_SLACK_M, SLACK_FRACTION * nearest)
    assert (offset >= nearest - 0.01).all() and (offset <= nearest + slack + 0.01).all()
    later = int((offset > nearest + 0.01).sum())
    print(f"check: offsets consistent; {later} stops matched to an earlier, farther pass")

    t_naive = median_seconds(lambda: naive(route, stops))
    t_ours = median_seconds(lambda: ours(route, stops))
    t_build = median_seconds(lambda: RouteGeometry([route]))
    t_locate = median_seconds(lambda: geometry.locate(stops))
    t_plan = median_seconds(lambda: plan_itinerary(geometry, stops))
    t_cross = median_seconds(geometry.self_crossings)
    print(f"naive per-stop projection:          {t_naive:8.3f} s")
    print(f"RouteGeometry + locate + plan:      {t_ours:8.3f} s")
    print(f"  of which build {t_build:.3f} s, locate {t_locate:.3f} s, plan {t_plan:.3f} s")
    print(f"ratio naive / ours:                 {t_naive / t_ours:8.1f}x")
    print(
        f"self_crossings (separate):          {t_cross:8.3f} s"
        f" ({len(geometry.self_crossings()):,} crossings)"
    )


if __name__ == "__main__":
    main()
