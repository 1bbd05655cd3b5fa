"""Publishing a tour beyond Bidean: GeoJSON and GPX exports (``export``) and the
replication kit, a zip with the tour, its translations and a printable page (``kit``,
``kit_html``)."""
