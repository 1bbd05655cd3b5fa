"""The OpenAPI description of ``/api/guides`` (``webapp.guides_public.api`` registers it)."""

from __future__ import annotations

from webapp.common.api.openapi import (
    ERROR_RESPONSE,
    LANG_PARAMETER,
    json_response,
    ref,
    register_paths,
)

_NULLABLE_STRING = {"type": ["string", "null"]}

GUIDE_SCHEMAS = {
    "Guide": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "name",
            "languages",
            "origin",
            "bio",
            "language",
            "fallback",
            "bio_languages",
            "tours",
            "photo",
            "sample",
            "links",
        ],
        "properties": {
            "id": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            "name": {"type": "string"},
            "languages": {
                "type": "array",
                "description": "Languages the guide guides in, with their level",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["tag", "level"],
                    "properties": {
                        "tag": {"type": "string"},
                        "level": {"enum": ["native", "fluent", "conversational"]},
                    },
                },
            },
            "origin": {**_NULLABLE_STRING, "description": "Where they come from, in their words"},
            "bio": _NULLABLE_STRING,
            "language": {"type": "string", "description": "Language the bio is in"},
            "fallback": {"type": "boolean", "description": "True when the bio fell back"},
            "bio_languages": {"type": "array", "items": {"type": "string"}},
            "tours": {"type": "array", "items": {"type": "string"}, "description": "Tour slugs"},
            "photo": {**_NULLABLE_STRING, "format": "uri"},
            "sample": {"type": "boolean", "description": "Invented sample content"},
            "links": {
                "type": "object",
                "additionalProperties": False,
                "required": ["self", "html"],
                "properties": {
                    "self": {"type": "string", "format": "uri"},
                    "html": {"type": "string", "format": "uri"},
                },
            },
        },
    }
}

register_paths(
    {
        "/api/guides": {
            "get": {
                "summary": "Every guide's public profile",
                "operationId": "listGuides",
                "parameters": [LANG_PARAMETER],
                "responses": {
                    "200": json_response(
                        "Guides, by name", {"type": "array", "items": ref("Guide")}
                    ),
                    "400": ERROR_RESPONSE,
                },
            }
        },
        "/api/guides/{guide_id}": {
            "get": {
                "summary": "One guide's public profile (no contact data)",
                "operationId": "getGuide",
                "parameters": [
                    {
                        "name": "guide_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    LANG_PARAMETER,
                ],
                "responses": {
                    "200": json_response("The guide", ref("Guide")),
                    "400": ERROR_RESPONSE,
                    "404": ERROR_RESPONSE,
                },
            }
        },
    },
    GUIDE_SCHEMAS,
)
