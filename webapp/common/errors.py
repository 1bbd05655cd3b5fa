"""What every response looks like when things go wrong, and the headers every response gets.

Errors: an HTML page in the visitor's language, or under ``/api/`` a JSON body
``{"error": message, "code": slug}``; never a traceback.  A database that cannot be
reached (down, restarting, refusing connections) is a 503 with ``Retry-After``; so is one
without the schema (never migrated, or older than the code: under gunicorn nothing runs
``bidean init-db`` for you), whose page and log say to run it.
Headers: a Content-Security-Policy with a per-request nonce (``g.csp_nonce``,
``csp_nonce()`` in templates) that inline ``<script>``/``<style>`` tags must carry, plus
``nosniff``, a referrer policy and, over HTTPS, HSTS.  ``keep_out_of_caches`` marks a
blueprint's pages ``no-store``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext, lazy_gettext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException, NotFound, ServiceUnavailable

from tours.errors import NotFound as DomainNotFound
from tours.errors import TourNotFound
from webapp.common.database import get_db, schema_is_current

# (page title, what happened and what to do) per status code.
MESSAGES = {
    400: (
        lazy_gettext("Bad request"),
        lazy_gettext("Something in the address or form could not be read. Check it and try again."),
    ),
    404: (
        lazy_gettext("Page not found"),
        lazy_gettext(
            "There is no page at this address. "
            "The tour may have been renamed: the catalogue lists every tour."
        ),
    ),
    403: (
        lazy_gettext("No access"),
        lazy_gettext("This page is not open to your account. If you need it, ask a coordinator."),
    ),
    405: (
        lazy_gettext("Not allowed"),
        lazy_gettext(
            "This address cannot be used that way. Use the links and buttons on the page."
        ),
    ),
    410: (
        lazy_gettext("No longer available"),
        lazy_gettext("What this address showed is no longer available."),
    ),
    413: (
        lazy_gettext("Too large"),
        lazy_gettext("What you sent is too large. Send something smaller."),
    ),
    429: (
        lazy_gettext("Too many requests"),
        lazy_gettext("There were many requests in a short time. Wait a minute and try again."),
    ),
    500: (
        lazy_gettext("Something went wrong"),
        lazy_gettext(
            "An error on our side stopped this page. It has been recorded; "
            "please try again in a moment."
        ),
    ),
    503: (
        lazy_gettext("Temporarily unavailable"),
        lazy_gettext("The site cannot reach its data just now. Please try again in a minute."),
    ),
}
CODES = {
    400: "bad-request",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    410: "gone",
    413: "too-large",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}
# Seconds a client is asked to wait when the database cannot be reached (a restart
# takes a few seconds; a proxy or client retrying sooner would only add load).
RETRY_AFTER_SECONDS = 30
# ``app.extensions`` key: the missing schema was logged (once per process, not per request).
_SCHEMA_LOGGED = "bidean.schema_missing_logged"
SCHEMA_MISSING = (
    "the database has no tables, or older ones than this code needs: run `bidean init-db`"
    " (every page answers 503 until then)"
)
# Shown only if the error page itself cannot be rendered: plain, and in every language.
LAST_RESORT = (
    '<!doctype html><html lang="es"><meta charset="utf-8"><title>Error</title>'
    "<h1>Error</h1><p>Algo ha fallado. Zerbait gaizki atera da. Something went wrong. "
    "Une erreur est survenue. <span lang='ar' dir='rtl'>حدث خطأ ما.</span></p>"
    '<p><a href="/">Bidean</a></p></html>'
)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DomainNotFound, handle_not_found)
    # SQLAlchemy raises these for a connection refused, dropped or closed under it.
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    # PostgreSQL reports a missing table as a programming error (SQLite as operational).
    app.register_error_handler(ProgrammingError, handle_programming_error)
    app.before_request(_new_nonce)
    app.after_request(add_security_headers)
    app.add_template_global(csp_nonce, "csp_nonce")


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def handle_not_found(error: DomainNotFound) -> Response:
    """A tour (or other public thing) that is not stored: a 404 that names it."""
    if isinstance(error, TourNotFound):
        message = gettext("There is no tour called “%(slug)s”.", slug=error.slug)
    else:
        message = str(MESSAGES[404][1])
    return error_response(NotFound(), message)


def schema_missing() -> bool:
    """True when the database answers but lacks the newest schema."""
    try:
        return not schema_is_current(get_db().engine)
    except DBAPIError:  # cannot be reached: an outage, not a missing schema
        return False


def schema_missing_response() -> Response:
    """503 saying to run ``bidean init-db``, in the page and, once, in the log."""
    if not current_app.extensions.get(_SCHEMA_LOGGED):
        current_app.extensions[_SCHEMA_LOGGED] = True
        current_app.logger.error(SCHEMA_MISSING)
    message = gettext(
        "The site's database is not set up yet. Whoever runs the site: run `bidean init-db`."
    )
    response = error_response(ServiceUnavailable(), message)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_programming_error(error: ProgrammingError) -> Response:
    """A missing table (PostgreSQL) is a 503 saying what to run; any other, a 500."""
    if schema_missing():
        return schema_missing_response()
    raise error


def handle_database_unavailable(error: DBAPIError) -> Response:
    """The database cannot be reached: 503 and ``Retry-After``, logged in one line.

    No traceback: during an outage every request fails the same way, and a traceback
    each would bury the log.  The driver's first line says what happened; the endpoint,
    not the path, names the request (a path may carry a signed link).  A database that
    answers without its tables (SQLite's "no such table") is ``schema_missing_response``.
    """
    # Only SQLite says "no such table" this way, and asking it costs nothing; a server
    # that cannot be reached is not asked a second time.
    if get_db().engine.dialect.name == "sqlite" and schema_missing():
        return schema_missing_response()
    reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
    current_app.logger.warning(
        "database unavailable, answered 503 to %s: %s: %s",
        request.endpoint,
        type(error.orig).__name__,
        reason,
    )
    response = error_response(ServiceUnavailable())
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_http_error(error: HTTPException) -> Response:
    """Any HTTP error (and, via Flask's 500, any uncaught exception) as a page or JSON."""
    # ``abort(400, gettext(...))`` gives a specific, translated message: show it.  Werkzeug's
    # defaults and extensions' own descriptions (Flask-WTF, Flask-Limiter) are English only.
    own = type(error).__module__.startswith("werkzeug.")
    custom = error.description if own and error.description != type(error).description else None
    response = error_response(error, custom)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def error_response(error: HTTPException, message: str | None = None) -> Response:
    status = error.code or 500
    # A status without its own words takes those of its class: never Werkzeug's English name.
    title, default_message = MESSAGES.get(status) or MESSAGES[500 if status >= 500 else 400]
    message = message or str(default_message)
    if wants_json():
        response = jsonify(error=message, code=CODES.get(status, f"http-{status}"))
        response.status_code = status
        return response
    try:
        body = render_template(
            "errors/error.html", status=status, title=str(title), message=message
        )
    except Exception:
        # The error page must not fail in turn (say, a broken catalogue): log, stay plain.
        current_app.logger.exception("rendering the %s error page failed", status)
        body = LAST_RESORT
    return Response(body, status=status, mimetype="text/html")


def _new_nonce() -> None:
    """Set ``g.csp_nonce`` before any view runs (returning None lets the request go on)."""
    csp_nonce()


def csp_nonce() -> str:
    """This request's nonce: put ``nonce="{{ csp_nonce() }}"`` on every inline script/style."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


@contextmanager
def nonce_placeholder(placeholder: str) -> Iterator[None]:
    """Render with ``placeholder`` as the nonce, for HTML cached across requests.

    The cache stores the placeholder and each request puts its own nonce in its place:
    a real nonce in a cached page would be reused, which defeats the policy.
    """
    real = csp_nonce()
    g.csp_nonce = placeholder
    try:
        yield
    finally:
        g.csp_nonce = real


def tile_source(tiles_url: str) -> str:
    """The CSP source of the map tile server (``{s}`` subdomains become a wildcard)."""
    parts = urlsplit(tiles_url)
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    if "{" in host:
        host = "*." + host.split(".", 1)[-1]
    return f"{parts.scheme}://{host}"


def content_security_policy(nonce: str, tiles_url: str) -> str:
    """Scripts and styles from this site or carrying the nonce; images also from tiles."""
    tiles = tile_source(tiles_url)
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        f"img-src 'self' data: {tiles}".rstrip(),
        # Recordings from this site, and a recording just made, listened to before it is sent.
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


HSTS = "max-age=31536000; includeSubDomains"
# Everything but an HTML page: no content of its own to load, never framed.
NOT_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The headers every response gets, in this order, unless the view set its own.
FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
)


def add_security_headers(response: Response) -> Response:
    """The policy and the headers above, each only when the view did not set it.

    Every response passes here: the names already set are read in one pass and the
    missing headers appended, in the order ``Headers.setdefault`` appended them (which
    searched the list three times a header and raised a ``KeyError`` for each one
    missing: a tenth of a booking's after-request CPU).
    """
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    if "content-security-policy" not in present:
        if response.mimetype == "text/html":
            policy = content_security_policy(csp_nonce(), current_app.config["TILES_URL"])
        else:
            policy = NOT_HTML_POLICY
        headers.add("Content-Security-Policy", policy)
    for name, value in FIXED_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    # Only over HTTPS (RFC 6797): behind a proxy, PROXY_FIX makes X-Forwarded-Proto count.
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", HSTS)
    return response


def keep_out_of_caches(blueprint: Blueprint) -> None:
    """Every response of ``blueprint`` is ``Cache-Control: no-store``.

    For pages showing a booker's data or a signed link (manage, offer, confirmation,
    forms with their tokens) and for console pages: no shared or browser cache keeps them.
    """

    def no_store(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        return response

    blueprint.after_request(no_store)
