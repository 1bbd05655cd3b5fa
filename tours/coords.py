"""Explicit longitude/latitude types: GeoJSON order, WGS84 degrees."""

from __future__ import annotations

from typing import NamedTuple


class LonLat(NamedTuple):
    """A WGS84 position in GeoJSON order: longitude first, then latitude."""

    lon: float
    lat: float

    def to_folium(self) -> tuple[float, float]:
        """Folium and Leaflet want (lat, lon); this is the one place we flip."""
        return (self.lat, self.lon)


class BBox(NamedTuple):
    """A bounding box as GeoJSON writes it: west, south, east, north."""

    west: float
    south: float
    east: float
    north: float
