"""Catalogue summaries and grouping: pure functions over tours built by the real importer."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from tests.tours.tourdoc import tour as tour_document
from tours.content.checking.pipeline import validate_path
from tours.i18n import LocalizedText
from tours.tour.catalogue import (
    TourSummary,
    announced_duration,
    catalogue_facts,
    content_languages,
    group_by_place,
    summarize,
)
from tours.tour.domain import Tour, offered


def load(path: Path) -> Tour:
    result = validate_path(path)
    assert result.valid, result.report.to_text()
    assert result.tour is not None
    return result.tour


def summary(slug: str, city: str, districts: tuple[str, ...], title: dict[str, str]) -> TourSummary:
    return TourSummary(
        slug=slug,
        version=1,
        city=city,
        districts=districts,
        title=LocalizedText(title),
        summary=LocalizedText({}),
        languages=tuple(title),
        default_language=next(iter(title)),
        distance_m=1000.0,
        walk_minutes=13.0,
        total_minutes=40.0,
        duration_minutes=40,
        stop_count=4,
    )


def test_summary_of_each_sample_matches_its_itinerary(sample_routes):
    assert len(sample_routes) == 3
    for path in sample_routes:
        tour = load(path)
        itinerary = tour.itinerary()
        found = summarize(tour, 7)
        assert found.slug == tour.slug == path.stem
        assert found.version == 7
        assert found.stop_count == len(tour.public_stops)
        assert found.distance_m == pytest.approx(itinerary.length_m)
        assert found.walk_minutes == pytest.approx(itinerary.walk_minutes)
        assert found.total_minutes == pytest.approx(
            itinerary.walk_minutes + itinerary.dwell_minutes
        )
        assert found.languages == tour.languages
        assert found.default_language == tour.languages[0]
        assert found.sample is True
        assert 1000 < found.distance_m < 2000  # the README says each is about 1.6 km


def test_hidden_stops_do_not_count(sample_routes):
    tour = load(sample_routes[0])
    hidden = tour.stops[0]
    changed = Tour.from_document(
        {
            **tour.to_document(),
            "features": [
                f
                if f["geometry"]["type"] != "Point" or f["properties"]["id"] != hidden.id
                else {**f, "properties": {**f["properties"], "status": "draft"}}
                for f in tour.to_document()["features"]
            ],
        }
    )
    assert summarize(changed, 1).stop_count == summarize(tour, 1).stop_count - 1


def test_duration_is_announced_or_rounded_up_to_five_minutes(sample_routes):
    tour = load(sample_routes[0])
    itinerary = tour.itinerary()
    computed = announced_duration(tour, itinerary)
    if tour.duration_minutes:
        assert computed == tour.duration_minutes
    else:
        assert computed % 5 == 0
        assert 0 <= computed - itinerary.total_minutes < 5
        assert computed == math.ceil(itinerary.total_minutes / 5) * 5
    announced = Tour.from_document(
        {
            **tour.to_document(),
            "features": [
                {**f, "properties": {**f["properties"], "duration_minutes": 123}}
                if f["geometry"]["type"] in ("LineString", "MultiLineString")
                else f
                for f in tour.to_document()["features"]
            ],
        }
    )
    assert summarize(announced, 1).duration_minutes == 123


def test_grouping_sorts_cities_and_districts_and_lists_a_tour_once():
    tours = [
        summary("c", "Bilbao", ("Zabala",), {"es": "Cocinas"}),
        summary("a", "Donostia", ("Egia",), {"es": "Egia"}),
        summary("b", "Bilbao", ("San Francisco", "Zabala"), {"es": "Voces"}),
        summary("d", "bilbao-ish", ("",), {"es": "Sin barrio"}),
    ]
    groups = group_by_place(tours, "es")
    assert [g.city for g in groups] == ["Bilbao", "bilbao-ish", "Donostia"]
    bilbao = groups[0]
    assert [(d.district, [t.slug for t in d.tours]) for d in bilbao.districts] == [
        ("San Francisco", ["b"]),
        ("Zabala", ["c"]),
    ]
    assert bilbao.tour_count == 2
    assert sum(g.tour_count for g in groups) == len(tours)


def test_tours_in_a_district_are_ordered_by_title_in_the_language():
    tours = [
        summary("one", "Bilbao", ("Zabala",), {"es": "Zapatos", "eu": "Abarkak"}),
        summary("two", "Bilbao", ("Zabala",), {"es": "Alfombras", "eu": "Tapizak"}),
    ]
    in_spanish = group_by_place(tours, "es")[0].districts[0].tours
    in_basque = group_by_place(tours, "eu")[0].districts[0].tours
    assert [t.slug for t in in_spanish] == ["two", "one"]
    assert [t.slug for t in in_basque] == ["one", "two"]


def test_title_falls_back_to_the_default_language():
    found = summary("x", "Bilbao", ("Zabala",), {"es": "Título", "eu": "Izenburua"})
    assert found.title_in("eu").text == "Izenburua"
    assert not found.title_in("eu").is_fallback
    resolved = found.title_in("ar")
    assert (resolved.text, resolved.language, resolved.is_fallback) == ("Título", "es", True)
    # An empty summary resolves to an empty text, never None.
    assert found.summary_in("eu").text == ""


def test_content_languages_lists_each_once_in_order():
    tours = [
        summary("a", "Bilbao", ("Z",), {"es": "a", "eu": "b"}),
        summary("b", "Bilbao", ("Z",), {"ar": "c", "es": "d"}),
    ]
    assert content_languages(tours) == ["es", "eu", "ar"]


def test_visitors_are_offered_the_declared_languages_only():
    document = tour_document(title={"es": "Voces", "en": "Voices", "tr": "Sesler"})
    plaza = document["features"][1]["properties"]
    plaza["name"]["pt-BR"] = "Parada"
    plaza["story"] = {"tr": "Bir hikaye."}  # only a partial language: kept as the last resort
    stored = Tour.from_document(document)
    shown = offered(stored)
    assert dict(shown.title) == {"es": "Voces", "en": "Voices"}
    assert "pt-BR" not in shown.stops[0].name and "tr" not in shown.stops[0].name
    assert dict(shown.stops[0].story) == {"tr": "Bir hikaye."}
    assert stored.stops[0].name["pt-BR"] == "Parada"  # the stored tour keeps everything
    assert catalogue_facts(stored)["title"] == {"es": "Voces", "en": "Voices"}
    declared = offered(replace(stored, languages=(*stored.languages, "pt")))
    assert declared.stops[0].name["pt-BR"] == "Parada"
