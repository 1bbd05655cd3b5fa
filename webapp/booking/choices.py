"""Which walk the booking form shows selected: plain functions over departure views.

A date or a language is never switched silently: a walk the visitor asked for stays
selected even when it is full (the page then offers its waiting list), and without one
the form starts on the earliest walk with seats in the visitor's language.
"""

from __future__ import annotations

from collections.abc import Sequence

from tours.i18n import base_language
from webapp.common.departure_views import DepartureView


def asked_for(views: Sequence[DepartureView], wanted: str | None) -> DepartureView | None:
    """The upcoming walk whose id is ``wanted`` (``?session=`` or the posted field)."""
    return next((v for v in views if str(v.id) == (wanted or "")), None)


def earliest_in_language(views: Sequence[DepartureView], language: str) -> DepartureView | None:
    """The earliest walk with seats guided in ``language`` (``fr-CA`` matches ``fr``)."""
    wanted = base_language(language)
    return next((v for v in views if not v.full and base_language(v.language) == wanted), None)
