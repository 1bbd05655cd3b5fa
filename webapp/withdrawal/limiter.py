"""The per-client limit on withdrawals sent (Flask-Limiter, in the storage every limiter
of the app shares: ``webapp.common.limits``).  Only POSTs count: reading the page is
free; a refused request is answered 429 with Retry-After."""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from webapp.common.limits import limiter_defaults

limiter = Limiter(get_remote_address)


def withdrawal_limit() -> str:
    """Limit on withdrawals sent per client (config WITHDRAWAL_RATE_LIMIT)."""
    return current_app.config["WITHDRAWAL_RATE_LIMIT"]


withdrawal_budget = limiter.shared_limit(withdrawal_limit, scope="withdrawals", methods=["POST"])


def init_app(app: Flask) -> None:
    limiter_defaults(app)
    limiter.init_app(app)
