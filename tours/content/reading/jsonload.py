"""Strict JSON loading: bytes in, ``(value | None, problems)`` out, never an exception.

Python's ``json`` module is lenient where a tour importer must not be: it accepts
``NaN`` and ``Infinity``, turns ``1e400`` into ``inf`` silently, keeps the last of two
duplicate keys without a word, and raises ``RecursionError`` on deep nesting.  This
module wraps it so that each of those becomes a ``json.*`` problem that says where the
trouble is and how to fix it.

The cheap checks (size, encoding, nesting depth) run before parsing; the expensive
ones (finding the pointer of a duplicate key or a non-finite number) only run when the
parser has flagged that something is there, so a clean file costs little more than
``json.loads``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from tours.content.reading.limits import json_brackets, json_depth
from tours.content.report import Problem, Severity, pointer

MAX_BYTES_ENV = "BIDEAN_MAX_IMPORT_MB"
DEFAULT_MAX_DEPTH = 64

UTF8_BOM = b"\xef\xbb\xbf"

# Known binary formats people upload by mistake, so the message can name them.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (a KMZ file or a zipped shapefile?)"),
    (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"),
    (b"SQLite format 3\x00", "an SQLite database (a GeoPackage?)"),
    (b"\x00\x00\xfe\xff", "UTF-32 text"),
    (b"\xff\xfe\x00\x00", "UTF-32 text"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# To spot numbers that may overflow a double (a 3-digit exponent, or 300 digits in a
# row) without a slow regex: map digits to "0", e/E to "e", "+" to itself and every
# other byte to a space, then look for the tell-tale shapes with fast substring search.
_NUMBER_SHAPE = bytes(
    ord("0") if chr(b).isdigit() and b < 128 else b if b in b"+" else ord("e") if b in b"eE" else 32
    for b in range(256)
)
_HUGE_SHAPES = (b"0" * 300, b"0e000", b"0e+000")


class _NonFinite(float):
    """A ``NaN``/``Infinity`` the parser met; the subclass lets us find it afterwards."""


class _TooLarge(float):
    """A number beyond the range of a double; the subclass lets us find it afterwards."""


def load_json(
    data: bytes, *, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH
) -> tuple[Any | None, list[Problem]]:
    """Parse ``data`` as strict JSON.

    Returns the parsed value (``None`` when the file could not be parsed at all) and the
    problems found.  Duplicate keys and non-finite numbers are errors but still give a
    value, so the caller can go on and report every other problem in the same run.
    """
    problems: list[Problem] = []
    if len(data) > max_bytes:
        return None, [too_large(len(data), max_bytes)]
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        problems.append(
            Problem(
                "json.bom",
                "",
                "The file starts with a UTF-8 byte order mark (BOM). JSON must not have one;"
                " Bidean ignored it. Save the file as 'UTF-8' rather than 'UTF-8 with BOM'.",
                Severity.WARNING,
            )
        )
    if not data.strip():
        problems.append(
            Problem(
                "json.empty", "", "The file is empty. Export the tour again and check it saved."
            )
        )
        return None, problems
    text, problem = _decode(data)
    if problem is not None:
        return None, [*problems, problem]
    problem = _check_depth(data, text, max_depth)
    if problem is not None:
        return None, [*problems, problem]
    value, parse_problems = _parse(data, text)
    return value, problems + parse_problems


def human_size(size: int) -> str:
    """``52428800`` -> ``"50 MB"``; small sizes stay in bytes so a tiny limit reads well."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.3g} kB"
    return f"{size / (1024 * 1024):.3g} MB"


def too_large(size: int, max_bytes: int) -> Problem:
    """The problem for a file of ``size`` bytes over the ``max_bytes`` limit."""
    return Problem(
        "json.too-large",
        "",
        f"The file is {human_size(size)}, more than the import limit of {human_size(max_bytes)}."
        " Simplify the route (fewer vertices) or split the tour; an administrator can raise"
        f" the limit (in MB) with the environment variable {MAX_BYTES_ENV}.",
    )


def line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of byte ``offset`` in UTF-8 ``data``."""
    line = data.count(b"\n", 0, offset) + 1
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _decode(data: bytes) -> tuple[str, Problem | None]:
    """Decode UTF-8 strictly; a failure names the byte, its place and a likely cause."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return "", Problem(
                "json.encoding",
                "",
                f"This is not a GeoJSON text file: it looks like {what}. Upload the tour's"
                " .geojson (UTF-8 JSON) or .gpx file instead.",
                line=1,
                column=1,
            )
    if len(data) >= 2 and (data[0] == 0 or data[1] == 0):
        return "", Problem(
            "json.encoding",
            "",
            "The file looks like UTF-16 or UTF-32 text (it has zero bytes between the"
            " characters). JSON must be UTF-8: save it again as UTF-8.",
            line=1,
            column=1,
        )
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line, column = line_column(data, exc.start)
        bad = data[exc.start : exc.start + 1].hex()
        if looks_like_latin1(data):
            return "", Problem(
                "json.encoding",
                "",
                f"This file is not UTF-8 (it looks like Latin-1): save it as UTF-8. The first"
                f" byte that is not UTF-8 is 0x{bad}, at line {line}, column {column}.",
                line=line,
                column=column,
            )
        return "", Problem(
            "json.encoding",
            "",
            f"The file is not valid UTF-8: byte 0x{bad} at line {line}, column {column}"
            f" (byte offset {exc.start}) cannot be decoded. If it is binary data, upload the"
            " GeoJSON file instead; if it is text in another encoding (Latin-1, Windows-1252),"
            " save it again as UTF-8.",
            line=line,
            column=column,
        )


def looks_like_latin1(data: bytes) -> bool:
    """Text in Latin-1 or Windows-1252: no control bytes, and the bytes above 0x7F are
    letters and signs of those encodings (é is 0xE9), not UTF-8 sequences."""
    sample = data[:65536]
    if any(b < 0x20 and b not in b"\t\r\n" for b in sample):
        return False
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False
    high = [c for c in text if ord(c) > 0x7F]
    return bool(high) and sum(c.isalpha() for c in high) * 2 >= len(high)


def _check_depth(data: bytes, text: str, max_depth: int) -> Problem | None:
    """Refuse nesting deeper than ``max_depth`` before the recursive parser sees it
    (:func:`tours.content.reading.limits.json_depth`: strings are not nesting)."""
    deepest = json_depth(data)
    if deepest <= max_depth:
        return None
    line, column = _deep_place(text, max_depth)
    return Problem(
        "json.too-deep",
        "",
        f"Arrays and objects are nested {deepest} levels deep (at line {line}, column {column});"
        f" Bidean reads at most {max_depth}. A tour never needs that many: the file is"
        " probably damaged or not a tour.",
        line=line,
        column=column,
    )


def _deep_place(text: str, max_depth: int) -> tuple[int, int]:
    """Line and column where nesting first passes ``max_depth`` (slow; error path only)."""
    depth, line, column, in_string, escaped = 0, 1, 0, False, False
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        elif in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return line, column
        elif char in "]}":
            depth -= 1
    return line, column


class _Hooks:
    """Parser callbacks that note what ``json`` would otherwise accept silently."""

    def __init__(self) -> None:
        # id(object) -> (the object, its duplicated keys).  Keeping the object alive
        # keeps its id unique until we have found its pointer.
        self.duplicates: dict[int, tuple[dict[str, Any], list[str]]] = {}
        self.non_finite = False
        self.too_large = False
        self.surrogates = False

    def object_pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            dups: list[str] = []
            for key, _ in pairs:
                if key in seen and key not in dups:
                    dups.append(key)
                seen.add(key)
            self.duplicates[id(obj)] = (obj, dups)
        return obj

    def constant(self, name: str) -> float:
        self.non_finite = True
        return _NonFinite(name)  # float() reads "NaN", "Infinity" and "-Infinity"

    def float_(self, literal: str) -> float:
        value = float(literal)
        if math.isinf(value):
            self.too_large = True
            return _TooLarge(value)
        return value

    def int_(self, literal: str) -> int | float:
        # An integer that no double can hold breaks numpy and the database; beyond 4300
        # digits Python even refuses to convert it, so test the length first.
        if len(literal.lstrip("-")) <= 309:
            value = int(literal)
            try:
                float(value)
            except OverflowError:
                pass
            else:
                return value
        self.too_large = True
        return _TooLarge("-inf" if literal.startswith("-") else "inf")


def _parse(data: bytes, text: str) -> tuple[Any | None, list[Problem]]:
    hooks = _Hooks()
    kwargs: dict[str, Callable[..., Any]] = {
        "object_pairs_hook": hooks.object_pairs,
        "parse_constant": hooks.constant,
    }
    shape = data.translate(_NUMBER_SHAPE)
    if any(huge in shape for huge in _HUGE_SHAPES):
        # Only pay for a Python call per number when a huge one may be there.
        kwargs["parse_float"] = hooks.float_
        kwargs["parse_int"] = hooks.int_
    try:
        value = json.loads(text, **kwargs)
    except json.JSONDecodeError as exc:
        return None, [_syntax_problem(text, exc)]
    except RecursionError:
        # _check_depth makes this unreachable unless max_depth is set above Python's
        # recursion limit; it must still never escape to the caller.
        return None, [
            Problem(
                "json.too-deep",
                "",
                "Arrays and objects are nested too deeply for the parser. The file is"
                " probably damaged or not a tour.",
            )
        ]
    # "\ud800" is valid JSON syntax but no character: it cannot be stored or exported as
    # UTF-8.  A proper pair ("\ud83d\ude00") is joined by the parser, so only look when
    # an escape in the surrogate range is there at all.
    hooks.surrogates = _SURROGATE_ESCAPE.search(data) is not None
    problems = _flagged_problems(value, hooks)
    if any(p.code == "json.encoding" for p in problems):
        return None, problems  # text that cannot be printed must not reach any message
    return value, problems


def _syntax_problem(text: str, exc: json.JSONDecodeError) -> Problem:
    hint = "Check for a missing comma, bracket, brace or quote just before this point."
    if text[exc.pos : exc.pos + 2] in ("//", "/*"):
        hint = "JSON has no comments: remove them."
    elif exc.msg.startswith("Unterminated string"):
        hint = "The string that starts here has no closing quote."
        if '"' not in text[exc.pos + 1 :]:
            hint += " The file ends inside it: it is probably truncated (cut short)."
    elif exc.pos >= len(text.rstrip()) or _unclosed(text) > 0:
        hint = "The file ends in the middle of the JSON: it is probably truncated (cut short)."
    elif exc.msg.startswith("Extra data"):
        hint = "The JSON ends before the file does: remove what follows, or merge the documents."
    elif exc.msg.startswith("Expecting property name"):
        hint = "Keys must be in double quotes, and there must be no comma after the last member."
    elif exc.msg.startswith("Invalid control character"):
        hint = "Line breaks and tabs inside a string must be written as \\n and \\t."
    return Problem(
        "json.syntax",
        "",
        f"JSON syntax error at line {exc.lineno}, column {exc.colno}:"
        f" {exc.msg.removesuffix(' starting at')}. {hint}",
        line=exc.lineno,
        column=exc.colno,
    )


def _unclosed(text: str) -> int:
    """How many arrays/objects are still open at the end (error path only)."""
    brackets = json_brackets(text.encode("utf-8"))
    return brackets.count(b"[") + brackets.count(b"{") - brackets.count(b"]") - brackets.count(b"}")


def _flagged_problems(value: Any, hooks: _Hooks) -> list[Problem]:
    """Find the pointers of whatever the hooks flagged; walks the tree only if needed."""
    if not (hooks.duplicates or hooks.non_finite or hooks.too_large or hooks.surrogates):
        return []
    problems: list[Problem] = []
    for ptr, item in walk(value):
        if isinstance(item, dict) and id(item) in hooks.duplicates:
            for key in hooks.duplicates[id(item)][1]:
                problems.append(_duplicate_problem(ptr, key))
        if hooks.surrogates and isinstance(item, dict):
            problems.extend(
                _surrogate_problem(ptr + pointer(_printable(k))) for k in item if _lone(k)
            )
        if hooks.surrogates and isinstance(item, str) and _lone(item):
            problems.append(_surrogate_problem(_printable(ptr)))
        elif isinstance(item, _NonFinite):
            problems.append(
                Problem(
                    "json.non-finite-number",
                    ptr,
                    f"{_describe(ptr)} is {_constant_name(item)}, which is not a JSON number."
                    " Write a real number, or leave the value out.",
                )
            )
        elif isinstance(item, _TooLarge):
            problems.append(
                Problem(
                    "json.number-too-large",
                    ptr,
                    f"{_describe(ptr)} is a number too large to store (beyond about 1.8e308)."
                    " Coordinates are degrees between -180 and 180: check the value.",
                )
            )
    return problems


def _printable(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udc00``, so reports can be printed."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _lone(text: str) -> bool:
    """True if ``text`` holds a lone surrogate (it cannot be encoded as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _surrogate_problem(ptr: str) -> Problem:
    return Problem(
        "json.encoding",
        ptr,
        f"The text at {ptr or 'the root'} contains a \\uD800-\\uDFFF escape that is half of"
        " a character (a lone surrogate), which no text can hold. The file was probably cut"
        " or converted badly: retype the text there.",
    )


def _duplicate_problem(ptr: str, key: str) -> Problem:
    return Problem(
        "json.duplicate-key",
        ptr + pointer(key),
        f'The object at {ptr or "the root"} has the key "{key}" more than once. Programs'
        " disagree on which value wins (Bidean read the last one): keep only one.",
    )


def _constant_name(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "-Infinity" if value < 0 else "Infinity"


def _describe(ptr: str) -> str:
    return f"The value at {ptr}" if ptr else "The document"


def walk(value: Any, ptr: str = "") -> Iterator[tuple[str, Any]]:
    """Every value in a parsed JSON tree with its RFC 6901 pointer, parents first.

    Iterative, so a deep (but allowed) document cannot hit the recursion limit.
    """
    stack: list[tuple[str, Any]] = [(ptr, value)]
    while stack:
        here, item = stack.pop()
        yield here, item
        if isinstance(item, dict):
            children = [(here + pointer(k), v) for k, v in item.items()]
        elif isinstance(item, list):
            children = [(f"{here}/{i}", v) for i, v in enumerate(item)]
        else:
            continue
        stack.extend(reversed(children))
