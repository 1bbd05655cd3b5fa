"""Tour maps: Folium builds them, a JSON data island carries them, ``static/js/map.js`` draws them.

Folium's own page loads Leaflet, jQuery, Bootstrap and Font Awesome from five CDNs and
writes popup and tooltip text into JavaScript template literals, where a story holding
``${...}`` or ``<img onerror=...>`` runs as script.  So Folium still builds the map
objects (map options, tile layer, route, district outlines, numbered markers, bounds)
and validates their coordinates and options, but we read those objects into a JSON
document instead of rendering Folium's templates.  The document goes into a
``<script type="application/json">`` block with ``<``, ``>``, ``&``, U+2028 and U+2029
escaped; map.js builds the Leaflet map from it and puts every piece of content into the
page through ``textContent``.  Content therefore never becomes HTML or JavaScript source,
and the page needs no inline script at all: only Leaflet and map.js from ``/assets``.

Rendered fragments are cached per app in the byte-bounded LRU keyed by what they depend on
(tour slug and version, language, tile settings); the CSP nonce is added per request.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import quote

import folium
import langcodes
from flask import current_app, g, request, url_for
from folium.map import FitBounds
from folium.utilities import camelize
from markupsafe import Markup

from tours.coords import LonLat
from tours.i18n import Fallback, LocalizedText
from tours.tour.domain import Stop, Tour
from tours.tour.store import StoredTour
from webapp.common.assets import asset_url
from webapp.common.bytecache import ByteLRU, byte_cache, text_size
from webapp.common.route_preview import INLINE_MAX_VERTICES, RoutePreview, route_preview
from webapp.common.tiles import TileConfig, tiles_from_config
from webapp.common.tourcache import tour_cache, with_route

MAP = "map"  # the kind of entry map fragments are in the byte cache
EXCERPT_CHARS = 160
TOUR_ZOOM = 15
POINT_ZOOM = 17
MAX_FIT_ZOOM = 18
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm", "Rohg", "Samr", "Mand"})

ROUTE_STYLE = {"color": "#8f2d0b", "weight": 5, "opacity": 0.9}
DISTRICT_STYLE = {
    "color": "#3d4a5c",
    "weight": 2,
    "dash_array": "6 6",
    "fill": True,
    "fill_opacity": 0.06,
}
MARKER_ICON = {
    "icon_size": (30, 30),
    "icon_anchor": (15, 15),
    "popup_anchor": (0, -14),
    "class_name": "bidean-marker",
}

TextPiece = dict[str, str]  # {"text", "lang", "dir"}: map.js writes it with textContent


# --- content -------------------------------------------------------------------------


@lru_cache(maxsize=512)
def text_direction(tag: str) -> str:
    """``rtl`` for languages written right to left (Arabic, Hebrew, ...), else ``ltr``."""
    try:
        script = langcodes.Language.get(tag).maximize().script
    except (ValueError, LookupError):
        return "ltr"
    return "rtl" if script in RTL_SCRIPTS else "ltr"


def piece(text: str, language: str) -> TextPiece:
    return {"text": text, "lang": language, "dir": text_direction(language)}


def resolved_piece(text: LocalizedText, lang: str, default: Fallback) -> TextPiece | None:
    """The text in ``lang`` (with the fallback chain), tagged with the language it is in."""
    resolved = text.resolve(lang, default)
    if resolved is None or not resolved.text.strip():
        return None
    return piece(resolved.text, resolved.language)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a story, cut at a word boundary, with an ellipsis when cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


@contextmanager
def interface_language(lang: str) -> Iterator[Callable[..., str]]:
    """A gettext for ``lang``: the app's translations when Flask-Babel is set up."""
    if "babel" not in current_app.extensions:
        yield lambda message, **values: message % values if values else message
        return
    import flask_babel
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(lang.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        yield flask_babel.gettext
        return
    with flask_babel.force_locale(lang.replace("-", "_")):
        yield flask_babel.gettext


# --- Folium objects ------------------------------------------------------------------


class SelfHostedMap(folium.Map):
    """A Folium map that references no CDN: its assets are set per map to ``/assets`` URLs."""

    # Folium's class lists name five CDNs; these stay empty, each map gets its own below.
    default_js: ClassVar[list[tuple[str, str]]] = []
    default_css: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, *args: Any, labels: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.labels = labels
        self.default_js = [
            ("leaflet", asset_url("leaflet", "leaflet.js")),
            ("bidean_map", asset_url("app", "js/map.js")),
        ]
        self.default_css = [
            ("leaflet_css", asset_url("leaflet", "leaflet.css")),
            ("bidean_map_css", asset_url("app", "css/map.css")),
        ]


class LabelledMarker(folium.Marker):
    """A marker whose DivIcon shows ``badge`` (a stop number) and whose popup is text only."""

    def __init__(
        self, location: LonLat, badge: str, title: str, popup: Sequence[TextPiece]
    ) -> None:
        super().__init__(
            location.to_folium(),
            icon=folium.DivIcon(**MARKER_ICON),
            title=title,
            keyboard=True,
            rise_on_hover=True,
        )
        self.badge = badge
        self.popup_parts = list(popup)


class RouteLine(folium.PolyLine):
    """The route as the page carries it (see ``route_preview``), and where the exact one is."""

    def __init__(self, preview: RoutePreview, exact_url: str | None) -> None:
        lines = [[LonLat(*p[:2]).to_folium() for p in line] for line in preview.lines]
        super().__init__(lines[0] if len(lines) == 1 else lines, **ROUTE_STYLE)
        self.source = (
            None
            if preview.exact or exact_url is None
            else {"url": exact_url, "toleranceM": round(preview.tolerance_m, 2)}
        )


class DistrictOutline(folium.Polygon):
    """One polygon of a district (outer ring, then holes) with its translated name."""

    def __init__(self, rings: Sequence[Sequence[Sequence[float]]], label: TextPiece | None) -> None:
        super().__init__(
            [[LonLat(*p[:2]).to_folium() for p in ring] for ring in rings], **DISTRICT_STYLE
        )
        self.label = label


def district_outlines(
    geometry: Mapping[str, Any], label: TextPiece | None
) -> list[DistrictOutline]:
    """A Polygon or MultiPolygon as outlines: Folium takes one polygon (with holes) at a time."""
    coordinates = geometry["coordinates"]
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    return [DistrictOutline(rings, label) for rings in polygons]


def _new_map(
    center: LonLat, zoom: int, tiles: TileConfig | None, labels: dict[str, str]
) -> SelfHostedMap:
    fmap = SelfHostedMap(
        location=center.to_folium(),
        zoom_start=zoom,
        tiles=None,
        control_scale=True,
        zoom_control=False,  # map.js adds one with translated button titles
        scroll_wheel_zoom=False,  # the page scrolls, not the map, under a mouse wheel
        labels=labels,
    )
    if tiles is not None:
        folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, max_zoom=19).add_to(fmap)
    return fmap


def _stop_popup(
    number: int, stop: Stop, lang: str, default: Fallback, _: Callable[..., str]
) -> list[dict[str, str]]:
    # Interface text carries no lang/dir: it inherits the page's, like the rest of the UI.
    parts: list[dict[str, str]] = [{"role": "number", "text": _("Stop %(number)d", number=number)}]
    for role, text in (("title", stop.name), ("community", stop.community)):
        found = resolved_piece(text, lang, default)
        if found:
            parts.append({"role": role, **found})
    story = resolved_piece(stop.story, lang, default)
    if story:
        parts.append({"role": "text", **story, "text": excerpt(story["text"])})
    # The stop's whole text is in the list under the map (``id="stop-<id>"`` in tour.html).
    anchor = "#" + quote(f"stop-{stop.id}", safe="")
    parts.append({"role": "more", "text": _("Read the whole stop"), "href": anchor})
    return parts


def build_tour_map(
    tour: Tour,
    lang: str,
    tiles: TileConfig | None,
    route_url: str | None = None,
    fallback: tuple[str, ...] = (),
) -> SelfHostedMap:
    """The tour's route, district outlines and numbered published stops, fitted to the route;
    texts in ``lang``, else the ``fallback`` languages, else the tour's default.

    A long route is drawn from a simplified copy until ``map.js`` needs the exact one,
    which it then fetches from ``route_url`` (the tour's versioned GeoJSON).
    """
    default = (*fallback, tour.default_language)
    itinerary = tour.itinerary()
    public = tour.public_stops  # a property that builds a tuple: once, not once per stop
    stops = [public[i] for i in itinerary.order]
    west, south, east, north = itinerary.bbox
    with interface_language(lang) as _:
        title = tour.title.get_text(lang, default)
        labels = _map_labels(_, _("Map of the tour %(title)s", title=title))
        fmap = _new_map(LonLat((west + east) / 2, (south + north) / 2), TOUR_ZOOM, tiles, labels)
        for district in tour.district_areas:
            label = resolved_piece(district.name, lang, default)
            for outline in district_outlines(district.geometry, label):
                outline.add_to(fmap)
        # Without a URL to fetch it from, the page carries the exact route, however long.
        inline_max = INLINE_MAX_VERTICES if route_url else sys.maxsize
        RouteLine(route_preview(tour.route, inline_max), route_url).add_to(fmap)
        for number, stop in enumerate(stops, start=1):
            name = stop.name.get_text(lang, default)
            popup = _stop_popup(number, stop, lang, default, _)
            LabelledMarker(stop.lonlat, str(number), f"{number}. {name}", popup).add_to(fmap)
    fit_to_box(fmap, (west, south, east, north))
    return fmap


def fit_to_box(fmap: folium.Map, bbox: tuple[float, float, float, float]) -> None:
    """Show ``bbox`` (west, south, east, north) whole, not closer than MAX_FIT_ZOOM."""
    west, south, east, north = bbox
    fmap.fit_bounds(
        [LonLat(west, south).to_folium(), LonLat(east, north).to_folium()],
        # Room for the zoom buttons (top left), the scale and attribution (bottom right)
        # and markers that map.js spreads apart when they would overlap.
        padding_top_left=(56, 40),
        padding_bottom_right=(40, 56),
        max_zoom=MAX_FIT_ZOOM,
    )


def build_point_map(
    lonlat: LonLat, label: str, lang: str, tiles: TileConfig | None
) -> SelfHostedMap:
    """One marker (a meeting point, say) with ``label`` as its title and popup."""
    with interface_language(lang) as _:
        labels = _map_labels(_, _("Map: %(place)s", place=label))
        fmap = _new_map(lonlat, POINT_ZOOM, tiles, labels)
    LabelledMarker(lonlat, "●", label, [{"role": "title", **piece(label, lang)}]).add_to(fmap)
    return fmap


def _map_labels(_: Callable[..., str], region: str) -> dict[str, str]:
    return {"region": region, "zoomIn": _("Zoom in"), "zoomOut": _("Zoom out")}


# --- from Folium objects to the data island --------------------------------------------


def _js_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Folium's option dicts as Leaflet reads them: camelCase keys, no empty values."""
    return {camelize(key): value for key, value in options.items() if value is not None}


def map_spec(fmap: SelfHostedMap) -> dict[str, Any]:
    """Everything map.js needs to draw ``fmap``, read from the Folium objects."""
    spec: dict[str, Any] = {
        "map": {
            "center": fmap.location,
            "crs": fmap.crs,
            "options": _js_options(fmap.options),
            "scale": bool(fmap.control_scale),
        },
        "labels": fmap.labels,
        "tiles": None,
        "layers": [],
        "fitBounds": None,
    }
    for child in fmap._children.values():
        if isinstance(child, folium.TileLayer):
            spec["tiles"] = {"url": child.tiles, "options": _js_options(child.options)}
        elif isinstance(child, DistrictOutline):
            spec["layers"].append(
                {
                    "kind": "polygon",
                    "latlngs": child.locations,
                    "options": _js_options(child.options),
                    "label": child.label,
                }
            )
        elif isinstance(child, RouteLine):
            layer = {
                "kind": "polyline",
                "latlngs": child.locations,
                "options": _js_options(child.options),
            }
            if child.source:
                layer["source"] = child.source
            spec["layers"].append(layer)
        elif isinstance(child, LabelledMarker):
            icon = {k: v for k, v in child.icon.options.items() if k != "html"}
            spec["layers"].append(
                {
                    "kind": "marker",
                    "latlng": child.location,
                    "options": _js_options(child.options),
                    "icon": {"options": _js_options(icon), "text": child.badge},
                    "popup": child.popup_parts,
                }
            )
        elif isinstance(child, FitBounds):
            spec["fitBounds"] = {"bounds": child.bounds, "options": _js_options(child.options)}
        else:
            raise TypeError(f"map.js cannot draw a Folium {type(child).__name__}")
    return spec


def json_for_script(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``</script>``, no ``<!--``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


@dataclass(frozen=True)
class MapFragment:
    """A rendered map without its script tags, which carry the per-request CSP nonce."""

    body: str  # the container and its data island
    scripts: tuple[tuple[str, str], ...]  # (name, URL): Leaflet first, then map.js
    styles: str = ""  # the stylesheet links

    def html(self, nonce: str | None, scripts: bool = True, styles: bool = True) -> Markup:
        """The fragment with its script tags, each carrying ``nonce`` when there is one.

        ``scripts=False`` leaves them out, for a map followed by another on the same page
        (which brings them: Leaflet run twice would cost a phone 100 ms for nothing);
        ``styles=False`` leaves out the stylesheets, for a page that has them in its head.
        The scripts are ``async``: they run as soon as they arrive, so a map is drawn
        while the rest of a long page is still being read, not after it.  ``map.js``
        waits for Leaflet (marked ``data-bidean-leaflet``) when it comes first.
        """
        fragment = (Markup(self.styles) if styles else Markup("")) + Markup(self.body)
        if not scripts:
            return fragment
        nonce_attr = Markup(' nonce="{}"').format(nonce) if nonce else Markup("")
        tags = Markup("").join(
            Markup('<script src="{}" async{}{}></script>').format(
                url, Markup(" data-bidean-leaflet") if name == "leaflet" else "", nonce_attr
            )
            for name, url in self.scripts
        )
        return fragment + tags


def render_fragment(fmap: SelfHostedMap, kind: str, lazy: bool = False) -> MapFragment:
    """The map's stylesheets, its container and its data island.

    A ``lazy`` map (``data-bidean-lazy``) is one a page can do without at first: map.js
    draws it once the others are drawn and it is scrolled into view."""
    spec_json = json_for_script(map_spec(fmap))
    # Named after what it shows, not at random as Folium would: the same map gets the same
    # id in every worker and after a restart, so the page's ETag stays the same too.
    map_id = (
        "map-" + hashlib.md5(f"{kind}\0{spec_json}".encode(), usedforsecurity=False).hexdigest()
    )
    data_id = f"{map_id}-data"
    links = Markup("").join(
        Markup('<link rel="stylesheet" href="{}">').format(url) for _, url in fmap.default_css
    )
    container = Markup(
        '<div class="bidean-map bidean-map--{}" id="{}" role="region" aria-label="{}" '
        'data-bidean-map="{}"{}></div>'
    ).format(
        kind,
        map_id,
        fmap.labels["region"],
        data_id,
        Markup(" data-bidean-lazy") if lazy else "",
    )
    island = Markup('<script type="application/json" id="{}">{}</script>').format(
        data_id, Markup(spec_json)
    )
    return MapFragment(str(container + island), tuple(fmap.default_js), str(links))


def render_tour_map(
    tour: Tour,
    lang: str,
    tiles: TileConfig | None,
    route_url: str | None = None,
    fallback: tuple[str, ...] = (),
) -> MapFragment:
    """Run Folium for a tour map (the expensive step that the cache avoids)."""
    return render_fragment(build_tour_map(tour, lang, tiles, route_url, fallback), "tour")


def render_point_map(
    lonlat: LonLat, label: str, lang: str, tiles: TileConfig | None, lazy: bool = False
) -> MapFragment:
    return render_fragment(build_point_map(lonlat, label, lang, tiles), "point", lazy)


# --- cache and public API ------------------------------------------------------------


class FragmentCache:
    """Rendered map fragments in the app's byte-bounded LRU (``webapp.common.bytecache``),
    each counted by the size of its text; ``enabled=False`` renders every time."""

    def __init__(self, cache: ByteLRU, enabled: bool = True) -> None:
        self.cache = cache
        self.enabled = enabled

    def __len__(self) -> int:
        return self.cache.count(MAP)

    def get_or_render(self, key: tuple, render: Callable[[], MapFragment]) -> MapFragment:
        full = (MAP, *key)
        fragment = self.cache.get(full)
        if fragment is not None:
            return fragment
        # Rendered outside the lock: two threads may both render a new key, which is harmless.
        fragment = render()
        if self.enabled:
            texts = (fragment.body, fragment.styles, *(url for _, url in fragment.scripts))
            # An empty string is CPython's one shared object: no fragment holds it.
            self.cache.put(full, fragment, text_size(text for text in texts if text))
        return fragment


def fragment_cache() -> FragmentCache:
    """This app's cache (per app, so two apps on different databases never share maps)."""
    cache = current_app.extensions.get("bidean.maps")
    if cache is None:
        enabled = current_app.config["MAP_CACHE"]
        cache = current_app.extensions.setdefault(
            "bidean.maps", FragmentCache(byte_cache(current_app), enabled)
        )
        # A tour's map (its popups quote the stories) goes with the version it shows.
        tour_cache(current_app).keyed_by_version_under((MAP, "tour"))
    return cache


def _nonce() -> str | None:
    return getattr(g, "csp_nonce", None)


def tour_map_html(
    stored: StoredTour, lang: str, fallback: tuple[str, ...] = (), styles: bool = True
) -> Markup:
    """The map of a stored tour for the tour page, in ``lang`` (else the ``fallback``
    languages); rendered once per version and languages.  ``styles=False`` for a page
    that links the map's stylesheets in its head."""
    tiles = tiles_from_config(current_app.config)
    key = ("tour", stored.slug, stored.version, lang, fallback, tiles, request.script_root)
    # The exact route, from the GeoJSON of this very version (cached for a year by URL).
    route_url = url_for("api.tour_geojson", slug=stored.slug, v=stored.version)
    fragment = fragment_cache().get_or_render(
        key,
        lambda: render_tour_map(with_route(stored).tour, lang, tiles, route_url, fallback),
    )
    return fragment.html(_nonce(), styles=styles)


def point_map_html(
    lonlat: LonLat,
    label: str,
    lang: str,
    scripts: bool = True,
    *,
    styles: bool = True,
    lazy: bool = False,
) -> Markup:
    """A small map of one place, e.g. a meeting point, labelled ``label`` (plain text).

    ``scripts=False`` when another map further down the page brings the scripts,
    ``styles=False`` when the page's head links the stylesheets, ``lazy`` for a map drawn
    only after the page's other maps, once it is scrolled into view."""
    tiles = tiles_from_config(current_app.config)
    key = ("point", tuple(lonlat), label, lang, tiles, lazy)
    fragment = fragment_cache().get_or_render(
        key, lambda: render_point_map(lonlat, label, lang, tiles, lazy)
    )
    return fragment.html(_nonce(), scripts, styles)
