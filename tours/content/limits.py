"""Limits checked before a parser sees a file, and text the database could not store.

- XML (GPX) nesting: gpxpy builds and later deep-copies a tree recursively, so 160,000
  nested elements crashed the process (exit 139).  ``xml_too_deep`` counts depth with
  expat's streaming parser (no tree, no recursion) and refuses anything deeper than
  ``MAX_XML_DEPTH``; a real GPX is at most about 8 levels deep (gpx, trk, trkseg, trkpt,
  extensions and a vendor's elements).
- JSON nesting is limited the same way by ``tours.content.jsonload`` (64 levels);
  ``json_depth`` measures it for request bodies.
- NUL and lone surrogates are never stored (PostgreSQL refuses NUL, no encoder takes a
  lone surrogate): ``unstorable`` spots them for the web layer.  One-line values (mail
  subjects, names) have line breaks and other control or separator characters turned
  into spaces (``single_line``).
- Texts that end up in mail headers (titles, stop names) are warned about when they
  hold line breaks or other control characters (they are sent as spaces), and texts
  with a database column are checked against its length (``COLUMN_LIMITS``).

Memory: an import holds the file, its parsed form and the normalised document at once,
about 10 times the file size at worst for GeoJSON (measured by bench/import_bench.py);
with the default ``MAX_IMPORT_MB=50`` that bounds an import near 500 MB.
"""

from __future__ import annotations

import re
import unicodedata
import xml.parsers.expat
from typing import Any

import numpy as np

from tours.content.report import Problem, Severity

MAX_XML_DEPTH = 100
# Columns of ``tours.tour.models`` that take text straight from a tour file.
COLUMN_LIMITS = {"city": 120, "slug": 64}

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


# Cc: C0/C1 controls (tab, CR, LF, NUL ...); Zl/Zp: U+2028 LINE and U+2029 PARAGRAPH
# SEPARATOR, which mail and JavaScript treat as line ends.
_BREAKING = frozenset({"Cc", "Zl", "Zp"})
_SURROGATE = re.compile("[\ud800-\udfff]")


# The characters of those categories, for a search at C speed: Unicode's stability
# policy fixes the Cc set (U+0000-001F, U+007F-009F), and Zl and Zp have one character
# each.  tests/tours/content/test_limits.py checks this against unicodedata.
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


def unstorable(text: str) -> bool:
    """True for text no database column should take: a NUL or a lone surrogate."""
    return "\x00" in text or _SURROGATE.search(text) is not None


class _TooDeep(Exception):
    pass


def xml_too_deep(
    data: bytes, max_depth: int = MAX_XML_DEPTH, *, code: str = "gpx.too-deep", kind: str = "GPX"
) -> Problem | None:
    """A problem (``code``, about a ``kind`` file) when elements nest deeper than
    ``max_depth``; None otherwise.

    Syntax errors are left to the caller's own well-formedness check.
    """
    parser = xml.parsers.expat.ParserCreate()
    depth = 0

    def start(_name: str, _attributes: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > max_depth:
            raise _TooDeep

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _TooDeep:
        line, column = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        return Problem(
            code,
            "",
            f"Elements are nested more than {max_depth} levels deep (at line {line}, column"
            f" {column}); Bidean reads at most {max_depth}. A {kind} file needs far fewer:"
            f" this file is damaged or not a {kind} export.",
            line=line,
            column=column,
        )
    except (xml.parsers.expat.ExpatError, LookupError, ValueError):
        return None
    return None


_SMALL = 64
_OPENING = frozenset(b"[{")


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in JSON ``data`` (strings are not counted)."""
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    if len(brackets) <= _SMALL:  # a request body: a loop costs less than numpy's set-up
        depth = deepest = 0
        for code in brackets:
            depth += 1 if code in _OPENING else -1
            deepest = max(deepest, depth)
        return deepest
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


def header_text_warning(text: Any, ptr: str, what: str) -> Problem | None:
    """A warning for a title or name with line breaks or control characters."""
    values = text.values() if isinstance(text, dict) else [text]
    if not any(isinstance(v, str) and breaks_lines(v) for v in values):
        return None
    return Problem(
        "profile.control-characters",
        ptr,
        f"{what} contains a line break or another control character; emails and calendar"
        " entries show it as a space. Write it on one line.",
        Severity.WARNING,
    )


def column_length_error(value: Any, key: str, ptr: str) -> Problem | None:
    """An error for text longer than the database column it is stored in."""
    limit = COLUMN_LIMITS.get(key)
    if limit is None or not isinstance(value, str) or len(value) <= limit:
        return None
    return Problem(
        "profile.too-long",
        ptr,
        f'"{key}" is {len(value)} characters long; Bidean stores at most {limit}. Shorten it.',
    )
