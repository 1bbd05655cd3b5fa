"""Idempotency keys bound to the request they were first sent with.

A key (the API's ``Idempotency-Key`` header, the form's one-time token) is stored with a
fingerprint of what it asked for: the endpoint, the session (departure) and the party.
The same key again with the same request finds the earlier booking; with anything else
it is refused (``KeyReused``), so a key reused by another client, or for another
session, never returns someone else's booking, reference or manage link.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields as dataclass_fields
from functools import lru_cache
from typing import Any

from tours.errors import BideanError


class KeyReused(BideanError):
    """The idempotency key was first used for a different request."""

    def __init__(self) -> None:
        super().__init__("This idempotency key was already used for a different request.")


# What ``json.dumps(…, sort_keys=True, ensure_ascii=True, separators=(",", ":"))`` builds
# on every call, built once (an encoder keeps no state between calls).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=True, separators=(",", ":"))


@lru_cache(maxsize=16)
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclass_fields(kind))


def request_fingerprint(endpoint: str, departure_id: int, party: Any) -> str:
    """SHA-256 of the endpoint, the session and every field of ``party`` (a dataclass of
    plain values: its fields as they are, which is what ``asdict`` copied, without the
    copying), as canonical JSON: sorted keys, ASCII, no spaces."""
    fields = {name: getattr(party, name) for name in _field_names(type(party))}
    canonical = _CANONICAL.encode({"endpoint": endpoint, "session": departure_id, "party": fields})
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_same_request(stored_hash: str | None, request_hash: str | None) -> None:
    """Raise ``KeyReused`` unless the earlier request is this one.

    Rows stored before fingerprints existed have none: they still replay.
    """
    if stored_hash is not None and request_hash is not None and stored_hash != request_hash:
        raise KeyReused
