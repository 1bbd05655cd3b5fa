"""tours.tour.geometry: geodesic lengths, stops along the route, itineraries, self-crossings.

Expected values come from ``pyproj.Geod`` directly (and, for a cross-check of the index
path, from shapely on the whole line), never from the module under test.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from tours.coords import BBox, LonLat
from tours.errors import BideanError
from tours.tour.geometry import (
    GeometryError,
    Itinerary,
    Leg,
    RouteGeometry,
    StopLocation,
    geodesic_distance_m,
    plan_itinerary,
)

GEOD = Geod(ellps="WGS84")
M_PER_DEG_LAT = 111_132.0  # close enough to build test shapes; answers come from GEOD

# Calle San Francisco, Bilbao, roughly; one position carries an elevation.
STREET = [
    [-2.92620, 43.25560],
    [-2.92555, 43.25521, 12.0],
    [-2.92490, 43.25480],
    [-2.92431, 43.25447],
]


def geod_length(line: list[list[float]]) -> float:
    return GEOD.line_length([p[0] for p in line], [p[1] for p in line])


def geod_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def east_of(p: LonLat, metres: float) -> LonLat:
    lon, lat, _ = GEOD.fwd(p.lon, p.lat, 90.0, metres)
    return LonLat(lon, lat)


def north_of(p: LonLat, metres: float) -> LonLat:
    lon, lat, _ = GEOD.fwd(p.lon, p.lat, 0.0, metres)
    return LonLat(lon, lat)


# --- length and bbox -------------------------------------------------------------------


def test_length_of_a_bilbao_street_matches_geod() -> None:
    route = RouteGeometry([STREET])
    assert route.length_m == pytest.approx(geod_length(STREET), rel=1e-9)
    assert 150 < route.length_m < 250  # and it is the street's length, not degrees


def test_length_of_a_long_line_matches_geod() -> None:
    # Bilbao -> Madrid -> Seville, densified to 5,000 positions.
    corners = np.array([[-2.93, 43.25], [-3.70, 40.42], [-5.98, 37.39]])
    t = np.linspace(0.0, 1.0, 2_500)
    line = np.concatenate(
        [
            corners[0] + t[:, None] * (corners[1] - corners[0]),
            corners[1] + t[1:, None] * (corners[2] - corners[1]),
        ]
    ).tolist()
    route = RouteGeometry([line])
    expected = geod_length(line)
    assert expected > 600_000
    assert route.length_m == pytest.approx(expected, rel=1e-9)


def test_multilinestring_length_is_the_sum_of_its_parts_and_gaps_count_zero() -> None:
    first = STREET
    second = [[-2.92300, 43.25400], [-2.92200, 43.25350], [-2.92150, 43.25300]]
    route = RouteGeometry([first, second])
    assert route.length_m == pytest.approx(geod_length(first) + geod_length(second), rel=1e-9)
    # The ~100 m gap between the parts is not walked.
    assert route.length_m < geod_length(first + second) - 50


def test_bbox_is_west_south_east_north_of_all_parts() -> None:
    route = RouteGeometry([STREET, [[-2.93, 43.26], [-2.931, 43.259]]])
    assert route.bbox == BBox(west=-2.931, south=43.25447, east=-2.92431, north=43.26)


# --- locate ----------------------------------------------------------------------------

START = LonLat(-2.93, 43.25)


# The projection is centred on each route: a walk in Sydney or Reykjavik must work as well
# as one in Bilbao.
ORIGINS = [START, LonLat(151.2093, -33.8688), LonLat(-21.94, 64.15)]


@pytest.mark.parametrize("origin", ORIGINS, ids=["bilbao", "sydney", "reykjavik"])
def test_locate_on_a_straight_meridian_matches_geod(origin: LonLat) -> None:
    end = north_of(origin, 1_000.0)
    route = RouteGeometry([[list(origin), list(end)]])
    foot = north_of(origin, 550.0)
    beside = east_of(foot, 40.0)  # 40 m east of the line
    before = east_of(north_of(origin, -15.0), -20.0)  # south-west of the start
    after = north_of(end, 30.0)  # past the end, on the meridian
    on_line = north_of(origin, 230.0)

    got = route.locate([beside, before, after, on_line])

    assert got[0].along_m == pytest.approx(550.0, abs=0.05)
    assert got[0].offset_m == pytest.approx(40.0, abs=0.05)
    assert got[1] == StopLocation(
        along_m=pytest.approx(0.0, abs=1e-6),
        offset_m=pytest.approx(geod_m(before, origin), abs=0.01),
    )
    assert got[2].along_m == pytest.approx(route.length_m, abs=1e-6)
    assert got[2].offset_m == pytest.approx(30.0, abs=0.01)
    assert got[3].along_m == pytest.approx(230.0, abs=0.01)
    assert got[3].offset_m == pytest.approx(0.0, abs=0.01)


def test_locate_of_no_points_is_empty() -> None:
    assert RouteGeometry([STREET]).locate([]) == []


def test_between_m_is_the_distance_along_the_route_either_way() -> None:
    route = RouteGeometry([STREET])
    assert route.between_m(10.0, 110.5) == pytest.approx(100.5)
    assert route.between_m(110.5, 10.0) == pytest.approx(100.5)


def block_loop() -> list[list[float]]:
    """A ~200 m x 150 m block walked anticlockwise, ending where it starts."""
    a = START
    b = east_of(a, 200.0)
    c = north_of(b, 150.0)
    d = north_of(a, 150.0)
    return [list(a), list(b), list(c), list(d), list(a)]


def test_loop_orders_stops_around_it_and_the_start_stop_is_at_zero() -> None:
    loop = block_loop()
    route = RouteGeometry([loop])
    a, b, c = (LonLat(*p) for p in loop[:3])
    stops = [
        east_of(north_of(a, 75.0), 3.0),  # on the last side, going back to A
        north_of(b, 60.0),  # second side
        a,  # the start, which is also the end
        c,  # a corner
        east_of(a, 100.0),  # first side
    ]
    plan = plan_itinerary(route, stops)
    assert plan.order == [2, 4, 1, 3, 0]
    assert plan.locations[2].along_m == pytest.approx(0.0, abs=1e-6)
    assert plan.locations[3].along_m == pytest.approx(geod_m(a, b) + geod_m(b, c), abs=0.05)
    assert plan.locations[0].along_m == pytest.approx(route.length_m - 75.0, abs=0.1)
    assert plan.locations[0].offset_m == pytest.approx(3.0, abs=0.05)


def out_and_back() -> tuple[list[list[float]], list[LonLat]]:
    """Four positions east along a street, then back along the same positions."""
    points = [east_of(START, metres) for metres in (0.0, 120.0, 250.0, 400.0)]
    line = [list(p) for p in points + points[-2::-1]]
    return line, points


def test_out_and_back_places_stops_on_the_way_out_and_the_turnaround_last() -> None:
    line, (p0, p1, p2, p3) = out_and_back()
    route = RouteGeometry([line])
    assert route.length_m == pytest.approx(800.0, abs=0.01)
    stops = [
        p3,  # the turnaround
        north_of(p1, 4.0),  # beside the street; both passes are equally near
        p2,  # a vertex both passes go through
        east_of(p0, 10.0),  # just after the start, also just before the end
    ]
    plan = plan_itinerary(route, stops)
    assert plan.order == [3, 1, 2, 0]
    assert [loc.along_m for loc in plan.locations] == pytest.approx(
        [400.0, 120.0, 250.0, 10.0], abs=0.05
    )
    assert plan.locations[1].offset_m == pytest.approx(4.0, abs=0.05)


@pytest.mark.parametrize("origin", ORIGINS, ids=["bilbao", "sydney", "reykjavik"])
def test_earliest_pass_wins_within_the_slack_and_the_nearest_beyond_it(origin: LonLat) -> None:
    # Out along one pavement, back along the other, 8 m north of it.
    a, b = origin, east_of(origin, 300.0)
    route = RouteGeometry([[list(a), list(b), list(north_of(b, 8.0)), list(north_of(a, 8.0))]])
    # 1 m from the way back, 7 m from the way out: within 1 m + 10 m slack, so way out.
    near_return = north_of(east_of(a, 100.0), 7.0)
    (loc,) = route.locate([near_return])
    assert loc.along_m == pytest.approx(100.0, abs=0.05)
    assert loc.offset_m == pytest.approx(7.0, abs=0.05)

    # With the way back 30 m north, a stop 1 m from it is 29 m from the way out: beyond
    # the slack, so it belongs to the way back.
    route = RouteGeometry([[list(a), list(b), list(north_of(b, 30.0)), list(north_of(a, 30.0))]])
    (loc,) = route.locate([north_of(east_of(a, 100.0), 29.0)])
    assert loc.along_m == pytest.approx(300.0 + 30.0 + 200.0, abs=0.1)
    assert loc.offset_m == pytest.approx(1.0, abs=0.05)

    # Either side of the slack's edge, with pavements 11.5 m apart: the slack is in real
    # metres wherever the route is.
    route = RouteGeometry([[list(a), list(b), list(north_of(b, 11.5)), list(north_of(a, 11.5))]])
    inside, outside = route.locate(
        [north_of(east_of(a, 100.0), 10.5), north_of(east_of(a, 100.0), 11.0)]
    )
    assert (inside.along_m, inside.offset_m) == pytest.approx((100.0, 10.5), abs=0.05)
    assert (outside.along_m, outside.offset_m) == pytest.approx(
        (300.0 + 11.5 + 200.0, 0.5), abs=0.1
    )


def test_nearest_segment_of_the_pass_is_chosen_not_its_first() -> None:
    # A stop 2 m off the second segment is also within 2 m + 10 m of the first one; the
    # first segment only starts the pass, the second is where the stop is.
    a = START
    b = east_of(a, 100.0)
    c = north_of(b, 100.0)
    route = RouteGeometry([[list(a), list(b), list(c)]])
    stop = east_of(north_of(b, 8.0), 2.0)
    (loc,) = route.locate([stop])
    assert loc.along_m == pytest.approx(108.0, abs=0.05)
    assert loc.offset_m == pytest.approx(2.0, abs=0.05)


def test_locate_agrees_with_shapely_on_the_whole_line() -> None:
    # A wavy 1,500-vertex street that never comes back near itself: earliest pass and
    # nearest point are the same, so the index path must agree with the naive one.
    rng = np.random.default_rng(7)
    n = 1_500
    x = np.cumsum(rng.uniform(10.0, 20.0, n))
    y = 30.0 * np.sin(x / 200.0) + rng.uniform(-2.0, 2.0, n)
    lat = START.lat + y / M_PER_DEG_LAT
    lon = START.lon + x / (M_PER_DEG_LAT * math.cos(math.radians(START.lat)))
    line = np.column_stack((lon, lat))
    pick = line[rng.choice(n, 300, replace=False)]
    stops = [
        LonLat(lon, lat)
        for lon, lat in pick + rng.uniform(-0.00015, 0.00015, pick.shape)  # up to ~15 m
    ]
    route = RouteGeometry([line.tolist()])
    got = route.locate(stops)

    bbox = route.bbox
    transformer = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=tmerc"
        f" +lat_0={(bbox.south + bbox.north) / 2} +lon_0={(bbox.west + bbox.east) / 2}"
        " +ellps=WGS84"
    )
    whole = shapely.LineString(np.column_stack(transformer.transform(lon, lat)))
    points = shapely.points(np.column_stack(transformer.transform(*np.array(stops).T)))
    planar_along = shapely.line_locate_point(whole, points)
    planar_offset = shapely.distance(whole, points)
    # Planar and geodesic lengths differ by the projection's scale (< 1e-6 here).
    assert [g.along_m for g in got] == pytest.approx(planar_along.tolist(), rel=1e-5, abs=0.05)
    assert [g.offset_m for g in got] == pytest.approx(planar_offset.tolist(), abs=0.05)


# --- itinerary -------------------------------------------------------------------------


def four_stops_along_a_street() -> tuple[RouteGeometry, list[LonLat]]:
    """Stops at 100, 200, 300 and 400 m along a 500 m street, given in that order."""
    route = RouteGeometry([[list(START), list(east_of(START, 500.0))]])
    return route, [east_of(START, metres) for metres in (100.0, 200.0, 300.0, 400.0)]


def test_stops_without_explicit_order_follow_the_route() -> None:
    route, stops = four_stops_along_a_street()
    plan = plan_itinerary(route, [stops[2], stops[0], stops[3], stops[1]])
    assert plan.order == [1, 3, 0, 2]


def test_explicit_order_wins_over_the_route() -> None:
    route, stops = four_stops_along_a_street()
    plan = plan_itinerary(route, stops, [4, 2, 1, 3])
    assert plan.order == [2, 1, 3, 0]
    assert [(leg.from_index, leg.to_index) for leg in plan.legs] == [(2, 1), (1, 3), (3, 0)]
    # Legs still measure along the route, backwards or forwards.
    assert [leg.distance_m for leg in plan.legs] == pytest.approx([100.0, 200.0, 300.0], abs=0.05)


@pytest.mark.parametrize(
    ("explicit", "expected"),
    [
        # Position 1 is taken by the pinned stop even though it is last along the route.
        ([None, None, None, 1], [3, 0, 1, 2]),
        # Position 3 goes to the pinned stop; the others fill 1, 2 and 4 by the route.
        ([3, None, None, None], [1, 2, 0, 3]),
        # Two pinned stops keep their order relative to each other.
        ([None, 2, None, 1], [3, 1, 0, 2]),
        # An order past the number of stops puts the stop after the route-ordered ones.
        ([10, None, None, None], [1, 2, 3, 0]),
        # Equal orders keep the input order.
        ([None, 1, 1, None], [1, 2, 0, 3]),
    ],
)
def test_partial_explicit_order_fills_positions_then_follows_the_route(
    explicit: list[int | None], expected: list[int]
) -> None:
    route, stops = four_stops_along_a_street()
    assert plan_itinerary(route, stops, explicit).order == expected


def test_explicit_order_must_be_one_per_stop_and_from_one() -> None:
    route, stops = four_stops_along_a_street()
    with pytest.raises(ValueError, match="one per stop"):
        plan_itinerary(route, stops, [1, 2])
    with pytest.raises(ValueError, match="start at 1"):
        plan_itinerary(route, stops, [0, None, None, None])


def test_legs_add_up_to_the_route_between_first_and_last_stop() -> None:
    loop = block_loop()
    route = RouteGeometry([loop])
    a = LonLat(*loop[0])
    stops = [
        north_of(LonLat(*loop[1]), 40.0),
        east_of(a, 20.0),
        east_of(LonLat(*loop[3]), 90.0),
        east_of(a, 150.0),
    ]
    plan = plan_itinerary(route, stops)
    assert plan.order == [1, 3, 0, 2]
    first, last = plan.order[0], plan.order[-1]
    along_first_to_last = plan.locations[last].along_m - plan.locations[first].along_m
    # From 20 m along the first side to 110 m along the third (200 + 150 + 110 = 460 m).
    assert along_first_to_last == pytest.approx(460.0 - 20.0, abs=0.1)
    assert sum(leg.distance_m for leg in plan.legs) == pytest.approx(along_first_to_last, abs=1e-6)
    assert plan.length_m == pytest.approx(along_first_to_last, abs=1e-6)
    assert len(plan.legs) == len(stops) - 1


def test_walking_minutes_follow_the_pace_and_dwell_adds_up() -> None:
    route, stops = four_stops_along_a_street()
    plan = plan_itinerary(route, stops, pace_kmh=3.0, dwell_minutes=[2.0, 0.0, 10.0, 4.5])
    # 3 km/h is 50 m a minute; legs are 100 m.
    assert [leg.walk_minutes for leg in plan.legs] == pytest.approx([2.0, 2.0, 2.0], abs=1e-3)
    assert plan.walk_minutes == pytest.approx(6.0, abs=1e-3)
    assert plan.dwell_minutes == 16.5
    assert plan.total_minutes == pytest.approx(22.5, abs=1e-3)

    default = plan_itinerary(route, stops)
    assert default.walk_minutes == pytest.approx(300.0 / 75.0, abs=1e-3)  # 4.5 km/h
    assert default.dwell_minutes == 20.0


def test_legs_fall_back_to_the_straight_line_off_route_or_at_the_same_spot() -> None:
    route, stops = four_stops_along_a_street()
    far = north_of(stops[1], 500.0)  # well off the street, above the 200 m mark
    across = north_of(stops[1], 20.0)  # same along position as stops[1], across the street
    plan = plan_itinerary(route, [stops[0], far, stops[1], across], [1, 2, 3, 4])
    assert [leg.distance_m for leg in plan.legs] == pytest.approx(
        [geod_m(stops[0], far), geod_m(far, stops[1]), 20.0], abs=0.05
    )


def test_itinerary_bbox_covers_route_and_stops() -> None:
    route, stops = four_stops_along_a_street()
    far = north_of(stops[1], 500.0)
    plan = plan_itinerary(route, [*stops, far])
    assert plan.bbox.north == pytest.approx(far.lat)
    assert plan.bbox.south == pytest.approx(route.bbox.south)
    assert plan.bbox.west == pytest.approx(route.bbox.west)
    assert plan.bbox.east == pytest.approx(route.bbox.east)


def test_itinerary_without_stops_is_empty() -> None:
    route = RouteGeometry([STREET])
    plan = plan_itinerary(route, [])
    assert plan == Itinerary(
        order=[],
        locations=[],
        legs=[],
        length_m=0.0,
        walk_minutes=0.0,
        dwell_minutes=0.0,
        total_minutes=0.0,
        bbox=route.bbox,
    )


def test_single_leg_values() -> None:
    route, stops = four_stops_along_a_street()
    plan = plan_itinerary(route, stops[:2], pace_kmh=6.0)
    (leg,) = plan.legs
    assert leg == Leg(0, 1, pytest.approx(100.0, abs=0.05), pytest.approx(1.0, abs=1e-3))


def test_geodesic_distance_m_matches_geod() -> None:
    a, b = LonLat(-2.93, 43.25), LonLat(-3.70, 40.42)
    assert geodesic_distance_m(a, b) == pytest.approx(geod_m(a, b), rel=1e-12)
    assert geodesic_distance_m(a, a) == 0.0


# --- self-crossings --------------------------------------------------------------------


def test_figure_eight_crosses_itself_once_at_the_middle() -> None:
    # A 200 m x 100 m rectangle whose top and bottom are swapped for the two diagonals:
    # up the west side, diagonally down to the south-east corner, up the east side,
    # diagonally down home. The diagonals cross at the rectangle's centre.
    o = START
    centre = east_of(north_of(o, 50.0), 100.0)
    eight = [o, north_of(o, 100.0), east_of(o, 200.0), east_of(north_of(o, 100.0), 200.0), o]
    route = RouteGeometry([[list(p) for p in eight]])
    crossings = route.self_crossings()
    assert len(crossings) == 1
    assert isinstance(crossings[0], LonLat)
    assert geod_m(crossings[0], centre) < 0.5


def test_simple_loop_and_out_and_back_do_not_cross_themselves() -> None:
    assert RouteGeometry([block_loop()]).self_crossings() == []
    line, _ = out_and_back()
    assert RouteGeometry([line]).self_crossings() == []
    assert RouteGeometry([STREET]).self_crossings() == []


@pytest.mark.parametrize("overshoot_m", [0.0, 0.0005], ids=["exact", "within-1mm"])
def test_touching_its_own_path_is_not_a_crossing(overshoot_m: float) -> None:
    # East 200 m, north, back west and down to touch the first street at 100 m (or to
    # overshoot it by less than the 1 mm tolerance), then north again: the route touches
    # itself but stays on one side.
    a = START
    touch = north_of(east_of(a, 100.0), -overshoot_m)
    corner = east_of(a, 200.0)
    path = [a, corner, north_of(corner, 80.0), north_of(touch, 80.0), touch]
    route = RouteGeometry([[list(p) for p in [*path, north_of(east_of(a, 50.0), 60.0)]]])
    assert route.self_crossings() == []


def test_crossing_between_parts_of_a_multilinestring() -> None:
    a, b = START, east_of(START, 100.0)
    c, d = east_of(north_of(START, -50.0), 50.0), east_of(north_of(START, 50.0), 50.0)
    route = RouteGeometry([[list(a), list(b)], [list(c), list(d)]])
    (crossing,) = route.self_crossings()
    assert geod_m(crossing, east_of(START, 50.0)) < 0.5


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "no positions"),
        ([[[-2.93, 43.25], [-2.93, 43.25], [-2.93, 43.25, 5.0]]], "all are the same place"),
        ([[[-2.93, 43.25]]], "at least 2"),
        ([[[-2.93, 43.25], [-2.92, 43.25]], [[-2.91, 43.25]]], "route part 1"),
        ([[[43.25, -2.93], [200.0, 43.25]]], "outside"),
        ([[[-2.93, 43.25], [math.nan, 43.25]]], "finite"),
        ([[[-2.93], [-2.92]]], r"\[lon, lat\]"),
        ([[[-2.93, 43.25], [-2.93, 43.25]], [[-2.92, 43.25], [-2.92, 43.25]]], "no part"),
    ],
)
def test_degenerate_routes_raise_geometry_error(lines: list, message: str) -> None:
    with pytest.raises(GeometryError, match=message) as caught:
        RouteGeometry(lines)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, BideanError)


def test_bad_stops_raise_geometry_error() -> None:
    with pytest.raises(GeometryError, match="stops"):
        RouteGeometry([STREET]).locate([LonLat(math.inf, 43.0)])


# --- properties ------------------------------------------------------------------------


@st.composite
def polylines(draw: st.DrawFn) -> list[list[float]]:
    """Streets heading east (each vertex 33-333 m east of the last, so no earlier pass
    comes within the 10 m slack of a later vertex), sometimes walked back again."""
    n = draw(st.integers(2, 25))
    lon0 = draw(st.floats(-10.0, 10.0))
    lat0 = draw(st.floats(-60.0, 60.0))
    scale = 1.0 / math.cos(math.radians(lat0))  # keep the east step in metres
    dlon = draw(st.lists(st.floats(0.0003, 0.003), min_size=n - 1, max_size=n - 1))
    dlat = draw(st.lists(st.floats(-0.002, 0.002), min_size=n - 1, max_size=n - 1))
    lon = np.concatenate(([lon0], lon0 + scale * np.cumsum(dlon)))
    lat = np.concatenate(([lat0], lat0 + np.cumsum(dlat)))
    line = np.round(np.column_stack((lon, lat)), 6).tolist()
    if draw(st.booleans()):
        line += line[-2::-1]
    return line


@settings(max_examples=60, deadline=None, database=None)
@given(polylines())
def test_property_length_and_vertices_as_stops(line: list[list[float]]) -> None:
    route = RouteGeometry([line])
    assert route.length_m == pytest.approx(geod_length(line), rel=1e-6)

    steps = [0.0] + [geod_m(a, b) for a, b in itertools.pairwise(line)]
    cumulative = np.cumsum(steps)
    first_seen: dict[tuple[float, float], float] = {}
    for position, along in zip(line, cumulative, strict=True):
        first_seen.setdefault((position[0], position[1]), float(along))
    got = route.locate([LonLat(*p) for p in line])
    for position, location in zip(line, got, strict=True):
        assert location.along_m == pytest.approx(first_seen[(position[0], position[1])], abs=1.0)
        assert location.offset_m == pytest.approx(0.0, abs=0.01)


# --- reuse: an assembly measures the route once and locates its stops once --------------


def test_a_geometry_measures_exactly_its_own_lines() -> None:
    route = RouteGeometry([STREET])
    assert route.measures([STREET])
    assert route.measures([np.asarray([p[:2] for p in STREET])])  # elevation aside
    moved = [list(p) for p in STREET]
    moved[2][0] += 1e-9
    assert not route.measures([moved])
    assert not route.measures([STREET[:2], STREET[2:]])  # the same vertices in two parts
    assert not route.measures([STREET[:3]])
    assert not route.measures([[*STREET[:3], [200.0, 43.0]]])  # not a position: no error


def test_points_located_again_come_from_memory_and_match() -> None:
    route = RouteGeometry([STREET])
    stops = [LonLat(-2.9255, 43.2553), LonLat(-2.9244, 43.2546)]
    first = route.locate(stops)
    searched: list[int] = []
    search = route._locate_all

    def counted(lonlat):
        searched.append(len(lonlat))
        return search(lonlat)

    route._locate_all = counted  # type: ignore[method-assign]
    assert route.locate(list(reversed(stops))) == list(reversed(first))
    assert plan_itinerary(route, stops).locations == first
    assert searched == []
    other = [*stops, LonLat(-2.9250, 43.2550)]
    assert route.locate(other)[:2] == first and searched == [3]
    assert route.locate(other)[2] == RouteGeometry([STREET]).locate(other[2:])[0]
