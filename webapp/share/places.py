"""Where a proposal is: the tours to choose from, the chosen tour's stops, and the map a
pin goes on.

The map is the tour pages' (``webapp.common.maps``: Folium objects read into a JSON data
island, drawn by ``static/js/map.js`` with the self-hosted Leaflet, tiles from
``TILES_URL`` only): the chosen tour's route, districts and numbered stops, or without a
tour every tour's districts (those of the district asked for, if any), fitted to their
tours.  ``static/js/share.js`` puts the pin on it.  Markers show only the stop's number
and name: the tour page's "read the whole stop" link has nowhere to go here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import folium
from flask import current_app, g, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy.orm import Session

from tours.coords import LonLat
from tours.errors import TourNotFound
from tours.tour.catalogue import TourSummary
from webapp.common.i18n import content_fallback
from webapp.common.maps import (
    TOUR_ZOOM,
    LabelledMarker,
    SelfHostedMap,
    build_tour_map,
    district_outlines,
    fit_to_box,
    fragment_cache,
    render_fragment,
    resolved_piece,
)
from webapp.common.tiles import TileConfig, tiles_from_config
from webapp.common.tourcache import CachedTour, tour_cache, with_route

MAP_KIND = "share"
POPUP_ROLES = ("number", "title")


@dataclass(frozen=True)
class Where:
    """The tours to choose from, the chosen one (with its stops) and the district."""

    tours: list[TourSummary]  # in catalogue order
    chosen: CachedTour | None
    district: str | None  # for "a neighbour of …": the chosen tour's, else the one asked for
    stops: list[tuple[str, str]]  # (stop id, "1. Name") in walking order
    around: list[CachedTour]  # what the map shows without a tour

    @property
    def content_languages(self) -> tuple[str, ...]:
        return tuple(self.chosen.tour.languages) if self.chosen else ()


def find(db_session: Session, slug: str | None, district: str | None, lang: str) -> Where:
    """The place choices for a form about tour ``slug`` (none: any tour) and ``district``
    (kept only when a tour goes through it).  Raises ``TourNotFound`` for an unknown slug."""
    cache = tour_cache()
    tours = cache.in_catalogue_order(db_session, lang)
    known = {summary.slug for summary in tours}
    if slug and slug not in known:
        raise TourNotFound(slug)
    districts = {name for summary in tours for name in summary.districts}
    district = district if district in districts else None
    chosen = cache.get(db_session, slug) if slug else None
    if chosen is not None:
        district = chosen.summary.primary_district or None
        return Where(tours, chosen, district, stop_choices(chosen, lang), [])
    around = [
        cached
        for cached in cache.current(db_session)
        if cached.stored.slug in known and (district is None or district in cached.tour.districts)
    ]
    return Where(tours, None, district, [], around)


def stop_choices(cached: CachedTour, lang: str) -> list[tuple[str, str]]:
    """The tour's published stops in walking order, numbered as on its page."""
    default = (*content_fallback(cached.tour.languages, lang), cached.tour.default_language)
    choices = []
    for number, (stop, _leg) in enumerate(cached.ordered_stops(), start=1):
        name = stop.name.get_text(lang, default) or stop.id
        choices.append((stop.id, f"{number}. {name}"))
    return choices


def _labels(region: str) -> dict[str, str]:
    return {"region": region, "zoomIn": gettext("Zoom in"), "zoomOut": gettext("Zoom out")}


def _tour_map(
    cached: CachedTour, lang: str, fallback: tuple[str, ...], tiles: TileConfig | None
) -> SelfHostedMap:
    stored = cached.stored
    route_url = url_for("api.tour_geojson", slug=stored.slug, v=stored.version)
    fmap = build_tour_map(with_route(stored).tour, lang, tiles, route_url, fallback)
    fmap.labels = _labels(gettext("Map for your pin: tap where your place is"))
    for child in fmap._children.values():
        if isinstance(child, LabelledMarker):
            child.popup_parts = [p for p in child.popup_parts if p.get("role") in POPUP_ROLES]
    return fmap


def _area_map(tours: Sequence[CachedTour], lang: str, tiles: TileConfig | None) -> SelfHostedMap:
    """Every tour's districts, fitted to the tours."""
    boxes = [cached.itinerary.bbox for cached in tours]
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    fmap = SelfHostedMap(
        location=LonLat((west + east) / 2, (south + north) / 2).to_folium(),
        zoom_start=TOUR_ZOOM,
        tiles=None,
        control_scale=True,
        zoom_control=False,  # map.js adds one with translated button titles
        scroll_wheel_zoom=False,
        labels=_labels(gettext("Map for your pin: tap where your place is")),
    )
    if tiles is not None:
        folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, max_zoom=19).add_to(fmap)
    drawn: set[str] = set()
    for cached in tours:
        default = cached.tour.default_language
        for area in cached.tour.district_areas:
            key = repr(area.geometry)
            if key in drawn:
                continue
            drawn.add(key)
            label = resolved_piece(area.name, lang, default)
            for outline in district_outlines(area.geometry, label):
                outline.add_to(fmap)
    fit_to_box(fmap, (west, south, east, north))
    return fmap


def pin_map_html(where: Where, lang: str) -> Markup | None:
    """The map the pin goes on, with its scripts (None without any tour to show)."""
    tiles = tiles_from_config(current_app.config)
    if where.chosen is not None:
        chosen = where.chosen
        stored = chosen.stored
        fallback = content_fallback(chosen.tour.languages, lang)
        key: tuple = (MAP_KIND, stored.slug, stored.version, lang, fallback, tiles)
        fragment = fragment_cache().get_or_render(
            (*key, request.script_root),
            lambda: render_fragment(_tour_map(chosen, lang, fallback, tiles), MAP_KIND),
        )
    elif where.around:
        versions = tuple((c.stored.slug, c.stored.version) for c in where.around)
        key = (MAP_KIND, versions, lang, tiles, request.script_root)
        fragment = fragment_cache().get_or_render(
            key, lambda: render_fragment(_area_map(where.around, lang, tiles), MAP_KIND)
        )
    else:
        return None
    return fragment.html(getattr(g, "csp_nonce", None))


def tour_or_none(db_session: Session, slug: str | None, district: str | None, lang: str) -> Where:
    """``find``, with an unknown tour (chosen in a form sent from an old page) taken as none."""
    try:
        return find(db_session, slug, district, lang)
    except TourNotFound:
        return find(db_session, None, district, lang)
