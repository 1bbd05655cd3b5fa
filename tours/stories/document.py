"""A contribution's marks in a tour document, and the document as one use may show it.

A stop that holds a resident's contribution lists it in its ``contributions`` property::

    "contributions": [{"id": "ctb-…", "texts": ["story.ar", "name.ar"],
                       "credit": "Amina", "neighbourhood": "San Francisco"}]

``texts`` names the language entries of the stop's language maps that are the
contribution's (``field.tag``); ``credit`` is the name the teller chose to be credited
with, or null for an anonymous teller, shown as "a neighbour of" ``neighbourhood``.
Each photo or recording of a contribution carries ``"contribution": "ctb-…"`` in its
media object; a recording is ``{"url": "audio:<key>", "type": "audio", "transcript":
{tag: text}, …}``.  These functions are pure: they take a document and return a new one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tours.stories.consent import USE_GUIDE_SCRIPTS, USE_KITS, USE_TOUR_PAGES

Document = dict[str, Any]
USES = (USE_TOUR_PAGES, USE_GUIDE_SCRIPTS, USE_KITS)


@dataclass(frozen=True)
class Allowed:
    """What one contribution's consent allows: its uses, and its photos and recording."""

    uses: frozenset[str]
    photos: bool
    audio: bool


@dataclass(frozen=True)
class LeftOut:
    """Something a use leaves out of a document, and why (for the kit's README)."""

    contribution: str
    stop_id: str
    what: str  # "story", "photo" or "audio"
    reason: str  # "not consented for this use", "photos not consented", …


@dataclass(frozen=True)
class Credit:
    contribution: str
    name: str | None  # None: anonymous
    neighbourhood: str | None


def _stops(document: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for feature in document.get("features") or ():
        props = feature.get("properties") or {}
        if (feature.get("geometry") or {}).get("type") == "Point" and "id" in props:
            yield props


def contribution_ids(document: Mapping[str, Any]) -> set[str]:
    """Every contribution a document names, in stops' lists and media."""
    found: set[str] = set()
    for props in _stops(document):
        found.update(e["id"] for e in props.get("contributions") or () if "id" in e)
        found.update(m["contribution"] for m in props.get("media") or () if "contribution" in m)
    return found


def credits(stop_properties: Mapping[str, Any]) -> list[Credit]:
    """The credit lines of a stop's contributions, in their order."""
    return [
        Credit(e["id"], e.get("credit"), e.get("neighbourhood"))
        for e in stop_properties.get("contributions") or ()
        if "id" in e and not e.get("withdrawn")
    ]


def mark(
    document: Mapping[str, Any],
    stop_id: str,
    contribution: str,
    texts: Iterable[str],
    *,
    credit: str | None,
    neighbourhood: str | None = None,
) -> Document:
    """The document with ``contribution`` listed on a stop as the author of ``texts``."""
    result = copy.deepcopy(dict(document))
    for props in _stops(result):
        if props["id"] != stop_id:
            continue
        entries = [e for e in props.get("contributions") or () if e.get("id") != contribution]
        earlier = next(
            (e for e in props.get("contributions") or () if e.get("id") == contribution), {}
        )
        entry = {
            "id": contribution,
            "texts": sorted(set(earlier.get("texts") or ()) | set(texts)),
            "credit": credit,
        }
        if neighbourhood:
            entry["neighbourhood"] = neighbourhood
        props["contributions"] = [*entries, entry]
        return result
    raise KeyError(stop_id)


def _drop_texts(props: dict[str, Any], texts: Iterable[str], placeholder: str | None) -> None:
    for pointer in texts:
        field, _, tag = pointer.partition(".")
        values = props.get(field)
        if not isinstance(values, dict) or tag not in values:
            continue
        if placeholder is None:
            del values[tag]
            if not values:
                del props[field]
        else:
            values[tag] = placeholder


def without(
    document: Mapping[str, Any],
    contribution: str,
    *,
    placeholder: str | None = None,
    kinds: frozenset[str] = frozenset({"story", "image", "audio"}),
) -> Document:
    """The document without a contribution's texts, photos and recording.

    With a ``placeholder`` (for the history of versions) its texts are replaced by it
    and its list entry kept as withdrawn, so an old version still reads as a whole;
    without, they are removed.  ``kinds`` limits what goes (a use that may show the
    story but not the photos drops only ``image``).
    """
    result = copy.deepcopy(dict(document))
    for props in _stops(result):
        entries = props.get("contributions") or []
        mine = [e for e in entries if e.get("id") == contribution]
        if "story" in kinds:
            for entry in mine:
                _drop_texts(props, entry.get("texts") or (), placeholder)
            if placeholder is None:
                entries = [e for e in entries if e.get("id") != contribution]
            else:
                entries = [
                    {"id": contribution, "withdrawn": True} if e.get("id") == contribution else e
                    for e in entries
                ]
            if entries:
                props["contributions"] = entries
            else:
                props.pop("contributions", None)
        media = [
            m
            for m in props.get("media") or ()
            if m.get("contribution") != contribution or m.get("type") not in kinds
        ]
        if media:
            props["media"] = media
        else:
            props.pop("media", None)
    return result


def for_use(
    document: Mapping[str, Any], use: str, allowed: Mapping[str, Allowed]
) -> tuple[Document, list[LeftOut]]:
    """The document as ``use`` may show it, and what was left out and why.

    A contribution the document names but ``allowed`` does not know (one from another
    site's file, imported with it) is kept: its consent travelled with that file.
    """
    if use not in USES:
        raise ValueError(use)
    result: Document = copy.deepcopy(dict(document))
    left_out: list[LeftOut] = []
    for props in list(_stops(result)):
        stop_id = props["id"]
        for public_id in sorted(_ids_of_stop(props)):
            rule = allowed.get(public_id)
            if rule is None:
                continue
            if use not in rule.uses:
                gone = frozenset({"story", "image", "audio"})
                left_out.append(LeftOut(public_id, stop_id, "story", "use"))
            else:
                gone = frozenset(
                    kind for kind, yes in (("image", rule.photos), ("audio", rule.audio)) if not yes
                )
                left_out.extend(LeftOut(public_id, stop_id, kind, "media") for kind in sorted(gone))
            if gone:
                result = without(result, public_id, kinds=gone)
    return result, left_out


def _ids_of_stop(props: Mapping[str, Any]) -> set[str]:
    ids = {e["id"] for e in props.get("contributions") or () if "id" in e}
    return ids | {m["contribution"] for m in props.get("media") or () if "contribution" in m}
