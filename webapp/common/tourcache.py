"""An in-process cache of built tours, keyed by ``(slug, version)``.

A stored version never changes (a re-import makes a new version), so a cached entry
never goes stale: each request only asks the database which version is current (once
per request, however many times it is asked), and builds the ``Tour``, its itinerary
and its summary when that version is new here.  A tour page asks for its tour's version
and departures version together, in one small statement outside any transaction, and
reads its upcoming departures again only when the latter changed (``live``).

Everything here lives in the app's one byte-bounded LRU (``webapp.common.bytecache``,
``CACHE_MB``): built tours (lean, without their route), catalogue summaries (from the
facts stored with each version, never from the document), the catalogue's order per
language and ``.geojson`` bodies.  The public pages keep their rendered pages in the
same LRU (``webapp.public.pagecache``), keyed by slug and version like these entries, so
that a new version drops them too (``keyed_by_version``).
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import geojson
from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import Connection, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from guides.profiles import guide_names
from tours.booking.departures import (
    CurrentAndUpcoming,
    DepartureSnapshot,
    current_and_upcoming,
    published_versions,
)
from tours.content.publishing.export import to_geojson
from tours.db import reading, utcnow
from tours.errors import TourNotFound
from tours.stories.consent import USE_GUIDE_SCRIPTS, USE_KITS, USE_TOUR_PAGES
from tours.stories.uses import tour_for_use
from tours.tour.catalogue import TourSummary, group_by_place, summarize, summary_from_facts
from tours.tour.domain import Stop, Tour, offered
from tours.tour.geometry import Itinerary, Leg
from tours.tour.store import (
    CatalogueRow,
    StoredTour,
    catalogue_rows,
    current_versions,
    current_versions_of,
    get_tour,
)
from webapp.common.bytecache import ByteLRU, byte_cache, deep_size
from webapp.common.database import Database, get_db
from webapp.common.httpcache import Encoded

EXTENSION_KEY = "bidean.tourcache"
VERSIONS_KEY = "bidean_current_versions"
SOME_VERSIONS_KEY = "bidean_some_current_versions"
# The kinds of entry this module keeps in the byte cache (the first item of their keys).
TOUR, SUMMARY, GEOJSON = "tour", "summary", "geojson"
GUIDES = "tour-for-guides"  # a tour as the guide console may show it
ORDER = "catalogue-order"
UPCOMING = "upcoming"  # a tour's upcoming departures, by departures version


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


@dataclass(frozen=True)
class Upcoming:
    """A tour's next departures and their guides' names, as read at departures version
    ``version``; they stay what the database holds while that version is current and no
    listed departure has started (``until``: the first one's start; None when none is
    listed, as then none can start)."""

    departures: list[DepartureSnapshot]
    guide_names: dict[str, str]
    version: int | None
    until: datetime | None

    @property
    def key(self) -> Hashable | None:
        """What identifies this list for whatever is made from it (the page's departures
        block), or None when it cannot be kept (no departures version).  Two lists of one
        version differ only by which departures had started when read, so by ``until``."""
        return None if self.version is None else (self.version, self.until)

    def current(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True)
class LiveTour:
    """A cached tour with what changes without a new version: its upcoming departures."""

    cached: CachedTour
    upcoming: Upcoming

    @property
    def departures(self) -> list[DepartureSnapshot]:
        return self.upcoming.departures


class TourCache:
    """Built tours by ``(slug, version)``, their summaries and GeoJSON bodies, all kept in
    the app's byte-bounded LRU (``webapp.common.bytecache``).

    A cached tour is lean: once its itinerary and summary are planned, the route (up to
    100,000 positions, with its segment index) is dropped (``Tour.without_route``).  What
    needs the route reads it again: ``with_route`` for the map, ``geojson_body`` for the
    ``.geojson`` endpoint (its serialisation is cached in the same budget).
    """

    def __init__(self, pace_kmh: float, cache: ByteLRU) -> None:
        self.pace_kmh = pace_kmh
        self.cache = cache
        # Entries keyed ``(*prefix, slug, version, ...)``: a new version drops the old.
        self.versioned: set[tuple[str, ...]] = {(TOUR,), (SUMMARY,), (GEOJSON,), (GUIDES,)}

    def __len__(self) -> int:
        return self.cache.count(TOUR)

    def held(self, kind: str) -> list[Any]:
        """The entries of ``kind`` (``TOUR``, ``GEOJSON``, ...) held now."""
        return self.cache.values(kind)

    def keyed_by_version(self, kinds: Iterable[str]) -> None:
        """Entries of ``kinds``, kept by another cache in this one's LRU under keys
        ``(kind, slug, version, ...)``, go when a newer version of their tour is built."""
        self.versioned.update((kind,) for kind in kinds)

    def keyed_by_version_under(self, prefix: tuple[str, ...]) -> None:
        """The same for entries keyed ``(*prefix, slug, version, ...)`` (a tour's map:
        ``("map", "tour", slug, version, ...)``)."""
        self.versioned.add(prefix)

    def forget_all(self) -> None:
        """Drop every entry of this worker's LRU, whatever cache keeps it (tours, pages,
        maps): a withdrawn story rewrites stored versions in place, which no key says."""
        self.cache.clear()

    def current(self, db_session: Session) -> list[CachedTour]:
        """The current version of every stored tour, ordered by city then slug, built.

        Costs a query per tour not cached yet: listings use ``summaries`` instead.
        """
        versions = request_versions(db_session)
        return [self._entry(db_session, slug, version) for slug, version in versions.items()]

    def summaries(self, db_session: Session) -> list[TourSummary]:
        """The catalogue summary of every published tour, ordered by city then slug.

        Two statements whatever the number of tours: the current versions (once per
        request), and, only when some summary is not cached yet, every tour's stored
        catalogue facts.  Summaries are cached by ``(slug, version)``.
        """
        versions = request_versions(db_session)
        found: dict[str, TourSummary] = {}
        for slug, version in versions.items():
            summary = self.cache.get((SUMMARY, slug, version))
            if summary is not None:
                found[slug] = summary
        if len(found) < len(versions):
            for row in catalogue_rows(db_session):
                if row.slug not in found and versions.get(row.slug) == row.version:
                    found[row.slug] = self._summary(db_session, row)
        return [found[slug] for slug in versions if slug in found]

    def in_catalogue_order(self, db_session: Session, lang: str) -> list[TourSummary]:
        """``summaries`` in the order the catalogue lists them for ``lang`` (by city, then
        district, then title in ``lang``: ``group_by_place``).  The order is cached under the
        exact ``(slug, version)`` list and ``lang``, so a new version sorts again."""
        summaries = self.summaries(db_session)
        listed = tuple((summary.slug, summary.version) for summary in summaries)
        key = (ORDER, lang, listed)
        slugs = self.cache.get(key)
        if slugs is None:
            groups = group_by_place(summaries, lang)
            slugs = tuple(t.slug for city in groups for d in city.districts for t in d.tours)
            self.cache.put(key, slugs, deep_size(listed) + sys.getsizeof(slugs))
        by_slug = {summary.slug: summary for summary in summaries}
        return [by_slug[slug] for slug in slugs]

    def summary_page(
        self, db_session: Session, after: tuple[str, str] | None, limit: int
    ) -> list[tuple[tuple[str, str], TourSummary]]:
        """Up to ``limit`` published tours after ``(city, slug)``, each with its sort key,
        in one query (more only for versions stored without catalogue facts)."""
        return [
            ((row.city, row.slug), self._summary(db_session, row))
            for row in catalogue_rows(db_session, after=after, limit=limit)
        ]

    def _summary(self, db_session: Session, row: CatalogueRow) -> TourSummary:
        key = (SUMMARY, row.slug, row.version)
        summary = self.cache.get(key)
        if summary is None:
            if row.facts is None:  # stored before facts existed: build it once
                summary = self._entry(db_session, row.slug, row.version).summary
            else:
                summary = summary_from_facts(row.slug, row.version, row.facts, self.pace_kmh)
            self.cache.put(key, summary, deep_size(summary))
        return summary

    def get(self, db_session: Session, slug: str) -> CachedTour:
        """The current version of ``slug``; raises ``TourNotFound``."""
        version = request_versions_of(db_session, [slug]).get(slug)
        if version is None:
            raise TourNotFound(slug)
        return self._entry(db_session, slug, version)

    def for_guides(self, db_session: Session, slug: str) -> CachedTour:
        """The current version of ``slug`` as the guide console may show it: residents'
        contributions as their consent allows guides' scripts (``get`` is the public's,
        as tour pages allow); raises ``TourNotFound``."""
        version = request_versions_of(db_session, [slug]).get(slug)
        if version is None:
            raise TourNotFound(slug)
        key = (GUIDES, slug, version)
        entry = self.cache.get(key)
        if entry is None:
            entry = self._build(db_session, get_tour(db_session, slug, version), USE_GUIDE_SCRIPTS)
            self.cache.put(key, entry, deep_size(entry))
        return entry

    def forget(self, slug: str) -> int:
        """Drop every entry of ``slug`` (built tours, summaries, bodies, pages, maps): for
        a change that makes no new version, such as a contribution withdrawn."""
        prefixes = frozenset(self.versioned)
        return self.cache.discard(lambda key: not _of_slug(key, prefixes, slug))

    def live(self, db: Database, slug: str, upcoming: int) -> LiveTour:
        """The current version of ``slug`` and its next ``upcoming`` departures with their
        guides' names; raises ``TourNotFound``.

        One small statement without a transaction reads the tour's version and departures
        version (``published_versions``); the departures are kept under the latter, which
        the database's triggers bump in the transaction of any change to what they show.
        Only when it changed, or a listed departure has started, are they read again (one
        statement, and one for the guides' names); only a tour version not cached yet
        costs a transaction that loads it.
        """
        now = utcnow()
        versions = published_versions(db.engine, slug)
        if versions is None:
            raise TourNotFound(slug)
        version = versions.version
        key = (UPCOMING, slug, versions.departures_version, upcoming)
        listed = self.cache.get(key) if versions.departures_version is not None else None
        if listed is None or not listed.current(now):
            with reading(db.engine) as conn:
                found = current_and_upcoming(conn, slug, now=now, limit=upcoming)
                if found is None:
                    raise TourNotFound(slug)
                # Read after the version above, so never older than it: kept under the
                # departures version the statement itself saw.
                version, listed = found.version, self._upcoming(conn, found, now)
            if listed.version is not None:
                key = (UPCOMING, slug, listed.version, upcoming)
                self.cache.put(key, listed, deep_size(listed))
        entry = self._cached(slug, version)
        if entry is None:
            with db.transaction() as db_session:
                entry = self._entry(db_session, slug, version)
        return LiveTour(entry, listed)

    @staticmethod
    def _upcoming(conn: Connection, found: CurrentAndUpcoming, now: datetime) -> Upcoming:
        departures = found.departures
        names = guide_names(conn, [d.guide_id for d in departures])
        until = min((d.starts_at for d in departures), default=None)
        return Upcoming(departures, names, found.departures_version, until)

    def geojson_body(self, db: Database, slug: str, version: int) -> Encoded:
        """The public GeoJSON of ``slug`` at ``version`` (published stops, no scripts),
        serialised and compressed once and kept in the byte budget."""

        def serialise() -> Encoded:
            with db.transaction() as db_session:
                stored = get_tour(db_session, slug, version)
                tour = downloadable(db_session, stored.tour)
            document = to_geojson(tour.to_document(published_only=True))
            body = geojson.dumps(document, ensure_ascii=False).encode()
            # Big bodies: brotli 5 compresses 3.5 MB in well under a second; 11 takes ~10 s.
            return Encoded(body, br_quality=11 if len(body) < 256_000 else 5, gzip_level=6)

        return self.cache.get_or_make((GEOJSON, slug, version), serialise, _encoded_size)

    def _cached(self, slug: str, version: int) -> CachedTour | None:
        return self.cache.get((TOUR, slug, version))

    def _entry(self, db_session: Session, slug: str, version: int) -> CachedTour:
        entry = self._cached(slug, version)
        if entry is not None:
            return entry
        # Built outside the lock: two threads may both build a new version once, harmlessly.
        entry = self._build(db_session, get_tour(db_session, slug, version))
        self.cache.put((TOUR, slug, version), entry, deep_size(entry))
        # Entries of the versions this one replaces will never be asked for again (and
        # a withdrawn story must not stay in any worker's memory: see ``forget_all``).
        prefixes = frozenset(self.versioned)
        self.cache.discard(lambda key: not _older_version(key, prefixes, slug, version))
        return entry

    def _build(
        self, db_session: Session, stored: StoredTour, use: str = USE_TOUR_PAGES
    ) -> CachedTour:
        # Residents' contributions only as their consent allows ``use``: the cache (and
        # every page, body and summary made from it) never holds more.  Visitors are
        # offered the declared languages only: partial translations wait.
        tour = offered(tour_for_use(db_session, stored.tour, use).tour)
        itinerary = tour.itinerary(self.pace_kmh)
        summary = summarize(tour, stored.version, itinerary, self.pace_kmh)
        lean = StoredTour(stored.slug, stored.version, tour.without_route(itinerary))
        return CachedTour(lean, itinerary, summary)


def _encoded_size(body: Encoded) -> int:
    """A served body with room for its compressed forms, made later (at most ~30% of it
    for GeoJSON: coordinates compress well)."""
    return len(body.body) * 13 // 10


def _of_slug(key: Hashable, prefixes: frozenset[tuple[str, ...]], slug: str) -> bool:
    """An entry of ``slug``: keyed ``(*prefix, slug, ...)`` under one of ``prefixes``."""
    if not isinstance(key, tuple) or len(key) < 2:
        return False
    return any(key[: len(p)] == p and key[len(p) : len(p) + 1] == (slug,) for p in prefixes)


def _older_version(
    key: Hashable, prefixes: frozenset[tuple[str, ...]], slug: str, version: int
) -> bool:
    if not isinstance(key, tuple) or len(key) < 3:
        return False
    for size in (1, 2):
        if key[:size] in prefixes and len(key) >= size + 2:
            return key[size] == slug and key[size + 1] != version
    return False


def with_route(stored: StoredTour) -> StoredTour:
    """``stored`` (a tour as tour pages show it) with its route: a cached (lean) tour's is
    read again from the database, keeping the itinerary already planned (so it is not
    planned again), with residents' contributions as tour pages may show them and
    offering the same languages as the cached tour (``offered``)."""
    if stored.tour.route:
        return stored
    with get_db().transaction() as db_session:
        loaded = get_tour(db_session, stored.slug, stored.version)
        shown = tour_for_use(db_session, loaded.tour, USE_TOUR_PAGES).tour
    tour = replace(offered(shown), planned=stored.tour.planned)
    return StoredTour(loaded.slug, loaded.version, tour)


def downloadable(db_session: Session, tour: Tour) -> Tour:
    """``tour`` as a file anyone may take away (the ``.geojson`` and ``.gpx``): residents'
    contributions only where their consent allows both this site's pages and exports to
    other places, so a story for "this site only" never leaves it in a file."""
    shown = tour_for_use(db_session, tour, USE_TOUR_PAGES).tour
    return tour_for_use(db_session, shown, USE_KITS).tour


def request_versions(db_session: Session) -> dict[str, int]:
    """``slug -> current version``, asked of the database once per request.

    A page asks several times (the tour, then each booking session's tour); the answer
    is kept in ``g`` until this request writes anything through a session
    (``forget_versions``), so a request that imports a tour then reads it sees the new one.
    """
    if not has_request_context():
        return dict(current_versions(db_session))
    versions = g.get(VERSIONS_KEY)
    if versions is None:
        versions = dict(current_versions(db_session))
        setattr(g, VERSIONS_KEY, versions)
    return versions


def request_versions_of(db_session: Session, slugs: Iterable[str]) -> dict[str, int]:
    """``slug -> current version`` of those of ``slugs`` that are published.

    From the request's full list when it was read (``request_versions``); else only these
    slugs are asked for (one indexed statement, not a read of every tour), and kept for
    the rest of the request like the full list.
    """
    slugs = list(slugs)
    if not has_request_context():
        return current_versions_of(db_session, slugs)
    versions = g.get(VERSIONS_KEY)
    if versions is not None:
        return {slug: versions[slug] for slug in slugs if slug in versions}
    known: dict[str, int | None] = g.setdefault(SOME_VERSIONS_KEY, {})
    missing = [slug for slug in slugs if slug not in known]
    if missing:
        found = current_versions_of(db_session, missing)
        known.update({slug: found.get(slug) for slug in missing})
    return {slug: version for slug in slugs if (version := known[slug]) is not None}


def forget_versions(*_: Any) -> None:
    if has_app_context():
        g.pop(VERSIONS_KEY, None)
        g.pop(SOME_VERSIONS_KEY, None)


def _forget_after_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        forget_versions()


def watch_writes(sessions: sessionmaker[Session]) -> None:
    """Drop the request's remembered versions whenever one of ``sessions`` writes or rolls back."""
    event.listen(sessions, "after_flush", forget_versions)
    event.listen(sessions, "after_rollback", forget_versions)
    event.listen(sessions, "do_orm_execute", _forget_after_write)


def init_app(app: Flask) -> None:
    pace = app.config["WALKING_KMH"]
    app.extensions[EXTENSION_KEY] = TourCache(pace, byte_cache(app))
    watch_writes(get_db(app).sessions)


def tour_cache(app: Flask | None = None) -> TourCache:
    return (app or current_app).extensions[EXTENSION_KEY]
