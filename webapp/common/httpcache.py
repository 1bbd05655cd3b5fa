"""Fewer bytes on the wire: compressed responses, ETags and ``304 Not Modified``.

Compression.  Flask-Compress compresses HTML, JSON, GeoJSON, GPX, JavaScript, CSS and SVG
responses of ``MIN_SIZE`` bytes or more with brotli when the client accepts it, else gzip
(``Vary: Accept-Encoding`` on every response); images and other already-compressed media
are left alone, and so are streamed responses (files, downloads).  Bodies that never
change (versioned assets, a tour version's GeoJSON) are compressed once, harder, and kept
(``Encoded``); Flask-Compress leaves a response that already has a ``Content-Encoding``.

Validators.  ``conditional`` runs after every other response hook but before compression:

* a response that has an ``ETag`` (assets, GeoJSON: one per encoding, strong) is answered
  ``304`` when the request's ``If-None-Match`` names it;
* a ``200`` HTML or JSON page without one gets a weak ETag over its whole body **except
  this request's CSP nonce**, and ``Cache-Control: no-cache`` (always revalidate; for
  HTML ``private`` too, so no shared cache hands one nonce to many visitors).  Everything
  else in the body counts: the tour version, both languages, the live seats block.  So a
  change anywhere on the page changes the ETag, and an unchanged page is a 304 of a few
  hundred bytes.  A 304 carries no ``Content-Security-Policy``: the browser keeps the
  policy it stored with the body, whose nonce is the one written in that body.
* ``no-store`` responses (booking, console) get no ETag and are never 304.
"""

from __future__ import annotations

import gzip
import hashlib
import threading

import brotli
from flask import Flask, Response, g, request
from flask_compress import Compress

MIN_SIZE = 500  # bytes: smaller bodies are sent as they are
ENCODINGS = ("br", "gzip")  # in order of preference when the client takes both equally
COMPRESSIBLE = (
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/calendar",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "application/gpx+xml",
    "application/xml",
    "application/manifest+json",
    "image/svg+xml",
)
# Pages that get an ETag over their body when the view set none.
ETAG_TYPES = frozenset({"text/html", "application/json", "application/geo+json"})
# Headers a 304 must not carry: they belong to the body the browser already has.
NOT_ON_304 = ("Content-Security-Policy",)


def init_app(app: Flask) -> None:
    """Register compression and conditional GET; call before any other response hook."""
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSIBLE))
    app.config.setdefault("COMPRESS_ALGORITHM", list(ENCODINGS))
    app.config.setdefault("COMPRESS_MIN_SIZE", MIN_SIZE)
    # Pages are compressed on every request (each has its own nonce), so cheaply: on a
    # 28 KB tour page brotli 1 gives 7.8 KB for a quarter of what 3 costs (6.9 KB) and as
    # much CPU as serving the cached page itself (docs/performance.md).
    app.config.setdefault("COMPRESS_BR_LEVEL", 1)
    app.config.setdefault("COMPRESS_STREAMS", False)
    # 304s are decided by ``conditional`` before compression, so no body is compressed
    # for nothing and weak ETags (pages) match whatever the encoding.
    app.config["COMPRESS_EVALUATE_CONDITIONAL_REQUEST"] = False
    # Flask runs response hooks in reverse order of registration: these two run last,
    # ``conditional`` then compression.
    Compress(app)
    app.after_request(conditional)


def page_etag(body: bytes) -> str:
    """The ETag of a page body: a hash of everything in it but this request's nonce."""
    nonce = g.get("csp_nonce")
    if nonce:
        body = body.replace(nonce.encode(), b"")
    return hashlib.sha256(body).hexdigest()[:32]


def conditional(response: Response) -> Response:
    """Give pages a validator and answer ``304`` when the client's copy is current."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.is_streamed or "no-store" in response.headers.get("Cache-Control", ""):
        return response
    if "ETag" not in response.headers:
        if response.mimetype not in ETAG_TYPES:
            return response
        response.set_etag(page_etag(response.get_data()), weak=True)
        if "Cache-Control" not in response.headers:
            private = "private, " if response.mimetype == "text/html" else ""
            response.headers["Cache-Control"] = f"{private}no-cache"
    response.make_conditional(request)
    if response.status_code == 304:
        for name in NOT_ON_304:
            response.headers.pop(name, None)
    return response


def accepted_encoding() -> str | None:
    """The encoding to answer this request in: brotli, gzip or none (``Accept-Encoding``)."""
    accept = request.accept_encodings
    best = max(ENCODINGS, key=lambda name: (accept.quality(name), -ENCODINGS.index(name)))
    return best if accept.quality(best) > 0 else None


class Encoded:
    """A body that never changes, with its strong ETag and its compressed forms, each made
    once when first asked for (brotli at ``br_quality``, gzip at ``gzip_level``)."""

    def __init__(self, body: bytes, br_quality: int = 11, gzip_level: int = 9) -> None:
        self.body = body
        self.tag = hashlib.sha256(body).hexdigest()[:32]
        self.br_quality = br_quality
        self.gzip_level = gzip_level
        self._forms: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes kept: the body and the compressed forms made so far."""
        return len(self.body) + sum(len(form) for form in self._forms.values())

    def form(self, encoding: str | None) -> bytes:
        """The body in ``encoding`` (``br``, ``gzip``, or None for as it is)."""
        if encoding is None:
            return self.body
        with self._lock:
            found = self._forms.get(encoding)
            if found is None:
                if encoding == "br":
                    found = brotli.compress(self.body, quality=self.br_quality)
                elif encoding == "gzip":
                    found = gzip.compress(self.body, self.gzip_level, mtime=0)
                else:
                    raise ValueError(f"unknown encoding {encoding!r}")
                self._forms[encoding] = found
            return found

    def response(self, mimetype: str) -> Response:
        """A ``200`` in the encoding the client takes best, with an ETag per encoding (the
        ``304`` is left to ``conditional``)."""
        encoding = accepted_encoding() if len(self.body) >= MIN_SIZE else None
        response = Response(self.form(encoding), mimetype=mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        response.set_etag(f"{self.tag}-{encoding or 'identity'}")
        response.vary.add("Accept-Encoding")
        return response
