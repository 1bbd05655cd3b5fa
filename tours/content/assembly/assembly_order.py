"""The order of an assembled tour's stops, and the source order beside it.

Explicit orders win (an ``order``-like property, or names that are a sequence such as
Vienna's letters A to L); the other stops follow the route, at their earliest pass
(:func:`tours.tour.geometry.plan_itinerary`, the same rule as the profile's).
``--order source`` keeps the files' order instead, and ``--order route`` ignores
explicit orders.  The report shows the computed order next to the source order.
"""

from __future__ import annotations

import contextlib
import re
import string
from dataclasses import dataclass
from typing import Any

import numpy as np

from tours.content.assembly.sources import SourceFeature
from tours.content.checking.profile_geometry import rounded_positions
from tours.content.checking.validate import CoordinateArrays
from tours.coords import LonLat
from tours.tour.geometry import GeometryError, RouteGeometry, plan_itinerary


@dataclass
class AssembledStop:
    """A stop's source feature and its properties in the profile's terms."""

    feature: SourceFeature
    props: dict[str, Any]
    order_from: str | None = None  # the source property its explicit order came from


@dataclass
class StopOrder:
    """``final[k]`` is the source index of the stop at position k+1; ``rule`` says why."""

    final: list[int]
    rule: str
    ids: list[str]
    names: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "stops": [
                {
                    "position": position,
                    "source_position": index + 1,
                    "id": self.ids[index],
                    "name": self.names[index],
                }
                for position, index in enumerate(self.final, start=1)
            ],
        }

    def to_text(self) -> list[str]:
        lines = [f"stop order ({self.rule}):", "  position  source  id  name"]
        for row in self.to_dict()["stops"]:
            lines.append(
                f"  {row['position']:>8}  {row['source_position']:>6}  {row['id']}  {row['name']}"
            )
        return lines


#: A name that starts with its number: "1. Town hall", "Stop 2 – Market", "#3 Bridge".
_NUMBERED = re.compile(
    r"^(?:(?:stop|station|halt|parada|punto|geltokia|etappe|étape|tappa|nr\.?|no\.?|n[º°]\.?|#)"
    r"\s*)?(\d{1,3})(?:\s*[.:)\-–—]\s*|\s+)\S",
    re.IGNORECASE,
)


def _label_order(names: list[str]) -> list[int] | None:
    """Orders from names that are a sequence: A, B, C…, 1, 2, 3…, or names that start with
    consecutive numbers ("1. Town hall", "Stop 2 – Market"); all distinct."""
    if len(names) < 2:
        return None
    cleaned = [n.strip() for n in names]
    numbered = [_NUMBERED.match(n) for n in cleaned]
    if all(len(n) == 1 and n.upper() in string.ascii_uppercase for n in cleaned):
        numbers = [string.ascii_uppercase.index(n.upper()) + 1 for n in cleaned]
    elif all(n.isdigit() for n in cleaned):
        numbers = [int(n) for n in cleaned]
    elif all(numbered):
        numbers = [int(m.group(1)) for m in numbered if m]
    else:
        return None
    if sorted(numbers) != list(range(min(numbers), min(numbers) + len(numbers))):
        return None
    return [n - min(numbers) + 1 for n in numbers]


def _first_text(value: Any) -> str:
    if isinstance(value, dict):
        return next((v for v in value.values() if isinstance(v, str)), "")
    return ""


def move_stops(current: list[int], wanted: dict[int, int]) -> list[int]:
    """``current`` (source indices in order) with the stops of ``wanted`` moved to the
    positions given (1-based, clamped); the others keep their order around them."""
    moving = sorted(
        ((min(max(position, 1), len(current)), i) for i, position in wanted.items()),
        key=lambda item: (item[0], current.index(item[1]) if item[1] in current else 0),
    )
    rest = [i for i in current if i not in wanted]
    for position, index in moving:
        if index in current:
            rest.insert(position - 1, index)
    return rest


def _source_order(
    stops: list[AssembledStop],
    explicit: list[int | None],
    used: str,
    notes: list[str],
    ids: list[str],
    names: list[str],
) -> StopOrder:
    """``--order source``: the order the source states (its order property, when every
    stop has one), else the files' order."""
    files_order = list(range(len(stops)))
    if explicit and all(explicit):
        final = sorted(files_order, key=lambda i: (explicit[i], i))
        return StopOrder(final, f"the source's order: {used} (--order source)", ids, names)
    if any(explicit):
        notes.append(
            f"Only {sum(1 for e in explicit if e)} of {len(stops)} stops have an order in"
            f" {used}: the files' order was kept."
        )
    return StopOrder(files_order, "source order (--order source)", ids, names)


def decide_order(
    route: RouteGeometry | GeometryError | None,
    stops: list[AssembledStop],
    choice: str | None,
    notes: list[str],
    by_hand: tuple[int, ...] | None = None,
) -> StopOrder:
    """The final order of ``stops`` (indices), sets nothing; notes say what decided it.

    ``route`` is the route measured (:func:`measure_route`), the error that kept it from
    being measured, or None when there is none yet (``--draw-route`` draws it through
    the order decided here)."""
    ids = [s.props["id"] for s in stops]
    names = [_first_text(s.props.get("name")) for s in stops]
    source_order = list(range(len(stops)))
    if by_hand is not None:
        if sorted(by_hand) == source_order:
            return StopOrder(list(by_hand), "set by hand in the preview", ids, names)
        notes.append("The order set by hand does not name every stop once; it was not used.")
    explicit: list[int | None] = [s.props.get("order") for s in stops]
    used = ", ".join(repr(p) for p in dict.fromkeys(s.order_from for s in stops if s.order_from))
    if choice == "source":
        return _source_order(stops, explicit, used, notes, ids, names)
    rule = "explicit order, then the earliest pass along the route"
    if choice == "route":
        explicit = [None] * len(stops)
        rule = "along the route (--order route)"
    elif any(explicit):
        rule = f"explicit order ({used}), then the earliest pass along the route"
        notes.append(
            f"The stops' {used} gives their order: {sum(1 for e in explicit if e)} of"
            f" {len(stops)} have one (--order source to keep exactly that order, --order route"
            " to follow the route instead)."
        )
    else:
        labels = _label_order(names)
        if labels is not None:
            explicit = list(labels)
            rule = "the names are a sequence, so they give the order"
            notes.append(
                f"The stop names {names[0]}…{names[-1]} are a sequence: they give the order"
                " (--order route to follow the route instead)."
            )
        else:
            rule = "along the route, at each stop's earliest pass (no order in the files)"
    if not stops:
        return StopOrder([], rule, ids, names)
    if route is None:
        # No route yet (--draw-route draws it through this order): explicit orders first,
        # then the files' order.
        final = sorted(source_order, key=lambda i: (explicit[i] is None, explicit[i] or 0, i))
        rule = (
            "explicit order, then the files' order (the route is drawn through the stops)"
            if any(e is not None for e in explicit)
            else "the files' order (the route is drawn through the stops)"
        )
        return StopOrder(final, rule, ids, names)
    if isinstance(route, GeometryError):
        notes.append(f"The route cannot be measured ({route}); the source order was kept.")
        return StopOrder(source_order, "source order (the route cannot be measured)", ids, names)
    try:
        itinerary = plan_itinerary(
            route,
            [LonLat(*s.feature.geometry["coordinates"][:2]) for s in stops],
            explicit,
            dwell_minutes=0.0,
        )
    except (GeometryError, ValueError) as exc:
        notes.append(f"The route cannot be measured ({exc}); the source order was kept.")
        return StopOrder(source_order, "source order (the route cannot be measured)", ids, names)
    return StopOrder(list(itinerary.order), rule, ids, names)


def route_lines(route: list[SourceFeature]) -> list[Any]:
    """The lines of the route's features, one after the other."""
    lines: list[Any] = []
    for feature in route:
        geometry = feature.geometry
        lines.extend(
            [geometry["coordinates"]]
            if geometry["type"] == "LineString"
            else geometry["coordinates"]
        )
    return lines


def measure_route(
    route: list[SourceFeature], arrays: CoordinateArrays
) -> RouteGeometry | GeometryError:
    """The route measured as the profile measures it, on its positions as they will be
    stored (rounded), so that the stop order and the profile's check share one geometry
    (building it is most of the time an assembly takes after reading).  The lines'
    arrays go into ``arrays``, which the check then converts no more."""
    lines = route_lines(route)
    for line in (line for line in lines if arrays.get(line) is None):
        with contextlib.suppress(TypeError, ValueError):  # positions of mixed lengths
            array = np.asarray(line, dtype=np.float64)
            if array.ndim == 2:
                arrays.keep(line, array)
    try:
        rounded = [rounded_positions(line, arrays) for line in lines]
    except (TypeError, ValueError):  # not numbers: the geometry says what is wrong
        rounded = [[position[:2] for position in line] for line in lines]
    try:
        return RouteGeometry(rounded)
    except GeometryError as exc:
        return exc
