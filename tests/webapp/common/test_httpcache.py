"""Compression, ETags and 304s (webapp/common/httpcache.py) on real pages, assets and GeoJSON.

Bodies are decompressed with the real brotli and gzip and compared with the plain body;
"stale" means a client sending the ETag of a page it saw before a change must get the
changed page (200 and a new ETag), never a 304.
"""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from tests.booking_support import SLUG, add_departure, store_tour
from tests.webapp.pages_support import store_document, walk_document
from webapp.common import httpcache

TOUR = "/tours/hidden-walk"
NONCE = re.compile(rb'nonce="([^"]+)"')


@pytest.fixture
def hidden_walk(app):
    return store_document(app, walk_document())


def decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",")}


def asset_urls(html: bytes) -> list[str]:
    return sorted(set(re.findall(rb'"(/assets/[^"]+)"', html)))


# --- compression ------------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "expected"), [("br", "br"), ("gzip", "gzip"), ("", None)])
def test_tour_page_is_compressed_as_the_client_accepts(client, hidden_walk, accept, expected):
    plain = client.get(TOUR, headers={"Accept-Encoding": ""})
    response = client.get(TOUR, headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == expected
    assert "accept-encoding" in vary(response) and "accept-language" in vary(response)
    # The same page but for the nonce, which is new on every request.
    assert NONCE.sub(b"", decoded(response)) == NONCE.sub(b"", plain.data)
    if expected:
        assert len(response.data) < len(plain.data) / 3


def test_brotli_is_preferred_and_quality_zero_is_refused(client, hidden_walk):
    # The catalogue is compressed on each request, brotli first; the tour page is not.
    both = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert both.headers["Content-Encoding"] == "br"
    no_br = client.get("/", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert no_br.headers["Content-Encoding"] == "gzip"
    no_gzip = client.get(TOUR, headers={"Accept-Encoding": "gzip;q=0, br"})
    assert no_gzip.headers["Content-Encoding"] == "br"


@pytest.mark.parametrize("query", ["", "?lang=en"])
def test_a_tour_page_is_served_gzipped_from_pieces_deflated_once(
    client, db_transaction, monkeypatch, query
):
    """As a browser asks (gzip and brotli): gzip, made of the page's segments deflated
    once and the request's nonce (and, with a query string, its language links) stored;
    a valid stream (checked length and CRC) about as small as the page deflated whole."""
    store_tour(db_transaction)
    add_departure(db_transaction, capacity=10, max_party=6)
    url = f"/tours/{SLUG}{query}"
    browser = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    client.get(url, headers=browser)  # renders and deflates the page once
    made = []
    real = httpcache.deflate_chain
    monkeypatch.setattr(httpcache, "deflate_chain", lambda *a: made.append(a) or real(*a))
    monkeypatch.setattr(brotli, "compress", None)  # no brotli on these requests
    pages = [client.get(url, headers=browser) for _ in range(2)]
    plain = client.get(url, headers={"Accept-Encoding": ""}).data
    assert made == []
    for response in pages:
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        assert "accept-encoding" in vary(response)
        assert NONCE.sub(b"", gzip.decompress(response.data)) == NONCE.sub(b"", plain)
        assert len(response.data) < 1.05 * len(gzip.compress(plain, 9)) + 100
    nonces = [set(NONCE.findall(gzip.decompress(r.data))) for r in pages]
    assert nonces[0] != nonces[1] and all(len(found) == 1 for found in nonces)
    assert pages[0].headers["ETag"] == pages[1].headers["ETag"]


def test_a_tour_page_with_a_query_string_is_compressed_whole(client, hidden_walk):
    """Its language links keep the query string: the page is made for the request, and
    compressed on it (brotli first), with an ETag hashed from its body."""
    url = f"{TOUR}?session=5&lang=eu"
    plain = client.get(url, headers={"Accept-Encoding": ""})
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert NONCE.sub(b"", decoded(response)) == NONCE.sub(b"", plain.data)
    assert b"session=5&amp;lang=fr" in plain.data
    assert response.headers["ETag"] == plain.headers["ETag"]


def test_pieces_deflated_around_holes_join_into_one_stream():
    """Segments refer back across holes of known width (NULs in their dictionary), never
    into them; a value of another width, or text holding a NUL, is never corrupted."""
    text = "".join(f"<li>stop {n}: {n * 7919 % 10007}</li>" for n in range(200))
    body = httpcache.PiecedBody([text, text, text + "\x00" + text], ["a", "b"], {"a": 4}, 9)
    values = {"a": b"AAAA", "b": b"anything, of any length"}
    assert gzip.decompress(body.gzip(values)) == body.plain(values)
    assert (
        body.plain(values)
        == (text + "AAAA" + text + "anything, of any length" + text + "\x00" + text).encode()
    )
    assert body.gzip({**values, "a": b"AAAAA"}) is None  # deflated around 4 bytes: refused
    chained = httpcache.PiecedBody([text, text], ["a"], {"a": 4}, 9)
    alone = httpcache.PiecedBody([text, text], ["a"], {}, 9)
    assert len(chained.deflated[1]) < len(alone.deflated[1]) / 3
    assert (
        gzip.decompress(chained.gzip({"a": b"\x00\x00\x00\x00"}))
        == (text + "\x00" * 4 + text).encode()
    )
    stored = httpcache.PiecedBody([text, "x" * 70_000], ["a"], {}, None)
    assert gzip.decompress(stored.gzip({"a": b"!"})) == (text + "!" + "x" * 70_000).encode()


def test_tiny_responses_are_not_compressed(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200 and len(response.data) < 500
    assert "Content-Encoding" not in response.headers


def test_scripts_and_styles_are_served_precompressed_with_one_etag_per_encoding(
    client, hidden_walk
):
    page = client.get(TOUR, headers={"Accept-Encoding": ""}).data
    urls = [u.decode() for u in asset_urls(page) if u.endswith((b".js", b".css"))]
    assert any("leaflet.js" in u for u in urls) and any("map.js" in u for u in urls)
    for url in urls:
        plain = client.get(url, headers={"Accept-Encoding": ""})
        tags = {plain.headers["ETag"]}
        for encoding in ("br", "gzip"):
            response = client.get(url, headers={"Accept-Encoding": encoding})
            assert response.status_code == 200
            assert response.headers["Content-Encoding"] == encoding
            assert decoded(response) == plain.data
            assert "immutable" in response.headers["Cache-Control"]
            assert "accept-encoding" in vary(response)
            tags.add(response.headers["ETag"])
            again = client.get(
                url,
                headers={"Accept-Encoding": encoding, "If-None-Match": response.headers["ETag"]},
            )
            assert again.status_code == 304 and again.data == b""
        assert len(tags) == 3, "each encoding is its own representation"


def test_images_are_not_compressed_again(client, app):
    from webapp.common.assets import asset_url

    with app.test_request_context("/"):
        url = asset_url("leaflet", "images/marker-icon.png")
    with client.get(url, headers={"Accept-Encoding": "br, gzip"}) as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert "Content-Encoding" not in response.headers


# --- ETags and 304 ----------------------------------------------------------------------


def test_an_unchanged_tour_page_is_a_304_without_a_body_or_a_new_policy(client, hidden_walk):
    first = client.get(TOUR, headers={"Accept-Encoding": "br"})
    second = client.get(TOUR, headers={"Accept-Encoding": "br"})
    # Each 200 has its own nonce, yet the same ETag: the nonce is all that differs.
    assert NONCE.findall(decoded(first)) != NONCE.findall(decoded(second))
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and second.headers["ETag"] == etag
    assert "no-cache" in first.headers["Cache-Control"]
    assert "private" in first.headers["Cache-Control"]
    again = client.get(TOUR, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    # The browser keeps the policy it stored with the body, whose nonce is in that body.
    assert "Content-Security-Policy" not in again.headers
    # The same page, compressed otherwise: the weak ETag still matches.
    plain = client.get(TOUR, headers={"Accept-Encoding": "", "If-None-Match": etag})
    assert plain.status_code == 304


def test_a_new_tour_version_is_never_answered_with_the_old_etag(client, app, hidden_walk):
    etag = client.get(TOUR).headers["ETag"]
    document = walk_document()
    document["features"][0]["properties"]["title"]["es"] = "Paseo escondido, revisado"
    store_document(app, document)
    response = client.get(TOUR, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Paseo escondido, revisado" in response.get_data(as_text=True)
    assert response.headers["ETag"] != etag


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("?lang=en", "?lang=fr"),  # interface and content language
        ("?lang=en", "?lang=ja"),  # content language only: the interface stays English
    ],
)
def test_another_language_is_never_answered_with_the_old_etag(client, hidden_walk, before, after):
    seen = client.get(TOUR + before)
    response = client.get(TOUR + after, headers={"If-None-Match": seen.headers["ETag"]})
    assert response.status_code == 200
    assert response.headers["ETag"] != seen.headers["ETag"]


def test_an_accept_language_change_is_never_answered_with_the_old_etag(app, hidden_walk):
    client = app.test_client()  # no language cookie
    english = client.get(TOUR, headers={"Accept-Language": "en"})
    basque = client.get(
        TOUR, headers={"Accept-Language": "eu", "If-None-Match": english.headers["ETag"]}
    )
    assert basque.status_code == 200 and 'lang="eu"' in basque.get_data(as_text=True)


def test_live_seats_change_the_etag(client, db_transaction):
    store_tour(db_transaction)
    departure = add_departure(db_transaction, capacity=10, max_party=6)
    page = f"/tours/{SLUG}"
    before = client.get(page)
    assert client.get(page, headers={"If-None-Match": before.headers["ETag"]}).status_code == 304
    booked = client.post(
        f"/api/sessions/{departure}/bookings",
        json={"name": "Ane", "email": "ane@example.org", "party_size": 3},
    )
    assert booked.status_code == 201
    after = client.get(page, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    # A new departure shows too.
    add_departure(db_transaction, capacity=4, days_ahead=20)
    newest = client.get(page, headers={"If-None-Match": after.headers["ETag"]})
    assert newest.status_code == 200 and newest.headers["ETag"] != after.headers["ETag"]


def test_two_apps_give_the_same_page_the_same_etag(app, hidden_walk, tmp_path):
    """Two gunicorn workers (or a restart) must agree, or a 304 would be luck."""
    from webapp import create_app

    other = create_app({**app.config, "INSTANCE_PATH": str(tmp_path / "other")})
    try:
        one = app.test_client().get(TOUR, headers={"Accept-Language": "es"})
        two = other.test_client().get(TOUR, headers={"Accept-Language": "es"})
        assert one.status_code == two.status_code == 200
        assert one.headers["ETag"] == two.headers["ETag"]
    finally:
        other.extensions["bidean.db"].engine.dispose()


def test_no_store_pages_get_no_etag_and_no_304(client, db_transaction):
    store_tour(db_transaction)
    departure = add_departure(db_transaction)
    form = client.get(f"/tours/{SLUG}/book?session={departure}")
    assert form.status_code == 200
    assert form.headers["Cache-Control"] == "no-store"
    assert "ETag" not in form.headers
    again = client.get(f"/tours/{SLUG}/book?session={departure}", headers={"If-None-Match": "*"})
    assert again.status_code == 200 and "<form" in again.get_data(as_text=True)


# --- the tour's GeoJSON ------------------------------------------------------------------


def test_versioned_geojson_is_immutable_and_compressed_once(client, app, hidden_walk, monkeypatch):
    from webapp.common import tourcache

    url = f"/api/tours/hidden-walk.geojson?v={hidden_walk.version}"
    serialised = []
    real = tourcache.to_geojson
    monkeypatch.setattr(tourcache, "to_geojson", lambda doc: serialised.append(1) or real(doc))
    plain = client.get(url, headers={"Accept-Encoding": ""})
    response = client.get(url, headers={"Accept-Encoding": "br"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    assert decoded(response) == plain.data
    cache_control = response.headers["Cache-Control"]
    assert "immutable" in cache_control and "max-age=31536000" in cache_control
    assert "public" in cache_control
    again = client.get(
        url, headers={"Accept-Encoding": "br", "If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    assert len(serialised) == 1, "serialised once per version"


def test_unversioned_or_old_geojson_is_revalidated_and_follows_a_new_version(
    client, app, hidden_walk
):
    for url in ("/api/tours/hidden-walk.geojson", "/api/tours/hidden-walk.geojson?v=0"):
        response = client.get(url)
        assert response.status_code == 200
        assert "immutable" not in response.headers["Cache-Control"]
        assert "no-cache" in response.headers["Cache-Control"]
    etag = client.get("/api/tours/hidden-walk.geojson").headers["ETag"]
    document = walk_document()
    document["features"][0]["properties"]["title"]["es"] = "Paseo escondido, revisado"
    newer = store_document(app, document)
    response = client.get("/api/tours/hidden-walk.geojson", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Paseo escondido, revisado" in response.get_data(as_text=True)
    versioned = client.get(f"/api/tours/hidden-walk.geojson?v={newer.version}")
    assert "immutable" in versioned.headers["Cache-Control"]
