"""Configuration defaults; every key can be set from the environment as ``BIDEAN_<KEY>``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: an SQLite file in the instance folder
    "MAX_IMPORT_MB": 50,
    "CONSOLE_IMPORT_MB": 10,  # largest upload (all files together) of the console's import
    "IMPORT_STAGING_MINUTES": 60,  # an import not confirmed within this long is removed
    "IMPORT_STAGING_DIR": None,  # None: import-staging/ in the instance folder
    "STOP_DISTANCE_M": 50.0,
    "WALKING_KMH": 4.5,
    # Memory for every in-process cache of a worker (built tours, pages, maps, GeoJSON),
    # in MB; the least recently used entries go first (webapp/common/bytecache.py).
    "CACHE_MB": 64,
    "SAMPLE_ROUTES_DIR": None,  # None: data/routes next to the package
    "SAMPLE_GUIDES_DIR": None,  # None: data/guides next to the package
    "SAMPLE_DEPARTURES": True,  # first start also schedules a few sample walks
    "CONSOLE_IDLE_MINUTES": 120,  # a console session ends after this long unused
    "COOKIE_SECURE": None,  # None: Secure cookies unless debugging or on `bidean serve`
    "DEFAULT_LOCALE": "es",
    "TILES_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "TILES_ATTRIBUTION": (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    ),
    "RATELIMIT_ENABLED": True,
    "REDIS_URL": None,
    # development (default) or production: production needs PUBLIC_URL and sends cookies
    # only over HTTPS.
    "ENV": "development",
    "PUBLIC_URL": None,
    "PROXY_FIX": 0,  # number of reverse proxies in front (nginx: 1)
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes a request body may have
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}


def environment_config() -> dict[str, Any]:
    """Defaults, then ``BIDEAN_*`` environment variables (what needs no instance folder)."""
    config: dict[str, Any] = dict(DEFAULTS)
    for key, raw in os.environ.items():
        if key.startswith("BIDEAN_"):
            config[key.removeprefix("BIDEAN_")] = _parse(raw)
    return config


def load_config(instance_path: str, test_config: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults, then ``BIDEAN_*`` environment variables, then ``test_config``."""
    config = environment_config()
    if test_config:
        config.update(test_config)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'bidean.sqlite3'}"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(Path(instance_path))
    # Cookies (the session holds the CSRF token) only over HTTPS, except in development.
    production = str(config.get("ENV")).strip().lower() == "production"
    config.setdefault("SESSION_COOKIE_SECURE", production)
    return config


def _parse(raw: str) -> Any:
    """Numbers and booleans from the environment become numbers and booleans."""
    lowered = raw.strip().lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def _instance_secret(instance: Path) -> str:
    """A per-installation secret kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def sample_routes_dir(config: dict[str, Any]) -> Path:
    return Path(config.get("SAMPLE_ROUTES_DIR") or repo_root() / "data" / "routes")


def sample_guides_dir(config: dict[str, Any]) -> Path:
    return Path(config.get("SAMPLE_GUIDES_DIR") or repo_root() / "data" / "guides")
