"""Step lengths: the flat formula for short steps agrees with Karney's geodesic."""

import numpy as np
import pytest
from pyproj import Geod

from tours.tour.geodesic import FLAT_STEP_M, step_lengths_m

GEOD = Geod(ellps="WGS84")


def _pairs(count: int, shortest: float, longest: float, max_lat: float) -> tuple:
    rng = np.random.default_rng(7)
    lon1 = rng.uniform(-179, 179, count)
    lat1 = rng.uniform(-max_lat, max_lat, count)
    lon2, lat2, _ = GEOD.fwd(
        lon1, lat1, rng.uniform(0, 360, count), rng.uniform(shortest, longest, count)
    )
    lon, lat = np.empty(2 * count), np.empty(2 * count)
    lon[0::2], lon[1::2], lat[0::2], lat[1::2] = lon1, lon2, lat1, lat2
    _, _, expected = GEOD.inv(lon1, lat1, lon2, lat2)
    return lon, lat, expected


def test_short_steps_agree_with_karney_to_a_few_nanometres() -> None:
    lon, lat, expected = _pairs(50_000, 0.001, FLAT_STEP_M * 0.99, 80.0)
    got = step_lengths_m(lon, lat)[0::2]
    assert np.abs(got - expected).max() < 5e-9


def test_long_and_polar_steps_are_karneys_own() -> None:
    for shortest, longest, max_lat in ((FLAT_STEP_M * 1.01, 5_000.0, 80.0), (1.0, 10.0, 89.0)):
        lon, lat, expected = _pairs(2_000, shortest, longest, max_lat)
        got = step_lengths_m(lon, lat)[0::2]
        far = (np.abs(lat[0::2]) > 80) | (np.abs(lat[1::2]) > 80) | (expected > FLAT_STEP_M)
        assert np.array_equal(got[far], expected[far])
        assert np.abs(got - expected).max() < 5e-9


def test_a_line_of_short_and_long_steps() -> None:
    lon = np.array([-2.935, -2.93499, -2.9])
    lat = np.array([43.257, 43.25701, 43.3])
    _, _, expected = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    assert step_lengths_m(lon, lat) == pytest.approx(expected, abs=5e-9)
