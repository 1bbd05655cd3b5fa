"""Assembling route files, as a ratio to parsing them (median CPU time of several runs).

* a My Maps-style KML generated here (issue #21: 38x ElementTree before): a Document
  of styles, a 10,000-vertex walking line and 160 placemarks with long HTML
  descriptions, images and ExtendedData, 0.8 MB; ``bidean import FILE`` work (the tree
  and its safety checks, placemarks to features, field map, the route measured for the
  stop order, the profile check) against ``xml.etree.ElementTree.fromstring`` of the
  same bytes, the two run by turns (15 runs each; 5 for the row below).  Goal: at
  most 5x.  The assembly pauses the cyclic garbage collector itself, as a check does;
  the parse runs with it on, as a caller finds it.
  The same size in 700 short placemarks is printed beside it (figures only): there the
  per-stop work of the field map and the profile check, the same for every format,
  dominates;
* the 22,868-point GaiaGPS track (``large_nnml_…gpx``): the same against
  ``gpxpy.parse``;
* the 29,565-vertex Oregon Desert Trail (``large_oregon…geojson``): the same against
  ``json.loads``.

The last two read ``../shared/interop/real`` beside the checkout and are skipped without
it.  CPU time of this process (``time.process_time``), not wall time, so that other
processes on a loaded machine do not stretch one side of a ratio more than the other.
Run ``python bench/assemble_bench.py``; it exits 1 when the KML goal is missed.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from tours.content.assembly.assemble import AssemblyOptions, assemble_paths
from tours.content.reading.kml import read_kml

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "interop" / "real"
GPX = REAL / "large_nnml_s8-ranchos-de-taos-to-santa-fe.gpx"
OREGON = REAL / "large_oregon-desert-trail_route_line.geojson"
OPTIONS = AssemblyOptions(city="Santa Fe", language="en", timezone="America/Denver")
KML_OPTIONS = AssemblyOptions(city="Bilbao", language="en", timezone="Europe/Madrid")
KML_GOAL = 5.0


def my_maps_kml(placemarks: int, vertices: int, words: int) -> bytes:
    """A KML as Google My Maps exports a walk: styles, a line layer, a stops layer."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Bilbao walk</name>',
        "<description>Exported from My Maps</description>",
    ]
    for i in range(8):
        out.append(
            f'<Style id="icon-{i}-normal"><IconStyle><color>ff0288d1</color><scale>1</scale>'
            "<Icon><href>https://www.gstatic.com/mapspro/images/stock/503-wht-blank_maps.png"
            '</href></Icon><hotSpot x="32" xunits="pixels" y="64" yunits="insetPixels"/>'
            "</IconStyle><LabelStyle><scale>0</scale></LabelStyle></Style>"
        )
    out.append(
        "<Folder><name>Route</name><Placemark><name>Walking route</name>"
        "<styleUrl>#line-1</styleUrl><LineString><tessellate>1</tessellate><coordinates>"
    )
    out.append(
        "\n".join(
            f"{-2.935 + i * 2e-6:.7f},{43.257 + math.sin(i / 60) * 4e-4:.7f},0"
            for i in range(vertices)
        )
    )
    out.append("</coordinates></LineString></Placemark></Folder><Folder><name>Stops</name>")
    story = "A resident tells how the street changed. " * words
    for i in range(placemarks):
        along = i * (vertices - 1) // max(placemarks - 1, 1)
        lon, lat = -2.935 + along * 2e-6, 43.257 + math.sin(along / 60) * 4e-4 + 1e-5
        out.append(
            f"<Placemark><name>Stop {i + 1}</name><description><![CDATA[{story}<br>"
            f'<img src="https://example.org/stop-{i}.jpg" height="200" width="auto" />]]>'
            f"</description><styleUrl>#icon-{i % 8}</styleUrl><ExtendedData>"
            f'<Data name="gx_media_links"><value><![CDATA[https://example.org/stop-{i}.jpg]]>'
            f"</value></Data></ExtendedData><Point><coordinates>{lon:.7f},{lat:.7f},0"
            "</coordinates></Point></Placemark>"
        )
    out.append("</Folder></Document></kml>")
    return "\n".join(out).encode()


def median_cpu(work: Callable[[], object], runs: int) -> float:
    work()  # warm: imports, caches
    times = []
    for _ in range(runs):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return statistics.median(times)


def median_cpu_pair(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    """``median_cpu`` of both, run by turns (first, second, first...), so that a load
    that comes and goes on the machine weighs on both sides of their ratio alike."""
    first(), second()  # warm: imports, caches
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for work, kept in ((first, times[0]), (second, times[1])):
            start = time.process_time()
            work()
            kept.append(time.process_time() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def kml_row(
    name: str, data: bytes, folder: Path, runs: int, reading: dict[str, float]
) -> tuple[str, str, float, float]:
    path = folder / "walk.kml"
    path.write_bytes(data)
    parse, build = median_cpu_pair(
        lambda: ElementTree.fromstring(data),
        lambda: assemble_paths([path], options=KML_OPTIONS),
        runs,
    )
    label = f"{name}, {len(data) / 1e6:.2f} MB"
    reading[label] = median_cpu(lambda: read_kml(data, "walk.kml"), runs) / parse
    return (label, "ElementTree.fromstring", parse, build)


def main() -> int:
    rows = []
    reading: dict[str, float] = {}  # the KML reader alone, as a ratio to the same parse
    with tempfile.TemporaryDirectory(prefix="bidean-bench-") as scratch:
        folder = Path(scratch)
        tour = my_maps_kml(placemarks=160, vertices=10_000, words=80)
        name = "My Maps KML: 160 stops, 10,000-vertex line"
        rows.append(kml_row(name, tour, folder, 15, reading))
        many = my_maps_kml(placemarks=700, vertices=6_000, words=14)
        name = "KML: 700 short stops, 6,000-vertex line"
        rows.append(kml_row(name, many, folder, 5, reading))
    if REAL.is_dir():
        gpx_text = GPX.read_text(encoding="utf-8")
        # Late import: only this row uses gpxpy.
        import gpxpy

        parse = median_cpu(lambda: gpxpy.parse(gpx_text), 3)
        build = median_cpu(lambda: assemble_paths([], route=GPX, options=OPTIONS), 3)
        rows.append(("22,868-point GPX track", "gpxpy.parse", parse, build))
        oregon_bytes = OREGON.read_bytes()
        parse = median_cpu(lambda: json.loads(oregon_bytes), 3)
        build = median_cpu(lambda: assemble_paths([], route=OREGON, options=OPTIONS), 3)
        rows.append(("29,565-vertex Oregon GeoJSON", "json.loads", parse, build))
    else:
        print(f"{REAL} is absent: the GPX and GeoJSON rows are skipped", file=sys.stderr)
    print("| file | baseline | parse | assemble | ratio |")
    print("|---|---|---|---|---|")
    for name, baseline, parse, build in rows:
        print(
            f"| {name} | {baseline} | {parse * 1000:.0f} ms | {build * 1000:.0f} ms"
            f" | **{build / parse:.1f}x** |"
        )
    for label, ratio in reading.items():
        print(f"{label}: reading it (tours.content.reading.kml) {ratio:.1f}x parsing it")
    name, _, parse, build = rows[0]
    verdict = "within" if build / parse <= KML_GOAL else "OVER"
    print(f"{name}: {build / parse:.1f}x parsing it, {verdict} the goal of {KML_GOAL:g}x")
    return 0 if verdict == "within" else 1


if __name__ == "__main__":
    raise SystemExit(main())
