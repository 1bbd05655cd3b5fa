"""The per-client limit on proposals sent (Flask-Limiter, in the storage every limiter of
the app shares: ``webapp.common.limits``).  Only POSTs count: showing the form is free; a
refused request is answered 429 with Retry-After."""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from webapp.common.limits import limiter_defaults

limiter = Limiter(get_remote_address)


def share_limit() -> str:
    """Limit on proposals per client (config SHARE_RATE_LIMIT)."""
    return current_app.config["SHARE_RATE_LIMIT"]


# One budget per client for both forms (``/share`` and each tour's).
share_budget = limiter.shared_limit(share_limit, scope="share", methods=["POST"])


def init_app(app: Flask) -> None:
    limiter_defaults(app)
    limiter.init_app(app)
