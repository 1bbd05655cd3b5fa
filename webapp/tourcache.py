"""An in-process cache of built tours, keyed by ``(slug, version)``.

A stored version never changes (a re-import makes a new version), so a cached entry
never goes stale: each request only asks the database which version is current, and
builds the ``Tour``, its itinerary and its summary when that version is new here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.orm import Session

from tours.catalogue import TourSummary, summarize
from tours.domain import Stop, Tour
from tours.errors import TourNotFound
from tours.geometry import Itinerary, Leg
from tours.store import StoredTour, current_versions, get_tour

EXTENSION_KEY = "bidean.tourcache"


@dataclass(frozen=True)
class CachedTour:
    """A stored tour with everything the public pages derive from it, computed once."""

    stored: StoredTour
    itinerary: Itinerary
    summary: TourSummary

    @property
    def tour(self) -> Tour:
        return self.stored.tour

    def ordered_stops(self) -> list[tuple[Stop, Leg | None]]:
        """Published stops in tour order, each with the leg walking on to the next stop."""
        stops = self.tour.public_stops
        legs = {leg.from_index: leg for leg in self.itinerary.legs}
        return [(stops[i], legs.get(i)) for i in self.itinerary.order]


class TourCache:
    """A thread-safe, size-bounded LRU map from ``(slug, version)`` to ``CachedTour``."""

    def __init__(self, pace_kmh: float, max_entries: int = 256) -> None:
        self.pace_kmh = pace_kmh
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, int], CachedTour] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def current(self, session: Session) -> list[CachedTour]:
        """The current version of every stored tour, ordered by city then slug."""
        return [self._entry(session, slug, version) for slug, version in current_versions(session)]

    def get(self, session: Session, slug: str) -> CachedTour:
        """The current version of ``slug``; raises ``TourNotFound``."""
        version = dict(current_versions(session)).get(slug)
        if version is None:
            raise TourNotFound(slug)
        return self._entry(session, slug, version)

    def _entry(self, session: Session, slug: str, version: int) -> CachedTour:
        key = (slug, version)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
        # Built outside the lock: two threads may both build a new version once, harmlessly.
        entry = self._build(get_tour(session, slug, version))
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def _build(self, stored: StoredTour) -> CachedTour:
        itinerary = stored.tour.itinerary(self.pace_kmh)
        summary = summarize(stored.tour, stored.version, itinerary)
        return CachedTour(stored, itinerary, summary)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = TourCache(float(app.config.get("WALKING_KMH") or 4.5))


def tour_cache(app: Flask | None = None) -> TourCache:
    return (app or current_app).extensions[EXTENSION_KEY]
