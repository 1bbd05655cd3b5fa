"""The error hierarchy of the domain core; the web layer maps these to responses."""

from __future__ import annotations


class BideanError(Exception):
    """Base class of every error the domain core raises on purpose."""


class NotFound(BideanError):
    """A tour, departure or booking that does not exist (or is not public)."""


class TourNotFound(NotFound):
    """No tour has this slug (or this version)."""

    def __init__(self, slug: str, version: int | None = None) -> None:
        self.slug = slug
        self.version = version
        where = f"{slug!r} version {version}" if version else repr(slug)
        super().__init__(f"No tour {where} is stored.")
