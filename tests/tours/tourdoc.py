"""A small valid tour document for tests, to be broken one property at a time."""

from __future__ import annotations

import copy
import json
from typing import Any

ROUTE = [[-2.9262, 43.2556], [-2.9256, 43.2552], [-2.9249, 43.2548], [-2.9240, 43.2545]]


def stop(stop_id: str, lon: float, lat: float, **props: Any) -> dict[str, Any]:
    properties = {
        "id": stop_id,
        "name": {"es": f"Parada {stop_id}", "eu": f"Geldialdia {stop_id}", "en": f"Stop {stop_id}"},
        "story": {"es": "Una historia.", "eu": "Istorio bat.", "en": "A story."},
        "status": "published",
    }
    properties.update(props)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def tour(**route_props: Any) -> dict[str, Any]:
    """A valid three-language tour: a 4-vertex route in San Francisco and two stops."""
    properties = {
        "profile": "bidean-tour/1",
        "slug": "san-francisco-voices",
        "title": {"es": "Voces de San Francisco", "eu": "San Frantziskoko ahotsak", "en": "Voices"},
        "summary": {"es": "Un paseo.", "eu": "Ibilaldi bat.", "en": "A walk."},
        "city": "Bilbao",
        "timezone": "Europe/Madrid",
        "districts": ["San Francisco"],
        "languages": ["es", "eu", "en"],
        "licence": "CC-BY-SA-4.0",
    }
    properties.update(route_props)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": copy.deepcopy(ROUTE)},
                "properties": properties,
            },
            stop("plaza", -2.92615, 43.25555),
            stop("cortes", -2.92485, 43.25478),
        ],
    }


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def codes(result: Any, severity: str | None = None) -> list[str]:
    """The codes of a ValidationResult's problems (optionally of one severity)."""
    return [
        p.code for p in result.report.problems if severity is None or str(p.severity) == severity
    ]


def problem(result: Any, code: str) -> Any:
    """The first problem with ``code`` (fails the test when there is none)."""
    found = [p for p in result.report.problems if p.code == code]
    assert found, f"no {code} in {[p.code for p in result.report.problems]}"
    return found[0]
