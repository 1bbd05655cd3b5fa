"""The public site: catalogue, tour pages, languages, hooks and headers, through Flask's
test client against a real database with tours stored by the real importer.

Shared helpers live in ``tests/webapp/pages_support.py``.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.numbers import format_decimal
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import escape

import webapp
from tests.webapp.pages_support import (
    INTERFACE,
    SECRETS,
    Element,
    Page,
    sample_titles,
    store_document,
    walk_document,
)
from tours.booking.departures import DepartureRequest, schedule
from tours.tour.store import StoredTour
from webapp.commands.samples import load_sample_routes
from webapp.common.database import get_db
from webapp.common.departure_views import departure_list_date
from webapp.common.i18n import COOKIE_NAME, format_number, language_name
from webapp.public.views import safe_link

# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def samples(app: Flask) -> list[StoredTour]:
    return load_sample_routes(app)


@pytest.fixture
def hidden_walk(app: Flask) -> StoredTour:
    return store_document(app, walk_document())


# --- catalogue ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", INTERFACE)
def test_catalogue_lists_the_sample_tours_with_titles_in_the_language(
    client, samples, sample_routes, lang
):
    titles = sample_titles(sample_routes)
    assert len(titles) == 3
    page = Page(client.get(f"/?lang={lang}").get_data(as_text=True))
    cards = page.root.find_all("article", "tour-card")
    shown = {card.find("a").attrs["href"]: card.find("h4").text for card in cards}
    assert shown == {
        f"/tours/{slug}": title.resolve(lang, default).text
        for slug, (title, default) in titles.items()
    }


def test_catalogue_groups_by_city_then_district_and_lists_each_tour_once(client, samples):
    page = Page(client.get("/?lang=en").get_data(as_text=True))
    cities = page.root.find_all("section", "city")
    assert [city.find("h2").text for city in cities] == ["Bilbao"]
    districts = cities[0].find_all("section", "district")
    # Each tour sits under the first district it names, and districts are alphabetical;
    # each district invites its residents to share a place or a story.
    assert [(d.find("h3").text, [a.attrs["href"] for a in d.find_all("a")]) for d in districts] == [
        (
            "Bilbao La Vieja",
            ["/share?district=Bilbao+La+Vieja", "/tours/bilbao-la-vieja-crossings"],
        ),
        ("San Francisco", ["/share?district=San+Francisco", "/tours/san-francisco-voices"]),
        ("Zabala", ["/share?district=Zabala", "/tours/zabala-kitchens-and-workshops"]),
    ]


def test_catalogue_card_facts_are_formatted_for_the_locale(app, client, samples):
    from webapp.common.tourcache import tour_cache

    with get_db(app).transaction() as db_session:
        summary = tour_cache(app).get(db_session, "san-francisco-voices").summary
    for lang, separator in (("es", ","), ("en", ".")):
        page = Page(client.get(f"/?lang={lang}").get_data(as_text=True))
        card = next(
            c
            for c in page.root.find_all("article", "tour-card")
            if "san-francisco" in str(c.find("a").attrs)
        )
        facts = [dd.text for dd in card.find_all("dd")]
        km = format_decimal(summary.distance_m / 1000, "#,##0.0", locale=lang)
        assert separator in km
        assert f"{km} km" in facts
        assert str(summary.stop_count) in facts
        assert summary.stop_count == 8


@pytest.mark.parametrize("lang", INTERFACE)
def test_cached_number_formats_and_language_names_are_babel_s(app, lang):
    """The i18n helpers keep parsed locales and patterns: the text must be what Babel says."""
    with app.test_request_context(f"/?lang={lang}"):
        for number in (0, 7, 999, 1234, 12345.678, 2.25, 0.05, -3.5, 1_000_000):
            assert format_number(number) == format_decimal(number, locale=lang)
            assert format_number(number, "#,##0.0") == format_decimal(number, "#,##0.0", lang)
        for tag in ("es", "eu", "ar-MA", "pt-BR"):
            assert language_name(tag) == Locale.parse(tag.replace("-", "_")).get_display_name(lang)
        assert language_name("xx-nowhere") == "xx-nowhere"


def test_empty_catalogue_says_so(client):
    page = Page(client.get("/?lang=en").get_data(as_text=True))
    assert page.root.find("p", "empty").text == "There are no tours yet. Come back soon."
    assert page.root.find_all("article", "tour-card") == []


# --- tour page ---------------------------------------------------------------------------


def stop_items(html: str) -> list[Element]:
    return Page(html).root.find("ol", "stops").find_all("li", "stop")


def test_tour_page_shows_published_stops_in_tour_order_with_stories_and_legs(client, hidden_walk):
    html = client.get("/tours/hidden-walk?lang=en").get_data(as_text=True)
    items = stop_items(html)
    assert [li.attrs["id"] for li in items] == ["stop-first", "stop-second", "stop-third"]
    assert [li.find("span", "stop-number").text for li in items] == ["1", "2", "3"]
    first = items[0]
    assert first.find("h3").text == "1 First square"
    assert [p.text for p in first.find("div", "story").find_all("p")] == [
        "First story.",
        "Second paragraph.",
    ]
    details = {
        dt.text: dd.text for dt, dd in zip(first.find_all("dt"), first.find_all("dd"), strict=True)
    }
    assert details["Credits"] == "Told by Awa"
    assert details["Accessibility"] == "Step-free."
    assert details["Story available in"] == "Spanish, Basque, English"
    link = first.find("ul", "media").find("a")
    assert link.attrs["href"] == "https://example.org/photo.jpg"
    # Legs: one between each pair, none after the last stop.
    legs = [li.find_all("p", "leg") for li in items]
    assert [len(found) for found in legs] == [1, 1, 0]
    # the walking time now goes through ngettext (issue 11): "about 1 minute", "2 minutes"
    assert re.fullmatch(r"Walk \d+ m, about \d+ minutes?, to stop 2", legs[0][0].text)
    assert legs[1][0].text.endswith("to stop 3")


def test_tour_page_marks_fallback_text_and_its_language(client, hidden_walk):
    html = client.get("/tours/hidden-walk?lang=eu").get_data(as_text=True)
    first, second, _third = stop_items(html)
    # Translated: Basque text, no mark, no lang override.
    assert first.find_all("p", "fallback-note") == []
    assert "lang" not in first.find("div", "story").attrs
    assert first.find("div", "story").text.startswith("Lehen istorioa.")
    # Not translated into Basque: Spanish (the default) shown and tagged; the page says
    # so once, at the top, not beside the stop.
    assert second.find_all("p", "fallback-note") == []
    (note,) = Page(html).root.find_all("p", "fallback-note")
    assert note.text == (
        "Testu batzuk jatorrizko hizkuntzan daude (gaztelania): oraindik ez daude itzulita"
        " hizkuntza honetara: euskara"
    )
    story = second.find("div", "story")
    assert story.attrs["lang"] == "es"
    assert story.text == "Historia solo en castellano y en inglés."
    assert any(span.attrs.get("lang") == "es" for span in second.find("h3").find_all("span"))


def test_tour_page_in_spanish_has_no_fallback_marks(client, hidden_walk):
    html = client.get("/tours/hidden-walk?lang=es").get_data(as_text=True)
    assert 'class="fallback-note"' not in html


def test_tour_page_has_map_above_the_stops_and_booking_hook_after_intro(app, client, hidden_walk):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "departures/_tour_departures.html": (
                        '<p id="hook">{{ tour.slug }}|{{ stored.version }}|{{ lang }}</p>'
                    ),
                    "departures/_catalogue_dates.html": '<p class="dates-hook">{{ tour.slug }}</p>',
                }
            ),
            app.jinja_env.loader,
        ]
    )
    html = client.get("/tours/hidden-walk?lang=fr").get_data(as_text=True)
    assert '<p id="hook">hidden-walk|1|fr</p>' in html
    map_at = html.index("data-bidean-map")
    assert map_at < html.index('class="tour-intro"') < html.index('id="hook"')
    assert html.index('id="hook"') < html.index('id="stops-heading"')
    catalogue = client.get("/").get_data(as_text=True)
    assert '<p class="dates-hook">hidden-walk</p>' in catalogue


def test_tour_page_asks_for_leaflet_first_and_one_stylesheet(client, hidden_walk):
    html = client.get("/tours/hidden-walk?lang=en").get_data(as_text=True)
    head = html[: html.index("</head>")]
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert len(stylesheets) == 1 and stylesheets[0].startswith("/assets/bundle/")
    assert stylesheets[0] in head
    preload = re.search(r'<link rel="preload" href="(/assets/leaflet/[^"]+/leaflet\.js)"', head)
    assert preload and head.index(preload.group(0)) < head.index('rel="stylesheet"')
    # The same URL as the script tag, so the preloaded file is the one run.
    assert f'<script src="{preload.group(1)}" async' in html
    # Two maps, but only the tour map is drawn at once: the meeting point's waits.
    containers = re.findall(
        r'<div class="bidean-map bidean-map--(\w+)"[^>]*?( data-bidean-lazy)?>', html
    )
    assert containers == [("point", " data-bidean-lazy"), ("tour", "")]


def test_a_new_version_replaces_the_cached_one(app, client, hidden_walk):
    assert "Hidden walk" in client.get("/tours/hidden-walk?lang=en").get_data(as_text=True)
    document = walk_document()
    document["features"][0]["properties"]["title"]["en"] = "Renamed walk"
    assert store_document(app, document).version == 2
    html = client.get("/tours/hidden-walk?lang=en").get_data(as_text=True)
    assert "Renamed walk" in html and "Hidden walk" not in html
    assert "Renamed walk" in client.get("/?lang=en").get_data(as_text=True)
    assert client.get("/api/tours/hidden-walk").get_json()["version"] == 2


def test_draft_and_withdrawn_stops_never_appear_on_pages(client, hidden_walk):
    for lang in INTERFACE:
        for url in ("/", "/tours/hidden-walk"):
            html = client.get(f"{url}?lang={lang}").get_data(as_text=True)
            for secret in SECRETS:
                assert secret not in html, (url, lang, secret)
    page = Page(client.get("/?lang=en").get_data(as_text=True))
    stops_fact = [
        dd.text
        for dt, dd in zip(page.root.find_all("dt"), page.root.find_all("dd"), strict=True)
        if dt.text == "Stops"
    ]
    assert stops_fact == ["3"]


def test_unknown_tour_is_a_friendly_404_in_the_visitor_language(client):
    response = client.get("/tours/no-such-walk?lang=fr")
    assert response.status_code == 404
    page = Page(response.get_data(as_text=True))
    assert page.html_element().attrs["lang"] == "fr"
    assert page.root.find("h1").text == "Page introuvable"
    assert "no-such-walk" in page.root.find("p", "error-message").text


def test_content_is_escaped(app, client):
    document = walk_document("escaped-walk")
    hostile = '<script>alert("x")</script> & <b onmouseover=1>'
    document["features"][2]["properties"]["story"]["en"] = hostile
    document["features"][0]["properties"]["title"]["en"] = "Title " + hostile
    store_document(app, document)
    for url in ("/tours/escaped-walk?lang=en", "/?lang=en"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "<b onmouseover" not in html
        assert str(escape(hostile)) in html


def test_only_http_links_become_links():
    assert safe_link("https://example.org/a.jpg") == "https://example.org/a.jpg"
    assert safe_link("http://example.org/a.mp3") == "http://example.org/a.mp3"
    assert safe_link("javascript:alert(1)") is None
    assert safe_link("JAVASCRIPT:alert(1)") is None
    assert safe_link("data:text/html,<script>") is None
    assert safe_link("//example.org/x") is None


# --- languages -------------------------------------------------------------------------


def html_attrs(client, url: str, **kwargs: Any) -> dict[str, str | None]:
    return Page(client.get(url, **kwargs).get_data(as_text=True)).html_element().attrs


def test_arabic_pages_are_right_to_left(client, hidden_walk):
    for url in ("/?lang=ar", "/tours/hidden-walk?lang=ar", "/tours/missing?lang=ar"):
        assert html_attrs(client, url) == {"lang": "ar", "dir": "rtl"}
    assert html_attrs(client, "/?lang=eu") == {"lang": "eu", "dir": "ltr"}


def test_arabic_page_tags_ltr_fallback_content_with_its_direction(client, hidden_walk):
    items = stop_items(client.get("/tours/hidden-walk?lang=ar").get_data(as_text=True))
    story = items[0].find("div", "story")
    assert story.attrs["lang"] == "es"
    assert story.attrs["dir"] == "ltr"


def test_language_choice_is_remembered_in_a_cookie(client):
    response = client.get("/?lang=eu")
    assert COOKIE_NAME in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert html_attrs(client, "/")["lang"] == "eu"
    # The cookie beats Accept-Language; a new ?lang= replaces it.
    assert html_attrs(client, "/", headers={"Accept-Language": "fr"})["lang"] == "eu"
    client.get("/?lang=en")
    assert html_attrs(client, "/")["lang"] == "en"


def test_accept_language_picks_the_best_interface_language(client):
    assert html_attrs(client, "/", headers={"Accept-Language": "fr-CA,fr;q=0.9"})["lang"] == "fr"
    assert html_attrs(client, "/", headers={"Accept-Language": "tr, eu;q=0.5"})["lang"] == "eu"
    assert html_attrs(client, "/", headers={"Accept-Language": "de, eu;q=0.5"})["lang"] == "de"
    assert html_attrs(client, "/", headers={"Accept-Language": "ar-MA"})["lang"] == "ar"


def test_unknown_language_falls_back_to_the_default(client):
    response = client.get("/?lang=xx")
    assert Page(response.get_data(as_text=True)).html_element().attrs["lang"] == "es"
    assert "Set-Cookie" not in response.headers
    hostile = client.get('/?lang="><script>x</script>').get_data(as_text=True)
    assert "<script>x" not in hostile
    # A browser asking only for languages the interface lacks gets English (the chain:
    # exact, base, English, Spanish).
    assert html_attrs(client, "/", headers={"Accept-Language": "tr, ja"})["lang"] == "en"


def test_default_language_follows_config(tmp_path, database_url):
    app = webapp.create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "i"),
            "DEFAULT_LOCALE": "eu",
        }
    )
    try:
        assert html_attrs(app.test_client(), "/")["lang"] == "eu"
    finally:
        get_db(app).engine.dispose()


def test_every_page_has_a_working_language_switcher(client, hidden_walk):
    for url in ("/", "/tours/hidden-walk", "/tours/missing"):
        page = Page(client.get(url + "?lang=fr").get_data(as_text=True))
        nav = page.root.find("nav", "language-switcher")
        assert nav.attrs["aria-label"] == "Langue"
        links = nav.find_all("a")
        assert [a.attrs["hreflang"] for a in links] == list(INTERFACE)
        assert [a.attrs["href"] for a in links] == [f"{url}?lang={code}" for code in INTERFACE]
        assert [a.attrs.get("aria-current") for a in links] == [
            "true" if code == "fr" else None for code in INTERFACE
        ]
        # Following a link really switches the page.
        assert html_attrs(client, links[4].attrs["href"])["lang"] == "ar"


def test_switcher_keeps_the_rest_of_the_query(client):
    page = Page(client.get("/?session=5&lang=fr&x=%C3%B1").get_data(as_text=True))
    hrefs = [a.attrs["href"] for a in page.root.find("nav", "language-switcher").find_all("a")]
    assert hrefs[1] == "/?session=5&x=%C3%B1&lang=eu"


def test_switcher_links_stay_on_this_site(client):
    page = Page(client.get("//evil.example/path").get_data(as_text=True))
    hrefs = [a.attrs["href"] for a in page.root.find("nav", "language-switcher").find_all("a")]
    assert all(href.startswith("/") and not href.startswith("//") for href in hrefs)


def test_pages_are_accessible_landmarks(client, hidden_walk):
    page = Page(client.get("/tours/hidden-walk").get_data(as_text=True))
    skip = page.root.find("a", "skip-link")
    assert skip.attrs["href"] == "#main"
    assert page.root.find("main").attrs["id"] == "main"
    assert page.root.find_all("header") and page.root.find_all("nav")
    assert page.root.find("ol", "stops").find_all("article")
    assert len(page.root.find_all("h1")) == 1


# --- health and headers ------------------------------------------------------------------


def test_healthz_answers_without_the_database(tmp_path):
    # Nothing listens on port 9: any database access would fail.
    app = webapp.create_app(
        {
            "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none",
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "i"),
        }
    )
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    page = client.get("/")  # a page that needs the database: unavailable, try again later
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()


def test_pages_carry_a_csp_with_a_fresh_nonce_that_map_scripts_use(client, hidden_walk):
    first = client.get("/tours/hidden-walk")
    second = client.get("/tours/hidden-walk")
    policies = [r.headers["Content-Security-Policy"] for r in (first, second)]
    nonces = [re.search(r"'nonce-([^']+)'", p).group(1) for p in policies]
    assert nonces[0] != nonces[1]
    assert "unsafe-inline" not in policies[0]
    assert "img-src 'self' data: https://tile.openstreetmap.org" in policies[0]
    scripts = Page(first.get_data(as_text=True)).root.find_all("script")
    executable = [s for s in scripts if s.attrs.get("type") != "application/json"]
    assert executable, "the map loads its scripts"
    assert all(s.attrs.get("nonce") == nonces[0] for s in executable)
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Accept-Language" in first.headers["Vary"]


def test_geojson_and_sample_pages_agree(client, samples):
    """The tour page lists exactly the stops the GeoJSON export has, in tour order."""
    for stored in samples:
        html = client.get(f"/tours/{stored.slug}?lang=en").get_data(as_text=True)
        ids = [li.attrs["id"].removeprefix("stop-") for li in stop_items(html)]
        exported = json.loads(client.get(f"/api/tours/{stored.slug}.geojson").data)
        points = [
            f["properties"]["id"] for f in exported["features"] if f["geometry"]["type"] == "Point"
        ]
        assert sorted(ids) == sorted(points)
        assert ids == [stop.id for stop in stored.tour.ordered_public_stops()]


# --- catalogue: covers and next walks ------------------------------------------------------


def test_catalogue_cards_show_a_cover_from_the_tours_images(client, samples):
    page = Page(client.get("/?lang=fr").get_data(as_text=True))
    covers = {}
    for card in page.root.find_all("article", "tour-card"):
        slug = card.find("a").attrs["href"].rsplit("/", 1)[1]
        covers[slug] = card.find_all("img", "card-cover")
    assert sorted(slug for slug, imgs in covers.items() if imgs) == [
        "bilbao-la-vieja-crossings",
        "san-francisco-voices",
    ]
    (img,) = covers["san-francisco-voices"]
    assert img.attrs["alt"].startswith("Dessin simple d’une place")
    assert img.attrs["loading"] == "lazy" and img.attrs["src"].startswith("/media/")
    assert (img.attrs["width"], img.attrs["height"]) == ("1600", "1000")
    assert len(img.attrs["srcset"].split(", ")) == 3 and img.attrs["sizes"]


def test_next_walks_show_their_language_and_a_year_only_outside_this_one(app, client, samples):
    now = datetime.now(ZoneInfo("Europe/Madrid"))
    soon = (now + timedelta(days=1)).replace(hour=11, minute=0, tzinfo=None)
    later = soon.replace(year=now.year + 1, month=3, day=6)
    with get_db(app).transaction() as db_session:
        schedule(db_session, DepartureRequest("zabala-kitchens-and-workshops", soon, "eu", 10))
        schedule(db_session, DepartureRequest("zabala-kitchens-and-workshops", later, "fr", 10))
    page = Page(client.get("/?lang=en").get_data(as_text=True))
    (dates,) = page.root.find_all("p", "next-dates")
    links = [a.text for a in dates.find_all("a")]
    assert len(links) == 2
    assert "Basque" in links[0] and "French" in links[1]
    assert f"Mar 6, {now.year + 1}" in links[1]
    if soon.year == now.year:
        assert str(now.year) not in links[0]


def test_a_card_lists_its_three_soonest_walks(app, client, samples):
    now = datetime.now(ZoneInfo("Europe/Madrid")).replace(tzinfo=None)
    days = (5, 2, 9, 7)
    with get_db(app).transaction() as db_session:
        ids = [
            departure.id
            for day in days
            for departure in schedule(
                db_session,
                DepartureRequest(
                    "zabala-kitchens-and-workshops",
                    (now + timedelta(days=day)).replace(hour=11, minute=0, second=0, microsecond=0),
                    "es",
                    10,
                ),
            )
        ]
    page = Page(client.get("/?lang=en").get_data(as_text=True))
    (dates,) = page.root.find_all("p", "next-dates")
    shown = [a.attrs["href"].rsplit("=", 1)[1] for a in dates.find_all("a")]
    soonest = [str(i) for _day, i in sorted(zip(days, ids, strict=True))][:3]
    assert shown == soonest


def test_list_dates_name_the_year_only_when_it_is_not_this_one(app):
    moment = datetime(2027, 3, 6, 11, 0, tzinfo=ZoneInfo("Europe/Madrid"))
    with app.test_request_context("/?lang=es"):
        assert departure_list_date(moment, date(2027, 1, 1)) == "sáb, 6 mar"
        assert departure_list_date(moment, date(2026, 12, 1)) == "sáb, 6 mar 2027"
