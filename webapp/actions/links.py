"""Signed links to a booking's own pages and to the waiting list's offers.

The booking actions put them in the emails they record; the booking pages read them
back.  A link carries only an id and its end, signed with the app's secret key, so a
booking's pages are reachable by whoever holds the link and nobody else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from tours.booking.bookings import DepartureSeats
from tours.booking.models import Booking, Departure, WaitlistEntry
from tours.db import utcnow

T = TypeVar("T")

MANAGE_SALT = "bidean.booking.manage"
OFFER_SALT = "bidean.waitlist.offer"
LEAVE_SALT = "bidean.waitlist.leave"
FEEDBACK_SALT = "bidean.feedback.answer"
FEEDBACK_OPT_OUT_SALT = "bidean.feedback.opt-out"
FEEDBACK_LINK_LIFE = timedelta(days=30)  # the feedback form's link, from the email's making
MANAGE_GRACE = timedelta(days=1)  # a manage link still works the day after the tour


class LinkInvalid(Exception):
    """A signed link that was tampered with or cut short."""


class LinkExpired(Exception):
    """A signed link past its end (the session took place, or the offer lapsed)."""


def hold_time() -> timedelta:
    """How long seats offered from the waiting list are held (``WAITLIST_HOLD_MINUTES``)."""
    return timedelta(minutes=current_app.config["WAITLIST_HOLD_MINUTES"])


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], salt)


@lru_cache(maxsize=16)
def _serializer_for(secret_key: str | bytes, salt: str) -> URLSafeTimedSerializer:
    """Keyed by the secret too, so an app with another key never gets this one's."""
    return URLSafeTimedSerializer(secret_key, salt=salt)


def manage_token(booking: Booking, departure: Departure | DepartureSeats) -> str:
    """The signed part of a booking's manage link, valid until the day after the tour."""
    until = departure.starts_at + MANAGE_GRACE
    return _serializer(MANAGE_SALT).dumps({"r": booking.reference, "x": int(until.timestamp())})


def read_manage_token(token: str, now: datetime | None = None) -> str:
    """The booking reference a manage link stands for; LinkInvalid or LinkExpired."""
    try:
        data = _serializer(MANAGE_SALT).loads(token)
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict) or not isinstance(data.get("r"), str):
        raise LinkInvalid
    if (now or utcnow()).timestamp() > float(data.get("x", 0)):
        raise LinkExpired
    return data["r"]


def offer_token(entry: WaitlistEntry) -> str:
    """The signed part of an offer's link: the entry and which of its offers."""
    return _serializer(OFFER_SALT).dumps({"e": entry.id, "n": entry.offer_count})


def read_offer_token(token: str) -> tuple[int, int]:
    """``(entry id, offer number)``; the database then says whether the offer is open."""
    max_age = int(hold_time().total_seconds()) + 3600
    try:
        data = _serializer(OFFER_SALT).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in "en"):
        raise LinkInvalid
    return data["e"], data["n"]


def leave_token(entry: WaitlistEntry) -> str:
    """The signed link to leave the waiting list (valid as long as the entry exists)."""
    return _serializer(LEAVE_SALT).dumps({"e": entry.id})


def read_leave_token(token: str) -> int:
    """The waiting-list entry a leave link stands for; LinkInvalid when tampered with."""
    return _read_lasting(LEAVE_SALT, token, "e", int)


def feedback_token(feedback_id: int) -> str:
    """The signed part of a feedback form's link: the feedback row, valid 30 days."""
    return _serializer(FEEDBACK_SALT).dumps({"f": feedback_id})


def feedback_opt_out_token(feedback_id: int) -> str:
    """The signed part of "do not ask me again": it does not expire, saying no never should."""
    return _serializer(FEEDBACK_OPT_OUT_SALT).dumps({"f": feedback_id})


def _read_feedback(salt: str, token: str, max_age: int | None) -> int:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict) or not isinstance(data.get("f"), int):
        raise LinkInvalid
    return data["f"]


def read_feedback_token(token: str) -> int:
    """The feedback row a form link stands for; LinkInvalid, or LinkExpired after 30 days."""
    return _read_feedback(FEEDBACK_SALT, token, int(FEEDBACK_LINK_LIFE.total_seconds()))


def read_feedback_opt_out_token(token: str) -> int:
    """The feedback row an opt-out link stands for; LinkInvalid when tampered with."""
    return _read_feedback(FEEDBACK_OPT_OUT_SALT, token, None)


WITHDRAW_SALT = "bidean.contribution.withdraw"


def withdrawal_token(public_id: str) -> str:
    """The signed part of a teller's personal withdrawal link; it never expires."""
    return _serializer(WITHDRAW_SALT).dumps({"c": public_id})


def read_withdrawal_token(token: str) -> str:
    """The contribution's public id a withdrawal link stands for; LinkInvalid when tampered."""
    return _read_lasting(WITHDRAW_SALT, token, "c", str)


def _read_lasting(salt: str, token: str, field: str, kind: type[T]) -> T:
    """The ``field`` of ``kind`` a link that never expires carries; LinkInvalid if tampered."""
    try:
        data = _serializer(salt).loads(token)
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict) or not isinstance(data.get(field), kind):
        raise LinkInvalid
    return data[field]
