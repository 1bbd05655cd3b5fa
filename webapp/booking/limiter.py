"""Rate limits per client (Flask-Limiter): Redis when ``REDIS_URL`` is set, else memory.

``BIDEAN_RATELIMIT_ENABLED=false`` switches every limit off (load tests, benchmarks).
Limits count per client address as the app sees it; behind a reverse proxy set
``BIDEAN_PROXY_FIX=1`` (werkzeug's ``ProxyFix``) so that is the visitor's address.

Every write of a booking, waiting-list entry, cancellation or offer answer, through a
form or the API, counts against ONE budget per client (``booking_budget``).  When Redis
cannot be reached, Flask-Limiter logs "Rate limit storage unreachable - falling back to
in-memory storage" and counts in each worker's memory; the booking budget then drops
to ``FALLBACK_BOOKING_RATE_LIMIT`` per worker, so N workers allow at most N times that.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from webapp.common.limits import limiter_defaults

limiter = Limiter(get_remote_address)


def storage_down() -> bool:
    """True while Flask-Limiter counts in memory because Redis is unreachable."""
    return bool(getattr(limiter, "_storage_dead", False))


def booking_limit() -> str:
    """Limit on requests that write bookings or waiting-list entries (config BOOKING_RATE_LIMIT)."""
    if storage_down():
        return current_app.config["FALLBACK_BOOKING_RATE_LIMIT"]
    return current_app.config["BOOKING_RATE_LIMIT"]


# One budget per client for every booking write, form or API (decorate POST views).
booking_budget = limiter.shared_limit(booking_limit, scope="booking-writes", methods=["POST"])


def read_limit() -> str:
    """Limit on API reads (config API_READ_RATE_LIMIT)."""
    return current_app.config["API_READ_RATE_LIMIT"]


def init_app(app: Flask) -> None:
    limiter_defaults(app)
    limiter.init_app(app)
    # One Limiter object serves every app of the process (tests make many): a new app
    # starts with its storage assumed reachable, as a fresh Limiter would.
    limiter._storage_dead = False
