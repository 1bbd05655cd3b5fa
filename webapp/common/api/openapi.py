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
                "Bidean's community-led walking tours: public data on tours and sessions "
                "(read by anyone), and booking seats or joining a waiting list (writes, "
                "rate-limited per client; repeat a write safely with an `Idempotency-Key`). "
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
