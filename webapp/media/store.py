"""Tour and stop images served by Bidean itself: the media store.

An image a tour file points to by a local path (``"url": "images/plaza.png"``, relative
to the tour file) or that a coordinator adds with ``bidean media add FILE`` is never
served as uploaded.  Pillow decodes it (so only real JPEG, PNG, WebP or GIF images get
in, within a size limit), turns it upright, and encodes it again as WebP at two or three
widths for ``srcset``.  Nothing of the original file survives but its pixels: no EXIF,
GPS position, camera serial or comment.  The copies live under the instance folder in
``media/<key>/<width>.webp`` with a small ``image.json``; ``key`` is a hash of the
original bytes, so adding a file twice stores it once, and a tour file refers to it as
``media:<key>``.  Its route and how a page shows an image are in ``webapp.media.views``.

Remote ``http(s)`` media stay links to their site: Bidean never loads images from
other hosts into its pages.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tours.errors import BideanError

if TYPE_CHECKING:
    from flask import Flask
    from PIL import Image

MEDIA_SCHEME = "media:"
KEY = re.compile(r"[0-9a-f]{32}")
FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel camera; more is a decompression bomb, not a photo
WIDTHS = (480, 960, 1600)
WEBP_QUALITY = 80


class MediaError(BideanError):
    """An image Bidean cannot take, with what to do about it."""


@dataclass(frozen=True)
class StoredImage:
    """An image in the store: its key, its size and the widths it is kept at."""

    key: str
    width: int
    height: int
    widths: tuple[int, ...]

    @property
    def reference(self) -> str:
        """What a tour file's media ``url`` says to show this image."""
        return MEDIA_SCHEME + self.key


def media_key(url: str) -> str | None:
    """The key of a ``media:<key>`` reference, None for any other URL."""
    if not url.startswith(MEDIA_SCHEME):
        return None
    key = url[len(MEDIA_SCHEME) :]
    return key if KEY.fullmatch(key) else None


def is_local_path(url: str) -> bool:
    """A media url naming a file in the tour file's folder: no scheme, no way out of it."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.strip() or url.startswith(("/", "\\")):
        return False
    return ".." not in url.replace("\\", "/").split("/")


def content_key(data: bytes) -> str:
    """The store's name for an original image: its content's hash (the same file, once)."""
    return hashlib.sha256(data).hexdigest()[:32]


class MediaStore:
    """Re-encoded images in ``root``, one folder per key."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get(self, key: str) -> StoredImage | None:
        if not KEY.fullmatch(key):
            return None
        try:
            meta = json.loads((self.root / key / "image.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return StoredImage(key, meta["width"], meta["height"], tuple(meta["widths"]))

    def file(self, key: str, width: int) -> Path | None:
        image = self.get(key)
        if image is None or width not in image.widths:
            return None
        return self.root / key / f"{width}.webp"

    def add(self, data: bytes, name: str) -> StoredImage:
        """Check, re-encode and store an image; ``name`` says which file in errors."""
        key = content_key(data)
        known = self.get(key)
        if known is not None:
            return known
        image = decode(data, name)
        widths = sorted({min(w, image.width) for w in WIDTHS})
        self.root.mkdir(parents=True, exist_ok=True)
        # Written into a temporary folder and renamed: a reader never sees half an image.
        work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=self.root))
        try:
            for width in widths:
                height = max(1, round(image.height * width / image.width))
                copy = image if width == image.width else image.resize((width, height))
                copy.save(work / f"{width}.webp", "WEBP", quality=WEBP_QUALITY, method=4)
            meta = {"width": image.width, "height": image.height, "widths": widths}
            (work / "image.json").write_text(json.dumps(meta), encoding="utf-8")
            try:
                os.replace(work, self.root / key)
            except OSError:  # stored meanwhile by another process: theirs is the same
                shutil.rmtree(work, ignore_errors=True)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        stored = self.get(key)
        assert stored is not None
        return stored

    def delete(self, key: str) -> bool:
        """Remove an image's copies from disk; False when none were stored."""
        if not KEY.fullmatch(key):
            return False
        folder = self.root / key
        if not folder.is_dir():
            return False
        # Renamed first, then removed: a reader finds the whole image or none of it.
        doomed = Path(tempfile.mkdtemp(prefix=f".{key}-gone-", dir=self.root))
        os.replace(folder, doomed / key)
        shutil.rmtree(doomed)
        return True

    def add_file(self, path: Path) -> StoredImage:
        with _readable(path):
            _check_size(path.stat().st_size, path)
            return self.add(path.read_bytes(), str(path))


@contextmanager
def _readable(path: Path) -> Iterator[None]:
    """What cannot be read of an image file, said as a MediaError."""
    try:
        yield
    except FileNotFoundError:
        raise MediaError(f"There is no image file {path}: check the name.") from None
    except IsADirectoryError:
        raise MediaError(f"{path} is a folder: give an image file.") from None
    except PermissionError:
        raise MediaError(f"Bidean may not read {path}: check its permissions.") from None


def _check_size(size: int, path: Path) -> None:
    if size > MAX_BYTES:
        raise MediaError(
            f"{path} is {size / 1e6:.1f} MB; images may be at most"
            f" {MAX_BYTES / 1e6:.0f} MB: make it smaller first."
        )


def check_file(path: Path) -> None:
    """Check an image file as :meth:`MediaStore.add_file` would, from its header alone:
    size, format and pixel count, without decoding (re-encoding) its pixels.

    Pillow's ``Image.open`` reads the header (for a PNG every chunk up to the pixels,
    so a text chunk that inflates past the limit is refused here too) and ``verify``
    checks a PNG's chunk checksums to its end, which finds a PNG cut short.  What only
    decoding finds (a JPEG, WebP or GIF whose pixel data is cut short or corrupt, a text
    chunk after a PNG's pixels) passes here and is refused by ``add_file`` on import.
    """
    # Late import, only to keep `bidean validate` fast: Pillow is needed for images alone.
    from PIL import Image

    with _readable(path):
        _check_size(path.stat().st_size, path)
        with _pillow_errors(str(path)), Image.open(path) as probe:
            _check_header(probe, str(path))
            probe.verify()


def _check_header(probe: Image.Image, name: str) -> None:
    """An opened image's format and pixel count, before its pixels are decoded."""
    if probe.format not in FORMATS:
        raise MediaError(f"{name} is a {probe.format} image; use JPEG, PNG, WebP or GIF.")
    if probe.width * probe.height > MAX_PIXELS:
        raise MediaError(
            f"{name} is {probe.width}×{probe.height} pixels, more than"
            f" {MAX_PIXELS // 1_000_000} megapixels: scale it down first."
        )


@contextmanager
def _pillow_errors(name: str) -> Iterator[None]:
    """Pillow's refusals of a file, said as a MediaError naming it."""
    # Late import, only to keep `bidean validate` fast: Pillow is needed for images alone.
    from PIL import Image, UnidentifiedImageError

    try:
        yield
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise  # the file's, not the image's: said by _readable
    # ValueError: Pillow's refusal of a PNG text chunk that inflates past its limit (a
    # zip bomb in the metadata); like a pixel bomb, not an image to take.
    except (UnidentifiedImageError, Image.DecompressionBombError, ValueError):
        raise MediaError(
            f"{name} is not an image Bidean can read: use a JPEG, PNG, WebP or GIF file."
        ) from None
    except (OSError, SyntaxError, EOFError, struct.error) as exc:
        raise MediaError(f"{name} is a damaged image ({exc}): export it again.") from None


def decode(data: bytes, name: str) -> Image.Image:
    """The image's pixels, upright, as RGB or RGBA; its metadata stays behind."""
    # Late import, only to keep `bidean validate` fast: Pillow is needed for images alone.
    from PIL import Image, ImageOps

    if len(data) > MAX_BYTES:
        raise MediaError(f"{name} is larger than {MAX_BYTES / 1e6:.0f} MB: make it smaller.")
    with _pillow_errors(name), Image.open(io.BytesIO(data)) as probe:
        _check_header(probe, name)
        probe.load()
        upright = ImageOps.exif_transpose(probe)
        mode = "RGBA" if "A" in upright.getbands() or "transparency" in probe.info else "RGB"
        return upright.convert(mode)


def store_for(app: Flask) -> MediaStore:
    """The app's store: ``BIDEAN_MEDIA_DIR``, by default ``media/`` in the instance folder."""
    return MediaStore(Path(app.config["MEDIA_DIR"]))


# --- tour files that point to images beside them -------------------------------------


def stop_media(document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each media entry of a GeoJSON tour, with a JSON pointer to it."""
    features = document.get("features") if isinstance(document, dict) else None
    for i, feature in enumerate(features if isinstance(features, list) else ()):
        props = feature.get("properties") if isinstance(feature, dict) else None
        media = props.get("media") if isinstance(props, dict) else None
        for j, item in enumerate(media if isinstance(media, list) else ()):
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                yield f"/features/{i}/properties/media/{j}/url", item


def localize_media(document: Any, base: Path, store: MediaStore) -> list[tuple[str, str]]:
    """Store the images a tour names by a path relative to ``base`` and point to them.

    Changes ``document`` in place; returns the problems as (pointer, message).
    """

    def store_one(item: dict[str, Any], path: Path) -> None:
        item["url"] = store.add_file(path).reference

    return _each_local_image(document, base, store_one)


def check_local_media(document: Any, base: Path) -> list[tuple[str, str]]:
    """Check the images a tour names by a path relative to ``base`` from their headers
    (:func:`check_file`), storing nothing and changing nothing; the problems as
    (pointer, message), the same as :func:`localize_media` finds but what only decoding
    the pixels shows."""
    return _each_local_image(document, base, lambda _item, path: check_file(path))


def _each_local_image(
    document: Any, base: Path, act: Callable[[dict[str, Any], Path], None]
) -> list[tuple[str, str]]:
    """``act`` on each media entry naming a local file; its MediaErrors as problems."""
    problems = []
    for pointer, item in stop_media(document):
        if not is_local_path(item["url"]):
            continue
        if item.get("type") != "image":
            problems.append((pointer, f"Only images may be local files; {item['url']} is not."))
            continue
        try:
            act(item, base / item["url"])
        except MediaError as error:
            problems.append((pointer, str(error)))
    return problems


def describe(image: StoredImage) -> Mapping[str, Any]:
    return {
        "reference": image.reference,
        "width": image.width,
        "height": image.height,
        "widths": list(image.widths),
    }
