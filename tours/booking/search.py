"""Finding bookings across departures by name, email, phone or reference (the console's
booking search), a page at a time.

Case is ignored in every alphabet on both backends (``tours.db.unicode_lower``); a phone
number matches whatever spaces, dashes, dots, brackets or ``+`` either side was written
with; a reference matches from its start, once four characters of it are typed (a
shorter run of letters would find references by chance).  Purged bookings have no
personal data left and are never found.  Newest bookings first; a page ends at
``limit`` and the next starts before its last booking (keyset: no OFFSET to count past).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from tours.booking.bookings import REFERENCE_ALPHABET, BookingNotFound, normalize_reference
from tours.booking.models import Booking, Departure
from tours.db import unicode_lower
from tours.tour.models import TourRecord

MIN_QUERY = 2  # characters: one would list nearly every booking
MAX_PAGE = 50
MIN_REFERENCE = 4
MIN_PHONE_DIGITS = 3
_PHONE_PUNCTUATION = (" ", "-", ".", "(", ")", "+", "/")
_PHONE_LIKE = re.compile(r"^[\d\s\-.()+/]+$")


@dataclass(frozen=True)
class SearchPage:
    bookings: list[Booking]  # each with its departure and the departure's tour loaded
    next_before: int | None  # the ``before`` of the next page; None on the last


def _digits_only(column: ColumnElement[str | None]) -> ColumnElement[str]:
    for mark in _PHONE_PUNCTUATION:
        column = func.replace(column, mark, "")
    return column  # type: ignore[return-value]


def _contains(column: ColumnElement[str | None], needle: str, dialect: str) -> ColumnElement[bool]:
    """``column`` contains ``needle``, case ignored.

    A needle in ASCII: PostgreSQL's ``ILIKE``, or SQLite's plain ``LIKE``, which ignores
    the case of ASCII letters by itself (``lower()`` on every row made it three times
    slower).  Any other needle goes through ``unicode_lower``, on SQLite a call into
    Python per row.
    """
    if not needle.isascii():
        folded = unicode_lower(column).contains(needle.lower(), autoescape=True)
        if dialect != "sqlite":
            return folded
        # First a plain LIKE with ``_`` (any one letter) for each letter outside ASCII,
        # so that Python is called only for the rows that may match.
        shape = "".join(
            "_" if not ch.isascii() else f"/{ch}" if ch in "/%_" else ch for ch in needle
        )
        return and_(column.like(f"%{shape}%", escape="/"), folded)
    if dialect == "sqlite":
        return column.contains(needle, autoescape=True)
    return column.icontains(needle, autoescape=True)


def matches(text: str, dialect: str) -> ColumnElement[bool]:
    """The condition a booking meets when ``text`` names it (false for too short a text),
    on the database ``dialect`` (``sqlite`` or ``postgresql``)."""
    needle = " ".join(text.split())
    if len(needle) < MIN_QUERY:
        return false()
    conditions = [
        _contains(Booking.name, needle, dialect),
        _contains(Booking.email, needle, dialect),
    ]
    reference = normalize_reference(needle)
    if len(reference) >= MIN_REFERENCE and set(reference) <= set(REFERENCE_ALPHABET):
        conditions.append(Booking.reference.startswith(reference, autoescape=True))
    digits = re.sub(r"\D", "", needle)
    if len(digits) >= MIN_PHONE_DIGITS and _PHONE_LIKE.match(needle):
        # The digits in order with anything between: a cheap LIKE that lets through
        # only the rows worth stripping of their punctuation (seven REPLACEs a row).
        spread = "%" + "%".join(digits) + "%"
        conditions.append(
            and_(
                Booking.phone.like(spread),
                _digits_only(Booking.phone).contains(digits, autoescape=True),
            )
        )
    return or_(*conditions)


def search_bookings(
    db_session: Session, text: str, *, limit: int = 25, before: int | None = None
) -> SearchPage:
    """The bookings ``text`` names, newest first, at most ``limit`` (capped at ``MAX_PAGE``)."""
    limit = max(1, min(limit, MAX_PAGE))
    query = (
        select(Booking)
        .join(Departure, Booking.departure_id == Departure.id)
        .join(TourRecord, Departure.tour_id == TourRecord.id)
        .options(contains_eager(Booking.departure).contains_eager(Departure.tour))
        .where(Booking.purged_at.is_(None), matches(text, db_session.get_bind().dialect.name))
        .order_by(Booking.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(Booking.id < before)
    found = list(db_session.scalars(query))
    more = len(found) > limit
    found = found[:limit]
    return SearchPage(found, found[-1].id if more else None)


def get_booking_by_id(db_session: Session, booking_id: int) -> Booking:
    """A booking by its id (the console's addresses); ``BookingNotFound`` when there is none."""
    booking = db_session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound(str(booking_id))
    return booking
