"""Positions a reader made from an array are checked on that array, with the same findings."""

import numpy as np
import pytest

from tours.content.checking.validate import CoordinateArrays, validate_geojson


def _route(positions: list[list[float]]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": positions},
            }
        ],
    }


def _findings(positions: np.ndarray, made_from: bool) -> list[tuple[str, str]]:
    coords = positions.tolist()
    arrays = CoordinateArrays()
    arrays.keep(coords, positions, made_from=made_from)
    return [(p.code, p.pointer) for p in validate_geojson(_route(coords), arrays)]


@pytest.mark.parametrize(
    ("row", "value", "column"),
    [(None, 0.0, 0), (70, 95.0, 1), (3, 190.0, 0), (99, float("nan"), 1), (5, float("inf"), 2)],
)
def test_a_readers_array_gives_the_findings_of_its_lists(row, value, column) -> None:
    i = np.arange(100)
    positions = np.column_stack((-2.9 + i * 1e-5, 43.2 + i * 1e-5, np.zeros(100)))
    if row is not None:
        positions[row, column] = value
    kept = _findings(positions, made_from=True)
    assert kept == _findings(positions, made_from=False)
    assert bool(kept) == (row is not None)
    if row is not None:
        assert any(
            pointer.startswith(f"/features/0/geometry/coordinates/{row}") for _, pointer in kept
        )


def test_an_array_of_four_values_a_position_is_checked_position_by_position() -> None:
    i = np.arange(80)
    positions = np.column_stack((-2.9 + i * 1e-5, 43.2 + i * 1e-5, np.zeros(80), np.ones(80)))
    kept = _findings(positions, made_from=True)
    assert kept == _findings(positions, made_from=False)
    assert {code for code, _ in kept} >= {"geojson.position-extra-values"}
