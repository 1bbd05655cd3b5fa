"""The tour catalogue: what a listing says about each tour, and how tours are grouped.

Pure functions over ``Tour`` objects, no database and no Flask: the web layer caches
the summaries and formats the numbers for the visitor's locale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tours.i18n import LocalizedText, Resolved
from tours.tour.domain import DEFAULT_PACE_KMH, Price, Tour
from tours.tour.geometry import Itinerary


@dataclass(frozen=True)
class TourSummary:
    """One tour as a catalogue card shows it; numbers are over published stops only."""

    slug: str
    version: int
    city: str
    districts: tuple[str, ...]
    title: LocalizedText
    summary: LocalizedText
    languages: tuple[str, ...]
    default_language: str
    distance_m: float
    walk_minutes: float
    total_minutes: float
    duration_minutes: int
    stop_count: int
    sample: bool = False
    price: Price | None = None

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000.0

    @property
    def primary_district(self) -> str:
        """The district a tour is listed under: the first it names (where it starts)."""
        return self.districts[0] if self.districts else ""

    def title_in(self, language: str) -> Resolved:
        return _resolve(self.title, language, self.default_language, self.slug)

    def summary_in(self, language: str) -> Resolved:
        return _resolve(self.summary, language, self.default_language, "")


def _resolve(text: LocalizedText, language: str, default: str, empty: str) -> Resolved:
    resolved = text.resolve(language, default)
    return resolved if resolved is not None else Resolved(empty, default, language)


def announced_duration(tour: Tour, itinerary: Itinerary) -> int:
    """The tour's own ``duration_minutes``, else walking plus dwell time rounded up to 5 min."""
    if tour.duration_minutes:
        return int(tour.duration_minutes)
    return int(math.ceil(itinerary.total_minutes / 5.0) * 5) if itinerary.total_minutes else 0


def summarize(
    tour: Tour, version: int, itinerary: Itinerary | None = None, pace_kmh: float = DEFAULT_PACE_KMH
) -> TourSummary:
    """The catalogue facts of ``tour``; pass its public ``itinerary`` if already planned."""
    itinerary = itinerary if itinerary is not None else tour.itinerary(pace_kmh)
    return TourSummary(
        slug=tour.slug,
        version=version,
        city=tour.city,
        districts=tuple(tour.districts),
        title=tour.title,
        summary=tour.summary,
        languages=tuple(tour.languages),
        default_language=tour.default_language,
        distance_m=itinerary.length_m,
        walk_minutes=itinerary.walk_minutes,
        total_minutes=itinerary.total_minutes,
        duration_minutes=announced_duration(tour, itinerary),
        stop_count=len(tour.public_stops),
        sample=tour.sample,
        price=tour.price,
    )


@dataclass(frozen=True)
class DistrictGroup:
    district: str
    tours: tuple[TourSummary, ...]


@dataclass(frozen=True)
class CityGroup:
    city: str
    districts: tuple[DistrictGroup, ...]

    @property
    def tour_count(self) -> int:
        return sum(len(group.tours) for group in self.districts)


def group_by_place(summaries: Iterable[TourSummary], language: str) -> list[CityGroup]:
    """Cities, then districts within each, alphabetically; tours by title in ``language``.

    A tour through several districts is listed once, under the first district it names,
    so a catalogue never shows the same card twice.
    """
    cities: dict[str, dict[str, list[TourSummary]]] = {}
    for summary in summaries:
        cities.setdefault(summary.city, {}).setdefault(summary.primary_district, []).append(summary)
    groups = []
    for city in sorted(cities, key=str.casefold):
        districts = cities[city]
        groups.append(
            CityGroup(
                city,
                tuple(
                    DistrictGroup(
                        district,
                        tuple(sorted(districts[district], key=lambda s: _title_key(s, language))),
                    )
                    for district in sorted(districts, key=str.casefold)
                ),
            )
        )
    return groups


def _title_key(summary: TourSummary, language: str) -> tuple[str, str]:
    return (summary.title_in(language).text.casefold(), summary.slug)


def content_languages(summaries: Iterable[TourSummary]) -> list[str]:
    """Every language some tour's content is written in, each once, in first-seen order."""
    seen: dict[str, None] = {}
    for summary in summaries:
        for tag in summary.languages:
            seen.setdefault(tag, None)
    return list(seen)
