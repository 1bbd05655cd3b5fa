"""Absolute URLs for emails and API answers: always built on ``PUBLIC_URL``.

Never on the request's ``Host`` header, which a client chooses: a waiting-list offer
link must not point at whatever host an attacker sent.  In production
(``BIDEAN_ENV=production``) the app refuses to start without ``PUBLIC_URL``; in
development the first link built without it logs one warning saying how to set it and
uses ``http://localhost:5000`` (where ``make run`` serves).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

from webapp.common.settings import SettingError

DEVELOPMENT_URL = "http://localhost:5000"
_WARNED = "bidean.public_url_warned"
HOW_TO_SET = (
    "BIDEAN_PUBLIC_URL is not set: links in emails and API answers use {url}. Set it to the"
    " address visitors use, e.g. export BIDEAN_PUBLIC_URL=https://tours.example.org"
)


class PublicUrlMissing(SettingError):
    """Production without ``PUBLIC_URL``: links would point nowhere useful, or anywhere."""


def is_production(config: Any) -> bool:
    return str(config["ENV"]).lower() == "production"


def check_public_url(app: Flask) -> None:
    """At start-up: refuse production without a usable ``PUBLIC_URL``."""
    url = app.config["PUBLIC_URL"]
    if url:
        parts = urlsplit(str(url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PublicUrlMissing(
                f"BIDEAN_PUBLIC_URL={url!r} is not an absolute http(s) URL: write it like"
                " https://tours.example.org"
            )
        return
    if is_production(app.config):
        raise PublicUrlMissing(
            "BIDEAN_ENV=production needs BIDEAN_PUBLIC_URL, the address visitors use, for"
            " the links in emails: export BIDEAN_PUBLIC_URL=https://tours.example.org"
        )


def public_base(app: Flask | None = None) -> str:
    """``PUBLIC_URL``, or the development address after one warning."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config["PUBLIC_URL"]
    if url:
        return str(url)
    if not app.extensions.get(_WARNED):
        app.extensions[_WARNED] = True
        app.logger.warning(HOW_TO_SET.format(url=DEVELOPMENT_URL))
    return DEVELOPMENT_URL


def public_url_for(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` under ``PUBLIC_URL`` (a path prefix is kept)."""
    base = urlsplit(public_base())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)
