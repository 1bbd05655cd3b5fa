"""What every blueprint shares: config, database, i18n, errors and headers, assets, rate limits,
maps, the tour cache, departure view models and the OpenAPI registry.  Imports no blueprint."""
