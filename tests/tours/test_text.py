"""Generic text helpers: one-line text, text no column can store, slugs."""

from __future__ import annotations

import sys
import unicodedata

from tours.text import (
    _BREAKING,
    COLUMN_LIMITS,
    SLUG_MAX,
    breaks_lines,
    counted,
    single_line,
    slugify,
    unstorable,
)


def test_single_line_and_unstorable():
    assert single_line("a\r\nb\u2028c\u2029d\x00e\tf") == "a b c d e f"
    assert single_line("plain «ñ» مرحبا") == "plain «ñ» مرحبا"
    assert unstorable("a\x00") and unstorable("\ud800") and not unstorable("ñ 😀")


def test_breaks_lines_is_exactly_the_control_and_separator_categories():
    """The fast character class matches unicodedata on every code point."""
    wrong = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if breaks_lines(chr(code)) != (unicodedata.category(chr(code)) in _BREAKING)
    ]
    assert wrong == []
    assert breaks_lines("Plaza\u2028Nueva") and not breaks_lines("Plaza Nueva")


def test_slugify_fits_the_slug_column():
    slug = slugify("Voces de San Francisco " * 10)
    assert slug.startswith("voces-de-san-francisco-voces") and not slug.endswith("-")
    assert len(slug) <= SLUG_MAX == COLUMN_LIMITS["slug"]
    assert slugify("Ñandú café") == "nandu-cafe" and slugify("¿?") == ""


def test_counted_says_one_and_many_in_words():
    """Issue #19: the command line printed "booking(s)"."""
    assert [counted(n, "booking") for n in (0, 1, 2)] == ["0 bookings", "1 booking", "2 bookings"]
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(3, "entry", "entries") == "3 entries"
