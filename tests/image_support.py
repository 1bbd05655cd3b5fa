"""Crafted images for the tests of every place that decodes an uploaded one."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

TEXT_BOMB_BYTES = 2 * 1024 * 1024  # more than Pillow's 1 MB limit on a PNG text chunk


def png_with_text_bomb(chunk: str) -> bytes:
    """A tiny, valid PNG whose compressed ``zTXt`` or ``iTXt`` chunk inflates to 2 MB."""
    info = PngImagePlugin.PngInfo()
    if chunk == "zTXt":
        info.add_text("Comment", "a" * TEXT_BOMB_BYTES, zip=True)
    else:
        info.add_itxt("Comment", "\u00e1" * (TEXT_BOMB_BYTES // 2), "eu", "Iruzkina", zip=True)
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "orange").save(out, "PNG", pnginfo=info)
    data = out.getvalue()
    assert len(data) < 100_000 and chunk.encode() in data  # small on the wire
    return data
