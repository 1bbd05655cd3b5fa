"""Limits on every request, checked before any view reads it.

- ``MAX_CONTENT_LENGTH`` (default 1 MiB, ``BIDEAN_MAX_CONTENT_LENGTH`` in bytes): a larger
  body is refused with 413 before it is read into memory.  A view marked with
  :func:`body_limit` (the console's import page) has its own limit, a config key in MB,
  and its form is read only when the view runs: after the login check, so an anonymous
  upload is turned away unread.
- Integers in URLs (``<int:…>``) stop at 2³¹−1, the largest id a column holds: beyond
  that the route does not match (404) instead of overflowing the database (500); ids in
  query strings are read with :func:`stored_id`, which does the same.
- NUL characters and lone surrogates anywhere in the path, the query string, a form or
  a JSON body are refused with 400: no database column can store them.
- JSON bodies nested deeper than ``MAX_JSON_DEPTH`` are refused with 400 before the
  (recursive) parser sees them.

Per-client rate limits live with what they limit (the booking blueprint's ``limiter``,
the console's ``throttle``: a blueprint never imports another); :func:`limiter_defaults`
gives every ``Limiter`` of the app one storage and the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, current_app, request
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map

from tours.content.reading.limits import json_depth
from tours.text import unstorable

MAX_JSON_DEPTH = 16
MAX_ID = 2**31 - 1
V = TypeVar("V", bound=Callable[..., Any])


def body_limit(config_key: str) -> Callable[[V], V]:
    """Let a view take bodies up to ``app.config[config_key]`` megabytes instead of
    ``MAX_CONTENT_LENGTH`` (put it under the route decorator, above the role check).

    Its form is checked for unstorable text when the view is called, not before every
    request: blueprints check the login in between, so nobody's upload is parsed before.
    """

    def mark(view: V) -> V:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            _refuse_unstorable(request.form)
            return view(*args, **kwargs)

        checked.body_limit_key = config_key  # type: ignore[attr-defined]
        return cast(V, checked)

    return mark


def _body_limit_key() -> str | None:
    """The body limit of the view about to run, when it has one of its own."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "body_limit_key", None)


def body_limit_bytes(config_key: str) -> int:
    """The limit ``config_key`` (megabytes, possibly fractional) in bytes."""
    return int(float(current_app.config[config_key]) * 1024 * 1024)


def apply_body_limit() -> None:
    """Before anything reads the body: the limit of the view about to run."""
    key = _body_limit_key()
    if key is not None:
        request.max_content_length = body_limit_bytes(key)


def stored_id(text: str | None) -> int | None:
    """``text`` as an id a column can hold (ASCII digits up to ``MAX_ID``), else None."""
    if not text or not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` that matches only what an integer column can hold."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Check body sizes and set the URL converter; call before blueprints are registered."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(apply_body_limit)
    app.before_request(refuse_unstorable_input)


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _unstorable_message() -> str:
    return gettext(
        "The request contains a character that cannot be used (a NUL or a broken "
        "character). Remove it and try again."
    )


def _refuse_unstorable(multi: MultiDict[str, str]) -> None:
    """400 when a key or value of ``multi`` (a query string or a form) is unstorable."""
    for key, values in multi.lists():
        if unstorable(key) or any(unstorable(v) for v in values):
            abort(400, _unstorable_message())


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_unstorable_input() -> None:
    """400 for NUL or lone surrogates in any input, or JSON nested too deeply.

    The message is translated only when it is sent: every request passes here.
    """
    if unstorable(request.path):
        abort(400, _unstorable_message())
    _refuse_unstorable(request.args)
    # Only these bodies are parsed into ``request.form`` (anything else leaves it empty,
    # after building its parser: a booking's JSON body paid for that on every request).
    # An upload's view reads its form itself (``body_limit``).
    if request.mimetype in _FORM_TYPES and _body_limit_key() is None:
        _refuse_unstorable(request.form)
    if request.is_json and request.method in ("POST", "PUT", "PATCH"):
        if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
            abort(400, gettext("The JSON body is nested too deeply. Send a flat object."))
        body = request.get_json(silent=True)
        if any(unstorable(text) for text in _strings(body)):
            abort(400, _unstorable_message())


def limiter_defaults(app: Flask) -> None:
    """Redis when ``REDIS_URL`` is set, else memory; Retry-After headers; Redis down is no error."""
    redis_url = app.config["REDIS_URL"]
    # An explicit storage keeps Flask-Limiter from warning about an implicit memory store.
    app.config.setdefault("RATELIMIT_STORAGE_URI", str(redis_url) if redis_url else "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "bidean")
    # Redis down must not turn requests into errors: count in memory until it is back.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
