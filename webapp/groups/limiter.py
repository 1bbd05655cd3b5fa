"""The per-client limit on group requests sent (Flask-Limiter, in the storage every
limiter of the app shares: ``webapp.common.limits``).  Only POSTs count: showing the
form is free; a refused request is answered 429 with Retry-After."""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from webapp.common.limits import limiter_defaults

limiter = Limiter(get_remote_address)


def group_request_limit() -> str:
    """Limit on group requests per client (config GROUP_REQUEST_RATE_LIMIT)."""
    return current_app.config["GROUP_REQUEST_RATE_LIMIT"]


# One budget per client for both forms (``/groups`` and each tour's).
group_request_budget = limiter.shared_limit(
    group_request_limit, scope="group-requests", methods=["POST"]
)


def init_app(app: Flask) -> None:
    limiter_defaults(app)
    limiter.init_app(app)
