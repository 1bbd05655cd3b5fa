"""The byte-bounded LRU every in-process cache uses, and the lean tours it keeps."""

from __future__ import annotations

import json
import sys

from tests.webapp.pages_support import store_document, walk_document
from tours.tour.store import get_document
from webapp.common.bytecache import ByteLRU, deep_size, text_size
from webapp.common.database import get_db
from webapp.common.tourcache import tour_cache


def test_entries_never_add_up_to_more_than_the_budget():
    cache = ByteLRU(1000)
    for n in range(50):
        cache.put(("page", n), "x", 90 + n)
        assert cache.bytes <= 1000
    assert cache.bytes == sum(90 + n for n in range(50) if ("page", n) in cache)
    assert ("page", 49) in cache and ("page", 0) not in cache


def test_the_least_recently_used_entry_goes_first():
    cache = ByteLRU(400)
    for key in "abcd":
        cache.put(key, key, 100)
    assert cache.get("a") == "a"  # now the most recent
    cache.put("e", "e", 100)
    assert "b" not in cache and all(k in cache for k in "acde")


def test_an_entry_over_a_quarter_of_the_budget_is_not_kept():
    cache = ByteLRU(1000)
    cache.put("small", "s", 100)
    assert cache.put("huge", "h", 251) is False
    assert "huge" not in cache and "small" in cache and cache.bytes == 100


def test_replacing_a_key_counts_its_size_once():
    cache = ByteLRU(1000)
    cache.put("a", "1", 100)
    cache.put("a", "2", 150)
    assert cache.bytes == 150 and cache.get("a") == "2" and len(cache) == 1


def test_discard_and_count_by_kind():
    cache = ByteLRU(10_000)
    for key in [("page", "a", 1), ("page", "a", 2), ("tour", "a", 1), ("map", "b")]:
        cache.put(key, key, 10)
    assert cache.discard(lambda key: key[0] != "page") == 2
    assert cache.count("page") == 0 and cache.count("tour") == 1 and cache.bytes == 20


def test_text_size_is_what_python_holds():
    assert text_size(["abc", "ñ" * 10]) == sys.getsizeof("abc") + sys.getsizeof("ñ" * 10)
    assert text_size(["x" * 10_000]) > 10_000


def test_deep_size_counts_shared_objects_once_and_grows_with_content():
    text = "y" * 5000
    assert deep_size([text, text]) < 2 * sys.getsizeof(text)
    many = {"a": [float(n) + 0.5 for n in range(1000)]}  # a pointer and a float each
    assert deep_size(many) > deep_size({"a": [0.5]}) + 999 * (8 + sys.getsizeof(0.5))


def test_the_cached_tour_keeps_no_route_but_the_endpoints_still_give_it(app, client):
    store_document(app, walk_document())
    page = client.get("/tours/hidden-walk")
    assert page.status_code == 200 and "Parque final" in page.get_data(as_text=True)
    with app.app_context(), get_db(app).transaction() as db_session:
        cached = tour_cache().get(db_session, "hidden-walk")
        stored_route = get_document(db_session, "hidden-walk")["features"][0]["geometry"]
    assert cached.tour.route == ()
    # What the page needs is still there: stops in walking order, legs, durations.
    assert [stop.id for stop, _ in cached.ordered_stops()] == ["first", "second", "third"]
    assert cached.tour.ordered_public_stops()[0].id == "first"
    geojson = json.loads(client.get("/api/tours/hidden-walk.geojson").get_data())
    assert geojson["features"][0]["geometry"] == stored_route
    gpx = client.get("/api/tours/hidden-walk.gpx").get_data(as_text=True)
    assert gpx.count("<trkpt") == len(stored_route["coordinates"])


def test_every_cache_shares_one_byte_budget(app, client):
    store_document(app, walk_document())
    titles = {"es": "Paseo escondido", "en": "Hidden walk", "eu": "Ibilbide ezkutua"}
    for lang, title in titles.items():
        page = client.get(f"/tours/hidden-walk?lang={lang}")
        assert page.status_code == 200 and title in page.get_data(as_text=True)
    geojson = client.get("/api/tours/hidden-walk.geojson")
    assert geojson.status_code == 200
    assert geojson.get_json()["features"][0]["properties"]["slug"] == "hidden-walk"
    cache = app.extensions["bidean.bytecache"]
    kinds = {kind: cache.count(kind) for kind in ("tour", "page", "map", "geojson")}
    assert all(kinds.values()), kinds
    assert 0 < cache.bytes <= cache.max_bytes
