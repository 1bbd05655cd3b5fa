"""Editing a stored tour document: plain functions that return a changed copy.

Each function takes a profile document (as stored, scripts included) and returns a new
one; the input is never changed.  The coordinators' editor composes them into one
change, and :func:`save_edit` checks the result with the import's validator and stores
it as a new version (see ``tours.tour.store.save_edited_version`` for the check against
a stale form).  Guide scripts are edited through ``guides.scripts.set_shared_script``,
which uses :func:`set_stop_text` with the private ``script`` field.

What the validator still finds missing (a title, a story) becomes the version's to-do
list, as for an imported draft; anything else it finds wrong refuses the save, each
problem tied to the field it belongs to (:class:`EditRefused`).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tours.content.assembly.assemble import TODO_WARNINGS, option_hint
from tours.content.checking.pipeline import ValidationOptions, validate_document
from tours.content.checking.profile_features import STOP_ID_PATTERN
from tours.content.checking.profile_route import APPROXIMATE
from tours.content.workflows.drafts import without_draft_marks
from tours.errors import BideanError
from tours.i18n import is_valid_tag, normalize_tag
from tours.text import unstorable
from tours.tour.store import ensure_newest, get_document, newest_version, save_edited_version

TOUR_TEXT_FIELDS = ("title", "summary", "credits", "accessibility")
STOP_TEXT_FIELDS = ("name", "story")
#: Errors that leave a tour incomplete rather than wrong: they go on the to-do list.
TODO_ERRORS = frozenset(("profile.missing-property", "profile.no-published-stop"))

Document = dict[str, Any]
Change = Callable[[Document], Document]


class EditError(BideanError):
    """An edit that cannot be applied; ``field`` names the form field it came from."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class FieldProblem:
    """One reason a save was refused, tied to a field of the editor."""

    field: str  # "tour-title", "stop-sf-01-story", "stop-sf-01-position", "" for the tour
    code: str
    message: str


class EditRefused(BideanError):
    """The edited tour is not valid; nothing was stored."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


@dataclass
class SavedEdit:
    """A stored edit: its version and what is left to do before publishing."""

    version: int
    todo: list[dict[str, Any]] = field(default_factory=list)
    unchanged: bool = False  # the form changed nothing: no version was stored


# -- the document -------------------------------------------------------------------------


def _route(document: Mapping[str, Any]) -> dict[str, Any]:
    return document["features"][0]["properties"]


def _stop_index(document: Mapping[str, Any], stop_id: str) -> int:
    for index, feature in enumerate(document["features"]):
        if feature["geometry"]["type"] == "Point" and feature["properties"].get("id") == stop_id:
            return index
    raise EditError(f"stop-{stop_id}", f"The tour has no stop {stop_id!r}.")


def stop_ids(document: Mapping[str, Any]) -> list[str]:
    """The stops' ids in the tour's order (``order`` first, then as stored)."""
    stops = [
        (f["properties"].get("order") or math.inf, i, f["properties"].get("id", ""))
        for i, f in enumerate(document["features"])
        if f["geometry"]["type"] == "Point"
    ]
    return [stop_id for _, _, stop_id in sorted(stops)]


def _tag(language: str, field: str) -> str:
    if not is_valid_tag(language):
        raise EditError(field, f"{language!r} is not a language tag such as es, eu or pt-BR.")
    return normalize_tag(language)


def _set_text(
    texts: Mapping[str, str] | None, tag: str, text: str, field: str
) -> dict[str, str] | None:
    """The language map with ``text`` in ``tag`` (an empty text removes that language)."""
    if unstorable(text):
        raise EditError(
            field, "The text contains a character that cannot be stored (NUL or a broken one)."
        )
    result = {k: v for k, v in (texts or {}).items() if k.lower() != tag.lower()}
    if text.strip():
        result[tag] = text.strip()
    return result or None


def _put(props: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        props.pop(key, None)
    else:
        props[key] = value


def set_tour_text(document: Document, field: str, language: str, text: str) -> Document:
    """Write the tour's ``field`` (title, summary, credits, accessibility) in ``language``."""
    if field not in TOUR_TEXT_FIELDS:
        raise ValueError(f"not a tour text: {field!r}")
    tag = _tag(language, f"tour-{field}")
    result = copy.deepcopy(document)
    props = _route(result)
    current = props.get(field)
    texts = current if isinstance(current, Mapping) else None
    _put(props, field, _set_text(texts, tag, text, f"tour-{field}"))
    return result


def set_licence(document: Document, licence: str) -> Document:
    """Set the licence of the texts (an SPDX identifier such as CC-BY-SA-4.0)."""
    if unstorable(licence):
        raise EditError("tour-licence", "The licence contains a character that cannot be stored.")
    result = copy.deepcopy(document)
    _put(_route(result), "licence", licence.strip() or None)
    return result


def set_stop_text(
    document: Document, stop_id: str, field: str, language: str, text: str
) -> Document:
    """Write a stop's ``field`` (name or story; ``script`` via guides.scripts) in ``language``."""
    if field not in (*STOP_TEXT_FIELDS, "script"):
        raise ValueError(f"not a stop text: {field!r}")
    tag = _tag(language, f"stop-{stop_id}-{field}")
    result = copy.deepcopy(document)
    props = result["features"][_stop_index(result, stop_id)]["properties"]
    current = props.get(field)
    texts = current if isinstance(current, Mapping) else None
    _put(props, field, _set_text(texts, tag, text, f"stop-{stop_id}-{field}"))
    return result


def declare_language(document: Document, language: str) -> Document:
    """Add ``language`` to the tour's languages (after the others) if it is not there."""
    tag = _tag(language, "lang")
    result = copy.deepcopy(document)
    props = _route(result)
    languages = list(props.get("languages") or [])
    if tag.lower() not in (t.lower() for t in languages):
        props["languages"] = [*languages, tag]
    return result


def _position(stop_field: str, lon: float, lat: float) -> list[float]:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise EditError(stop_field, "The position needs two numbers, longitude and latitude.")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise EditError(
            stop_field,
            "The longitude must be between -180 and 180 and the latitude between -90 and 90.",
        )
    return [round(lon, 6), round(lat, 6)]


def move_stop(document: Document, stop_id: str, lon: float, lat: float) -> Document:
    """Put a stop's marker at ``[lon, lat]`` (the route is not changed)."""
    position = _position(f"stop-{stop_id}-position", lon, lat)
    result = copy.deepcopy(document)
    result["features"][_stop_index(result, stop_id)]["geometry"]["coordinates"] = position
    return result


def route_is_approximate(document: Mapping[str, Any]) -> bool:
    """The route was drawn as straight lines between the stops (``--draw-route``)."""
    return _route(document).get(APPROXIMATE) is True


def set_route(document: Document, points: Sequence[Sequence[float]]) -> Document:
    """The route redrawn through ``points`` ([lon, lat], at least two), in walking order;
    it is no longer marked approximate."""
    if len(points) < 2:
        raise EditError("tour-route", "A route needs at least two points.")
    line = [_position("tour-route", float(p[0]), float(p[1])) for p in points]
    result = copy.deepcopy(document)
    result["features"][0]["geometry"] = {"type": "LineString", "coordinates": line}
    _route(result).pop(APPROXIMATE, None)
    return result


def new_stop_id(document: Mapping[str, Any]) -> str:
    """An id no stop of the tour has: ``stop-<n>``."""
    taken = set(stop_ids(document))
    n = len(taken) + 1
    while f"stop-{n}" in taken:
        n += 1
    return f"stop-{n}"


def add_stop(
    document: Document, lon: float, lat: float, name: str, language: str, stop_id: str = ""
) -> Document:
    """A new stop at ``[lon, lat]``, last in the tour's order, named in ``language``."""
    stop_id = stop_id or new_stop_id(document)
    if not STOP_ID_PATTERN.match(stop_id) or stop_id in stop_ids(document):
        raise EditError("new-stop", f"{stop_id!r} cannot be the id of a new stop.")
    position = _position("new-stop", lon, lat)
    result = copy.deepcopy(document)
    props: dict[str, Any] = {"id": stop_id}
    stops = [f for f in document["features"] if f["geometry"]["type"] == "Point"]
    if all(isinstance(f["properties"].get("order"), int) for f in stops):
        props["order"] = max((f["properties"]["order"] for f in stops), default=0) + 1
    _put(props, "name", _set_text(None, _tag(language, "new-stop"), name, "new-stop"))
    stops_end = 1 + len(stop_ids(document))  # districts stay after the stops
    result["features"].insert(
        stops_end,
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": position},
            "properties": props,
        },
    )
    return result


def reorder_stops(document: Document, order: Sequence[str]) -> Document:
    """Give the stops the order of ``order``, which lists every stop id exactly once."""
    if sorted(order) != sorted(stop_ids(document)) or len(set(order)) != len(order):
        raise EditError("order", "The new order must list every stop of the tour once.")
    result = copy.deepcopy(document)
    position = {stop_id: n for n, stop_id in enumerate(order, start=1)}
    for feature in result["features"]:
        if feature["geometry"]["type"] == "Point":
            feature["properties"]["order"] = position[feature["properties"]["id"]]
    return result


def shift_stop(order: Sequence[str], stop_id: str, step: int) -> list[str]:
    """``order`` with ``stop_id`` moved ``step`` places (-1 up, +1 down), within bounds."""
    ids = list(order)
    if stop_id not in ids:
        raise EditError("order", f"The tour has no stop {stop_id!r}.")
    index = ids.index(stop_id)
    target = min(max(index + step, 0), len(ids) - 1)
    ids.insert(target, ids.pop(index))
    return ids


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What differs between two versions, in words: ``title``, ``stop sf-01: story``..."""
    changes = []
    old_route, new_route = _route(old), _route(new)
    for key in sorted(set(old_route) | set(new_route)):
        if old_route.get(key) != new_route.get(key):
            changes.append(key)
    old_stops = {f["properties"].get("id"): f for f in old["features"][1:]}
    new_stops = {f["properties"].get("id"): f for f in new["features"][1:]}
    for stop_id in [*new_stops, *(s for s in old_stops if s not in new_stops)]:
        before, after = old_stops.get(stop_id), new_stops.get(stop_id)
        if before is None or after is None:
            changes.append(f"stop {stop_id}: {'added' if before is None else 'removed'}")
            continue
        if before["geometry"] != after["geometry"]:
            changes.append(f"stop {stop_id}: position")
        props_a, props_b = before["properties"], after["properties"]
        for key in sorted(set(props_a) | set(props_b)):
            if props_a.get(key) != props_b.get(key):
                changes.append(f"stop {stop_id}: {key}")
    return changes


def changed_stops(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The stops ``new`` adds or changes (texts, position), in its order; a new place in
    the order alone is no change, so a reordered tour does not count every stop."""
    before = {f["properties"].get("id"): f for f in old["features"][1:]}
    changed = []
    for stop_id in stop_ids(new):
        after = new["features"][_stop_index(new, stop_id)]
        earlier = before.get(stop_id)
        if earlier is None or earlier["geometry"] != after["geometry"]:
            changed.append(stop_id)
            continue
        props_a = {k: v for k, v in earlier["properties"].items() if k != "order"}
        props_b = {k: v for k, v in after["properties"].items() if k != "order"}
        if props_a != props_b:
            changed.append(stop_id)
    return changed


# -- checking and saving ------------------------------------------------------------------


def field_of(document: Mapping[str, Any], pointer: str) -> str:
    """The editor field a problem's JSON pointer points into ("" for the tour as a whole)."""
    parts = pointer.split("/")[1:]
    if len(parts) < 2 or parts[0] != "features" or not parts[1].isdigit():
        return ""
    index = int(parts[1])
    features = document.get("features") or []
    if len(parts) > 3 and parts[2] == "properties":
        key = parts[3]
    else:
        key = parts[2] if len(parts) > 2 else ""
    if index == 0:
        return f"tour-{key}" if key and key != "geometry" else ""
    if index >= len(features):
        return ""
    stop_id = (features[index].get("properties") or {}).get("id", "")
    if key in ("geometry", "coordinates"):
        return f"stop-{stop_id}-position"
    return f"stop-{stop_id}-{key}" if key else f"stop-{stop_id}"


@dataclass(frozen=True)
class Checked:
    """A checked document: what to store, its to-do list, and what refuses it."""

    document: Document
    todo: list[dict[str, Any]]
    refused: list[FieldProblem]


def _errors(document: Document, slug: str, options: ValidationOptions) -> set[tuple[str, str]]:
    clean = without_draft_marks(document)
    report = validate_document(clean, slug, options).report
    return {(p.code, field_of(clean, p.pointer)) for p in report.errors}


def check_document(
    document: Document, slug: str, options: ValidationOptions, base: Document | None = None
) -> Checked:
    """Validate like an import; missing things become to-do, wrong ones refuse.

    With ``base`` (the version the edit started from), only errors the edit brought in
    refuse it: what was already wrong in a draft stays on its to-do list.
    """
    clean = without_draft_marks(document)
    result = validate_document(clean, slug, options)
    before = _errors(base, slug, options) if base is not None else set()
    todo: list[dict[str, Any]] = []
    refused: list[FieldProblem] = []
    for problem in result.report.errors:
        where = field_of(clean, problem.pointer)
        if problem.code in TODO_ERRORS or (problem.code, where) in before:
            todo.append({**problem.to_dict(), "message": problem.message + option_hint(problem)})
        else:
            refused.append(FieldProblem(where, problem.code, problem.message))
    todo += [p.to_dict() for p in result.report.warnings if p.code in TODO_WARNINGS]
    return Checked(result.document if result.document is not None else clean, todo, refused)


def save_edit(
    db_session: Session,
    slug: str,
    based_on: int,
    change: Change,
    *,
    editor: str = "",
    options: ValidationOptions | None = None,
) -> SavedEdit:
    """Apply ``change`` to the newest version of ``slug`` and store it as a new version.

    In the caller's transaction (opened with ``write_lock``): the tour's row is locked,
    the form's ``based_on`` version is compared with the newest (``StaleVersion`` when
    another save came first), the result is checked (``EditRefused``, nothing stored)
    and stored as a draft version; a published tour stays as the public sees it until it
    is published again.
    """
    options = options or ValidationOptions()
    ensure_newest(db_session, slug, based_on)  # a stale form is told so before anything else
    row = newest_version(db_session, slug)
    document = change(copy.deepcopy(row.document))
    if document == row.document:
        return SavedEdit(row.version, list(row.todo or ()), unchanged=True)
    checked = check_document(document, slug, options, base=row.document)
    if checked.refused:
        raise EditRefused(checked.refused)
    version = save_edited_version(
        db_session,
        slug,
        checked.document,
        based_on=based_on,
        todo=checked.todo,
        source_name=f"edited by {editor}" if editor else "edited",
    )
    return SavedEdit(version, checked.todo)


def restore(
    db_session: Session,
    slug: str,
    version: int,
    based_on: int,
    *,
    editor: str = "",
    options: ValidationOptions | None = None,
) -> SavedEdit:
    """Store an earlier ``version`` again as the newest version (the history stays), in
    the caller's transaction (opened with ``write_lock``)."""
    options = options or ValidationOptions()
    document = get_document(db_session, slug, version)
    # What that version already had wrong stays on its to-do list, as it was.
    checked = check_document(document, slug, options, base=document)
    if checked.refused:
        raise EditRefused(checked.refused)
    saved = save_edited_version(
        db_session,
        slug,
        checked.document,
        based_on=based_on,
        todo=checked.todo,
        source_name=f"version {version} restored by {editor or 'a coordinator'}",
    )
    return SavedEdit(saved, checked.todo)
