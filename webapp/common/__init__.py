"""What every blueprint shares: settings and config, database, i18n, errors and headers,
assets, rate limits, maps, the tour cache, departure view models and the OpenAPI
registry.  Imports no blueprint."""
