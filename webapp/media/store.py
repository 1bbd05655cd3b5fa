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
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask, current_app

from tours.errors import BideanError

if TYPE_CHECKING:
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

    def add_file(self, path: Path) -> StoredImage:
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise MediaError(
                    f"{path} is {size / 1e6:.1f} MB; images may be at most"
                    f" {MAX_BYTES / 1e6:.0f} MB: make it smaller first."
                )
            return self.add(path.read_bytes(), str(path))
        except FileNotFoundError:
            raise MediaError(f"There is no image file {path}: check the name.") from None
        except IsADirectoryError:
            raise MediaError(f"{path} is a folder: give an image file.") from None
        except PermissionError:
            raise MediaError(f"Bidean may not read {path}: check its permissions.") from None


def decode(data: bytes, name: str) -> Image.Image:
    """The image's pixels, upright, as RGB or RGBA; its metadata stays behind."""
    # Late import, only to keep `bidean validate` fast: Pillow is needed for images alone.
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise MediaError(f"{name} is larger than {MAX_BYTES / 1e6:.0f} MB: make it smaller.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in FORMATS:
                raise MediaError(f"{name} is a {kind} image; use JPEG, PNG, WebP or GIF.")
            if probe.width * probe.height > MAX_PIXELS:
                raise MediaError(
                    f"{name} is {probe.width}×{probe.height} pixels, more than"
                    f" {MAX_PIXELS // 1_000_000} megapixels: scale it down first."
                )
            probe.load()
            upright = ImageOps.exif_transpose(probe)
            mode = "RGBA" if "A" in upright.getbands() or "transparency" in probe.info else "RGB"
            return upright.convert(mode)
    # ValueError: Pillow's refusal of a PNG text chunk that inflates past its limit (a
    # zip bomb in the metadata); like a pixel bomb, not an image to take.
    except (UnidentifiedImageError, Image.DecompressionBombError, ValueError):
        raise MediaError(
            f"{name} is not an image Bidean can read: use a JPEG, PNG, WebP or GIF file."
        ) from None
    except (OSError, SyntaxError) as exc:
        raise MediaError(f"{name} is a damaged image ({exc}): export it again.") from None


def store_for(app: Flask) -> MediaStore:
    """The app's store: ``BIDEAN_MEDIA_DIR``, by default ``media/`` in the instance folder."""
    return MediaStore(Path(app.config["MEDIA_DIR"]))


def media_store() -> MediaStore:
    return store_for(current_app)


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
    problems = []
    for pointer, item in stop_media(document):
        if not is_local_path(item["url"]):
            continue
        path = base / item["url"]
        if item.get("type") != "image":
            problems.append((pointer, f"Only images may be local files; {item['url']} is not."))
            continue
        try:
            item["url"] = store.add_file(path).reference
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
