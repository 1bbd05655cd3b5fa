"""What the profile's rules share: a reference to a feature of the input, how a bad value
is shown in a message, and the checks of texts bound for mail headers and columns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tours.content.checking.geojson_positions import json_type
from tours.content.report import Problem, Severity
from tours.text import COLUMN_LIMITS, breaks_lines

STOP_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FEATURE_MEMBERS = frozenset(("type", "geometry", "properties", "bbox", "crs"))


@dataclass
class FeatureRef:
    """One feature of the input, wherever it sat (a FeatureCollection member, the root
    Feature, or a bare geometry root wrapped on the fly)."""

    ptr: str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]
    foreign: list[str] = field(default_factory=list)
    bare: bool = False
    #: A feature's top-level ``id`` (a foreign member for Bidean), for hints.
    foreign_id: Any = None

    @property
    def props_ptr(self) -> str:
        return "" if self.bare else f"{self.ptr}/properties"

    @property
    def geometry_ptr(self) -> str:
        return self.ptr if self.bare else f"{self.ptr}/geometry"

    @property
    def kind(self) -> str | None:
        return self.geometry["type"] if self.geometry else None


def feature_ref(obj: dict[str, Any], ptr: str) -> FeatureRef:
    """The reference to a member of ``features`` (or the root Feature) at ``ptr``."""
    foreign = [k for k in obj if k not in _FEATURE_MEMBERS]
    return FeatureRef(
        ptr, obj.get("geometry"), obj.get("properties") or {}, foreign, False, obj.get("id")
    )


def text_id_hint(value: Any) -> str | None:
    """``7`` -> ``"7"``, ``"relation/1"`` -> ``"relation-1"``: the id as the profile wants it."""
    if value is None or isinstance(value, bool):
        return None
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", str(value).strip()).strip("-")[:64]
    return text if STOP_ID_PATTERN.match(text) else None


def found(value: Any) -> str:
    """A short JSON-ish rendering of a bad value for messages."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else f'"{value[:37]}..."'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json_type(value)


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
