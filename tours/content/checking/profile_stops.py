"""The tour profile's rules for stops (Points) and district outlines (Polygons).

One rule object of :class:`tours.content.checking.profile.ProfileChecker`: it checks a
stop's and a district's ``properties`` and returns them normalised, adding what it
finds to the run's :class:`~tours.content.checking.findings.Findings`.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from tours.content.checking.findings import Findings
from tours.content.checking.geojson_positions import is_number
from tours.content.checking.profile_features import (
    STOP_ID_PATTERN,
    FeatureRef,
    found,
    header_text_warning,
    text_id_hint,
)
from tours.content.checking.textmaps import TextChecker
from tours.tour.domain import STOP_STATUSES

MEDIA_TYPES = ("image", "audio", "video")
# An image in Bidean's own media store (webapp/media/store.py): "media:" and its key.
STORED_MEDIA = re.compile(r"media:[0-9a-f]{32}")


def _beside_the_file(url: Any, parsed: urllib.parse.SplitResult | None) -> bool:
    """A relative path inside the tour file's folder (``images/a.png``), no way out of it."""
    if not isinstance(url, str) or parsed is None or parsed.scheme or parsed.netloc:
        return False
    parts = url.replace("\\", "/").split("/")
    return bool(url.strip()) and not url.startswith(("/", "\\")) and ".." not in parts


class StopRules:
    """The rules of stops (Points) and district outlines (Polygons)."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.labels = findings.labels
        self.error = findings.error

    def stop(self, stop: FeatureRef, texts: TextChecker) -> dict[str, Any]:
        """Check one stop; return its normalised properties (partial when invalid)."""
        props, ptr = stop.properties, stop.props_ptr
        result: dict[str, Any] = {}
        stop_id = self._stop_id(stop)
        label = f'Stop "{stop_id}"' if stop_id else f"The stop at {stop.ptr or 'the root'}"
        self.labels[ptr] = label
        result["id"] = stop_id
        status = props.get("status", "published")
        if status not in STOP_STATUSES:
            self.error(
                "profile.stop-status",
                f"{ptr}/status",
                f"{label} has status {found(status)}; use one of {', '.join(STOP_STATUSES)}.",
            )
            status = "draft"  # keeps the "story required" rule from piling on
        result["status"] = status
        result["name"] = texts.text(props, "name", ptr, required=True, what=label)
        self.findings.note(
            header_text_warning(result["name"], f"{ptr}/name", f"The name of {label}")
        )
        result["story"] = texts.text(
            props, "story", ptr, required=status == "published", what=f"{label} (published)"
        )
        for key in ("community", "accessibility"):
            result[key] = texts.text(props, key, ptr)
        # The guide's script: checked like the other texts, but a missing translation is
        # no warning (scripts exist in the languages guides guide in, not every language).
        result["script"] = texts.text(props, "script", ptr, coverage=False)
        result["order"] = self._positive_int(props, "order", ptr, label)
        result["credits"] = self._optional_string(props, "credits", ptr)
        result["dwell_minutes"] = self._dwell(props, ptr, label)
        if props.get("media") is not None:
            result["media"] = self._media(props["media"], f"{ptr}/media", texts)
        known = {*result, "media"}
        result.update({k: v for k, v in props.items() if k not in known})
        return {k: v for k, v in result.items() if v is not None}

    def _stop_id(self, stop: FeatureRef) -> str | None:
        value = stop.properties.get("id")
        ptr = f"{stop.props_ptr}/id"
        if value is None:
            # The advice must work when followed: an id written as a number would be the
            # next error, so it says to write it as text.
            as_text = text_id_hint(stop.foreign_id)
            hint = (
                f" This feature has a top-level id {stop.foreign_id!r}: move it into"
                f' properties as text, "id": "{as_text}".'
                if stop.foreign_id is not None and as_text
                else ""
            )
            self.error(
                "profile.missing-property",
                ptr,
                f'Every stop needs an "id" property (letters, digits, _ and -).{hint}',
            )
            return None
        if not isinstance(value, str) or not STOP_ID_PATTERN.match(value):
            as_text = f' Write it as text: "{value}".' if is_number(value) else ""
            self.error(
                "profile.stop-id",
                ptr,
                f"The stop id {found(value)} is not valid: use 1 to 64 letters, digits, _ or"
                f" -.{as_text}",
            )
            return None
        return value

    def uniqueness(self, stops: list[FeatureRef]) -> None:
        first_id: dict[str, str] = {}
        first_order: dict[int, str] = {}
        for stop in stops:
            stop_id, order = stop.properties.get("id"), stop.properties.get("order")
            if isinstance(stop_id, str):
                if stop_id in first_id:
                    self.error(
                        "profile.duplicate-stop-id",
                        f"{stop.props_ptr}/id",
                        f'The stop id "{stop_id}" is already used by the stop at'
                        f" {first_id[stop_id]}; give each stop its own id.",
                    )
                else:
                    first_id[stop_id] = stop.ptr
            if isinstance(order, int) and not isinstance(order, bool) and order >= 1:
                if order in first_order:
                    self.error(
                        "profile.duplicate-stop-order",
                        f"{stop.props_ptr}/order",
                        f"order {order} is already used by the stop at {first_order[order]};"
                        " give each stop its own position, or leave order out to follow the"
                        " route.",
                    )
                else:
                    first_order[order] = stop.ptr

    def _positive_int(self, props: dict[str, Any], key: str, ptr: str, label: str) -> int | None:
        value = props.get(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        self.error(
            "profile.stop-order",
            f"{ptr}/{key}",
            f"{label} has order {found(value)}; order is a whole number from 1 (or leave it"
            " out to follow the route).",
        )
        return None

    def _optional_string(self, props: dict[str, Any], key: str, ptr: str) -> str | None:
        value = props.get(key)
        if value is None or isinstance(value, str):
            return value
        self.error(
            "profile.property-type", f"{ptr}/{key}", f'"{key}" must be text, not {found(value)}.'
        )
        return None

    def _dwell(self, props: dict[str, Any], ptr: str, label: str) -> float | None:
        value = props.get("dwell_minutes")
        if value is None or (is_number(value) and 0 <= value < float("inf")):
            return value
        self.error(
            "profile.dwell-minutes",
            f"{ptr}/dwell_minutes",
            f"{label} has dwell_minutes {found(value)}; it must be a number of minutes, 0 or more.",
        )
        return None

    def _media(self, media: Any, ptr: str, texts: TextChecker) -> list[dict[str, Any]] | None:
        if not isinstance(media, list):
            self.error("profile.property-type", ptr, f"media must be an array, not {found(media)}.")
            return None
        result = []
        for i, item in enumerate(media):
            iptr = f"{ptr}/{i}"
            if not isinstance(item, dict):
                self.error(
                    "profile.property-type",
                    iptr,
                    f'Each media entry must be an object {{"url": …, "type": …}}, not'
                    f" {found(item)}.",
                )
                continue
            result.append(self._media_item(item, iptr, texts))
        return result

    def _media_item(self, item: dict[str, Any], ptr: str, texts: TextChecker) -> dict[str, Any]:
        url, kind = item.get("url"), item.get("type")
        parsed = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        stored = isinstance(url, str) and STORED_MEDIA.fullmatch(url) is not None
        web = parsed is not None and parsed.scheme in ("http", "https") and bool(parsed.netloc)
        if not (web or stored or _beside_the_file(url, parsed)):
            self.error(
                "profile.media-url",
                f"{ptr}/url",
                f"The media url {found(url)} must be a full http:// or https:// address, a"
                " path to an image beside the tour file (such as images/square.png, which"
                " `bidean import` stores) or an image stored with `bidean media add`"
                " (media:…).",
            )
        if kind not in MEDIA_TYPES:
            self.error(
                "profile.media-type",
                f"{ptr}/type",
                f"The media type {found(kind)} must be one of {', '.join(MEDIA_TYPES)}.",
            )
        caption = texts.text(item, "caption", ptr)
        alt = texts.text(item, "alt", ptr)
        credit = self._optional_string(item, "credit", ptr)
        out = {"url": url, "type": kind, "caption": caption, "alt": alt, "credit": credit}
        out.update({k: v for k, v in item.items() if k not in out})
        return {k: v for k, v in out.items() if v is not None}

    def district(self, district: FeatureRef, texts: TextChecker) -> dict[str, Any]:
        props, ptr = district.properties, district.props_ptr
        self.labels[ptr] = f"The district at {district.ptr or 'the root'}"
        name = texts.text(props, "name", ptr, required=True, what="A district outline")
        return {**props, "name": name}

    def some_published(self, stop_props: list[dict[str, Any]]) -> None:
        """At least one stop, and at least one of them published."""
        if not stop_props:
            self.error(
                "profile.no-published-stop",
                "",
                "The tour has no stops: add a Point feature for each stop, with at least one"
                " published.",
            )
        elif not any(p.get("status") == "published" for p in stop_props):
            self.error(
                "profile.no-published-stop",
                "",
                "The tour has no published stop, so visitors would see nothing. Publish at"
                ' least one stop ("status": "published", the default).',
            )
