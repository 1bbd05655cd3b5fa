"""The shipped Bilbao tours keep the promises the foundation issue made about them."""

import pytest

from tours.content.checking.pipeline import validate_path

# Every coordinate lies in San Francisco, Bilbao La Vieja and Zabala.
WEST, EAST, SOUTH, NORTH = -2.9400, -2.9150, 43.2460, 43.2600
EVERY_STOP = ("es", "eu", "en")
WHOLE_TOUR_SOMEWHERE = ("fr", "ar")


@pytest.fixture
def tours(sample_routes):
    results = [validate_path(path) for path in sample_routes]
    assert all(r.report.errors == [] for r in results)
    return [r.tour for r in results]


def test_three_tours_through_the_three_districts(tours):
    assert len(tours) == 3
    districts = {d for tour in tours for d in tour.districts}
    assert {"San Francisco", "Bilbao La Vieja", "Zabala"} <= districts
    assert all(tour.sample for tour in tours), "sample content is labelled as such"


def test_every_coordinate_is_inside_the_districts(tours):
    for tour in tours:
        positions = [p for line in tour.route for p in line] + [s.position for s in tour.stops]
        outside = [p for p in positions if not (WEST <= p[0] <= EAST and SOUTH <= p[1] <= NORTH)]
        assert outside == [], (tour.slug, outside[:3])


def test_length_and_number_of_stops(tours):
    for tour in tours:
        assert 1500 <= tour.geometry.length_m <= 3500, (tour.slug, tour.geometry.length_m)
        assert 6 <= len(tour.public_stops) <= 10, tour.slug


def test_languages_of_the_stories(tours):
    for tour in tours:
        for stop in tour.stops:
            for text in (stop.name, stop.story, stop.community, stop.accessibility):
                assert set(EVERY_STOP) <= set(text.languages), (tour.slug, stop.id)
    whole = [
        tour.slug
        for tour in tours
        if all(
            set(WHOLE_TOUR_SOMEWHERE) <= set(text.languages)
            for stop in tour.stops
            for text in (stop.name, stop.story)
        )
    ]
    assert whole, "at least one tour is entirely in French and Arabic too, so fallback shows"


def test_crossings_validates_without_warnings(sample_routes):
    """Its French is declared and complete, so nothing is left to warn about."""
    crossings = next(p for p in sample_routes if p.stem == "bilbao-la-vieja-crossings")
    result = validate_path(crossings)
    assert result.report.errors == []
    assert result.report.warnings == []
    assert "fr" in result.tour.languages
