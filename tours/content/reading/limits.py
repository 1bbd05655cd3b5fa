"""Limits checked before a parser sees a file.

- XML (GPX, KML) nesting: gpxpy builds and later deep-copies a tree recursively, so
  160,000 nested elements crashed the process (exit 139).  ``xml_too_deep`` counts depth
  with expat's streaming parser (no tree, no recursion) and refuses anything deeper than
  ``MAX_XML_DEPTH``; a real GPX is at most about 8 levels deep (gpx, trk, trkseg, trkpt,
  extensions and a vendor's elements).
- JSON nesting: ``json_depth`` measures it, for tour files
  (:mod:`tours.content.reading.jsonload`, 64 levels) and request bodies alike.  It reads
  the bytes once, jumping from quote to quote, so its time grows with the size of the
  input whatever the input is (a regular expression that cut strings out took minutes on
  256 kB of escaped quotes in an unterminated string).

Memory: an import holds the file, its parsed form and the normalised document at once,
about 10 times the file size at worst for GeoJSON (measured by bench/import_bench.py);
with the default ``MAX_IMPORT_MB=50`` that bounds an import near 500 MB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tours.content.report import Problem

MAX_XML_DEPTH = 100

_QUOTE = b'"'
_BACKSLASH = ord("\\")
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_SMALL = 64
_OPENING = frozenset(b"[{")


class _TooDeep(Exception):
    pass


class _Doctype(Exception):
    pass


def xml_too_deep(
    data: bytes, max_depth: int = MAX_XML_DEPTH, *, code: str = "gpx.too-deep", kind: str = "GPX"
) -> Problem | None:
    """A problem (``code``, about a ``kind`` file) when elements nest deeper than
    ``max_depth``; None otherwise.

    Syntax errors are left to the caller's own well-formedness check.
    """
    return scan_xml(data, max_depth, code=code, kind=kind).too_deep


@dataclass
class XmlScan:
    """What one streaming pass over XML found: too deep nesting (the problem), whether
    it declares a DOCTYPE (the pass stops there), and the lines of the elements counted."""

    too_deep: Problem | None = None
    doctype: bool = False
    lines: list[int] = field(default_factory=list)
    complete: bool = False  # the pass reached the end (no syntax error, nothing refused)


def scan_xml(
    data: bytes,
    max_depth: int = MAX_XML_DEPTH,
    *,
    code: str,
    kind: str,
    counted: str | None = None,
) -> XmlScan:
    """One expat pass (no tree): the nesting limit, any ``<!DOCTYPE>``, and the line of
    every element whose local name is ``counted``.  A file without a DOCTYPE can declare
    no entity, so the standard library's parser may then build its tree safely; that
    saves the KML reader defusedxml's slower pure-Python parser and a second pass.
    Syntax errors stop the pass and are left to the caller's own parser.
    """
    # Late import, only for the CLI's start-up: `bidean validate` of a GeoJSON tour needs
    # this module's JSON limits, not expat.
    import xml.parsers.expat

    scan = XmlScan()
    parser = xml.parsers.expat.ParserCreate()
    depth = 0

    def start(name: str, _attributes: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > max_depth:
            raise _TooDeep
        if counted is not None and name.rpartition(":")[2] == counted:
            scan.lines.append(parser.CurrentLineNumber)

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    def doctype(*_args: Any) -> None:
        scan.doctype = True
        raise _Doctype

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(data, True)
        scan.complete = True
    except _TooDeep:
        line, column = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        scan.too_deep = Problem(
            code,
            "",
            f"Elements are nested more than {max_depth} levels deep (at line {line}, column"
            f" {column}); Bidean reads at most {max_depth}. A {kind} file needs far fewer:"
            f" this file is damaged or not a {kind} export.",
            line=line,
            column=column,
        )
    except (_Doctype, xml.parsers.expat.ExpatError, LookupError, ValueError):
        pass
    return scan


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in JSON ``data`` (strings are not counted)."""
    brackets = json_brackets(data)
    if not brackets:
        return 0
    if len(brackets) <= _SMALL:  # a request body: a loop costs less than numpy's set-up
        depth = deepest = 0
        for code in brackets:
            depth += 1 if code in _OPENING else -1
            deepest = max(deepest, depth)
        return deepest
    # A large route: numpy finds the deepest point in milliseconds, a loop in a second.
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return max(0, int(np.cumsum(steps).max()))  # never below 0, even for "]]]"


def json_brackets(data: bytes) -> bytes:
    """The brackets and braces of JSON ``data`` that are outside strings, in order."""
    return outside_strings(data).translate(None, _NOT_BRACKET)


def outside_strings(data: bytes) -> bytes:
    """``data`` without its string literals (quotes included), in one pass.

    Outside a string the next quote opens one; inside, the next quote closes it unless
    an odd run of backslashes precedes it.  A string left open runs to the end.  Each
    search starts where the last one stopped, so no byte is searched twice; only the
    backslashes just before a quote are looked at again, and they are in the stretch
    the last search covered.
    """
    parts: list[bytes] = []
    start = 0
    find = data.find
    while (opening := find(_QUOTE, start)) >= 0:
        parts.append(data[start:opening])
        text = opening + 1  # where the part of the string not yet searched begins
        closing = find(_QUOTE, text)
        while closing > 0 and data[closing - 1] == _BACKSLASH:
            stretch = data[text:closing]  # the byte before ``text`` is a quote
            if (len(stretch) - len(stretch.rstrip(b"\\"))) % 2 == 0:
                break
            text = closing + 1
            closing = find(_QUOTE, text)
        if closing < 0:
            return b"".join(parts)
        start = closing + 1
    parts.append(data[start:])
    return b"".join(parts)
