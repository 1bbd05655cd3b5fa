"""Bidean's domain core: tours, stops, localized text, geometry and bookings rules.

This package never imports Flask; the web layer in ``webapp`` calls into it.
"""
