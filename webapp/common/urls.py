"""Absolute URLs for emails and API answers: always built on ``PUBLIC_URL``.

Never on the request's ``Host`` header, which a client chooses: a waiting-list offer
link must not point at whatever host an attacker sent.  In production
(``BIDEAN_ENV=production``) the app refuses to start without ``PUBLIC_URL``.  In
development ``bidean serve`` records the address it serves on in the instance folder
(``served-at``), so that links built by other commands (a set-password link, the emails of
``bidean sessions cancel``) point where the site runs, whatever ``make run PORT=`` chose;
before any ``serve``, ``http://localhost:5000`` (``make run``'s default).  The first link
built without ``PUBLIC_URL`` logs one warning saying which address it used and how to set it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from werkzeug.routing import MapAdapter

from webapp.common.settings import SettingError

DEVELOPMENT_URL = "http://localhost:5000"
#: The file of the instance folder where ``bidean serve`` writes the address it serves on.
SERVED_AT = "served-at"
_WARNED = "bidean.public_url_warned"
HOW_TO_SET = (
    "BIDEAN_PUBLIC_URL is not set: links in emails and API answers use {url}{why}. Set it to"
    " the address visitors use, e.g. export BIDEAN_PUBLIC_URL=https://tours.example.org"
)


class PublicUrlMissing(SettingError):
    """Production without ``PUBLIC_URL``: links would point nowhere useful, or anywhere."""


def is_production(config: Any) -> bool:
    return str(config["ENV"]).lower() == "production"


def check_public_url(app: Flask) -> None:
    """At start-up: refuse production without a usable ``PUBLIC_URL``."""
    url = app.config["PUBLIC_URL"]
    if url:
        if not _is_absolute(str(url)):
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


def _is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def served_at_file(app: Flask) -> Path:
    return Path(app.instance_path) / SERVED_AT


def record_served_address(app: Flask, url: str) -> None:
    """``bidean serve``: remember where the site runs, for the links other commands build."""
    path = served_at_file(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(url + "\n", encoding="utf-8")


def recorded_address(app: Flask) -> str | None:
    """The address ``bidean serve`` last recorded, if any (and if it is a usable URL)."""
    try:
        url = served_at_file(app).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return url if _is_absolute(url) else None


def public_base(app: Flask | None = None) -> str:
    """``PUBLIC_URL``; else where ``bidean serve`` runs, or the development address.

    Without ``PUBLIC_URL`` the first link logs one warning naming the address used (on the
    command line it shows on stderr), so whoever reads the link knows where it points.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config["PUBLIC_URL"]
    if url:
        return str(url)
    recorded = recorded_address(app)
    if not app.extensions.get(_WARNED):
        app.extensions[_WARNED] = True
        why = (
            f", where `bidean serve` last ran (recorded in {served_at_file(app)})"
            if recorded
            else ", `make run`'s default address"
        )
        app.logger.warning(HOW_TO_SET.format(url=recorded or DEVELOPMENT_URL, why=why))
    return recorded or DEVELOPMENT_URL


def public_url_for(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` under ``PUBLIC_URL`` (a path prefix is kept)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return _adapter(app, public_base(app)).build(endpoint, values, force_external=True)


_ADAPTERS = "bidean.public_url_adapters"


def _adapter(app: Flask, base: str) -> MapAdapter:
    """The app's URL map bound to ``base``, bound once per base: building a URL only reads
    the adapter, and binding it again for every link cost as much as the building."""
    adapters: dict[str, MapAdapter] = app.extensions.setdefault(_ADAPTERS, {})
    adapter = adapters.get(base)
    if adapter is None:
        parts = urlsplit(base)
        adapter = adapters[base] = app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http"
        )
    return adapter
