"""Tour files: reading, checking and normalising GeoJSON and GPX into the profile; reports."""
