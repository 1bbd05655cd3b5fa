"""An import measures the route once: the profile's check hands its geometry to the tour.

Building a ``RouteGeometry`` (geodesic lengths, a projection, a segment index) was a fifth
of importing a 100,000-vertex route, and storing the tour (its catalogue facts need the
itinerary) built it a second time from the normalised document.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tours.content.checking import profile
from tours.content.checking.pipeline import validate_bytes
from tours.tour import domain
from tours.tour.domain import Tour
from tours.tour.geometry import RouteGeometry

ROUTES = Path(__file__).resolve().parents[4] / "data" / "routes"
SAMPLES = sorted(ROUTES.glob("*.geojson"))


@pytest.fixture
def constructions(monkeypatch) -> list[int]:
    """How many route geometries are built (the counter wraps the class where it is used)."""
    built: list[int] = []

    class Counted(RouteGeometry):
        def __init__(self, lines):
            built.append(sum(len(line) for line in lines))
            super().__init__(lines)

    monkeypatch.setattr(profile, "RouteGeometry", Counted)
    monkeypatch.setattr(domain, "RouteGeometry", Counted)
    return built


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_the_imported_tour_reuses_the_profile_geometry(path, constructions):
    result = validate_bytes(path.read_bytes(), path.name)
    assert result.tour is not None
    itinerary = result.tour.itinerary()
    assert len(constructions) == 1, constructions  # the profile's, and no second one
    # ... and it is the geometry the stored document gives, to the last digit.
    again = Tour.from_document(json.loads(json.dumps(result.document)))
    assert again.geometry.length_m == result.tour.geometry.length_m
    assert again.itinerary() == itinerary
    assert len(constructions) == 2


def test_a_geometry_of_another_route_is_refused():
    first, second = (validate_bytes(p.read_bytes(), p.name).tour for p in SAMPLES[:2])
    assert first is not None and second is not None
    with pytest.raises(ValueError, match="not the route"):
        first.with_geometry(second.geometry)
