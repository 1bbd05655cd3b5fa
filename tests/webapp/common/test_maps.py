"""The tour map fragment: what Folium built, how it reaches the page, and its cache.

Browser tests (tests/webapp/browser) prove the map works and hostile content stays
inert in Chromium; these check the generated HTML and data island directly.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import g

from tours.coords import LonLat
from tours.tour.domain import Tour
from tours.tour.store import StoredTour, save_tour
from webapp import create_app
from webapp.common import maps, tiles
from webapp.common.bytecache import ByteLRU, text_size

HOSTILE = (
    '<script>window.__xss=1</script> <img src=x onerror="window.__xss=1"> '
    "${window.__xss=1} `tick` </script> \"'><svg onload=window.__xss=1> "
    "\u2028line\u2029para <!-- &amp;"
)


def tour_document(slug: str = "map-walk", **overrides: Any) -> dict[str, Any]:
    """A small Bilbao tour: three published stops, a draft, a withdrawn one, a district."""
    route = [[-2.9262, 43.2556], [-2.9249, 43.2548], [-2.9236, 43.2541], [-2.9220, 43.2533]]

    def stop(ident: str, position: list[float], name: dict, status: str = "published", **extra):
        props = {"id": ident, "name": name, "story": {"es": f"Historia de {ident}."}}
        props.update(status=status, **extra)
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": position},
            "properties": props,
        }

    features = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": route},
            "properties": {
                "profile": "bidean-tour/1",
                "slug": slug,
                "title": {"es": "Paseo del mapa", "en": "Map walk"},
                "summary": {"es": "Un paseo corto."},
                "city": "Bilbao",
                "timezone": "Europe/Madrid",
                "districts": ["San Francisco", "Zabala"],
                "languages": ["es", "eu", "en"],
                "licence": "CC-BY-SA-4.0",
            },
        },
        stop("first", route[0], {"es": "Plaza Corazón de María", "eu": "Mariaren Bihotza plaza"}),
        stop("draft", route[1], {"es": "Borrador secreto"}, status="draft"),
        stop("middle", route[2], {"es": "Calle San Francisco"}, community={"es": "Senegal"}),
        stop("gone", route[2], {"es": "Retirada secreta"}, status="withdrawn"),
        stop("last", route[3], {"es": "Parque de Zabala"}),
        {
            "type": "Feature",
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [[[-2.927, 43.257], [-2.924, 43.257], [-2.924, 43.254], [-2.927, 43.257]]],
                    [[[-2.923, 43.254], [-2.921, 43.254], [-2.921, 43.252], [-2.923, 43.254]]],
                ],
            },
            "properties": {"name": {"es": "Zabala", "eu": "Zabala auzoa"}},
        },
    ]
    doc = {"type": "FeatureCollection", "features": features}
    for key, value in overrides.items():
        features[0]["properties"][key] = value
    return doc


def hostile_document() -> dict[str, Any]:
    doc = tour_document("hostile-walk", title={"es": "Título " + HOSTILE})
    for feature in doc["features"][1:]:
        props = feature["properties"]
        props["name"] = {"es": "Nombre " + HOSTILE}
        if feature["geometry"]["type"] == "Point":
            props["story"] = {"es": "Historia " + HOSTILE}
            props["community"] = {"es": "Comunidad " + HOSTILE}
    return doc


class FragmentParser(HTMLParser):
    """Every start tag with its attributes, and the text of each ``<script>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.script_text.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text[-1] += data


def parse(html: str) -> FragmentParser:
    parser = FragmentParser()
    parser.feed(str(html))
    parser.close()
    return parser


def spec_of(html: str) -> dict[str, Any]:
    """The data island of a fragment, decoded."""
    parsed = parse(html)
    (island,) = [
        text
        for (tag, attrs), text in zip(
            [t for t in parsed.tags if t[0] == "script"], parsed.script_text, strict=True
        )
        if attrs.get("type") == "application/json"
    ]
    return json.loads(island)


def markers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [layer for layer in spec["layers"] if layer["kind"] == "marker"]


def popup_texts(marker: dict[str, Any]) -> dict[str, str]:
    return {part["role"]: part["text"] for part in marker["popup"] if part["role"] != "number"}


@pytest.fixture
def store(db_transaction):
    """Save a tour document and return what was stored."""

    def _store(doc: dict[str, Any]) -> StoredTour:
        with db_transaction() as db_session:
            return save_tour(db_session, Tour.from_document(doc), "test.geojson")

    return _store


def render(app, stored: StoredTour, lang: str = "es", nonce: str | None = None) -> str:
    with app.test_request_context("/"):
        if nonce:
            g.csp_nonce = nonce
        return str(maps.tour_map_html(stored, lang))


def test_only_published_stops_become_numbered_markers_in_tour_order(app, store):
    html = render(app, store(tour_document()))
    spec = spec_of(html)
    names = [popup_texts(m)["title"] for m in markers(spec)]
    assert names == ["Plaza Corazón de María", "Calle San Francisco", "Parque de Zabala"]
    assert [m["icon"]["text"] for m in markers(spec)] == ["1", "2", "3"]
    assert "Borrador secreto" not in html and "Retirada secreta" not in html


def test_explicit_order_numbers_the_markers(app, store):
    doc = tour_document()
    orders = {"first": 3, "middle": 1, "last": 2}
    for feature in doc["features"]:
        if feature["properties"].get("id") in orders:
            feature["properties"]["order"] = orders[feature["properties"]["id"]]
    spec = spec_of(render(app, store(doc)))
    titles = [m["options"]["title"] for m in markers(spec)]
    assert titles == ["1. Calle San Francisco", "2. Parque de Zabala", "3. Plaza Corazón de María"]


def test_coordinates_reach_leaflet_as_lat_lon(app, store):
    spec = spec_of(render(app, store(tour_document())))
    assert markers(spec)[0]["latlng"] == [43.2556, -2.9262]
    (route,) = [layer for layer in spec["layers"] if layer["kind"] == "polyline"]
    assert route["latlngs"][0] == [43.2556, -2.9262]
    assert route["latlngs"][-1] == [43.2533, -2.9220]
    south_west, north_east = spec["fitBounds"]["bounds"]
    assert south_west == [43.2533, -2.9262] and north_east == [43.2556, -2.922]


def test_multi_line_route_keeps_every_line(app, store):
    doc = tour_document()
    first_half = doc["features"][0]["geometry"]["coordinates"][:2]
    second_half = doc["features"][0]["geometry"]["coordinates"][2:]
    doc["features"][0]["geometry"] = {
        "type": "MultiLineString",
        "coordinates": [first_half, second_half],
    }
    spec = spec_of(render(app, store(doc)))
    (route,) = [layer for layer in spec["layers"] if layer["kind"] == "polyline"]
    assert route["latlngs"] == [
        [[43.2556, -2.9262], [43.2548, -2.9249]],
        [[43.2541, -2.9236], [43.2533, -2.922]],
    ]


def test_texts_follow_the_language_with_fallback_and_say_which_language(app, store):
    stored = store(tour_document())
    first, second = markers(spec_of(render(app, stored, "eu")))[:2]
    first_title = next(p for p in first["popup"] if p["role"] == "title")
    second_title = next(p for p in second["popup"] if p["role"] == "title")
    assert first_title == {
        "role": "title",
        "text": "Mariaren Bihotza plaza",
        "lang": "eu",
        "dir": "ltr",
    }
    # Not translated into Basque: the tour's default language, tagged as such.
    assert second_title["text"] == "Calle San Francisco" and second_title["lang"] == "es"
    assert popup_texts(second)["community"] == "Senegal"


def test_arabic_fallback_text_is_marked_left_to_right(app, store):
    doc = tour_document()
    doc["features"][1]["properties"]["name"]["ar"] = "ساحة قلب مريم"
    first, second = markers(spec_of(render(app, store(doc), "ar")))[:2]
    assert next(p for p in first["popup"] if p["role"] == "title")["dir"] == "rtl"
    assert next(p for p in second["popup"] if p["role"] == "title")["dir"] == "ltr"


def test_district_outlines_one_per_polygon_with_resolved_name(app, store):
    spec = spec_of(render(app, store(tour_document()), "eu"))
    outlines = [layer for layer in spec["layers"] if layer["kind"] == "polygon"]
    assert len(outlines) == 2
    assert {o["label"]["text"] for o in outlines} == {"Zabala auzoa"}
    assert outlines[0]["latlngs"][0][0] == [43.257, -2.927]


def test_long_story_is_cut_to_an_excerpt(app, store):
    doc = tour_document()
    doc["features"][1]["properties"]["story"] = {"es": "palabra " * 100}
    text = popup_texts(markers(spec_of(render(app, store(doc))))[0])["text"]
    assert text.endswith("…") and len(text) <= maps.EXCERPT_CHARS + 1
    assert text.removesuffix("…").split() == ["palabra"] * len(text.split())


def test_excerpt_keeps_short_text_and_cuts_at_a_word():
    assert maps.excerpt("  Una   historia\ncorta. ") == "Una historia corta."
    cut = maps.excerpt("uno dos tres cuatro cinco seis", limit=16)
    assert cut == "uno dos tres…"


def test_fragment_loads_only_self_hosted_leaflet_and_no_jquery(app, store):
    html = render(app, store(tour_document()))
    parsed = parse(html)
    urls = [a.get("src") or a.get("href") for tag, a in parsed.tags if tag in ("script", "link")]
    urls = [u for u in urls if u]
    assert urls and all(u.startswith("/assets/") for u in urls), urls
    assert any(u.endswith("/leaflet.js") for u in urls)
    lowered = html.lower()
    for unwanted in (
        "jquery",
        "bootstrap",
        "font-awesome",
        "fontawesome",
        "awesome-markers",
        "cdn",
        "http://",
        "//cdn",
    ):
        assert unwanted not in lowered.replace("https://tile.openstreetmap.org", ""), unwanted


def test_no_inline_script_runs_only_data_and_external_files(app, store):
    parsed = parse(render(app, store(tour_document())))
    scripts = [
        (attrs, text)
        for (tag, attrs), text in zip(
            [t for t in parsed.tags if t[0] == "script"], parsed.script_text, strict=True
        )
    ]
    executable = [attrs for attrs, _ in scripts if attrs.get("type") != "application/json"]
    assert all(attrs.get("src") and text == "" for attrs, text in scripts if attrs in executable)
    assert len(executable) == 2


def test_hostile_content_is_inert_in_every_context(app, store):
    html = render(app, store(hostile_document()))
    parsed = parse(html)
    # Only our own elements: nothing in the content became a tag or an attribute.
    assert {tag for tag, _ in parsed.tags} == {"link", "div", "script"}
    allowed = {
        "rel",
        "href",
        "class",
        "id",
        "role",
        "aria-label",
        "data-bidean-map",
        "type",
        "src",
        "async",
        "data-bidean-leaflet",
    }
    assert {name for _, attrs in parsed.tags for name in attrs} <= allowed
    island = next(text for text in parsed.script_text if text)
    for dangerous in ("<", ">", "\u2028", "\u2029"):
        assert dangerous not in island
    # ... and yet the text survives exactly, to be shown literally by textContent.
    spec = json.loads(island)
    first = markers(spec)[0]
    assert popup_texts(first)["title"] == "Nombre " + HOSTILE
    assert popup_texts(first)["community"] == "Comunidad " + HOSTILE
    assert first["options"]["title"] == "1. Nombre " + HOSTILE
    assert spec["labels"]["region"].endswith("Título " + HOSTILE)
    polygon = next(layer for layer in spec["layers"] if layer["kind"] == "polygon")
    assert polygon["label"]["text"] == "Nombre " + HOSTILE
    (div,) = [attrs for tag, attrs in parsed.tags if tag == "div"]
    assert div["aria-label"].endswith("Título " + HOSTILE)


def test_json_for_script_escapes_what_could_end_the_script():
    text = maps.json_for_script({"a": "</script><!--\u2028&"})
    assert text == '{"a":"\\u003c/script\\u003e\\u003c!--\\u2028\\u0026"}'
    assert json.loads(text) == {"a": "</script><!--\u2028&"}


def test_nonce_is_added_per_request_not_cached(app, store):
    stored = store(tour_document())
    first = render(app, stored, nonce="first-nonce")
    second = render(app, stored, nonce="second-nonce")
    for html, nonce in ((first, "first-nonce"), (second, "second-nonce")):
        srcs = [a for tag, a in parse(html).tags if tag == "script" and a.get("src")]
        assert [a.get("nonce") for a in srcs] == [nonce, nonce]
    assert "first-nonce" not in second
    assert 'nonce="' not in render(app, stored)


def test_tile_layer_comes_from_config(app, store):
    stored = store(tour_document())
    spec = spec_of(render(app, stored))
    assert spec["tiles"]["url"] == app.config["TILES_URL"]
    assert "OpenStreetMap" in spec["tiles"]["options"]["attribution"]
    app.config["TILES_URL"] = "none"
    assert spec_of(render(app, stored))["tiles"] is None


def test_tile_attribution_keeps_only_text_and_http_links():
    cleaned = tiles.clean_attribution(
        '&copy; <a href="https://osm.org/c" onclick="x()">OSM</a> <img src=x onerror=alert(1)>'
        '<a href="javascript:alert(1)">bad</a> <b>bold</b> <script>alert(1)</script>'
    )
    assert cleaned == (
        '© <a href="https://osm.org/c" rel="noopener noreferrer">OSM</a> bad bold alert(1)'
    )


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "tiles.example/{z}/{x}/{y}.png", "https://tiles.example/{z}/{x}.png"],
)
def test_a_bad_tile_url_stops_the_app_with_a_clear_message(tmp_path, url):
    with pytest.raises(ValueError, match="BIDEAN_TILES_URL") as excinfo:
        create_app({"TESTING": True, "TILES_URL": url, "INSTANCE_PATH": str(tmp_path)})
    assert "'none'" in str(excinfo.value) and "{z}" in str(excinfo.value)


def test_second_request_reuses_the_rendered_map(app, store, monkeypatch):
    calls: list[tuple[str, int, str]] = []
    real = maps.render_tour_map

    def counting(
        tour: Tour,
        lang: str,
        tiles: maps.TileConfig | None,
        route_url: str | None = None,
        fallback: tuple[str, ...] = (),
    ) -> maps.MapFragment:
        calls.append((tour.slug, len(tour.stops), lang))
        return real(tour, lang, tiles, route_url, fallback)

    monkeypatch.setattr(maps, "render_tour_map", counting)
    stored = store(tour_document())
    first = render(app, stored)
    assert render(app, stored) == first
    assert len(calls) == 1
    render(app, stored, "eu")
    assert len(calls) == 2, "another language is another map"
    app.config["TILES_URL"] = "none"
    render(app, stored)
    assert len(calls) == 3, "other tile settings make another map"


def test_a_new_version_is_rendered_afresh(app, store, monkeypatch):
    calls: list[int] = []
    real = maps.render_tour_map
    monkeypatch.setattr(
        maps,
        "render_tour_map",
        lambda tour, lang, tiles, url=None, fallback=(): (
            calls.append(1) or real(tour, lang, tiles, url, fallback)
        ),
    )
    render(app, store(tour_document()))
    doc = tour_document()
    doc["features"][1]["properties"]["name"] = {"es": "Nombre nuevo"}
    newer = store(doc)
    assert newer.version == 2
    html = render(app, newer)
    assert len(calls) == 2
    assert popup_texts(markers(spec_of(html))[0])["title"] == "Nombre nuevo"


def test_cache_is_bounded_in_bytes_and_drops_the_least_recent():
    fragment_bytes = text_size(("a" * 1000,))
    cache = maps.FragmentCache(ByteLRU(fragment_bytes * 4))  # room for four fragments
    made: list[str] = []

    def maker(name: str):
        return lambda: made.append(name) or maps.MapFragment(name * 1000, ())

    for key in ("a", "b", "c", "d", "a", "e", "b"):
        cache.get_or_render((key,), maker(key))
    assert made == ["a", "b", "c", "d", "e", "b"]
    assert len(cache) == 4
    assert cache.cache.bytes == fragment_bytes * 4


def test_cache_turned_off_renders_every_time():
    cache = maps.FragmentCache(ByteLRU(10**6), enabled=False)
    made: list[int] = []
    for _ in range(3):
        cache.get_or_render(("a",), lambda: made.append(1) or maps.MapFragment("a", ()))
    assert len(made) == 3 and len(cache) == 0


def test_point_map_shows_one_labelled_marker(app):
    with app.test_request_context("/"):
        html = str(maps.point_map_html(LonLat(-2.9249, 43.2548), 'Café "Lamiak" <b>', "es"))
    spec = spec_of(html)
    (marker,) = markers(spec)
    assert marker["latlng"] == [43.2548, -2.9249]
    assert popup_texts(marker)["title"] == 'Café "Lamiak" <b>'
    assert spec["map"]["options"]["zoom"] == maps.POINT_ZOOM
    assert "<b>" not in html


@pytest.mark.parametrize(
    ("tag", "direction"),
    [
        ("ar", "rtl"),
        ("he", "rtl"),
        ("fa", "rtl"),
        ("es", "ltr"),
        ("eu", "ltr"),
        ("not a tag", "ltr"),
    ],
)
def test_text_direction(tag, direction):
    assert maps.text_direction(tag) == direction


def test_each_popup_links_to_its_stop_in_the_list(app, store):
    doc = tour_document()
    doc["features"][1]["properties"]["id"] = 'a b"<x>'
    spec = spec_of(render(app, store(doc), "en"))
    links = [next(p for p in m["popup"] if p["role"] == "more") for m in markers(spec)]
    assert all(link["text"] == "Read the whole stop" for link in links)
    hrefs = [link["href"] for link in links]
    assert all(href.startswith("#stop-") for href in hrefs) and len(set(hrefs)) == len(hrefs)
    # An id with spaces or markup becomes a percent-encoded fragment, never markup.
    assert hrefs[0] == "#stop-a%20b%22%3Cx%3E"
    assert hrefs[1:] == ["#stop-middle", "#stop-last"]


# --- long routes and many stops -------------------------------------------------------


def long_tour_document(vertices: int, stops: int, slug: str = "long-walk") -> dict[str, Any]:
    """A zig-zag route of ``vertices`` vertices ~10 m apart, with ``stops`` stops on it."""
    route = [
        [round(-2.95 + i * 0.0001, 7), round(43.25 + (0.0003 if i % 40 < 20 else 0), 7)]
        for i in range(vertices)
    ]
    doc = tour_document(slug)
    line = doc["features"][0]
    line["geometry"]["coordinates"] = route
    every = max(1, vertices // stops)
    places = [route[i * every] for i in range(stops)]
    doc["features"] = [
        line,
        *(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": place},
                "properties": {"id": f"s{n}", "name": {"es": f"Parada {n}"}},
            }
            for n, place in enumerate(places)
        ),
    ]
    return doc


def test_a_3000_stop_map_lists_the_public_stops_once_not_once_per_stop(app, store, monkeypatch):
    stored = store(long_tour_document(6_000, 3_000))
    evaluations = []
    real = Tour.public_stops

    def counted(tour: Tour):
        evaluations.append(1)
        return real.fget(tour)

    monkeypatch.setattr(Tour, "public_stops", property(counted))
    with app.test_request_context("/"):
        fmap = maps.build_tour_map(stored.tour, "es", None)
    spec = maps.map_spec(fmap)
    assert len(markers(spec)) == 3_000
    # One for the itinerary, one for the markers: the same for 3 stops as for 3,000.
    assert len(evaluations) <= 2, f"public_stops computed {len(evaluations)} times"


def test_a_short_route_goes_into_the_page_exactly(app, store):
    spec = spec_of(render(app, store(tour_document())))
    (route,) = [layer for layer in spec["layers"] if layer["kind"] == "polyline"]
    assert "source" not in route, "nothing to fetch: the page has the exact route"


def test_a_long_route_is_simplified_in_the_page_and_points_to_its_versioned_geojson(app, store):
    stored = store(long_tour_document(20_000, 10))
    html = render(app, stored)
    spec = spec_of(html)
    (route,) = [layer for layer in spec["layers"] if layer["kind"] == "polyline"]
    kept = route["latlngs"]
    assert 2 <= len(kept) <= 2_000
    exact = {(lat, lon) for lon, lat in stored.tour.route[0]}
    assert all((lat, lon) in exact for lat, lon in kept), "kept vertices are stored vertices"
    first, last = stored.tour.route[0][0], stored.tour.route[0][-1]
    assert kept[0] == [first[1], first[0]] and kept[-1] == [last[1], last[0]]
    assert route["source"]["url"] == f"/api/tours/long-walk.geojson?v={stored.version}"
    assert route["source"]["toleranceM"] > 0
    assert len(html) < 120_000, "the 20,000-vertex route stays out of the page"
