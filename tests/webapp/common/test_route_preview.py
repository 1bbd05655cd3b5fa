"""The route a page carries: exact when small, else a subset of the stored vertices."""

from __future__ import annotations

import math

from webapp.common.route_preview import route_preview


def wiggly(n: int, lon0: float = -2.95, lat0: float = 43.25) -> list[list[float]]:
    """``n`` vertices ~11 m apart along a gentle sine, 3 m of jitter-like wiggle."""
    return [
        [round(lon0 + i * 0.0001, 7), round(lat0 + 0.00003 * math.sin(i / 3), 7)] for i in range(n)
    ]


def test_a_small_route_is_kept_exactly():
    route = [wiggly(50)]
    preview = route_preview(route, inline_max=100)
    assert preview.exact and preview.lines == route


def test_a_long_route_keeps_only_stored_vertices_each_part_whole_at_its_ends():
    parts = [wiggly(3_000), wiggly(2_000, lon0=-2.90)]
    preview = route_preview(parts, inline_max=1_000, preview_max=500)
    assert not preview.exact and preview.tolerance_m > 0
    assert len(preview.lines) == 2
    assert sum(len(line) for line in preview.lines) <= 500
    for kept, stored in zip(preview.lines, parts, strict=True):
        assert kept[0] == stored[0] and kept[-1] == stored[-1]
        positions = {tuple(p): i for i, p in enumerate(stored)}
        indices = [positions[tuple(p)] for p in kept]
        assert indices == sorted(indices), "in walking order, nothing moved"


def test_elevation_is_dropped_not_mistaken_for_an_index():
    route = [[[lon, lat, 120.0] for lon, lat in wiggly(3_000)]]
    preview = route_preview(route, inline_max=1_000)
    assert all(len(p) == 2 for p in preview.lines[0])
    assert preview.lines[0][-1] == route[0][-1][:2]
