"""The JSON API: shapes (checked against our own OpenAPI document), languages, fallback
flags, hidden stops, GeoJSON export, CORS and JSON errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec

from tests.webapp.pages_support import (
    SECRETS,
    store_document,
    walk_document,
)
from tours.content.checking.pipeline import validate_document
from webapp.commands.samples import load_sample_routes
from webapp.common.api import openapi


@pytest.fixture
def hidden_walk(app):
    return store_document(app, walk_document())


def check(client, instance: Any, schema_name: str) -> None:
    """Validate ``instance`` against a component schema of the served OpenAPI document."""
    document = client.get("/api/openapi.json").get_json()
    schema = {
        **document["components"]["schemas"][schema_name],
        "components": document["components"],
    }
    OAS31Validator(schema).validate(instance)


def test_tour_list_has_the_documented_shape_and_localized_titles(app, client):
    stored = load_sample_routes(app)
    for lang in ("es", "eu", "en"):
        response = client.get(f"/api/tours?lang={lang}")
        assert response.status_code == 200
        items = response.get_json()
        for item in items:
            check(client, item, "TourSummary")
        expected = {
            s.slug: s.tour.title.resolve(lang, s.tour.default_language).text for s in stored
        }
        assert {i["slug"]: i["title"] for i in items} == expected
        assert all(i["language"] == lang and i["fallback"]["title"] is False for i in items)
    first = client.get("/api/tours?lang=en").get_json()[0]
    assert first["links"] == {
        "self": f"http://localhost/api/tours/{first['slug']}",
        "geojson": f"http://localhost/api/tours/{first['slug']}.geojson",
        "gpx": f"http://localhost/api/tours/{first['slug']}.gpx",
        "html": f"http://localhost/tours/{first['slug']}",
    }
    shown = {
        "self": first["slug"],
        "geojson": first["slug"],
        "gpx": "<trkpt",
        "html": first["slug"],
    }
    for kind, link in first["links"].items():
        answer = client.get(link.removeprefix("http://localhost"))
        assert answer.status_code == 200, link
        assert shown[kind] in answer.get_data(as_text=True), link


def test_fallback_flags_say_which_language_a_text_is_in(app, client):
    load_sample_routes(app)
    items = {i["slug"]: i for i in client.get("/api/tours?lang=ar").get_json()}
    # San Francisco has Arabic everywhere; the Bilbao la Vieja tour has no Arabic title.
    assert items["san-francisco-voices"]["fallback"]["title"] is False
    assert items["san-francisco-voices"]["text_languages"]["title"] == "ar"
    crossings = items["bilbao-la-vieja-crossings"]
    assert crossings["fallback"]["title"] is True
    assert crossings["text_languages"]["title"] == "es"


def test_accept_language_and_any_bcp47_tag(app, client, hidden_walk):
    detail = client.get("/api/tours/hidden-walk", headers={"Accept-Language": "eu"}).get_json()
    assert detail["language"] == "eu"
    assert detail["title"] == "Ibilbide ezkutua"
    # A tag the interface does not speak is still a fine content request: it falls back.
    wolof = client.get("/api/tours/hidden-walk?lang=wo-SN").get_json()
    assert wolof["language"] == "wo-SN"
    assert (wolof["title"], wolof["fallback"]["title"]) == ("Paseo escondido", True)


def test_the_fallback_follows_the_accept_language_list(client, hidden_walk):
    headers = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}
    detail = client.get("/api/tours/hidden-walk", headers=headers).get_json()
    assert detail["language"] == "de"
    assert (detail["title"], detail["text_languages"]["title"]) == ("Hidden walk", "en")
    assert detail["fallback"]["title"] is True  # not German, though the client's next choice
    stories = {stop["id"]: stop["text_languages"]["story"] for stop in detail["stops"]}
    assert stories == {"first": "en", "second": "en", "third": "en"}
    (listed,) = client.get("/api/tours", headers=headers).get_json()
    assert listed["title"] == "Hidden walk"
    # With ?lang= too: an explicit language first, then the client's list.
    basque = client.get(
        "/api/tours/hidden-walk?lang=tr", headers={"Accept-Language": "eu,en;q=0.5"}
    ).get_json()
    stories = {stop["id"]: stop["text_languages"]["story"] for stop in basque["stops"]}
    assert stories == {"first": "eu", "second": "en", "third": "eu"}


def test_malformed_lang_is_a_json_400_saying_how_to_fix_it(client):
    response = client.get("/api/tours?lang=no%20way!", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "bad-request"
    assert "lang" in body["error"] and "es, eu, en, fr or ar" in body["error"]
    check(client, body, "Error")


def test_tour_detail_lists_published_stops_in_order_with_legs(client, hidden_walk):
    response = client.get("/api/tours/hidden-walk?lang=eu")
    assert response.status_code == 200
    detail = response.get_json()
    check(client, detail, "TourDetail")
    assert [s["id"] for s in detail["stops"]] == ["first", "second", "third"]
    assert [s["number"] for s in detail["stops"]] == [1, 2, 3]
    assert detail["stop_count"] == 3
    first, second, _third = detail["stops"]
    assert first["story"] == "Lehen istorioa.\n\nBigarren paragrafoa."
    assert first["fallback"] == {
        "name": False,
        "story": False,
        "community": False,
        "accessibility": False,
    }
    assert first["media"] == [
        {
            "url": "https://example.org/photo.jpg",
            "type": "image",
            "caption": "Plazaren argazkia",
            "credit": "Awa",
        }
    ]
    assert second["story"] == "Historia solo en castellano y en inglés."
    assert second["fallback"]["story"] is True
    assert second["text_languages"]["story"] == "es"
    assert second["story_languages"] == ["es", "en"]
    assert [(leg["from"], leg["to"]) for leg in detail["legs"]] == [
        ("first", "second"),
        ("second", "third"),
    ]
    assert sum(leg["distance_m"] for leg in detail["legs"]) == pytest.approx(
        detail["distance_m"], abs=0.2
    )
    assert first["position"] == [-2.9262, 43.2556]


def test_geojson_export_is_the_profile_with_published_stops_only(client, hidden_walk):
    response = client.get("/api/tours/hidden-walk.geojson")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/geo+json"
    document = json.loads(response.data)
    # The export re-imports cleanly: it is a valid Bidean profile document.
    result = validate_document(document, "export.geojson")
    assert result.valid, result.report.to_text()
    assert sorted(s.id for s in result.tour.stops) == ["first", "second", "third"]
    assert [s.id for s in result.tour.ordered_public_stops()] == ["first", "second", "third"]
    assert all(s.status == "published" for s in result.tour.stops)


def test_hidden_stops_never_reach_the_api(client, hidden_walk):
    for url in (
        "/api/tours",
        "/api/tours/hidden-walk",
        "/api/tours/hidden-walk?lang=eu",
        "/api/tours/hidden-walk.geojson",
    ):
        body = client.get(url).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in body, (url, secret)


def test_cors_is_open_for_every_get_endpoint_and_errors(client, hidden_walk):
    for url in (
        "/api/tours",
        "/api/tours/hidden-walk",
        "/api/tours/hidden-walk.geojson",
        "/api/openapi.json",
        "/api/tours/missing",
        "/api/nothing-here",
    ):
        assert client.get(url).headers["Access-Control-Allow-Origin"] == "*", url
    preflight = client.options("/api/tours", headers={"Origin": "https://other.example"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    # Pages are not part of the open API.
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


def test_json_404s_are_in_the_visitor_language(client):
    for headers, message in (
        ({"Accept-Language": "en"}, "There is no tour called “missing”."),
        ({"Accept-Language": "eu"}, "Ez dago «missing» izeneko ibilbiderik."),
    ):
        response = client.get("/api/tours/missing", headers=headers)
        assert response.status_code == 404
        assert response.get_json() == {"error": message, "code": "not-found"}
    unknown = client.get("/api/no-such-endpoint")
    assert unknown.status_code == 404
    assert unknown.get_json()["code"] == "not-found"
    assert unknown.headers["Content-Type"] == "application/json"


def test_wrong_method_is_a_json_405(client):
    response = client.post("/api/tours")
    assert response.status_code == 405
    assert response.get_json()["code"] == "method-not-allowed"
    assert "GET" in response.headers["Allow"]


# --- OpenAPI ----------------------------------------------------------------------------


def test_openapi_document_is_valid_openapi_31(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    validate_spec(document)


def openapi_path(rule: str) -> str:
    """Flask's ``/api/tours/<slug>`` as OpenAPI writes it: ``/api/tours/{slug}``."""
    import re

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_api_route_is_described(app, client):
    document = client.get("/api/openapi.json").get_json()
    api_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api")]
    assert len(api_rules) >= 4
    for rule in api_rules:
        path = openapi_path(rule.rule)
        assert path in document["paths"], f"{rule.rule} is not in the OpenAPI document"
        methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
        assert methods <= set(document["paths"][path]), (rule.rule, methods)


@pytest.fixture
def registry_snapshot():
    paths, schemas = dict(openapi._paths), dict(openapi._schemas)
    yield
    openapi._paths.clear()
    openapi._paths.update(paths)
    openapi._schemas.clear()
    openapi._schemas.update(schemas)


def test_other_modules_can_register_paths(registry_snapshot):
    openapi.register_paths(
        {"/api/extra": {"get": {"summary": "x", "responses": {"200": {"description": "ok"}}}}},
        {"Extra": {"type": "object"}},
    )
    document = openapi.build_document("http://example.org")
    assert "/api/extra" in document["paths"]
    assert "Extra" in document["components"]["schemas"]
    validate_spec(document)
    with pytest.raises(ValueError, match="already registered"):
        openapi.register_paths({}, {"Extra": {"type": "string"}})
