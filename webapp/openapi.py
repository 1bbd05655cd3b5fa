"""The OpenAPI 3.1 description of Bidean's JSON API, assembled from a small registry.

Each API module registers its own paths and component schemas at import time with
``register_paths``; ``/api/openapi.json`` serves ``build_document()``.  A test checks
that every ``/api`` route of the app is described here, so a new endpoint cannot be
forgotten.
"""

from __future__ import annotations

import copy
from typing import Any

OPENAPI_VERSION = "3.1.0"

_paths: dict[str, dict[str, Any]] = {}
_schemas: dict[str, dict[str, Any]] = {}


def register_paths(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Add path items (``{"/api/x": {"get": {...}}}``) and ``components.schemas`` entries.

    Operations of a path already registered are merged in; registering the same schema
    name twice with a different body is a programming error and raises ValueError.
    """
    for path, item in paths.items():
        _paths.setdefault(path, {}).update(copy.deepcopy(item))
    for name, schema in (schemas or {}).items():
        if name in _schemas and _schemas[name] != schema:
            raise ValueError(f"OpenAPI schema {name!r} is already registered differently")
        _schemas[name] = copy.deepcopy(schema)


def build_document(server_url: str | None = None, version: str = "1") -> dict[str, Any]:
    """The whole OpenAPI document, paths in alphabetical order."""
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Bidean API",
            "version": version,
            "description": (
                "Public, read-only data of Bidean's community-led walking tours. "
                "Texts come in the language asked for with `?lang=` or `Accept-Language`; "
                "a `fallback` flag says when a text is in another language because it "
                "has not been translated yet. Coordinates are [longitude, latitude]."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "paths": {path: copy.deepcopy(_paths[path]) for path in sorted(_paths)},
        "components": {
            "schemas": {name: copy.deepcopy(_schemas[name]) for name in sorted(_schemas)}
        },
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_RESPONSE = json_response("An error, with a message in the visitor's language", ref("Error"))

LANG_PARAMETER: dict[str, Any] = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": (
        "BCP 47 tag of the language wanted (es, eu, en, fr, ar, or any other); "
        "without it, Accept-Language decides."
    ),
    "schema": {"type": "string", "examples": ["eu"]},
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "code"],
    "properties": {
        "error": {"type": "string", "description": "What went wrong and how to fix it"},
        "code": {"type": "string", "examples": ["not-found", "bad-request"]},
    },
}

register_paths({}, {"Error": ERROR_SCHEMA})


# --- the tours API (webapp/api.py) ---------------------------------------------------

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_FLAG_MAP = {"type": "object", "additionalProperties": {"type": "boolean"}}
_NULLABLE_STRING = {"type": ["string", "null"]}
_MINUTES = {"type": "number", "minimum": 0}


def _array(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


def _object(required: str, properties: dict[str, Any], closed: bool = True) -> dict[str, Any]:
    """An object schema; ``required`` names its required properties, space-separated."""
    schema: dict[str, Any] = {
        "type": "object",
        "required": required.split(),
        "properties": properties,
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


TOUR_SCHEMAS: dict[str, dict[str, Any]] = {
    "TourLinks": _object(
        "self geojson html",
        {
            "self": {"type": "string", "format": "uri"},
            "geojson": {"type": "string", "format": "uri"},
            "html": {"type": "string", "format": "uri"},
        },
    ),
    # Open (no additionalProperties: false) because TourDetail extends it.
    "TourSummary": _object(
        "slug version title summary city districts distance_m walk_minutes duration_minutes "
        "stop_count languages sample language text_languages fallback links",
        {
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            "version": {"type": "integer", "minimum": 1},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "city": {"type": "string"},
            "districts": _array({"type": "string"}),
            "distance_m": {"type": "number", "minimum": 0, "description": "First to last stop"},
            "walk_minutes": _MINUTES,
            "duration_minutes": {
                "type": "integer",
                "minimum": 0,
                "description": "As announced, else walking plus time at the stops",
            },
            "stop_count": {"type": "integer", "minimum": 0},
            "languages": _array(
                {"type": "string"}, description="Languages of the content; the first is the default"
            ),
            "sample": {"type": "boolean"},
            "language": {"type": "string", "description": "The language asked for"},
            "text_languages": {**_STRING_MAP, "description": "Field -> language shown"},
            "fallback": {**_FLAG_MAP, "description": "Field -> true when not in `language`"},
            "links": ref("TourLinks"),
        },
        closed=False,
    ),
    "Media": _object(
        "url type caption credit",
        {
            "url": {"type": "string"},
            "type": {"type": "string", "enum": ["image", "audio", "video"]},
            "caption": _NULLABLE_STRING,
            "credit": _NULLABLE_STRING,
        },
    ),
    "Stop": _object(
        "id number position name story community accessibility credits dwell_minutes "
        "story_languages media text_languages fallback",
        {
            "id": {"type": "string"},
            "number": {"type": "integer", "minimum": 1, "description": "Position in the tour"},
            "position": _array(
                {"type": "number"}, minItems=2, maxItems=2, description="[longitude, latitude]"
            ),
            "name": {"type": "string"},
            "story": _NULLABLE_STRING,
            "community": _NULLABLE_STRING,
            "accessibility": _NULLABLE_STRING,
            "credits": _NULLABLE_STRING,
            "dwell_minutes": {"type": ["number", "null"]},
            "story_languages": _array({"type": "string"}),
            "media": _array(ref("Media")),
            "text_languages": _STRING_MAP,
            "fallback": _FLAG_MAP,
        },
    ),
    "Leg": _object(
        "from to from_number to_number distance_m walk_minutes",
        {
            "from": {"type": "string", "description": "Stop id"},
            "to": {"type": "string", "description": "Stop id"},
            "from_number": {"type": "integer", "minimum": 1},
            "to_number": {"type": "integer", "minimum": 1},
            "distance_m": {"type": "number", "minimum": 0},
            "walk_minutes": _MINUTES,
        },
    ),
    "TourDetail": {
        "allOf": [
            ref("TourSummary"),
            _object(
                "timezone licence default_language credits total_minutes bbox stops legs",
                {
                    "timezone": {"type": "string"},
                    "licence": {"type": "string"},
                    "default_language": {"type": "string"},
                    "credits": _NULLABLE_STRING,
                    "total_minutes": _MINUTES,
                    "bbox": _array(
                        {"type": "number"},
                        minItems=4,
                        maxItems=4,
                        description="[west, south, east, north]",
                    ),
                    "stops": _array(ref("Stop")),
                    "legs": _array(ref("Leg")),
                },
                closed=False,
            ),
        ]
    },
}

_SLUG_PARAMETER = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The tour's URL name",
}
_NOT_FOUND = json_response("No tour has this slug", ref("Error"))


def _get(summary: str, responses: dict[str, Any], parameters: list[Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


TOUR_PATHS: dict[str, Any] = {
    "/api/tours": _get(
        "Every tour (current versions)",
        {
            "200": json_response("The tours", _array(ref("TourSummary"))),
            "400": ERROR_RESPONSE,
        },
        [LANG_PARAMETER],
    ),
    "/api/tours/{slug}": _get(
        "One tour with its published stops in order and the walks between them",
        {
            "200": json_response("The tour", ref("TourDetail")),
            "400": ERROR_RESPONSE,
            "404": _NOT_FOUND,
        },
        [_SLUG_PARAMETER, LANG_PARAMETER],
    ),
    "/api/tours/{slug}.geojson": _get(
        "The tour as a Bidean tour profile GeoJSON document (published stops only)",
        {
            "200": {
                "description": "An RFC 7946 FeatureCollection (see docs/geojson-profile.md)",
                "content": {"application/geo+json": {"schema": {"type": "object"}}},
            },
            "404": _NOT_FOUND,
        },
        [_SLUG_PARAMETER],
    ),
    "/api/openapi.json": _get(
        "This document",
        {"200": json_response("OpenAPI 3.1", {"type": "object"})},
        [],
    ),
}

register_paths(TOUR_PATHS, TOUR_SCHEMAS)
