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

Pages served in pieces (``PiecedBody``, ``pieced_response``: the tour page, a cached page
with this request's nonce, and maybe its language links, between its fixed segments).
Each segment is deflated once, with what precedes it as its dictionary (a hole of known
width stands there as NUL bytes, which no text matches; after a hole of unknown width
the dictionary starts again), and ends on a byte boundary; a request's own text goes in
as stored blocks.  Joined, they are one valid gzip stream as small as the whole page
deflated at once: a client that takes gzip gets the page with nothing compressed on the
request, and the view names the ETag from what the page was made of, unhashed.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import sys
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence

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


# Chosen by measurement (``bench/page_bench.py`` prints the table): segments are deflated
# once per cached page and list of walks, not per request, so the level costs nothing on
# a request; 9 sends the fewest bytes (on the tour page fewer than brotli 1 on each
# request, the choice before), for a few milliseconds once.
PIECE_GZIP_LEVEL = 9
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, no mtime
_FINAL_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman codes)
_STORED_MAX = 0xFFFF
_WINDOW = 32 * 1024  # deflate's window: no reference reaches further back


def stored_blocks(data: bytes) -> bytes:
    """``data`` as deflate stored (uncompressed) blocks, which need no byte boundary work:
    each starts with a 3-bit header padded to a byte, as after a sync flush."""
    return b"".join(
        b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk
        for chunk in (data[i : i + _STORED_MAX] for i in range(0, len(data), _STORED_MAX))
    )


def deflate_chain(
    segments: Sequence[bytes], gaps: Sequence[int | None], level: int | None
) -> tuple[bytes, ...]:
    """Each of ``segments`` as raw deflate blocks ending on a byte boundary (``Z_SYNC_FLUSH``),
    so that they concatenate with other blocks between them into one stream.

    ``gaps[i]`` is what goes between segment ``i`` and ``i + 1``: its width in bytes when
    known, else None.  A segment may refer back to earlier segments across gaps of known
    width, which stand in its dictionary as NUL bytes: no HTML holds one, so no match can
    fall on them and whatever the request puts there is never copied.  After a gap of
    unknown width (or any NUL in the text) the dictionary starts again.  Without
    ``level``, stored blocks.
    """
    if level is None:
        return tuple(stored_blocks(segment) for segment in segments)
    chained = not any(b"\x00" in segment for segment in segments)
    out = []
    context = b""
    for index, segment in enumerate(segments):
        if context:
            compressor = zlib.compressobj(level, zlib.DEFLATED, -15, zdict=context[-_WINDOW:])
        else:
            compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        out.append(compressor.compress(segment) + compressor.flush(zlib.Z_SYNC_FLUSH))
        gap = gaps[index] if index < len(gaps) else None
        known = chained and gap is not None
        context = (context + segment + b"\x00" * gap)[-_WINDOW:] if known else b""
    return tuple(out)


class PiecedBody:
    """A page's fixed ``segments`` with named holes between them (``holes[i]`` after
    ``segments[i]``), as bytes and deflated once (``deflate_chain``); ``widths`` gives
    the holes whose content always has that many bytes (the nonce)."""

    __slots__ = ("data", "deflated", "holes", "widths")

    def __init__(
        self,
        segments: Sequence[str],
        holes: Sequence[str],
        widths: Mapping[str, int],
        level: int | None = PIECE_GZIP_LEVEL,
    ) -> None:
        self.data = tuple(segment.encode() for segment in segments)
        self.holes = tuple(holes)
        self.widths = {name: width for name, width in widths.items() if name in self.holes}
        gaps = [self.widths.get(name) for name in self.holes]
        self.deflated = deflate_chain(self.data, gaps, level)

    @property
    def size(self) -> int:
        """Bytes it holds in memory."""
        return sum(sys.getsizeof(b) for b in (*self.data, *self.deflated))

    def plain(self, values: Mapping[str, bytes]) -> bytes:
        """The page, every hole filled from ``values``."""
        out = [self.data[0]]
        for hole, segment in zip(self.holes, self.data[1:], strict=True):
            out += (values[hole], segment)
        return b"".join(out)

    def gzip(self, values: Mapping[str, bytes]) -> bytes | None:
        """The page as one gzip member (RFC 1952), the holes' values as stored blocks;
        None when a value has not the width its hole was deflated around."""
        if any(len(values[name]) != width for name, width in self.widths.items()):
            return None
        stored = {name: stored_blocks(value) for name, value in values.items()}
        deflated = [self.deflated[0]]
        for hole, segment in zip(self.holes, self.deflated[1:], strict=True):
            deflated += (stored[hole], segment)
        plain = self.plain(values)
        trailer = struct.pack("<II", zlib.crc32(plain), len(plain) & 0xFFFFFFFF)
        return b"".join((_GZIP_HEADER, *deflated, _FINAL_BLOCK, trailer))


def piece_tag(tags: Iterable[str]) -> str:
    """A page's ETag from the tags of what it was made of (each naming its content)."""
    return hashlib.sha256("\x00".join(tags).encode()).hexdigest()[:32]


def pieced_response(body: PiecedBody, values: Mapping[str, str], tag: str) -> Response:
    """An HTML page of ``body`` with its holes filled from ``values``, gzip-compressed from
    its deflated segments when the client takes gzip (else left to Flask-Compress: brotli
    or nothing), with the weak ETag ``tag`` and the ``Cache-Control`` of pages
    (``conditional`` answers 304)."""
    encoded = {name: value.encode() for name, value in values.items()}
    compressed = None
    if request.accept_encodings.quality("gzip") > 0:
        compressed = body.gzip(encoded)
    if compressed is not None:
        response = Response(compressed, mimetype="text/html")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(body.plain(encoded), mimetype="text/html")
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Accept-Encoding")
    return response
