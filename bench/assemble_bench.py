"""Assembling real route files, as a ratio to parsing them (median of 3 runs each).

* the 22,868-point GaiaGPS track (``large_nnml_…gpx``): ``bidean import --route`` work
  (safe XML check, gpxpy, field map, order, profile check) against ``gpxpy.parse``;
* the 29,565-vertex Oregon Desert Trail (``large_oregon…geojson``): the same against
  ``json.loads``.

Reads ``../shared/interop/real`` beside the checkout; prints the figures for
docs/performance.md.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import gpxpy

from tours.content.assembly.assemble import AssemblyOptions, assemble_paths

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "interop" / "real"
GPX = REAL / "large_nnml_s8-ranchos-de-taos-to-santa-fe.gpx"
OREGON = REAL / "large_oregon-desert-trail_route_line.geojson"
OPTIONS = AssemblyOptions(city="Santa Fe", language="en", timezone="America/Denver")


def median_seconds(work: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    if not REAL.is_dir():
        print(f"{REAL} is absent: nothing to measure", file=sys.stderr)
        return 1
    rows = []
    gpx_text = GPX.read_text(encoding="utf-8")
    parse = median_seconds(lambda: gpxpy.parse(gpx_text))
    build = median_seconds(lambda: assemble_paths([], route=GPX, options=OPTIONS))
    rows.append(("22,868-point GPX track", "gpxpy.parse", parse, build))
    oregon_bytes = OREGON.read_bytes()
    parse = median_seconds(lambda: json.loads(oregon_bytes))
    build = median_seconds(lambda: assemble_paths([], route=OREGON, options=OPTIONS))
    rows.append(("29,565-vertex Oregon GeoJSON", "json.loads", parse, build))
    print("| file | baseline | parse | assemble | ratio |")
    print("|---|---|---|---|---|")
    for name, baseline, parse, build in rows:
        print(
            f"| {name} | {baseline} | {parse * 1000:.0f} ms | {build * 1000:.0f} ms"
            f" | **{build / parse:.1f}x** |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
