"""Public guide profiles: the ``/guides/<id>`` pages and the ``/api/guides`` JSON API."""
