"""Guide photos: checked for type and size, then re-encoded by Pillow without metadata.

Re-encoding from decoded pixels drops EXIF (GPS position, camera serial), ICC and XMP,
and whatever a crafted file hid after the image data; only JPEG, PNG and WebP are read.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from tours.errors import BideanError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
LONGEST_SIDE = 800


class PhotoRejected(BideanError):
    """Not a photo Bidean accepts; the message says why."""


def reencode_photo(data: bytes) -> bytes:
    """A clean JPEG (at most 800 px on the longest side) from an uploaded JPEG, PNG or WebP."""
    if not data:
        raise PhotoRejected("The file is empty.")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected(f"The photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB.")
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRejected("The photo has too many pixels.")
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            clean = upright.convert("RGB")
    # ValueError: a PNG text chunk that inflates past Pillow's limit (a zip bomb in metadata).
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise PhotoRejected("The file is not a JPEG, PNG or WebP image.") from error
    clean.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    out = io.BytesIO()
    # A fresh image carries no info dict, so nothing but pixels is written.
    Image.frombytes("RGB", clean.size, clean.tobytes()).save(out, "JPEG", quality=85)
    return out.getvalue()
