"""Benchmark the JSON depth check (``tours.content.reading.limits.json_depth``) on 1 MB.

Run from the repository root:  python bench/depth_bench.py

The check runs on every JSON body and every imported tour file before any parser sees
it, so it must stay linear in the input whatever the input holds.  For each 1 MB input
(a GeoJSON route, many short strings, strings of escaped quotes, long runs of
backslashes before quotes, deep nesting) it prints, median of 5 runs each in this
process:

* the check's time and the reference's, ``json.loads`` of the same bytes (for the
  deeply nested input, which ``json.loads`` refuses at once, ``json.loads`` of a flat
  array of the same size and as many brackets), and their ratio;
* the growth: the check's time on 1 MB divided by its time on 256 KB of the same kind
  (about 4 when linear; 16 would be quadratic).

No figure is asserted here; ``tests/tours/content/reading/test_input_limits.py`` checks
the depths found, and these ratios are quoted in docs/performance.md when they change.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Running as a script puts bench/ on sys.path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tours.content.reading.limits import json_depth

SIZE = 1_000_000
RUNS = 5


def _route(size: int) -> bytes:
    point = "[-2.93012,43.25034],"
    count = (size - 200) // len(point)
    coordinates = "[" + point * count
    body = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"name":"Zabala"},"geometry":{"type":"LineString","coordinates":'
        + coordinates[:-1]
        + "]}}]}"
    )
    return body.encode()


def _short_strings(size: int) -> bytes:
    return ("[" + '"a",' * (size // 4 - 1) + '"a"]').encode()


def _escaped_quotes(size: int) -> bytes:
    return ('["' + '\\"' * (size // 2 - 2) + '"]').encode()


def _backslash_runs(size: int) -> bytes:
    # Each quote follows a run of 99 backslashes: 49 escaped backslashes and \".
    run = "\\" * 99 + '"'
    return ('["' + run * (size // len(run) - 1) + '"]').encode()


def _deep(size: int) -> bytes:
    return b"[" * (size // 2) + b"]" * (size // 2)


def _flat(size: int) -> bytes:
    return b"[" + b"[]," * (size // 3 - 1) + b"[]]"


INPUTS: list[tuple[str, Callable[[int], bytes], Callable[[int], bytes] | None]] = [
    ("GeoJSON route", _route, None),
    ("many short strings", _short_strings, None),
    ("escaped quotes", _escaped_quotes, None),
    ("backslash runs", _backslash_runs, None),
    ("deep nesting", _deep, _flat),
]


def _median(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    print(f"json_depth on {SIZE:,} bytes, median of {RUNS} runs; reference json.loads")
    print(f"{'input':<20} {'depth':>7} {'check ms':>9} {'ref ms':>8} {'ratio':>6} {'growth':>7}")
    for name, make, reference_input in INPUTS:
        data = make(SIZE)
        reference_data = (reference_input or make)(SIZE)
        json.loads(reference_data)  # valid, and warms the decoder
        check = _median(lambda data=data: json_depth(data))
        reference = _median(lambda data=reference_data: json.loads(data))
        quarter = make(SIZE // 4)
        growth = check / _median(lambda data=quarter: json_depth(data))
        print(
            f"{name:<20} {json_depth(data):>7} {check * 1000:>9.1f} {reference * 1000:>8.1f}"
            f" {check / reference:>6.2f} {growth:>7.1f}"
        )


if __name__ == "__main__":
    main()
