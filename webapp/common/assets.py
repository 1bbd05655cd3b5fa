"""Self-hosted front-end assets: Leaflet and jQuery from their XStatic packages, and the
app's own ``webapp/static`` files, under versioned URLs that browsers may cache forever.

A city service must not make its visitors' phones talk to CDNs, so every script and
stylesheet a page needs comes from here: ``/assets/<package>/<version>/<path>``.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import xstatic.pkg.jquery
import xstatic.pkg.leaflet
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    send_from_directory,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.security import safe_join

from webapp.common.httpcache import COMPRESSIBLE, Encoded
from webapp.common.tiles import tiles_from_config

ONE_YEAR = 31_536_000
BR_11_MAX_BYTES = 64 * 1024
APP_STATIC = Path(__file__).resolve().parent.parent / "static"

# Explicit types: Python's guess for ``.js`` differs between versions and ``.map`` is unknown.
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}

bp = Blueprint("assets", __name__, url_prefix="/assets")

# Stylesheets a page needs, served as one file (``/assets/bundle/<hash>/<name>``), in cascade
# order: the tour page asked for four, and a phone on a slow link fetched them all ahead of
# Leaflet's script, which the map waits for.
BUNDLES: dict[str, tuple[tuple[str, str], ...]] = {
    "tour.css": (
        ("app", "css/bidean.css"),
        ("leaflet", "leaflet.css"),
        ("app", "css/map.css"),
        ("app", "css/booking.css"),
    ),
}
BUNDLE = "bundle"
# url(...) not absolute, not a fragment (``url(#default#VML)``) and not data.
RELATIVE_URL = re.compile(r"""url\((['"]?)(?![a-z][a-z0-9+.-]*:|/|#)""", re.IGNORECASE)


@dataclass(frozen=True)
class AssetPackage:
    """A folder of files served under one version: the package version, or a content hash."""

    name: str
    directory: Path
    version: str


def static_version(directory: Path) -> str:
    """A short hash of every file under ``directory``: it changes whenever any file does."""
    digest = hashlib.sha256()
    if directory.is_dir():
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            digest.update(path.relative_to(directory).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def build_packages() -> dict[str, AssetPackage]:
    """The packages this app serves, keyed by the name used in URLs."""
    packages = [
        AssetPackage(
            "leaflet", Path(xstatic.pkg.leaflet.BASE_DIR), xstatic.pkg.leaflet.PACKAGE_VERSION
        ),
        AssetPackage(
            "jquery", Path(xstatic.pkg.jquery.BASE_DIR), xstatic.pkg.jquery.PACKAGE_VERSION
        ),
        AssetPackage("app", APP_STATIC, static_version(APP_STATIC)),
    ]
    return {package.name: package for package in packages}


@dataclass(frozen=True)
class Bundle:
    """Stylesheets joined into one file, versioned by a hash of its text."""

    version: str
    encoded: Encoded


def build_bundles(packages: dict[str, AssetPackage]) -> dict[str, Bundle]:
    """Each bundle of ``BUNDLES``, its relative ``url()``s rewritten to reach their package's
    files from ``/assets/bundle/<hash>/``."""
    bundles: dict[str, Bundle] = {}
    for name, parts in BUNDLES.items():
        texts = []
        for package_name, path in parts:
            package = packages[package_name]
            folder = posixpath.dirname(path)
            prefix = f"../../{package_name}/{package.version}/" + (folder + "/" if folder else "")
            text = (package.directory / path).read_text(encoding="utf-8")
            texts.append(
                f"/* {package_name}: {path} */\n" + RELATIVE_URL.sub(rf"url(\1{prefix}", text)
            )
        body = "\n".join(texts).encode()
        version = hashlib.sha256(body).hexdigest()[:12]
        bundles[name] = Bundle(
            version, Encoded(body, br_quality=11 if len(body) < BR_11_MAX_BYTES else 9)
        )
    return bundles


def _packages() -> dict[str, AssetPackage]:
    from flask import current_app

    return current_app.extensions["bidean.assets"]


def asset_url(package: str, path: str) -> str:
    """The versioned URL of ``path`` inside ``package`` (``leaflet``, ``jquery`` or ``app``),
    or of the bundle ``path`` (``package`` ``"bundle"``, e.g. ``tour.css``)."""
    version = _bundles()[path].version if package == BUNDLE else _packages()[package].version
    return url_for("assets.asset", package=package, version=version, path=path)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app: Flask = state.app
    app.extensions["bidean.assets"] = build_packages()
    app.extensions["bidean.bundles"] = build_bundles(app.extensions["bidean.assets"])
    app.add_template_global(asset_url, "asset_url")
    # Tile settings are read on every map render; check them once, at start-up.
    tiles_from_config(app.config)


@bp.get("/<package>/<version>/<path:path>")
def asset(package: str, version: str, path: str) -> Response:
    """One file of a self-hosted package, cacheable for a year."""
    if package == BUNDLE:
        return bundle(version, path)
    found = _packages().get(package)
    if found is None:
        abort(404)
    if version != found.version:
        # A page cached before an upgrade still gets its file, from the current version.
        response = redirect(
            url_for("assets.asset", package=package, version=found.version, path=path)
        )
        response.headers["Cache-Control"] = "no-cache"
        return response
    content_type = CONTENT_TYPES.get(Path(path).suffix.lower())
    encoded = None
    if content_type and content_type.split(";")[0] in COMPRESSIBLE:
        encoded = encoded_file(str(found.directory), found.version, path)
    if encoded is not None:
        # Scripts and stylesheets: compressed once, as hard as brotli and gzip go.
        response = encoded.response(content_type)
        response.cache_control.max_age = ONE_YEAR
    else:
        response = send_from_directory(found.directory, path, max_age=ONE_YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    if content_type:
        response.headers["Content-Type"] = content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _bundles() -> dict[str, Bundle]:
    return current_app.extensions["bidean.bundles"]


def bundle(version: str, name: str) -> Response:
    """A bundle of stylesheets, served like a package's file: cached for a year, compressed
    once per process, an old version redirected to the current one."""
    found = _bundles().get(name)
    if found is None:
        abort(404)
    if version != found.version:
        response = redirect(
            url_for("assets.asset", package=BUNDLE, version=found.version, path=name)
        )
        response.headers["Cache-Control"] = "no-cache"
        return response
    response = found.encoded.response(CONTENT_TYPES[".css"])
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["Content-Type"] = CONTENT_TYPES[".css"]
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@lru_cache(maxsize=256)
def encoded_file(directory: str, version: str, path: str) -> Encoded | None:
    """A text file of a package version with its compressed forms; None when absent.

    A versioned file never changes, so it is read and compressed once per process.
    """
    full = safe_join(directory, path)
    if full is None or not Path(full).is_file():
        return None
    body = Path(full).read_bytes()
    # Brotli 11 is the smallest but slow on big files (leaflet.js, 144 KB: ~0.8 s, 36.8 KB
    # out); 9 takes ~0.12 s for 39.7 KB.  Paid once per worker, by its first visitor.
    return Encoded(body, br_quality=11 if len(body) < BR_11_MAX_BYTES else 9)
