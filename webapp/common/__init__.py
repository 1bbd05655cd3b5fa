"""What several blueprints share: settings and config, database, i18n, errors and headers,
request limits, assets, HTTP caching, maps, the byte-bounded cache and the tour cache,
departure view models, and (in ``api``) the OpenAPI registry and pagination of the JSON
APIs.  Imports no blueprint."""
