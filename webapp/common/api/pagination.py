"""Keyset pagination for the JSON lists (``/api/tours``, ``/api/sessions``).

A page is asked for with ``limit`` (how many items, ``DEFAULT_LIMIT`` unless given, at
most ``MAX_LIMIT``) and ``cursor``, an opaque token from the ``next`` link of the page
before.  The cursor carries the sort key of the last item shown (base64url of a small
JSON array), so the next page starts right after it: stable while items are added or
removed, and as fast on page 500 as on page 1.  Bad values are a 400 with a message
saying what to send instead.  The body stays a JSON array; the next page's URL is in
the ``Link`` header (``<...>; rel="next"``, RFC 8288), absent on the last page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Response, abort, request
from flask_babel import gettext

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 400


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: tuple[Any, ...] | None  # the sort key of the last item of the page before


def page_request(kinds: Sequence[type]) -> PageRequest:
    """``limit`` and ``cursor`` of this request; a cursor's key has one value per ``kinds``."""
    raw_limit = request.args.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        digits = raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 6
        if not digits or not 1 <= int(raw_limit) <= MAX_LIMIT:
            abort(
                400,
                gettext(
                    "The limit parameter must be a whole number from 1 to %(max)s.", max=MAX_LIMIT
                ),
            )
        limit = int(raw_limit)
    raw_cursor = request.args.get("cursor")
    after = None if raw_cursor is None else decode_cursor(raw_cursor, kinds)
    return PageRequest(limit, after)


def encode_cursor(key: Sequence[Any]) -> str:
    text = json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(raw: str, kinds: Sequence[type]) -> tuple[Any, ...]:
    try:
        if len(raw) > MAX_CURSOR_CHARS:
            raise ValueError(raw)
        padded = raw + "=" * (-len(raw) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode())
        if not isinstance(key, list) or len(key) != len(kinds):
            raise ValueError(raw)
        if not all(type(v) is kind for v, kind in zip(key, kinds, strict=True)):
            raise ValueError(raw)
    except (ValueError, UnicodeError, binascii.Error):
        bad_cursor()
    return tuple(key)


def bad_cursor() -> NoReturn:
    abort(
        400,
        gettext(
            "The cursor parameter is not one this API gave: use the next link of the "
            "page before, or leave cursor out to start from the first page."
        ),
    )


def with_next_link(response: Response, url: str | None) -> Response:
    if url is not None:
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


def next_link(
    build: Callable[..., str], endpoint: str, key: Sequence[Any] | None, limit: int
) -> str | None:
    """The absolute URL of the page after the one whose last item has sort ``key``.

    ``build`` makes the URL: the caller passes ``webapp.common.urls.public_url_for``, so the
    link is on ``PUBLIC_URL`` and never on the Host header a client sent.
    """
    if key is None:
        return None
    params = {k: v for k, v in request.args.items() if k not in ("cursor", "limit")}
    if limit != DEFAULT_LIMIT:
        params["limit"] = limit
    return build(endpoint, cursor=encode_cursor(key), **params)


# --- OpenAPI ------------------------------------------------------------------------

PAGE_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"Items on this page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": (
            "Where the page starts: an opaque token from the next link (Link header) of "
            "the page before; leave it out for the first page"
        ),
        "schema": {"type": "string", "maxLength": MAX_CURSOR_CHARS},
    },
]

LINK_HEADER: dict[str, Any] = {
    "Link": {
        "description": (
            'The next page, as `<url>; rel="next"` (RFC 8288); absent on the last page'
        ),
        "schema": {"type": "string"},
    }
}


def paged(response: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI response object with the ``Link`` header of a paged list."""
    return {**response, "headers": LINK_HEADER}
