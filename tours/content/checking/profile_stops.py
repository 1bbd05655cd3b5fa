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
from tours.content.checking.textmaps import TextChecker, canonical_tag
from tours.tour.domain import RECORDING_TYPES, STOP_STATUSES

MEDIA_TYPES = ("image", "audio", "video")
# An image in Bidean's own media store (webapp/media/store.py): "media:" and its key.
STORED_MEDIA = re.compile(r"media:[0-9a-f]{32}")
# A recording in Bidean's own audio store (webapp/media/audio.py): "audio:" and the hash of
# its bytes (32 or 64 hexadecimal digits).
STORED_AUDIO = re.compile(r"audio:(?:[0-9a-f]{32}|[0-9a-f]{64})")
# A resident's contribution (tours.stories): "ctb-" and its random letters and digits.
CONTRIBUTION_ID = re.compile(r"ctb-[a-z0-9]{1,20}")
# The stop's language maps a contribution may have written (``texts``: "story.ar").
CONTRIBUTED_FIELDS = ("name", "story", "community", "accessibility", "script")


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
        self.contributed = ContributionRules(findings)

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
            if status == "published":
                self.contributed.transcripts(result["media"], f"{ptr}/media", label)
        if props.get("contributions") is not None:
            result["contributions"] = self.contributed.contributions(
                props["contributions"], f"{ptr}/contributions", label
            )
        known = {*result, "media", "contributions"}
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
        recording = isinstance(url, str) and STORED_AUDIO.fullmatch(url) is not None
        web = parsed is not None and parsed.scheme in ("http", "https") and bool(parsed.netloc)
        if recording and kind != "audio":
            self.error(
                "profile.media-url",
                f"{ptr}/url",
                f"The media url {found(url)} is a recording stored by Bidean: its type must be"
                f' "audio", not {found(kind)}.',
            )
        elif not (web or stored or recording or _beside_the_file(url, parsed)):
            self.error(
                "profile.media-url",
                f"{ptr}/url",
                f"The media url {found(url)} must be a full http:// or https:// address, a"
                " path to an image beside the tour file (such as images/square.png, which"
                " `bidean import` stores), an image stored with `bidean media add`"
                " (media:…) or a recording stored by Bidean (audio:…).",
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
        out["contribution"] = self.contributed.media_contribution(item, ptr)
        out["transcript"] = self.contributed.transcript(item, kind, ptr, texts)
        out["mime"] = self.contributed.mime(item, kind, ptr)
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


class ContributionRules:
    """The rules of residents' contributions on a stop: its ``contributions`` list, a
    media's ``contribution``, and a stored recording's ``mime`` and ``transcript``."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.error = findings.error

    def media_contribution(self, item: dict[str, Any], ptr: str) -> str | None:
        value = item.get("contribution")
        if value is None or (isinstance(value, str) and CONTRIBUTION_ID.fullmatch(value)):
            return value
        self.error(
            "profile.media-contribution",
            f"{ptr}/contribution",
            f"The media's contribution {found(value)} is not a contribution id: write the id"
            ' of the resident\'s contribution it comes from ("ctb-" and letters or digits),'
            " or leave it out.",
        )
        return None

    def transcript(
        self, item: dict[str, Any], kind: Any, ptr: str, texts: TextChecker
    ) -> dict[str, str] | None:
        """A recording's words, per language: a language map, only on audio."""
        value = item.get("transcript")
        if value is None:
            return None
        if kind != "audio" or not isinstance(value, dict):
            self.error(
                "profile.media-transcript",
                f"{ptr}/transcript",
                "A transcript belongs to a recording (type audio) and is a language map such"
                f' as {{"{texts.example}": "…"}}, not {found(value)} on a media of type'
                f" {found(kind)}.",
            )
            return None
        # The words as spoken, in the languages they are written in: no coverage warning.
        return texts.text(item, "transcript", ptr, coverage=False)

    def mime(self, item: dict[str, Any], kind: Any, ptr: str) -> str | None:
        value = item.get("mime")
        if value is None or (kind == "audio" and value in RECORDING_TYPES):
            return value
        self.error(
            "profile.media-mime",
            f"{ptr}/mime",
            f"The media's mime {found(value)} must be the type of a recording (type audio):"
            f" one of {', '.join(RECORDING_TYPES)}.",
        )
        return None

    def transcripts(self, media: list[dict[str, Any]] | None, ptr: str, label: str) -> None:
        """A published stop's recordings each need a transcript: a to-do until written."""
        for i, item in enumerate(media or ()):
            url = item.get("url")
            if (
                item.get("type") == "audio"
                and isinstance(url, str)
                and STORED_AUDIO.fullmatch(url)
                and not item.get("transcript")
            ):
                self.findings.warn(
                    "profile.audio-transcript",
                    f"{ptr}/{i}",
                    f"{label} has a recording without a transcript: write what is said in at"
                    " least one language before publishing (the page shows it beside the"
                    " player).",
                )

    def contributions(self, value: Any, ptr: str, label: str) -> list[dict[str, Any]] | None:
        """The stop's residents' contributions: who wrote which texts, and their credit."""
        if not isinstance(value, list):
            self.error(
                "profile.contributions",
                ptr,
                f"contributions must be an array of objects, not {found(value)}.",
            )
            return None
        result: list[dict[str, Any]] = []
        seen: set[str] = set()
        ok = True
        for i, entry in enumerate(value):
            checked = self._contribution(entry, f"{ptr}/{i}", label, seen)
            ok = ok and checked is not None
            if checked is not None:
                result.append(checked)
        return result if ok else None

    def _contribution(
        self, entry: Any, ptr: str, label: str, seen: set[str]
    ) -> dict[str, Any] | None:
        if not isinstance(entry, dict):
            self.error(
                "profile.contributions",
                ptr,
                'Each contribution is an object {"id": "ctb-…", "texts": […], "credit": …},'
                f" not {found(entry)}.",
            )
            return None
        ok = True
        public_id = entry.get("id")
        if not (isinstance(public_id, str) and CONTRIBUTION_ID.fullmatch(public_id)):
            ok = self._fail(
                "profile.contribution-id",
                f"{ptr}/id",
                f"The contribution id {found(public_id)} is not one: Bidean writes"
                ' "ctb-" and letters or digits.',
            )
        elif public_id in seen:
            ok = self._fail(
                "profile.contribution-id",
                f"{ptr}/id",
                f"{label} lists the contribution {public_id} twice; list it once with all"
                " its texts.",
            )
        else:
            seen.add(public_id)
        withdrawn = entry.get("withdrawn")
        if withdrawn is not None and withdrawn is not True:
            ok = self._fail(
                "profile.contributions",
                f"{ptr}/withdrawn",
                f"withdrawn is true (the teller took the story back) or absent, not"
                f" {found(withdrawn)}.",
            )
        out = dict(entry)
        if withdrawn is True:
            return out if ok else None
        texts = self._contributed_texts(entry.get("texts"), f"{ptr}/texts")
        ok = texts is not None and ok
        out["texts"] = texts
        return out if self._credit(entry, ptr) and ok else None

    def _contributed_texts(self, value: Any, ptr: str) -> list[str] | None:
        """``["story.ar", "name.ar"]``: the stop's texts that are the teller's, tags canonical."""
        if not isinstance(value, list):
            self._fail(
                "profile.contribution-texts",
                ptr,
                "texts must be an array of the stop's texts the teller wrote, such as"
                f' ["story.ar"], not {found(value)}.',
            )
            return None
        result: list[str] = []
        for i, pointer in enumerate(value):
            field, _, tag = pointer.partition(".") if isinstance(pointer, str) else ("", "", "")
            canonical = canonical_tag(tag)
            if field not in CONTRIBUTED_FIELDS or canonical is None:
                self._fail(
                    "profile.contribution-texts",
                    f"{ptr}/{i}",
                    f"{found(pointer)} names no text of the stop: write the field"
                    f" ({', '.join(CONTRIBUTED_FIELDS)}), a dot and the language tag, such as"
                    ' "story.ar".',
                )
                return None
            result.append(f"{field}.{canonical}")
        return result

    def _credit(self, entry: dict[str, Any], ptr: str) -> bool:
        """``credit`` is the name the teller chose, or null for an anonymous teller, who is
        shown as a neighbour of ``neighbourhood``."""
        ok = True
        credit = entry.get("credit", ...)
        if credit is ... or not (credit is None or (isinstance(credit, str) and credit.strip())):
            ok = self._fail(
                "profile.contribution-credit",
                f"{ptr}/credit",
                "credit is the name the teller chose to be credited with, or null for an"
                f" anonymous teller, not {'missing' if credit is ... else found(credit)}.",
            )
        place = entry.get("neighbourhood")
        if place is not None and not (isinstance(place, str) and place.strip()):
            ok = self._fail(
                "profile.contribution-credit",
                f"{ptr}/neighbourhood",
                "neighbourhood is the name of the place an anonymous teller is a neighbour"
                f" of, not {found(place)}.",
            )
        return ok

    def _fail(self, code: str, ptr: str, message: str) -> bool:
        self.error(code, ptr, message)
        return False
