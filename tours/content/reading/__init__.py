"""Reading tour files: bytes in, a parsed value or problems out, never an exception.

Strict JSON (``jsonload``), GPX (``gpx``), KML and KMZ (``kml``), CSV (``csvread``), the
limits checked before a parser sees a file (``limits``), the format of a file from its
name and first bytes (``sniff``) and the line and column of a JSON pointer
(``positions``).  Nothing here knows the tour profile.
"""
