"""The sample tours lie where they say, checked against real data about Bilbao.

``../shared/bilbao/`` (beside the clone, see its SOURCES.md) holds the Eustat district
polygons and the Bilbobus stops.  Its licence is not confirmed, so it is read here and
never copied into the repository; the tests skip when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyproj import Transformer
from shapely import LineString, Point, transform
from shapely.geometry import shape
from shapely.ops import unary_union

from tests.conftest import REPO
from tours.content.checking.pipeline import validate_path

BILBAO = REPO.parent / "shared" / "bilbao"
THREE_DISTRICTS = "ibaiondo-three-barrios-eustat.geojson"
ALL_DISTRICTS = "bilbao-barrios-eustat.geojson"
BUS_STOPS = "bilbobus-stops-ibaiondo.geojson"

NEAR_OUTLINE_M = 30
SHARE_NEAR_OUTLINE = 0.85
# Districts across the Nervión from San Francisco, Bilbao La Vieja and Zabala.
RIGHT_BANK = {
    "Casco Viejo",
    "Atxuri",
    "Solokoetxe",
    "Iturralde",
    "Santutxu",
    "Bolueta",
    "Begoña",
    "Uribarri",
    "Castaños",
    "Matiko",
}
# Stops at a real square or bridge on the districts' edge, and how far outside they may
# be: Plaza Zabalburu is the corner square of Zabala, outside its statistical outline.
EDGE_PLACES_M = {"zab-01": 100}
# Stops named after a place a bus stop is also named after, and the greatest distance
# between the two (a bus stop stands at the kerb, the square or street spreads around it).
NAMED_PLACES = {
    "sf-01": ("CORAZON DE MARIA", 40),
    "sf-07": ("SAN FRANCISCO 36", 150),
    "sf-08": ("CORTES 23", 150),
    "blv-02": ("URAZURRUTIA 29", 40),
    "blv-03": ("OLANO fte.4", 40),
    "blv-05": ("CORTES 13", 40),
    "blv-09": ("MUELLE DE LA MERCED 3", 60),
    "zab-04": ("XENPELAR / ZABALA", 40),
    "zab-06": ("JUAN DE GARAY 33", 40),
}

pytestmark = pytest.mark.skipif(
    not (BILBAO / THREE_DISTRICTS).exists(), reason="../shared/bilbao is not beside the clone"
)

_to_metres = Transformer.from_crs(4326, 25830, always_xy=True).transform


def in_metres(geometry):
    """``geometry`` (lon/lat) in ETRS89 / UTM 30N, the metric grid of the source data."""
    return transform(geometry, lambda xy: list(zip(*_to_metres(xy[:, 0], xy[:, 1]), strict=True)))


def read_features(name: str) -> list[dict]:
    return json.loads((BILBAO / name).read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def districts():
    return unary_union([in_metres(shape(f["geometry"])) for f in read_features(THREE_DISTRICTS)])


@pytest.fixture(scope="module")
def right_bank():
    return unary_union(
        [
            in_metres(shape(f["geometry"]))
            for f in read_features(ALL_DISTRICTS)
            if f["properties"]["BAR_DS_O"] in RIGHT_BANK
        ]
    )


@pytest.fixture(scope="module")
def bus_stops() -> dict[str, Point]:
    return {
        f["properties"]["name"]: in_metres(shape(f["geometry"])) for f in read_features(BUS_STOPS)
    }


@pytest.fixture(scope="module")
def tours(sample_routes_paths):
    return [validate_path(path).tour for path in sample_routes_paths]


@pytest.fixture(scope="module")
def sample_routes_paths() -> list[Path]:
    return sorted((REPO / "data" / "routes").glob("*.geojson"))


def test_each_route_stays_near_the_three_districts(tours, districts):
    near = districts.buffer(NEAR_OUTLINE_M)
    for tour in tours:
        for line in tour.route:
            route = in_metres(LineString([p[:2] for p in line]))
            share = route.intersection(near).length / route.length
            assert share >= SHARE_NEAR_OUTLINE, (tour.slug, round(share, 3))


def test_every_stop_is_inside_the_districts(tours, districts):
    for tour in tours:
        for stop in tour.stops:
            outside_m = districts.distance(in_metres(Point(stop.position[:2])))
            assert outside_m <= EDGE_PLACES_M.get(stop.id, 0), (tour.slug, stop.id, outside_m)


def test_no_stop_on_the_right_bank(tours, right_bank):
    for tour in tours:
        for stop in tour.stops:
            assert not right_bank.contains(in_metres(Point(stop.position[:2]))), stop.id


def test_stops_stand_at_the_places_they_are_named_after(tours, bus_stops):
    stops = {stop.id: stop for tour in tours for stop in tour.stops}
    for stop_id, (bus_stop, limit_m) in NAMED_PLACES.items():
        distance = bus_stops[bus_stop].distance(in_metres(Point(stops[stop_id].position[:2])))
        assert distance <= limit_m, (stop_id, bus_stop, round(distance))


def test_the_old_drawing_would_fail(districts):
    """The check can fail: the stop where Plaza Corazón de María used to be drawn is refused."""
    old_square = in_metres(Point(-2.925165, 43.254745))
    old_riverside = in_metres(Point(-2.9244, 43.2563))
    assert in_metres(Point(-2.92767, 43.255657)).distance(old_square) > 200
    assert districts.distance(old_riverside) > 0
