"""Checking tour documents: RFC 7946, the tour profile, and the pipeline that runs them.

``validate`` checks GeoJSON structure (its rule objects: ``geojson_positions``,
``geojson_members``); ``profile`` checks the tour profile and normalises the document
(its rule objects: ``profile_route``, ``profile_price``, ``profile_stops``, and
``profile_geometry``, ``textmaps``, ``licences``); both add to one ``findings``.
``pipeline`` runs reading and checking on a file and builds the ``Tour``.
"""
