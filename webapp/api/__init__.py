"""The read-only tour API (JSON and GeoJSON) and the OpenAPI document of every API route."""
