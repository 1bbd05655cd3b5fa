"""Login floods: a per-client limit on login POSTs and a bound on hashes computed at once.

The limit (``CONSOLE_LOGIN_RATE_LIMIT``, Flask-Limiter, counted in the storage every limit
of the app shares) is checked before the view runs, so a refused attempt (429 with
Retry-After) computes no password hash.  Each worker computes at most
``CONSOLE_PASSWORD_HASHES`` argon2 verifications at once (64 MiB each); one more is
answered 503 with Retry-After at once instead of waiting in a queue that grows with
the flood.  The per-account and per-client failure counts stay in ``guides.accounts``.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from guides.accounts import HashSlots
from webapp.common.limits import limiter_defaults

# Seconds a login refused for want of a free hash slot is told to wait.
BUSY_RETRY_SECONDS = 5
SLOTS_KEY = "bidean.console_hash_slots"

limiter = Limiter(get_remote_address)


def login_limit() -> str:
    """Limit on login attempts per client (config CONSOLE_LOGIN_RATE_LIMIT)."""
    return current_app.config["CONSOLE_LOGIN_RATE_LIMIT"]


# Decorates the login view: only its POSTs count, a GET of the form is free.
login_budget = limiter.shared_limit(login_limit, scope="console-login", methods=["POST"])


def hash_slots() -> HashSlots:
    """This app's bound on password hashes computed at once in this worker."""
    return current_app.extensions[SLOTS_KEY]


def init_app(app: Flask) -> None:
    limiter_defaults(app)
    limiter.init_app(app)
    app.extensions[SLOTS_KEY] = HashSlots(app.config["CONSOLE_PASSWORD_HASHES"])
