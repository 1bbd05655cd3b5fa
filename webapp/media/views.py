"""The media routes and how a page shows a stored image.

``/media/<key>/<width>.webp`` serves the copies the media store (``webapp.media.store``)
made; ``/media/audio/<key>.<ext>`` a resident's recording as the audio store
(``webapp.media.audio``) keeps it, in ranges for a player that seeks.  The URLs never
change for a key, so they are cached for a year.  A recording withdrawn is deleted from
disk and is not found from that request on: nothing here remembers which files exist.
Pages show a stored image with ``image_view``: its ``srcset`` lists every width kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, send_file, url_for

from tours.i18n import Fallback, LocalizedText, Resolved
from webapp.media.audio import MIME_TYPES, audio_store
from webapp.media.store import MediaStore, media_key, store_for

bp = Blueprint("media", __name__)

CACHE_SECONDS = 365 * 24 * 3600
# What the page gives an image: the whole column on a phone, at most 40rem beside it.
SIZES = "(min-width: 48rem) 40rem, 100vw"


def media_store() -> MediaStore:
    """The running app's media store."""
    return store_for(current_app)


@dataclass(frozen=True)
class ImageView:
    """An ``<img>`` as the page writes it."""

    src: str
    srcset: str
    sizes: str
    width: int
    height: int
    alt: Resolved | None


def image_view(url: str, alt: Resolved | None) -> ImageView | None:
    """How to show a stored image (``media:<key>``); None for anything else."""
    key = media_key(url)
    image = media_store().get(key) if key else None
    if image is None:
        return None
    urls = {w: url_for("media.image", key=image.key, width=w) for w in image.widths}
    middle = image.widths[len(image.widths) // 2]
    return ImageView(
        src=urls[middle],
        srcset=", ".join(f"{u} {w}w" for w, u in urls.items()),
        sizes=SIZES,
        width=image.width,
        height=image.height,
        alt=alt,
    )


def alt_text(texts: tuple[LocalizedText, ...], lang: str, default: Fallback) -> Resolved | None:
    """The first of ``texts`` (alt, then caption, ...) that has words, in ``lang`` or not."""
    for text in texts:
        resolved = text.resolve(lang, default)
        if resolved is not None and resolved.text.strip():
            return resolved
    return None


@bp.get("/media/<key>/<int:width>.webp")
def image(key: str, width: int) -> Response:
    """A stored image at one of its widths; its URL never changes, so caches keep it."""
    path = media_store().file(key, width)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/webp", max_age=CACHE_SECONDS, conditional=True)
    response.cache_control.immutable = True
    response.cache_control.public = True
    return response


@bp.get("/media/audio/<key>.<ext>")
def audio(key: str, ext: str) -> Response:
    """A stored recording, whole or in byte ranges; its URL never changes, so caches keep it."""
    path = audio_store(current_app).path(key)
    if path is None or path.suffix != f".{ext}" or ext not in MIME_TYPES:
        abort(404)
    try:
        # The key is the hash of the bytes: a strong ETag for the file and its ranges.
        response = send_file(
            path, mimetype=MIME_TYPES[ext], etag=key, max_age=CACHE_SECONDS, conditional=True
        )
    except FileNotFoundError:  # withdrawn since it was looked up
        abort(404)
    response.cache_control.immutable = True
    response.cache_control.public = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
