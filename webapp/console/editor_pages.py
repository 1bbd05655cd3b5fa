"""View models of the tour editor, and reading its form into one change of the document.

The editor shows each text twice: in a *source* language, read-only, and in the
*target* language being written; where the target text is missing it shows what a
visitor reads instead (the tour's fallback chain).  The form is read into a plain
function over the document (``EditorInput.change``) built from ``tours.content.workflows.editing``
and ``guides.scripts``, so the view only hands it to ``save_edit``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from guides.scripts import set_shared_script
from tours.content.workflows.editing import (
    STOP_TEXT_FIELDS,
    TOUR_TEXT_FIELDS,
    Document,
    EditError,
    add_stop,
    declare_language,
    field_of,
    move_stop,
    reorder_stops,
    route_is_approximate,
    set_licence,
    set_route,
    set_stop_text,
    set_tour_text,
    shift_stop,
    stop_ids,
)
from tours.i18n import LocalizedText, Resolved, base_language, is_valid_tag, normalize_tag
from webapp.common.maps import text_direction


@dataclass(frozen=True)
class TextRow:
    """One text of the tour or a stop: the source beside the target being written."""

    name: str  # the form field, e.g. "tour-title" or "stop-sf-01-story"
    label: str
    source: str
    target: str  # what the form holds for the target language
    fallback: Resolved | None  # what visitors read while the target is missing
    multiline: bool = True


@dataclass(frozen=True)
class StopRow:
    stop_id: str
    number: int
    lon: str
    lat: str
    texts: list[TextRow]
    problems: int = 0  # to-do items and refusals at its fields
    open: bool = False  # shown unfolded: it has a problem or was just edited or added


@dataclass(frozen=True)
class NewStopRow:
    lon: str
    lat: str
    name: str


@dataclass
class EditorPage:
    """Everything the editor template needs."""

    slug: str
    based_on: int
    status: str
    target: str
    source: str
    languages: list[str]  # choices for both language pickers
    licence: str
    tour_texts: list[TextRow]
    stops: list[StopRow]
    new_stops: list[NewStopRow]
    todo: list[dict[str, Any]]
    map_data: dict[str, Any]
    published_version: int | None
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: An approximate route's points, one "lon, lat" a line, to redraw; None otherwise.
    route_points: str | None = None

    def dir_of(self, tag: str) -> str:
        return text_direction(tag)

    def other_errors(self) -> list[str]:
        """Messages for no field shown on the page (the tour as a whole, its languages...)."""
        shown = {row.name for row in self.tour_texts} | {"tour-licence", "new-stop", "order"}
        if self.route_points is not None:
            shown.add("tour-route")
        for stop in self.stops:
            shown |= {row.name for row in stop.texts} | {f"stop-{stop.stop_id}-position"}
        return [m for name, messages in self.errors.items() if name not in shown for m in messages]


def _texts(value: Any) -> LocalizedText:
    return LocalizedText(value if isinstance(value, Mapping) else None)


def _exact(texts: LocalizedText, tag: str) -> str:
    for key in texts:
        if key.lower() == tag.lower():
            return texts[key]
    return ""


def _near(texts: LocalizedText, tag: str) -> str:
    """The text in ``tag`` or its base language, else ""."""
    exact = _exact(texts, tag)
    if exact:
        return exact
    for key in texts:
        if base_language(key) == base_language(tag):
            return texts[key]
    return ""


def pick_language(value: str | None, fallback: str) -> str:
    if value and is_valid_tag(value):
        return normalize_tag(value)
    return fallback


def _row(
    name: str,
    label: str,
    texts: LocalizedText,
    source: str,
    target: str,
    default: str,
    posted: MultiDict | None,
    multiline: bool = True,
) -> TextRow:
    written = posted.get(name, "") if posted is not None else _exact(texts, target)
    resolved = texts.resolve(target, default)
    fallback = resolved if resolved is not None and resolved.is_fallback else None
    return TextRow(name, label, _near(texts, source), written, fallback, multiline)


def editor_page(
    slug: str,
    version: int,
    status: str,
    document: Document,
    todo: list[dict[str, Any]],
    *,
    target: str,
    source: str,
    labels: Mapping[str, str],
    interface_languages: list[str],
    published_version: int | None,
    posted: MultiDict | None = None,
    tiles: dict[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    opened: Collection[str] = (),
) -> EditorPage:
    """The editor for ``document`` (its newest version), or the posted form redisplayed.

    Stops are folded but for those with a problem (``todo``, ``errors``), those named in
    ``opened`` (just saved) and those the posted form changes.
    """
    errors = errors or {}
    problem_fields = [field_of(document, str(item.get("pointer", ""))) for item in todo]
    problem_fields += [name for name, messages in errors.items() for _ in messages]
    route = document["features"][0]["properties"]
    declared = [str(t) for t in route.get("languages") or ()]
    default = declared[0] if declared else target
    languages = list(dict.fromkeys([*declared, *interface_languages]))
    tour_texts = [
        _row(f"tour-{key}", labels[key], _texts(route.get(key)), source, target, default, posted)
        for key in TOUR_TEXT_FIELDS
    ]
    features = {
        f["properties"].get("id"): f
        for f in document["features"]
        if f["geometry"]["type"] == "Point"
    }
    order = stop_ids(document)
    if posted is not None and sorted(posted.getlist("order")) == sorted(order):
        order = posted.getlist("order")
    stops = []
    for number, stop_id in enumerate(order, start=1):
        props = features[stop_id]["properties"]
        lon, lat = features[stop_id]["geometry"]["coordinates"][:2]
        prefix = f"stop-{stop_id}"
        texts = [
            _row(
                f"{prefix}-{key}",
                labels[key],
                _texts(props.get(key)),
                source,
                target,
                default,
                posted,
                multiline=key != "name",
            )
            for key in (*STOP_TEXT_FIELDS, "script")
        ]
        shown_lon = posted.get(f"{prefix}-lon", str(lon)) if posted else str(lon)
        shown_lat = posted.get(f"{prefix}-lat", str(lat)) if posted else str(lat)
        edited = posted is not None and (
            (shown_lon.strip(), shown_lat.strip()) != (str(lon), str(lat))
            or any(
                row.target.strip() != _exact(_texts(props.get(key)), target)
                for row, key in zip(texts, (*STOP_TEXT_FIELDS, "script"), strict=True)
            )
        )
        problems = sum(
            1 for name in problem_fields if name == prefix or name.startswith(f"{prefix}-")
        )
        stops.append(
            StopRow(
                stop_id,
                number,
                shown_lon,
                shown_lat,
                texts,
                problems,
                open=bool(problems) or edited or stop_id in opened,
            )
        )
    new_stops = []
    if posted is not None:
        for lon, lat, name in zip(
            posted.getlist("new-lon"),
            posted.getlist("new-lat"),
            posted.getlist("new-name"),
            strict=False,
        ):
            if lon.strip() or lat.strip() or name.strip():
                new_stops.append(NewStopRow(lon, lat, name))
    licence = posted.get("tour-licence", "") if posted else str(route.get("licence") or "")
    geometry = document["features"][0]["geometry"]
    lines = geometry["coordinates"]
    if geometry["type"] == "LineString":
        lines = [lines]
    map_data = {
        "route": [[[p[1], p[0]] for p in line] for line in lines],  # Leaflet wants lat, lon
        "stops": [
            {"id": s.stop_id, "number": s.number, "name": s.texts[0].source or s.texts[0].target}
            for s in stops
        ],
        "stopLabel": labels["stop_marker"],  # "Stop %(number)s: %(name)s", filled in by JS
        "tiles": tiles,
    }
    route_points = None
    if route_is_approximate(document):
        drawn = "\n".join(f"{p[0]}, {p[1]}" for p in lines[0]) if len(lines) == 1 else ""
        route_points = posted.get("tour-route", drawn) if posted else drawn
    return EditorPage(
        slug, version, status, target, source, languages, licence, tour_texts, stops,
        new_stops, todo, map_data, published_version, dict(errors), route_points,
    )  # fmt: skip


# -- reading the form ---------------------------------------------------------------------


def _number(text: str, field_name: str, message: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise EditError(field_name, message) from None
    if not math.isfinite(value):
        raise EditError(field_name, message)
    return value


@dataclass(frozen=True)
class EditorInput:
    """The posted editor form, ready to apply to the newest version."""

    target: str
    form: MultiDict
    number_message: str  # translated: "write numbers such as -2.9262"
    name_message: str  # translated: "a new stop needs a name"
    route_message: str = ""  # translated: "one point a line: longitude, latitude"

    def order(self, document: Document) -> list[str]:
        posted = self.form.getlist("order")
        return posted if sorted(posted) == sorted(stop_ids(document)) else stop_ids(document)

    def moved_order(self, document: Document) -> list[str]:
        """The order after an up/down button (``action`` = ``up:<id>`` or ``down:<id>``)."""
        action = self.form.get("action", "")
        kind, _, stop_id = action.partition(":")
        order = self.order(document)
        if kind in ("up", "down") and stop_id in order:
            return shift_stop(order, stop_id, -1 if kind == "up" else 1)
        return order

    def change(self, document: Document) -> Document:
        """The document with everything the form says applied; raises ``EditError``."""
        form, target = self.form, self.target
        route = document["features"][0]["properties"]
        written = False
        for key in TOUR_TEXT_FIELDS:
            name = f"tour-{key}"
            if name in form and form[name].strip() != _exact(_texts(route.get(key)), target):
                document = set_tour_text(document, key, target, form[name])
                written = written or bool(form[name].strip())
        if "tour-licence" in form and form["tour-licence"].strip() != route.get("licence", ""):
            document = set_licence(document, form["tour-licence"])
        for stop_id in stop_ids(document):
            document, wrote = self._stop(document, stop_id)
            written = written or wrote
        document = reorder_stops(document, self.order(document))
        document = self._route(document)
        for lon, lat, name in zip(
            form.getlist("new-lon"), form.getlist("new-lat"), form.getlist("new-name"), strict=False
        ):
            if not (lon.strip() or lat.strip() or name.strip()):
                continue
            if not name.strip():
                raise EditError("new-stop", self.name_message)
            document = add_stop(
                document,
                _number(lon, "new-stop", self.number_message),
                _number(lat, "new-stop", self.number_message),
                name,
                target,
            )
            written = True
        if written:
            document = declare_language(document, target)
        return document

    def _route(self, document: Document) -> Document:
        """An approximate route redrawn (or kept as drawn when the box says so)."""
        if "tour-route" not in self.form or not route_is_approximate(document):
            return document
        points = []
        for line in self.form["tour-route"].replace("\r", "").split("\n"):
            numbers = [n for n in re.split(r"[\s,;]+", line.strip()) if n]
            if not numbers:
                continue
            if len(numbers) != 2:
                raise EditError("tour-route", self.route_message)
            points.append([_number(n, "tour-route", self.route_message) for n in numbers])
        if len(points) < 2:
            raise EditError("tour-route", self.route_message)
        current = document["features"][0]["geometry"]["coordinates"]
        same = [[round(x, 6) for x in p] for p in points] == [
            [round(x, 6) for x in p[:2]] for p in current
        ]
        if same and not self.form.get("route-confirm"):
            return document
        return set_route(document, points)

    def _stop(self, document: Document, stop_id: str) -> tuple[Document, bool]:
        form, prefix = self.form, f"stop-{stop_id}"
        feature = next(f for f in document["features"][1:] if f["properties"].get("id") == stop_id)
        props, written = feature["properties"], False
        for key in (*STOP_TEXT_FIELDS, "script"):
            name = f"{prefix}-{key}"
            stored = _exact(_texts(props.get(key)), self.target)
            if name not in form or form[name].strip() == stored:
                continue
            if key == "script":
                document = set_shared_script(document, stop_id, self.target, form[name])
            else:
                document = set_stop_text(document, stop_id, key, self.target, form[name])
                written = written or bool(form[name].strip())
        if f"{prefix}-lon" in form or f"{prefix}-lat" in form:
            lon = _number(form.get(f"{prefix}-lon", ""), f"{prefix}-position", self.number_message)
            lat = _number(form.get(f"{prefix}-lat", ""), f"{prefix}-position", self.number_message)
            old = feature["geometry"]["coordinates"]
            if abs(lon - old[0]) > 1e-7 or abs(lat - old[1]) > 1e-7:
                document = move_stop(document, stop_id, lon, lat)
        return document, written
