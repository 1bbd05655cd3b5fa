"""The preview of an import: what the console shows (and answers as JSON) before storing.

Built from an :class:`~tours.content.workflows.uploads.ImportPlan`: what will be created (a new
tour or a new version of a stored one), every error, to-do item and warning with its
place in the file, grouped as ``bidean import`` groups them, the notes and what could
not be carried over, and the stops in the computed order beside their source order with
the fields each one got (name, story, languages) and the properties kept as they were.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tours.content.assembly import lines
from tours.content.assembly.assemble import option_hint
from tours.content.checking.profile_route import APPROXIMATE
from tours.content.report import Problem, group_problems, todo_problems
from tours.content.workflows.staging import StagedFile
from tours.content.workflows.uploads import ExistingTour, ImportPlan
from tours.tour.store import DRAFT, PUBLISHED

#: Problems a field of the import form fixes: code (and the property it is about) -> field.
_OPTION_FIELDS = ("title", "summary", "city", "timezone", "licence")
_CODE_FIELDS = {
    "assemble.no-route": "route",
    "profile.partial-language": "language",
    lines.SEVERAL: "route_line",
    lines.NETWORK: "route_line",
    lines.UNKNOWN: "route_line",
    "import.slug-taken": "title",  # the slug is made from the title and the city
}
EXCERPT = 140


@dataclass(frozen=True)
class ProblemView:
    """One problem, or a group of repeats, as the page lists it."""

    severity: str
    code: str
    message: str
    file: str | None
    line: int | None
    column: int | None
    pointer: str
    count: int = 1
    places: str | None = None  # "features 1–12" for a group
    field: str | None = None  # the form field that fixes it, if one does


@dataclass(frozen=True)
class StopRow:
    position: int
    source_position: int
    id: str
    name: str
    story: str
    languages: tuple[str, ...]
    fields: dict[str, str]  # profile field -> the source property it came from
    kept: tuple[str, ...]  # properties kept under their own names
    where: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Outcome:
    """What confirming will do."""

    action: str  # "create", "new-version" or "refused"
    slug: str | None = None
    version: int | None = None
    status: str | None = None  # draft or published
    existing_status: str | None = None
    existing_version: int | None = None


@dataclass
class ImportPreview:
    files: list[dict[str, Any]]
    outcome: Outcome
    complete: bool
    errors: list[ProblemView] = field(default_factory=list)
    todo: list[ProblemView] = field(default_factory=list)
    warnings: list[ProblemView] = field(default_factory=list)
    all_problems: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)
    texts_per_language: dict[str, int] = field(default_factory=dict)
    order_rule: str | None = None
    movable: bool = False  # the stops of an assembly can be moved; a tour file's cannot
    stops: list[StopRow] = field(default_factory=list)
    route: list[list[list[float]]] = field(default_factory=list)
    districts: list[dict[str, Any]] = field(default_factory=list)
    #: The files' lines when there are several, to choose the route's among them.
    lines: list[dict[str, Any]] = field(default_factory=list)
    network: bool = False
    #: Stops found in files without a route: the page offers a route file or drawn lines.
    stops_without_route: int = 0
    route_drawn: bool = False  # the route is the straight lines of "draw the route"

    @property
    def ok(self) -> bool:
        return self.outcome.action != "refused"

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "will_store": asdict(self.outcome),
            "complete": self.complete,
            "valid": not self.errors,
            "errors": [asdict(p) for p in self.errors],
            "todo": [asdict(p) for p in self.todo],
            "warnings": [asdict(p) for p in self.warnings],
            "problems": self.all_problems,
            "notes": self.notes,
            "not_carried_over": self.not_carried,
            "texts_per_language": self.texts_per_language,
            "stops_without_route": self.stops_without_route,
            "route_drawn": self.route_drawn,
            "order": {
                "rule": self.order_rule,
                "movable": self.movable,
                "stops": [asdict(s) for s in self.stops],
            },
            "lines": self.lines,
            "network": self.network,
        }


def _web_problem(problem: Problem) -> tuple[Problem, str | None]:
    """The problem without the command-line hint, and the form field that fixes it."""
    key = problem.pointer.rsplit("/", 1)[-1]
    if problem.code == "profile.missing-property" and key in _OPTION_FIELDS:
        hint = option_hint(problem)
        return Problem(
            problem.code,
            problem.pointer,
            problem.message.replace(hint, ""),
            problem.severity,
            problem.line,
            problem.column,
            problem.file,
        ), key
    return problem, _CODE_FIELDS.get(problem.code)


def problem_views(problems: list[Problem], severity: str | None = None) -> list[ProblemView]:
    """Grouped as ``bidean import`` prints them, without its command-line hints."""
    views = []
    for group in group_problems(problems):
        first, fix = _web_problem(group.first)
        views.append(
            ProblemView(
                severity or str(first.severity),
                first.code,
                first.message,
                first.file,
                first.line,
                first.column,
                first.pointer,
                len(group.members),
                group.places,
                fix,
            )
        )
    return views


def _first_text(value: Any) -> str:
    if isinstance(value, dict):
        return next((v for v in value.values() if isinstance(v, str) and v.strip()), "")
    return value if isinstance(value, str) else ""


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rstrip() + "…"


def _languages(props: dict[str, Any]) -> tuple[str, ...]:
    tags: set[str] = set()
    for key in ("name", "story"):
        if isinstance(props.get(key), dict):
            tags.update(props[key])
    return tuple(sorted(tags))


def _assembled_stops(plan: ImportPlan) -> tuple[str | None, list[StopRow]]:
    assembly = plan.assembly
    if assembly is None or assembly.order is None or plan.document is None:
        return None, []
    features = plan.document["features"][1 : 1 + len(assembly.order.final)]
    rows = []
    for position, (index, feature) in enumerate(
        zip(assembly.order.final, features, strict=True), start=1
    ):
        props = feature["properties"]
        source = assembly.stop_sources[index]
        lon, lat = feature["geometry"]["coordinates"][:2]
        rows.append(
            StopRow(
                position,
                index + 1,
                str(props.get("id", "")),
                _first_text(props.get("name")),
                _excerpt(_first_text(props.get("story"))),
                source.languages,
                dict(source.used),
                source.kept,
                source.label,
                lon,
                lat,
            )
        )
    return assembly.order.rule, rows


_STOP_FIELDS = ("name", "story", "community", "accessibility")


def _tour_stops(plan: ImportPlan) -> tuple[str | None, list[StopRow]]:
    tour = plan.tour
    if tour is None or not tour.public_stops:
        return None, []
    public = tour.public_stops
    rows = []
    for position, index in enumerate(tour.itinerary().order, start=1):
        stop = public[index]
        used = {f: f for f in _STOP_FIELDS if getattr(stop, f)}
        languages = sorted({*stop.name.keys(), *stop.story.keys()})
        rows.append(
            StopRow(
                position,
                tour.stops.index(stop) + 1,
                stop.id,
                _first_text(dict(stop.name)),
                _excerpt(_first_text(dict(stop.story))),
                tuple(languages),
                used,
                tuple(stop.extra),
                f"{plan.source_name}, stop {stop.id}",
                stop.lonlat[0],
                stop.lonlat[1],
            )
        )
    return "the file's order (explicit order, then the earliest pass along the route)", rows


def _outcome(plan: ImportPlan, existing: ExistingTour | None, publish: bool) -> Outcome:
    if not plan.ok:
        return Outcome("refused")
    status = PUBLISHED if publish and plan.complete else DRAFT
    if existing is None:
        return Outcome("create", plan.slug, 1, status)
    return Outcome(
        "new-version",
        plan.slug,
        existing.newest_version + 1,
        status,
        existing.status,
        existing.current_version,
    )


def _geometry(plan: ImportPlan) -> tuple[list[list[list[float]]], list[dict[str, Any]]]:
    if plan.document is None:
        return [], []
    route: list[list[list[float]]] = []
    districts = []
    for feature in plan.document["features"]:
        geometry = feature.get("geometry") or {}
        kind = geometry.get("type")
        if kind == "LineString":
            route.append([p[:2] for p in geometry["coordinates"]])
        elif kind == "MultiLineString":
            route.extend([p[:2] for p in line] for line in geometry["coordinates"])
        elif kind in ("Polygon", "MultiPolygon"):
            name = _first_text((feature.get("properties") or {}).get("name"))
            districts.append({"geometry": geometry, "name": name})
    return route, districts


def build_preview(
    files: list[StagedFile], plan: ImportPlan, existing: ExistingTour | None, publish: bool
) -> ImportPreview:
    """The preview of ``plan`` (``existing``: the stored tour of its slug, if any)."""
    report = plan.report
    todo = todo_problems(plan.todo)
    preview = ImportPreview(
        files=[{"role": f.role, "name": f.name, "size": f.size} for f in files],
        outcome=_outcome(plan, existing, publish),
        complete=plan.complete,
        errors=problem_views(report.errors),
        todo=problem_views(todo, "todo"),
        warnings=problem_views(report.warnings),
        all_problems=[
            {**_web_problem(p)[0].to_dict(), "severity": severity}
            for severity, problems in (
                ("error", report.errors),
                ("todo", todo),
                ("warning", report.warnings),
            )
            for p in problems
        ],
    )
    if plan.assembly is not None:
        preview.notes = list(plan.assembly.notes)
        preview.not_carried = list(plan.assembly.not_carried)
        preview.lines = [line.to_dict() for line in plan.assembly.lines]
        preview.network = plan.assembly.network
        preview.texts_per_language = plan.assembly.texts_per_language
    if plan.kind == "assembly":
        preview.order_rule, preview.stops = _assembled_stops(plan)
        preview.movable = bool(preview.stops)
    elif plan.kind == "tour":
        preview.order_rule, preview.stops = _tour_stops(plan)
    preview.route, preview.districts = _geometry(plan)
    if plan.assembly is not None and any(p.code == "assemble.no-route" for p in report.errors):
        preview.stops_without_route = plan.assembly.stop_count
    if plan.document is not None:
        route_props = plan.document["features"][0].get("properties") or {}
        preview.route_drawn = route_props.get(APPROXIMATE) is True
    return preview
