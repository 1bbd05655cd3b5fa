"""Text helpers every layer shares: one-line text, text no column can store, slugs.

- NUL and lone surrogates are never stored (PostgreSQL refuses NUL, no encoder takes a
  lone surrogate): ``unstorable`` spots them for the web layer.
- One-line values (mail subjects, names) have line breaks and other control or
  separator characters turned into spaces (``single_line``); ``breaks_lines`` says
  whether a text holds any.
- Cells of a CSV file for a spreadsheet (``spreadsheet_cell``): no cell may start a formula.
- Counts said in words, "1 booking" and "2 bookings", never "booking(s)" (``counted``).
- Slugs, the URL names of tours (``slugify``, ``SLUG_PATTERN``), and the lengths of the
  text columns a tour file fills (``COLUMN_LIMITS``).
"""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_MAX = 64
# Columns of ``tours.tour.models`` that take text straight from a tour file.
COLUMN_LIMITS = {"city": 120, "slug": SLUG_MAX}

# Cc: C0/C1 controls (tab, CR, LF, NUL ...); Zl/Zp: U+2028 LINE and U+2029 PARAGRAPH
# SEPARATOR, which mail and JavaScript treat as line ends.
_BREAKING = frozenset({"Cc", "Zl", "Zp"})
_SURROGATE = re.compile("[\ud800-\udfff]")
# The characters of those categories, for a search at C speed: Unicode's stability
# policy fixes the Cc set (U+0000-001F, U+007F-009F), and Zl and Zp have one character
# each.  tests/tours/test_text.py checks this against unicodedata.
_BREAKING_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def breaks_lines(text: str) -> bool:
    """True when ``text`` holds a control character or a line/paragraph separator."""
    return _BREAKING_CHARACTER.search(text) is not None


def single_line(text: str) -> str:
    """``text`` with every control and line/paragraph separator as one space, trimmed."""
    if not breaks_lines(text):
        return text
    spaced = "".join(" " if unicodedata.category(ch) in _BREAKING else ch for ch in text)
    return re.sub(r" {2,}", " ", spaced).strip()


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun`` as English says them: "1 booking", "0 bookings", "2 entries".

    For the command line and the messages of the domain core, which are English; the web
    interface uses gettext's ``ngettext`` for its languages' plural forms."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def unstorable(text: str) -> bool:
    """True for text no database column should take: a NUL or a lone surrogate."""
    return "\x00" in text or _SURROGATE.search(text) is not None


# What a spreadsheet takes as the start of a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number as people write one: digits, spaces, brackets and hyphens, maybe after one
# leading "+".  No letters, no "!" or "|": it can call no function, so it is no formula.
_PHONE_NUMBER = re.compile(r"\+?[0-9(][0-9 ()\-]*")


def spreadsheet_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: one that would start a formula
    (``=1+1``, ``+SUM(A1)``, ``@``, ``-``, a tab or CR first) gets a leading ``'``; a phone
    number such as ``+34 600 000 000`` stays as it is, with no stray apostrophe."""
    text = "" if value is None else str(value)
    if not text.startswith(FORMULA_START) or _PHONE_NUMBER.fullmatch(text):
        return text
    return "'" + text


def slugify(text: str) -> str:
    """A valid slug made from any text ("Voces de San Francisco" -> "voces-de-san-francisco");
    empty when the text has no letters or digits."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")
