"""Which line of the files is the route: the only one, the one picked, or all joined.

A file with several separate lines (features, placemarks) is never joined silently:
the report names how many there are and how they are named, and the coordinator picks
one (``--route-line NAME|N``, a choice in the console's preview) or joins them in the
files' order (``--join``), when each part's properties are reported, since only the
first line's become the route's.  Many lines that do not follow on from one another
look like a network of paths (a cycling network of 177 named segments), not a walking
route: they get one message saying so, and nothing is assembled unless asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise
from pathlib import PurePath
from typing import Any

from tours.content.assembly.sources import SourceFeature
from tours.content.report import Problem, Report, Severity
from tours.coords import LonLat
from tours.tour.geometry import geodesic_distance_m

#: From this many lines on, lines that mostly do not follow on from one another in the
#: files' order are a network rather than the stages of one route.
NETWORK_FROM = 10
#: An end of a line this close to an end of the next one: the next one follows on.
FOLLOWS_M = 100.0
#: How many names a message lists before "and N more".
NAMES_SHOWN = 10
_NAME_KEYS = ("name", "title", "nombre", "nom", "titel", "Name", "NAME", "ref")

SEVERAL = "assemble.several-lines"
NETWORK = "assemble.line-network"
UNKNOWN = "assemble.route-line-unknown"
JOINED = "assemble.lines-joined"
JOINED_PART = "assemble.joined-line"


@dataclass(frozen=True)
class LineInfo:
    """One line of the files, as a message and the preview's choice name it."""

    number: int  # 1-based, in the files' order
    name: str | None
    file: str
    label: str
    line: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "file": PurePath(self.file).name,
            "label": self.label,
            "line": self.line,
        }

    def text(self) -> str:
        return f"{self.number} {self.name!r}" if self.name else f"{self.number} (no name)"


@dataclass
class LineChoice:
    """The route's lines (None when refused) and the lines the files hold."""

    route: list[SourceFeature] | None
    lines: list[LineInfo]
    network: bool = False


def line_name(props: dict[str, Any]) -> str | None:
    """The first name-like property that is text."""
    for key in _NAME_KEYS:
        value = props.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return None


def describe(lines: list[LineInfo]) -> str:
    """``1 'A', 2 'B', 3 (no name)``, the first :data:`NAMES_SHOWN` and how many more;
    each with its file's name when the lines come from several files."""
    several = len({info.file for info in lines}) > 1
    shown = ", ".join(
        f"{info.text()} ({PurePath(info.file).name})" if several else info.text()
        for info in lines[:NAMES_SHOWN]
    )
    more = len(lines) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _ends(feature: SourceFeature) -> tuple[LonLat, LonLat]:
    coordinates = feature.geometry["coordinates"]
    first, last = (
        (coordinates[0], coordinates[-1])
        if feature.kind == "LineString"
        else (coordinates[0][0], coordinates[-1][-1])
    )
    return LonLat(first[0], first[1]), LonLat(last[0], last[1])


def _follows(a: SourceFeature, b: SourceFeature) -> bool:
    """An end of ``b`` meets an end of ``a`` (either may be drawn backwards)."""
    return any(geodesic_distance_m(p, q) <= FOLLOWS_M for p in _ends(a) for q in _ends(b))


def looks_like_network(lines: list[SourceFeature]) -> bool:
    """Many lines, most of which do not follow on from the one before them."""
    if len(lines) < NETWORK_FROM:
        return False
    following = sum(1 for a, b in pairwise(lines) if _follows(a, b))
    return following * 2 < len(lines) - 1


def _pick(lines: list[LineInfo], wanted: str) -> LineInfo | None:
    text = wanted.strip()
    if text.isdigit():
        number = int(text)
        return lines[number - 1] if 1 <= number <= len(lines) else None
    folded = text.casefold()
    return next((i for i in lines if i.name and i.name.casefold() == folded), None)


def choose_route(
    features: list[SourceFeature],
    *,
    route_line: str | None,
    join: bool,
    report: Report,
    notes: list[str],
    not_carried: list[str],
) -> LineChoice:
    """The route's lines as the coordinator chose them; refused (an error in ``report``)
    when several lines are left to choose from."""
    lines = [
        LineInfo(n, line_name(f.properties) or f.name, f.file, f.label, f.line)
        for n, f in enumerate(features, start=1)
    ]
    choice = LineChoice(features, lines if len(lines) > 1 else [])
    files = list(dict.fromkeys(PurePath(f.file).name for f in features))
    holder = f"{files[0]} holds" if len(files) == 1 else "The files hold"
    if route_line:
        picked = _pick(lines, route_line)
        if picked is None:
            report.error(
                UNKNOWN,
                "",
                f"--route-line {route_line!r} names none of the {len(lines)} lines of the"
                f" files ({describe(lines)}): give a number from 1 to {len(lines)} or one"
                " of the names.",
            )
            choice.route = None
            return choice
        if len(lines) > 1:
            notes.append(
                f"The route is line {picked.text()} of {len(lines)}, chosen with --route-line."
            )
        for info, feature in zip(lines, features, strict=True):
            if info is not picked:
                not_carried.append(
                    f"{feature.where()}: line {info.text()}, not the route chosen"
                    f" with --route-line ({_properties(feature)})"
                )
        choice.route = [features[picked.number - 1]]
        return choice
    if len(lines) < 2:
        return choice
    if join:
        _report_joined(features, lines, report)
        return choice
    choice.route = None
    choice.network = looks_like_network(features)
    if choice.network:
        report.error(
            NETWORK,
            "",
            f"{holder} {len(lines)} separate lines ({describe(lines)}) that mostly do"
            " not follow on from one another: this does not look like a walking route but"
            " like a network of paths, so nothing was assembled. To make a tour of it anyway,"
            " pick one line with --route-line NAME or --route-line N, or join them all in the"
            " files' order with --join.",
        )
    else:
        report.error(
            SEVERAL,
            "",
            f"{holder} {len(lines)} separate lines: {describe(lines)}. They are not"
            " joined without asking: pick the route with --route-line NAME or --route-line N,"
            " or join them in the files' order with --join.",
        )
    return choice


def _properties(feature: SourceFeature) -> str:
    if not feature.properties:
        return "no properties"
    return "properties " + json.dumps(feature.properties, ensure_ascii=False, default=str)


def _report_joined(features: list[SourceFeature], lines: list[LineInfo], report: Report) -> None:
    """A warning for the join and one per part, with its place and properties."""
    report.warn(
        JOINED,
        "",
        f"{len(lines)} lines were joined, in the files' order, into one route (--join); the"
        " route's properties are line 1's, and each line's are listed below.",
    )
    for info, feature in zip(lines, features, strict=True):
        # No pointer, so that the text report lists every part instead of grouping them.
        report.problems.append(
            Problem(
                JOINED_PART,
                "",
                f"Line {info.text()} of {len(lines)} ({feature.label}) is part {info.number}"
                f" of the route; its {_properties(feature)}.",
                Severity.WARNING,
                feature.line,
                feature.column,
                feature.file,
            )
        )
