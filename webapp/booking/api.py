"""The departures JSON API: list and read departures, book seats, join a waiting list.

Bookings are never listed or read back through the API: the only way to a booking is
the signed manage link given to whoever made it.  Writes are rate-limited per client;
``Idempotency-Key`` makes a retried POST return the booking the first one made.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext, ngettext

from tours.booking import departures as deps
from tours.booking.bookings import BookingRefused, Party
from tours.booking.idempotency import KeyReused
from tours.booking.waitlist import WaitlistRefused
from tours.text import unstorable
from webapp.actions import links
from webapp.booking import transactions as run
from webapp.booking.api_docs import register_docs
from webapp.booking.forms import ABSOLUTE_MAX_PARTY, KEY
from webapp.booking.limiter import booking_budget, limiter, read_limit
from webapp.common.api.pagination import bad_cursor, next_link, page_request, with_next_link
from webapp.common.database import get_db
from webapp.common.departure_views import DepartureView, load_departure_view, load_departure_views
from webapp.common.forms.contact import PHONE, checked_email
from webapp.common.i18n import LANGUAGES, current_language, supported
from webapp.common.tourcache import tour_cache
from webapp.common.urls import public_url_for

bp = Blueprint("booking_api", __name__, url_prefix="/api")
register_docs()

FIELDS = {"name", "email", "party_size", "language", "phone", "notes"}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=message, code=code, **extra), status


@bp.after_request
def _cors(response: Response) -> Response:
    """Reads are open to any origin, like the tours API; writes are not."""
    if request.method in ("GET", "HEAD"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    else:
        response.headers["Cache-Control"] = "no-store"  # answers carry manage links
    return response


@bp.get("/sessions")
@limiter.limit(read_limit)
def list_departures() -> Response | tuple[Response, int]:
    """Upcoming departures, soonest first, optionally of one tour (``?tour=<slug>``), a page
    at a time (``limit``, ``cursor``; the next page in the ``Link`` header)."""
    slug = request.args.get("tour")
    lang = current_language()
    wanted = page_request((str, int))
    after = None
    if wanted.after is not None:
        try:
            after = (as_utc(datetime.fromisoformat(wanted.after[0])), wanted.after[1])
        except ValueError:
            bad_cursor()
    with get_db().transaction() as db_session:
        if slug is not None:
            if not SLUG.match(slug):
                return _error(
                    400,
                    "bad-request",
                    gettext("The tour parameter must be a tour's slug, such as bilbao-la-vieja."),
                )
            tour_cache().get(db_session, slug)  # an unknown tour is a 404, not an empty list
        found = deps.upcoming(db_session, slug=slug, after=after, limit=wanted.limit + 1)
        shown = found[: wanted.limit]
        items = [api_item(v) for v in load_departure_views(db_session, shown, lang, slug)]
    last = shown[-1] if len(found) > wanted.limit else None
    key = None if last is None else (as_utc(last.starts_at).isoformat(), last.id)
    return with_next_link(
        jsonify(items), next_link(public_url_for, "booking_api.list_departures", key, wanted.limit)
    )


@bp.get("/sessions/<int:departure_id>")
@limiter.limit(read_limit)
def read_departure(departure_id: int) -> Response:
    """One departure (also past or cancelled ones; never a group's private walk)."""
    with get_db().transaction() as db_session:
        departure = deps.get_public_departure(db_session, departure_id)
        item = api_item(load_departure_view(db_session, departure, current_language()))
    return jsonify(item)


def api_item(view: DepartureView) -> dict[str, Any]:
    """A departure in the JSON API: the fields every client gets."""
    return {
        "id": view.id,
        "tour": view.slug,
        "starts_at": view.starts_at.isoformat(),
        "timezone": view.timezone,
        "language": view.language,
        "capacity": view.capacity,
        "seats_left": view.seats_left,
        "max_party_size": view.max_party,
        "guide": view.guide_id,
        "guide_name": view.guide_name,
        "status": view.status,
        "meeting_point": {
            "name": view.meeting.text if view.meeting else None,
            "position": [view.meeting_lonlat.lon, view.meeting_lonlat.lat],
        },
    }


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one (SQLite gives those back) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(body: dict[str, Any], name: str, limit: int, errors: dict[str, str]) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        errors[name] = gettext("%(field)s must be text.", field=name)
        return None
    if len(value) > limit:
        errors[name] = gettext(
            "%(field)s is too long: at most %(max)s characters.", field=name, max=limit
        )
    elif unstorable(value):
        errors[name] = gettext(
            "%(field)s contains a character that cannot be stored (a NUL or a broken "
            "character). Type it again.",
            field=name,
        )
    return value.strip()


def parse_party(body: Any) -> tuple[Party | None, dict[str, str]]:
    """The party from a JSON body, or the problems, one message per field."""
    errors: dict[str, str] = {}
    if not isinstance(body, dict):
        return None, {"body": gettext("Send a JSON object with name, email and party_size.")}
    for unknown in sorted(set(body) - FIELDS):
        errors[unknown] = gettext(
            "Unknown field. Allowed: %(fields)s.", fields=", ".join(sorted(FIELDS))
        )
    name = _text(body, "name", 120, errors)
    if name is None and "name" not in errors:
        errors["name"] = gettext("Give the name the guide should expect.")
    email = _text(body, "email", 254, errors)
    if email is None and "email" not in errors:
        errors["email"] = gettext("Give an email address for the confirmation.")
    elif email is not None and "email" not in errors:
        email, problem = checked_email(email)
        if problem:
            errors["email"] = problem
    size = body.get("party_size")
    if isinstance(size, bool) or not isinstance(size, int):
        errors["party_size"] = gettext("party_size must be a whole number of people, e.g. 2.")
    elif size < 1:
        errors["party_size"] = gettext("A booking is for at least one person.")
    elif size > ABSOLUTE_MAX_PARTY:
        errors["party_size"] = gettext(
            "At most %(max)s people can book together for this session.", max=ABSOLUTE_MAX_PARTY
        )
    raw_language = body["language"] if "language" in body else current_language()
    language = supported(raw_language) if isinstance(raw_language, str) else None
    if language is None:
        errors["language"] = gettext(
            "language must be one of: %(choices)s.", choices=", ".join(LANGUAGES)
        )
    phone = _text(body, "phone", 40, errors)
    if phone is not None and "phone" not in errors and not PHONE.match(phone):
        errors["phone"] = gettext("Enter a phone number with digits only, e.g. +34 600 123 456.")
    notes = _text(body, "notes", 1000, errors)
    if errors:
        return None, errors
    assert name and email and language and isinstance(size, int)
    return Party(name, email, size, language, phone, notes), {}


def _idempotency_key() -> tuple[str | None, tuple[Response, int] | None]:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None, None
    if not KEY.match(key):
        message = gettext(
            "The Idempotency-Key header must be 16 to 80 letters, digits, '-' or '_'."
        )
        return None, _error(400, "bad-request", message)
    return stored_key(key), None


# The column holding keys (bookings, waiting-list entries) is 80 characters wide.
_KEY_COLUMN = 80


def stored_key(key: str) -> str:
    """The API's key as stored: ``api:`` and the key, or for a key too long to fit with
    its prefix (77 to 80 characters, which made PostgreSQL refuse the row: a 500) its
    SHA-256.  A ``:`` is no key's character, so neither form can meet the other."""
    stored = f"api:{key}"
    if len(stored) <= _KEY_COLUMN:
        return stored
    return "api:sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _refused(refused: BookingRefused | WaitlistRefused, departure_id: int) -> tuple[Response, int]:
    waitlist = public_url_for("booking_api.join_waitlist", departure_id=departure_id)
    if refused.reason == "full":
        message = ngettext(
            "Only %(num)d seat is left on this session. Book fewer seats, or join the "
            "waiting list.",
            "Only %(num)d seats are left on this session. Book fewer seats, or join the "
            "waiting list.",
            refused.seats_left,
        )
        return _error(409, "full", message, seats_left=refused.seats_left, waitlist=waitlist)
    if refused.reason == "party_too_large":
        message = gettext(
            "At most %(max)s people can book together for this session.", max=refused.max_party
        )
        return _error(422, "invalid", message, fields={"party_size": message})
    if refused.reason == "seats_available":
        message = gettext(
            "There are enough seats for your group on this session: book them instead."
        )
        return _error(409, "seats-available", message, seats_left=refused.seats_left)
    message = gettext("This session has been cancelled or has already started.")
    return _error(409, refused.reason, message)


def _key_reused() -> tuple[Response, int]:
    message = gettext(
        "This Idempotency-Key was already used for a different request (another session "
        "or other details). Send a new key for a new booking; repeat a request only with "
        "exactly the same body."
    )
    return _error(422, "idempotency-key-reused", message, fields={"Idempotency-Key": message})


def _read_request() -> tuple[Party | None, str | None, tuple[Response, int] | None]:
    key, problem = _idempotency_key()
    if problem:
        return None, None, problem
    body = request.get_json(silent=True)
    party, errors = parse_party(body)
    if party is None:
        status = 400 if "body" in errors else 422
        message = gettext("The booking could not be read: see fields for what to fix.")
        return None, None, _error(status, "invalid", message, fields=errors)
    return party, key, None


@bp.post("/sessions/<int:departure_id>/bookings")
@booking_budget
def create_booking(departure_id: int) -> tuple[Response, int] | Response:
    """Book seats: 201 with the reference, 409 when they are not there."""
    party, key, problem = _read_request()
    if problem or party is None:
        return problem  # type: ignore[return-value]
    try:
        result = run.place_booking(departure_id, party, key)
    except BookingRefused as refused:
        return _refused(refused, departure_id)
    except KeyReused:
        return _key_reused()
    token = links.manage_token(result.booking, result.departure)
    response = jsonify(
        reference=result.booking.reference,
        session=result.booking.departure_id,
        party_size=result.booking.party_size,
        status=result.booking.status,
        manage_url=public_url_for("booking.manage", token=token),
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


@bp.post("/sessions/<int:departure_id>/waitlist")
@booking_budget
def join_waitlist(departure_id: int) -> tuple[Response, int] | Response:
    """Join a full departure's waiting list: 201 with the place in line."""
    party, key, problem = _read_request()
    if problem or party is None:
        return problem  # type: ignore[return-value]
    try:
        joined = run.join_waitlist(departure_id, party, key)
    except WaitlistRefused as refused:
        return _refused(refused, departure_id)
    except KeyReused:
        return _key_reused()
    response = jsonify(
        session=departure_id,
        party_size=joined.entry.party_size,
        status=joined.entry.status,
        position=joined.position,
    )
    return response, 201
