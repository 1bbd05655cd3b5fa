"""A contribution placed in a tour document: pure functions the acceptance of a story into
a draft (``webapp.actions.contributions``) composes with the editor's changes.

- ``placed``: the document with the contribution on a stop (a new stop at its pin, or an
  existing one): its title as the stop's name where it has none in the story's language,
  its story, its marks (``document.mark``: the credit from the consent, the tour's
  district for an anonymous teller) and its photos and recording as media objects, only
  those the consent allows.
- ``first_document``: a new tour's document before its first stop.
- ``edited_texts``: an accepted contribution's texts and transcript after an edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tours.content.workflows import editing
from tours.content.workflows.editing import EditError
from tours.errors import BideanError
from tours.i18n import normalize_tag
from tours.stories.consent import CREDIT_ANONYMOUS, LICENCE_CC_BY, LICENCE_CC_BY_SA
from tours.stories.document import mark
from tours.stories.models import AUDIO, IMAGE, Contribution
from tours.text import single_line

PROFILE = "bidean-tour/1"
# A new tour's first route: a few metres east of its one stop, marked approximate so it
# stays on the to-do list until a coordinator draws the walk in the editor.
FIRST_ROUTE_STEP = 0.0001


class AcceptRefused(BideanError):
    """The contribution cannot go where asked; ``field`` names the form field, ``reason``
    the rule (``no-pin``, ``story-exists``, ``slug``, ``slug-taken``, ``city``)."""

    def __init__(self, field: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason


def _route_props(document: Mapping[str, Any]) -> dict[str, Any]:
    return document["features"][0]["properties"]


def district(document: Mapping[str, Any]) -> str | None:
    """The tour's district an anonymous teller is "a neighbour of" (its first)."""
    districts = _route_props(document).get("districts") or []
    first = districts[0] if districts else None
    return first if isinstance(first, str) and first.strip() else None


def _stop_props(document: Mapping[str, Any], stop_id: str) -> dict[str, Any]:
    for feature in document["features"]:
        props = feature.get("properties") or {}
        if feature["geometry"]["type"] == "Point" and props.get("id") == stop_id:
            return props
    raise EditError(f"stop-{stop_id}", f"The tour has no stop {stop_id!r}.")


def _has_language(texts: Any, tag: str) -> bool:
    return isinstance(texts, Mapping) and any(k.lower() == tag.lower() for k in texts)


def media_items(found: Contribution) -> list[dict[str, Any]]:
    """The contribution's photos and recording as media objects, as far as consent goes."""
    consent = found.consent
    items: list[dict[str, Any]] = []
    for media in found.media:
        if media.kind == IMAGE and consent.photos:
            items.append({"url": media.url, "type": "image", "contribution": found.public_id})
        elif media.kind == AUDIO and consent.audio:
            item = {
                "url": media.url,
                "type": "audio",
                "mime": media.mime,
                "contribution": found.public_id,
            }
            if found.transcript:
                item["transcript"] = dict(found.transcript)
            items.append(item)
    return items


def _with_media(document: dict[str, Any], stop_id: str, found: Contribution) -> dict[str, Any]:
    props = _stop_props(document, stop_id)
    kept = [m for m in props.get("media") or () if m.get("contribution") != found.public_id]
    media = [*kept, *media_items(found)]
    if media:
        props["media"] = media
    else:
        props.pop("media", None)
    return document


def placed(
    found: Contribution, stop_id: str, new_stop: bool, neighbourhood: str | None, doc: dict
) -> dict[str, Any]:
    """``doc`` with the contribution on ``stop_id`` (a new stop at its pin when
    ``new_stop``): its title as the stop's name (a new stop's, or an existing stop's that
    lacks one in its language), its story, its marks, photos and recording."""
    tag = normalize_tag(found.language)
    texts: list[str] = []
    title = single_line(found.title or "").strip()
    if new_stop:
        if found.lon is None or found.lat is None:
            raise AcceptRefused("target", "no-pin", "This contribution has no pin on the map.")
        doc = editing.add_stop(doc, found.lon, found.lat, title, tag, stop_id)
        texts += [f"name.{tag}"] if title else []
    else:
        props = _stop_props(doc, stop_id)
        if (found.story or "").strip() and _has_language(props.get("story"), tag):
            raise AcceptRefused(
                "stop", "story-exists", f"Stop {stop_id} has a story in {tag} already."
            )
        if title and not _has_language(props.get("name"), tag):
            doc = editing.set_stop_text(doc, stop_id, "name", tag, title)
            texts.append(f"name.{tag}")
    if (found.story or "").strip():
        doc = editing.set_stop_text(doc, stop_id, "story", tag, found.story)
        texts.append(f"story.{tag}")
    anonymous = found.consent.credit == CREDIT_ANONYMOUS
    doc = mark(
        doc,
        stop_id,
        found.public_id,
        texts,
        credit=None if anonymous else found.consent.credit_name,
        neighbourhood=neighbourhood if anonymous else None,
    )
    return _with_media(doc, stop_id, found)


def first_document(
    found: Contribution, slug: str, city: str, district_name: str = "", timezone: str = ""
) -> dict[str, Any]:
    """A new tour's document before its stop: what the contribution says of it; the rest
    (summary, a drawn route, a licence for a "this site only" story) stays to do."""
    tag = normalize_tag(found.language)
    assert found.lon is not None and found.lat is not None
    lon, lat = found.lon, found.lat
    east = lon + FIRST_ROUTE_STEP if lon + FIRST_ROUTE_STEP <= 180 else lon - FIRST_ROUTE_STEP
    props: dict[str, Any] = {
        "profile": PROFILE,
        "slug": slug,
        "city": city,
        "languages": [tag],
        "districts": [district_name.strip()] if district_name.strip() else [],
        "approximate_route": True,
    }
    title = single_line(found.title or "").strip()
    if title:
        props["title"] = {tag: title}
    if timezone.strip():
        props["timezone"] = timezone.strip()
    if found.consent.licence in (LICENCE_CC_BY, LICENCE_CC_BY_SA):
        props["licence"] = found.consent.licence
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[lon, lat], [east, lat]]},
                "properties": props,
            }
        ],
    }


def edited_texts(found: Contribution, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the accepted contribution's marked texts and transcript as edited."""
    try:
        props = _stop_props(doc, found.accepted_stop or "")
    except EditError:
        return doc  # the stop was removed in the editor since: nothing of it to follow
    entry = next(
        (e for e in props.get("contributions") or () if e.get("id") == found.public_id), {}
    )
    for pointer in entry.get("texts") or ():
        field_name, _, tag = pointer.partition(".")
        if field_name in editing.STOP_TEXT_FIELDS:
            text = found.title if field_name == "name" else found.story
            doc = editing.set_stop_text(doc, found.accepted_stop or "", field_name, tag, text)
    props = _stop_props(doc, found.accepted_stop or "")
    for media in props.get("media") or ():
        if media.get("contribution") == found.public_id and media.get("type") == "audio":
            if found.transcript:
                media["transcript"] = dict(found.transcript)
            else:
                media.pop("transcript", None)
    return doc
