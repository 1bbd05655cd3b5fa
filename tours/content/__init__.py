"""Tour content: the files a tour is made of, from the bytes of an upload to a stored version.

Six subpackages, each importing only those before it in this list (the map in
DEVELOPERS.md, checked by ``tests/test_architecture.py``):

- ``reading``: bytes in, parsed values or problems out; strict JSON, GPX, KML, CSV, the
  limits checked before any parser runs, the one function that sniffs a file's format,
  and the line and column of a JSON pointer.
- ``checking``: RFC 7946 structure, the tour profile's rules and its normalisation,
  language maps, licences, and the pipeline that runs them on a file
  (``checking.pipeline.validate_bytes``).
- ``assembly``: a draft tour assembled from other files (a route here, stops there),
  with its field mapping and stop order.
- ``translation``: which texts lack which language, and translation CSV files.
- ``publishing``: exports (GeoJSON, GPX) and the replication kit.
- ``workflows``: the only modules that touch the database: ``bidean import``, the
  console's staged uploads and their preview, drafts, editing a stored tour, forks.

``report`` (problems with their pointer, line and column, gathered per file) is the one
module here: every subpackage reports with it.
"""
