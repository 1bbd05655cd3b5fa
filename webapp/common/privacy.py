"""Logs never hold bookers' personal data: names, email addresses, phone numbers.

Three layers: code logs ids, never people (see ``webapp.mail.messages``); database errors
are logged without their SQL parameters (``hide_parameters`` in ``tours.db``); and a log
record factory blanks whatever still looks like an email address or a phone number,
plus the exact names, addresses and phones this thread is handling (``remember``), in
the message, its arguments and any traceback, before any handler formats it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

from flask import Flask

# An address starts where a run of the characters its local part may have starts (the
# lookbehind): tried from every character of a long run without an "@", the expression
# scanned to the end of the run each time, quadratic in the length of a log line.  The
# first start of a run finds whatever a later one would (the local part may hold "@").
EMAIL = re.compile(
    r"(?<![^\s<>()\[\]\"',;:])"
    r"[^\s<>()\[\]\"',;:]+@[A-Za-z0-9\-.\u00a0-\uffff]+\.[A-Za-z\u00a0-\uffff]{2,}"
)
# A phone: an optional +, then 7 or more digits with spaces, dots, dashes or brackets.
PHONE = re.compile(r"(?<![\w/.:-])\+?\(?\d[\d ().\-/]{5,}\d(?![\w/])")
# ``PHONE`` without its lookbehind, matched at the starts ``_PHONE_START`` finds, and the
# run of a phone's characters from such a start (see ``_phones``).
_PHONE_BODY = re.compile(r"\+?\(?\d[\d ().\-/]{5,}\d(?![\w/])")
_PHONE_START = re.compile(r"(?<![\w/.:-])\+?\(?\d")
_PHONE_RUN = re.compile(r"\+?[\d ().\-/]*")
_local = threading.local()
_installed = False


def remember(*values: str | None) -> None:
    """Personal values this thread works with: blanked in any log line it writes."""
    known: set[str] = getattr(_local, "values", set())
    known.update(v.strip() for v in values if v and len(v.strip()) >= 3)
    _local.values = known


def forget() -> None:
    _local.values = set()


def redact(text: str, extra: Iterable[str] = ()) -> str:
    for value in sorted({*getattr(_local, "values", ()), *extra}, key=len, reverse=True):
        text = text.replace(value, "<redacted>")
    text = EMAIL.sub("<email>", text)
    return _phones(text)


def _phones(text: str) -> str:
    """``PHONE.sub`` with ``<phone>`` for what looks like a phone, in linear time.

    ``PHONE.sub`` tried every start in a run of digits, spaces and brackets (``(1/`` many
    times over) and scanned to the end of the run from each: quadratic.  When the first
    start of a run finds no phone no later start in it can (they see the same ends and
    less of the run; a "+" ends a run), so the rest of the run is skipped.
    """
    pieces: list[str] = []
    done = skip = 0
    for start in _PHONE_START.finditer(text):
        at = start.start()
        if at < skip:
            continue
        found = _PHONE_BODY.match(text, at)
        if found is None:
            skip = _PHONE_RUN.match(text, at).end()  # type: ignore[union-attr]
            continue
        skip = found.end()
        if _looks_like_phone(found.group()):
            pieces += [text[done:at], "<phone>"]
            done = skip
    pieces.append(text[done:])
    return "".join(pieces)


DATE = re.compile(r"\d{4}-\d\d-\d\d")


def _looks_like_phone(candidate: str) -> bool:
    if DATE.match(candidate):
        return False
    digits = sum(ch.isdigit() for ch in candidate)
    # Dates and times (2027-03-06 11:00) and ids are not phones; 9+ digits with a space,
    # a + or brackets are, as are long runs of digits.
    return digits >= 9 and (digits >= 11 or any(ch in candidate for ch in "+ ()"))


def install() -> None:
    """Wrap the log record factory once per process; every logger and handler benefits."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own report
            return record
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
        return record

    logging.setLogRecordFactory(factory)


def init_app(app: Flask) -> None:
    install()
    app.teardown_request(lambda _exc: forget())
