"""The encoding of an XML file (KML, GPX) that does not declare it.

XML without an ``encoding`` in its declaration is UTF-8 (or UTF-16 with a byte order
mark), so a KML or GPX file saved as Latin-1 by an older tool got "XML syntax error" at
its first accented letter.  :func:`as_utf8` reads such a file with the encoding it
looks like (UTF-16 by its zero bytes, Latin-1/Windows-1252 by its letters) and says so
in a warning, or gives the documented "not UTF-8 (it looks like…)" message; a declared
encoding is left to the parser.
"""

from __future__ import annotations

import re

from tours.content.reading.jsonload import UTF8_BOM, looks_like_latin1
from tours.content.report import Problem, Severity

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_ENCODING = re.compile(r"""(encoding\s*=\s*["'])[A-Za-z0-9._-]+(["'])""")


def as_utf8(data: bytes, code: str, kind: str) -> tuple[bytes, Problem | None]:
    """``data`` as UTF-8 XML, and a warning when it was read in another encoding (or an
    error ``code`` when it is in none Bidean can tell); UTF-8 and files that declare
    their encoding come back as they are."""
    if data.startswith(UTF8_BOM):
        return data, None
    utf16 = _utf16(data)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            return data, _problem(
                code, f"This {kind} file looks like UTF-16 but cannot be read: save it as UTF-8."
            )
        # The declaration, if any, names UTF-16: it must name what the bytes now are.
        text = _ENCODING.sub(r"\1UTF-8\2", text.lstrip("\ufeff"), count=1)
        # A byte order mark says UTF-16 as well as a declaration would.
        bom = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        return text.encode("utf-8"), None if bom else _read_as(code, kind, "UTF-16")
    declaration = _DECLARATION.match(data)
    if declaration is not None and b"encoding" in declaration.group(0):
        return data, None  # expat reads the declared encoding, or names it
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        if looks_like_latin1(data):
            text = data.decode("cp1252")  # Latin-1's superset, as looks_like_latin1 tests
            return text.encode("utf-8"), _read_as(code, kind, "Latin-1")
        return data, _problem(
            code,
            f"This {kind} file is not UTF-8 and declares no encoding: save it as UTF-8.",
        )
    return data, None


def _utf16(data: bytes) -> str | None:
    """``utf-16`` (with a byte order mark), ``utf-16-le``/``-be`` (zero bytes), or None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(data) >= 2 and data[0] == 0 and data[1] != 0:
        return "utf-16-be"
    if len(data) >= 2 and data[1] == 0 and data[0] != 0:
        return "utf-16-le"
    return None


def _read_as(code: str, kind: str, encoding: str) -> Problem:
    return _problem(
        code,
        f"This {kind} file is not UTF-8 (it looks like {encoding}) and does not declare its"
        f" encoding: it was read as {encoding}. Check its accented letters, or save it as"
        " UTF-8.",
        Severity.WARNING,
    )


def _problem(code: str, message: str, severity: Severity = Severity.ERROR) -> Problem:
    return Problem(code, "", message, severity, line=1, column=1)
