"""The OpenAPI description of the tours API (``webapp.api.views``), which registers it."""

from __future__ import annotations

from typing import Any

from webapp.common.api.openapi import (
    ERROR_RESPONSE,
    LANG_PARAMETER,
    json_response,
    ref,
    register_paths,
)
from webapp.common.api.pagination import PAGE_PARAMETERS, paged

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
        "self geojson gpx html",
        {
            "self": {"type": "string", "format": "uri"},
            "geojson": {"type": "string", "format": "uri"},
            "gpx": {"type": "string", "format": "uri"},
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
        "Published tours (current versions) by city then slug, a page at a time",
        {
            "200": paged(json_response("The tours of this page", _array(ref("TourSummary")))),
            "400": ERROR_RESPONSE,
        },
        [LANG_PARAMETER, *PAGE_PARAMETERS],
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
            "304": {"description": "Not modified: the If-None-Match ETag is current"},
            "404": _NOT_FOUND,
        },
        [
            _SLUG_PARAMETER,
            {
                "name": "v",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1},
                "description": "The tour version the caller expects. When it is the current"
                " one, the answer may be cached for a year (Cache-Control: immutable);"
                " otherwise the current version is sent, to be revalidated.",
            },
        ],
    ),
    "/api/tours/{slug}.gpx": _get(
        "The tour as GPX 1.1: the route as a track, published stops as waypoints with their"
        " name and story in the requested language",
        {
            "200": {
                "description": "A GPX 1.1 document (OsmAnd, Komoot, Garmin tools)",
                "content": {"application/gpx+xml": {"schema": {"type": "string"}}},
            },
            "404": _NOT_FOUND,
        },
        [_SLUG_PARAMETER, LANG_PARAMETER],
    ),
    "/api/openapi.json": _get(
        "This document",
        {"200": json_response("OpenAPI 3.1", {"type": "object"})},
        [],
    ),
}


def register_docs() -> None:
    register_paths(TOUR_PATHS, TOUR_SCHEMAS)
