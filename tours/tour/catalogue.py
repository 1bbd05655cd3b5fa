"""The tour catalogue: what a listing says about each tour, and how tours are grouped.

Pure functions over ``Tour`` objects, no database and no Flask: the web layer caches
the summaries and formats the numbers for the visitor's locale.

A catalogue of a thousand tours must not rebuild a thousand tours (each a route of up
to 100,000 positions), so the facts a card shows are worked out once, when a version is
stored (``catalogue_facts``: a small JSON object kept beside the document), and a
listing reads them in one query and turns them into summaries (``summary_from_facts``).
Walking times are not stored, only distances: they follow the server's walking pace.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tours.i18n import LocalizedText, Resolved
from tours.tour.domain import DEFAULT_PACE_KMH, Price, Tour, offered
from tours.tour.geometry import Itinerary

#: Images a card may take its cover from: the first ones of the published stops in
#: walking order (the web layer picks the first that Bidean stores itself).
COVER_CANDIDATES = 10
#: Bumped when the facts change shape or meaning; older facts are worked out again from
#: the document.  2: a resident's photo is never a cover.
FACTS_VERSION = 2


@dataclass(frozen=True)
class CoverCandidate:
    """An image of a published stop, with the texts its alt text may come from."""

    url: str
    alt: LocalizedText
    caption: LocalizedText
    stop_name: LocalizedText


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
    covers: tuple[CoverCandidate, ...] = ()

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000.0

    @property
    def primary_district(self) -> str:
        """The district a tour is listed under: the first it names (where it starts)."""
        return self.districts[0] if self.districts else ""

    def title_in(self, language: str, fallback: Sequence[str] = ()) -> Resolved:
        """The title in ``language``, else the ``fallback`` languages, else the default."""
        return self._resolve(self.title, language, fallback, self.slug)

    def summary_in(self, language: str, fallback: Sequence[str] = ()) -> Resolved:
        return self._resolve(self.summary, language, fallback, "")

    def _resolve(
        self, text: LocalizedText, language: str, fallback: Sequence[str], empty: str
    ) -> Resolved:
        resolved = text.resolve(language, (*fallback, self.default_language))
        return (
            resolved if resolved is not None else Resolved(empty, self.default_language, language)
        )


def announced_duration(tour: Tour, itinerary: Itinerary) -> int:
    """The tour's own ``duration_minutes``, else walking plus dwell time rounded up to 5 min."""
    return _announced(tour.duration_minutes, itinerary.total_minutes)


def _announced(own: int | None, total_minutes: float) -> int:
    if own:
        return int(own)
    return int(math.ceil(total_minutes / 5.0) * 5) if total_minutes else 0


def catalogue_facts(tour: Tour, itinerary: Itinerary | None = None) -> dict[str, Any]:
    """What a catalogue card needs of ``tour``, as JSON to store beside its document.

    ``itinerary`` is its published itinerary if already planned (at any pace: only
    distances and dwell times are kept).
    """
    itinerary = itinerary if itinerary is not None else tour.itinerary()
    tour = offered(tour)  # a card offers only the declared languages, like the tour page
    stops = tour.public_stops
    covers = [
        {
            "url": media.url,
            "alt": media.alt.to_json(),
            "caption": media.caption.to_json(),
            "name": stop.name.to_json(),
        }
        for stop in (stops[i] for i in itinerary.order)
        for media in stop.media
        # A resident's photo may appear only where their consent allows, which these
        # facts (stored once with the version) cannot know: never a catalogue's cover.
        if media.type == "image" and media.contribution is None
    ][:COVER_CANDIDATES]
    return {
        "facts": FACTS_VERSION,
        "city": tour.city,
        "districts": list(tour.districts),
        "title": tour.title.to_json(),
        "summary": tour.summary.to_json(),
        "languages": list(tour.languages),
        "length_m": itinerary.length_m,
        "dwell_minutes": itinerary.dwell_minutes,
        "duration_minutes": tour.duration_minutes,
        "stop_count": len(stops),
        "sample": tour.sample,
        "price": tour.extra.get("price"),
        "covers": covers,
    }


def facts_are_current(facts: Any) -> bool:
    return isinstance(facts, Mapping) and facts.get("facts") == FACTS_VERSION


def summary_from_facts(
    slug: str, version: int, facts: Mapping[str, Any], pace_kmh: float = DEFAULT_PACE_KMH
) -> TourSummary:
    """The summary of a stored version from its ``catalogue_facts``, timed at ``pace_kmh``."""
    walk = facts["length_m"] / (pace_kmh * 1000.0 / 60.0)
    total = walk + facts["dwell_minutes"]
    languages = tuple(facts["languages"])
    return TourSummary(
        slug=slug,
        version=version,
        city=facts["city"],
        districts=tuple(facts["districts"]),
        title=LocalizedText(facts["title"] or {}),
        summary=LocalizedText(facts["summary"] or {}),
        languages=languages,
        default_language=languages[0] if languages else "es",
        distance_m=facts["length_m"],
        walk_minutes=walk,
        total_minutes=total,
        duration_minutes=_announced(facts["duration_minutes"], total),
        stop_count=facts["stop_count"],
        sample=bool(facts["sample"]),
        price=Price.from_json(facts["price"]),
        covers=tuple(
            CoverCandidate(
                c["url"],
                LocalizedText(c["alt"] or {}),
                LocalizedText(c["caption"] or {}),
                LocalizedText(c["name"] or {}),
            )
            for c in facts["covers"]
        ),
    )


def summarize(
    tour: Tour, version: int, itinerary: Itinerary | None = None, pace_kmh: float = DEFAULT_PACE_KMH
) -> TourSummary:
    """The catalogue facts of ``tour``; pass its public ``itinerary`` if already planned."""
    itinerary = itinerary if itinerary is not None else tour.itinerary(pace_kmh)
    return summary_from_facts(tour.slug, version, catalogue_facts(tour, itinerary), pace_kmh)


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
