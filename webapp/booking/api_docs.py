"""OpenAPI description of the sessions and bookings API (``webapp/booking/api.py``)."""

from __future__ import annotations

from typing import Any

from webapp.common.api import openapi
from webapp.common.api.openapi import ERROR_RESPONSE, LANG_PARAMETER, json_response, ref
from webapp.common.api.pagination import PAGE_PARAMETERS, paged
from webapp.common.i18n import LANGUAGES

_NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Session": {
        "type": "object",
        "required": [
            "id",
            "tour",
            "starts_at",
            "timezone",
            "language",
            "capacity",
            "seats_left",
            "max_party_size",
            "guide",
            "guide_name",
            "status",
            "meeting_point",
        ],
        "properties": {
            "id": {"type": "integer"},
            "tour": {"type": "string", "description": "The tour's slug"},
            "starts_at": {
                "type": "string",
                "format": "date-time",
                "description": "Start, with the offset of the tour's timezone",
            },
            "timezone": {"type": "string", "examples": ["Europe/Madrid"]},
            "language": {"type": "string", "description": "BCP 47 tag the walk is guided in"},
            "capacity": {"type": "integer", "minimum": 1},
            "seats_left": {"type": "integer", "minimum": 0},
            "max_party_size": {"type": "integer", "minimum": 1, "description": "Per booking"},
            "guide": {
                "type": ["string", "null"],
                "description": "The guide's id: their profile is at /api/guides/{id}",
            },
            "guide_name": {"type": ["string", "null"], "description": "The guide's name"},
            "status": {"type": "string", "enum": ["scheduled", "cancelled"]},
            "meeting_point": {
                "type": "object",
                "required": ["name", "position"],
                "properties": {
                    "name": _NULLABLE_STRING,
                    "position": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 2,
                        "maxItems": 2,
                        "description": "[longitude, latitude]",
                    },
                },
            },
        },
    },
    "BookingRequest": {
        "type": "object",
        "required": ["name", "email", "party_size"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": 120},
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "party_size": {"type": "integer", "minimum": 1},
            "language": {
                "type": "string",
                # The languages the API validates against (``supported``), so the two agree.
                "enum": list(LANGUAGES),
                "description": (
                    "Language of the emails (a regional tag such as fr-CA gets its base"
                    " language); default: the request's language"
                ),
            },
            "phone": {"type": "string", "maxLength": 40},
            "notes": {"type": "string", "maxLength": 1000, "description": "Accessibility needs"},
        },
    },
    "Booking": {
        "type": "object",
        "required": ["reference", "session", "party_size", "status", "manage_url"],
        "properties": {
            "reference": {"type": "string", "pattern": "^[2-9A-HJKMNP-Z]{8}$"},
            "session": {"type": "integer"},
            "party_size": {"type": "integer"},
            "status": {"type": "string", "enum": ["confirmed"]},
            "manage_url": {
                "type": "string",
                "format": "uri",
                "description": "Signed link to see or cancel the booking; for the booker only",
            },
        },
    },
    "WaitlistEntry": {
        "type": "object",
        "required": ["session", "party_size", "status", "position"],
        "properties": {
            "session": {"type": "integer"},
            "party_size": {"type": "integer"},
            "status": {"type": "string", "enum": ["waiting"]},
            "position": {"type": "integer", "minimum": 1},
        },
    },
    "Refusal": {
        "type": "object",
        "required": ["error", "code"],
        "properties": {
            "error": {"type": "string"},
            "code": {"type": "string", "enum": ["full", "cancelled", "started", "seats-available"]},
            "seats_left": {"type": "integer"},
            "waitlist": {"type": "string", "format": "uri"},
        },
    },
    "InvalidBooking": {
        "type": "object",
        "required": ["error", "code", "fields"],
        "properties": {
            "error": {"type": "string"},
            "code": {"type": "string", "enum": ["invalid", "idempotency-key-reused"]},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}

_ID = {"name": "departure_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "16-80 characters [A-Za-z0-9_-]. The same key with the same body on the same "
        "session returns the first result (header Idempotent-Replayed: true); the same key "
        "with a different body or session is refused with 422, code idempotency-key-reused"
    ),
    "schema": {"type": "string"},
}
_WRITE_RESPONSES = {
    "400": json_response(
        "Not JSON, a bad Idempotency-Key, JSON nested too deeply, or a NUL or broken "
        "character anywhere in the request",
        {"oneOf": [ref("InvalidBooking"), ref("Error")]},
    ),
    "404": ERROR_RESPONSE,
    "409": json_response("Not possible on this session now", ref("Refusal")),
    "422": json_response(
        "Per-field problems (code invalid), or an Idempotency-Key already used for a "
        "different body or session (code idempotency-key-reused)",
        ref("InvalidBooking"),
    ),
    "413": ERROR_RESPONSE,
    "429": ERROR_RESPONSE,
}


def _post(summary: str, created: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [_ID, _KEY],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("BookingRequest")}},
            },
            "responses": {"201": created, **_WRITE_RESPONSES},
        }
    }


PATHS: dict[str, Any] = {
    "/api/sessions": {
        "get": {
            "summary": "Upcoming sessions, soonest first, a page at a time",
            "description": "A group's private walk (an accepted group request) is never listed.",
            "parameters": [
                {
                    "name": "tour",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Only this tour's sessions (its slug)",
                },
                LANG_PARAMETER,
                *PAGE_PARAMETERS,
            ],
            "responses": {
                "200": paged(json_response("Sessions", {"type": "array", "items": ref("Session")})),
                "400": ERROR_RESPONSE,
                "404": ERROR_RESPONSE,
                "429": ERROR_RESPONSE,
            },
        }
    },
    "/api/sessions/{departure_id}": {
        "get": {
            "summary": "One session",
            "description": "A group's private walk is not found (404), like one that does not "
            "exist; nor can anyone book it or wait for it through this API.",
            "parameters": [_ID, LANG_PARAMETER],
            "responses": {
                "200": json_response("The session", ref("Session")),
                "404": ERROR_RESPONSE,
                "429": ERROR_RESPONSE,
            },
        }
    },
    "/api/sessions/{departure_id}/bookings": _post(
        "Book seats (taken atomically; never oversold)",
        json_response("Booked; the confirmation email is on its way", ref("Booking")),
    ),
    "/api/sessions/{departure_id}/waitlist": _post(
        "Join the waiting list of a session without enough seats",
        json_response("On the list", ref("WaitlistEntry")),
    ),
}


def register_docs() -> None:
    openapi.register_paths(PATHS, SCHEMAS)
