"""What several benchmarks share: the small tour they book on."""

from __future__ import annotations


def tour_document(slug: str, summary: str) -> dict:
    """A three-vertex route in Zabala with one stop, in the tour profile."""
    line = [[-2.9300, 43.2560], [-2.9280, 43.2550], [-2.9260, 43.2540]]
    stop = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": line[0]},
        "properties": {"id": "plaza", "name": {"es": "Plaza"}, "story": {"es": "Historia."}},
    }
    route = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": line},
        "properties": {
            "profile": "bidean-tour/1",
            "slug": slug,
            "title": {"es": "Paseo de prueba"},
            "summary": {"es": summary},
            "city": "Bilbao",
            "timezone": "Europe/Madrid",
            "districts": ["Zabala"],
            "languages": ["es"],
            "duration_minutes": 90,
            "licence": "CC-BY-SA-4.0",
        },
    }
    return {"type": "FeatureCollection", "features": [route, stop]}
