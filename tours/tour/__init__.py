"""The tour itself: stops and texts, geometry in metres, the catalogue view and the store."""
