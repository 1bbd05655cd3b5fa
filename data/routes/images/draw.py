"""Draws the two sample illustrations in this folder (sample content, made with Pillow).

They are simple generated pictures, not photographs: no place or person is depicted
as it really is.  Run ``.venv/bin/python data/routes/images/draw.py`` to draw them again.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
SIZE = (1600, 1000)


def sky(draw: ImageDraw.ImageDraw, top: tuple[int, int, int], bottom: tuple[int, int, int]):
    width, height = SIZE
    for y in range(0, height, 8):
        t = y / height
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.rectangle([0, y, width, y + 8], fill=colour)


def bridge() -> Image.Image:
    """A stone bridge with three arches over a river, a church tower and hills behind."""
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    sky(draw, (143, 190, 222), (236, 226, 205))
    draw.polygon(
        [(0, 560), (300, 420), (620, 520), (980, 380), (1600, 540), (1600, 700), (0, 700)],
        fill=(104, 138, 96),
    )
    # The church: nave, tower and spire.
    draw.rectangle([1080, 420, 1330, 620], fill=(196, 170, 132))
    draw.rectangle([1230, 260, 1310, 620], fill=(183, 156, 118))
    draw.polygon([(1220, 262), (1270, 170), (1320, 262)], fill=(120, 80, 60))
    for x in (1110, 1160):
        draw.rounded_rectangle([x, 470, x + 30, 540], radius=14, fill=(90, 70, 60))
    # The river and its ripples.
    draw.rectangle([0, 700, 1600, 1000], fill=(62, 110, 140))
    for y in range(730, 1000, 36):
        for x in range((y // 36 % 2) * 60, 1600, 120):
            draw.arc([x, y, x + 60, y + 18], 200, 340, fill=(150, 190, 210), width=4)
    # The bridge deck and its three arches (river colour cut out under the deck).
    draw.rectangle([0, 560, 1600, 720], fill=(170, 150, 120))
    for left in (120, 620, 1120):
        draw.ellipse([left, 610, left + 360, 900], fill=(62, 110, 140))
        draw.arc([left, 610, left + 360, 900], 180, 360, fill=(120, 100, 80), width=10)
    draw.rectangle([0, 545, 1600, 565], fill=(130, 110, 90))
    for x in range(20, 1600, 80):
        draw.rectangle([x, 520, x + 20, 548], fill=(130, 110, 90))
    return image


def square() -> Image.Image:
    """A small square: facades with balconies, plane trees, benches and a fountain."""
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    sky(draw, (170, 205, 230), (245, 235, 215))
    colours = [(214, 162, 120), (230, 205, 150), (190, 120, 100), (222, 190, 170), (200, 180, 130)]
    for i, x in enumerate(range(0, 1600, 320)):
        top = 200 + (i % 2) * 60
        draw.rectangle([x, top, x + 320, 640], fill=colours[i % len(colours)])
        for row in range(top + 40, 600, 110):
            for col in range(x + 40, x + 300, 90):
                draw.rectangle([col, row, col + 44, row + 70], fill=(70, 80, 95))
                draw.line([col - 6, row + 72, col + 50, row + 72], fill=(40, 40, 40), width=5)
    draw.rectangle([0, 640, 1600, 1000], fill=(205, 195, 175))
    for y in range(660, 1000, 50):
        draw.line([0, y, 1600, y], fill=(190, 180, 160), width=3)
    # The fountain in the middle, trees and benches around it.
    draw.ellipse([640, 760, 960, 880], fill=(150, 150, 150))
    draw.ellipse([670, 775, 930, 865], fill=(110, 170, 200))
    draw.rectangle([790, 690, 810, 810], fill=(150, 150, 150))
    for x in (150, 470, 1130, 1450):
        draw.rectangle([x - 14, 560, x + 14, 800], fill=(110, 85, 60))
        draw.ellipse([x - 130, 380, x + 130, 620], fill=(80, 130, 70))
        draw.ellipse([x - 90, 340, x + 80, 520], fill=(95, 150, 80))
    for x in (300, 1230):
        draw.rectangle([x, 860, x + 160, 880], fill=(120, 90, 60))
        draw.rectangle([x + 10, 880, x + 20, 910], fill=(60, 60, 60))
        draw.rectangle([x + 140, 880, x + 150, 910], fill=(60, 60, 60))
    return image


if __name__ == "__main__":
    bridge().save(HERE / "bridge-illustration.png", optimize=True)
    square().save(HERE / "square-illustration.png", optimize=True)
