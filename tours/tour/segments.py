"""Planar segment maths of :mod:`tours.tour.geometry`, in the route's projected metres.

Kept apart so the geometry module reads as the rules it applies (which pass of the
route a stop belongs to, what counts as a crossing); these are the formulas.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Endpoints closer than this (metres) to the other segment's line are "on" it, so two
#: segments that touch or overlap are not a crossing even after floating-point rounding.
CROSSING_EPS_M = 1e-3


def _side_m(
    ox: FloatArray, oy: FloatArray, dx: FloatArray, dy: FloatArray, px: FloatArray, py: FloatArray
) -> FloatArray:
    """Signed distance (metres, left positive) of points p from lines through o along d."""
    return (dx * (py - oy) - dy * (px - ox)) / np.hypot(dx, dy)


def proper_crossings(
    ax: FloatArray,
    ay: FloatArray,
    adx: FloatArray,
    ady: FloatArray,
    cx: FloatArray,
    cy: FloatArray,
    cdx: FloatArray,
    cdy: FloatArray,
) -> npt.NDArray[np.bool_]:
    """Whether segments a (from ax, ay along adx, ady) and c properly cross: each one's
    ends strictly on opposite sides of the other, by more than ``CROSSING_EPS_M``."""
    eps = CROSSING_EPS_M
    c_side = _side_m(ax, ay, adx, ady, cx, cy)
    d_side = _side_m(ax, ay, adx, ady, cx + cdx, cy + cdy)
    a_side = _side_m(cx, cy, cdx, cdy, ax, ay)
    b_side = _side_m(cx, cy, cdx, cdy, ax + adx, ay + ady)
    return (
        (np.minimum(c_side, d_side) < -eps)
        & (np.maximum(c_side, d_side) > eps)
        & (np.minimum(a_side, b_side) < -eps)
        & (np.maximum(a_side, b_side) > eps)
    )


def project(
    ax: FloatArray, ay: FloatArray, dx: FloatArray, dy: FloatArray, px: FloatArray, py: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Project points p onto segments from a along d: fraction along, foot x, foot y."""
    # Indexed segments have non-zero length in degrees; guard the planar length anyway.
    length2 = np.maximum(dx * dx + dy * dy, np.finfo(np.float64).tiny)
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
    return t, ax + t * dx, ay + t * dy
