"""Assembling one tour from the files a city really has.

A route in one file, its stops in another (or several), district outlines in a third;
or one file holding a line and some points.  :func:`assemble` reads them all
(:mod:`tours.content.assembly.sources`), maps their properties
(:mod:`tours.content.assembly.fieldmap`), decides the stop order
(:mod:`tours.content.assembly.assembly_order`), builds a profile document
and checks it with the profile.  What the profile still finds missing (a title, stop
names, stories, declared languages...) becomes the draft's **to-do list** instead of a
refusal; only what makes a tour impossible (an unreadable file, no route) refuses it.

Every problem names its source file, line and column; everything that could not be
carried over is listed (``not_carried``), and every guess is said (``notes``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from tours.content.assembly.assembly_order import (
    AssembledStop,
    StopOrder,
    decide_order,
    measure_route,
    route_lines,
)
from tours.content.assembly.drawn import draw_through, drawn_route, no_route_message
from tours.content.assembly.fieldmap import (
    FieldMap,
    keep_local,
    local_key,
    map_stop,
    map_text,
    text_id,
)
from tours.content.assembly.lines import LineInfo, choose_route
from tours.content.assembly.naming import SlugChoice, choose_slug, metadata_note, route_id
from tours.content.assembly.sources import SourceData, SourceFeature, read_source
from tours.content.assembly.textcount import (
    language_notes,
    local_notes,
    not_language_notes,
    not_languages,
    texts_per_language,
)
from tours.content.checking.pipeline import ValidationOptions, validate_document, without_gc
from tours.content.checking.textmaps import canonical_tag
from tours.content.checking.validate import CoordinateArrays
from tours.content.report import Problem, Report, Severity
from tours.text import counted, slugify
from tours.tour import PROFILE_VERSION
from tours.tour.geometry import RouteGeometry

_LINES = ("LineString", "MultiLineString")
_AREAS = ("Polygon", "MultiPolygon")
#: Warnings that still keep a draft from being published: a route drawn as straight lines,
#: a published recording without a transcript.  Texts in languages the tour does not
#: declare are no longer among them: they are partial translations
#: (``profile.partial-language``).
TODO_WARNINGS = frozenset(("profile.approximate-route", "profile.audio-transcript"))
#: Route properties the profile knows; a file that already has them (an exported draft)
#: keeps them unless an option says otherwise.
_ROUTE_KEYS = ("slug", "title", "summary", "city", "timezone", "districts", "languages",
               "licence", "credits", "duration_minutes", "sample")  # fmt: skip


_MAPPED_FIELDS = frozenset(
    ("id", "name", "story", "community", "accessibility", "order", "credits")
)
_OPTION_HINTS = {
    "title": '--title "…"',
    "summary": '--summary "…"',
    "city": "--city NAME",
    "timezone": "--timezone ZONE (such as Europe/Vienna)",
    "licence": "--licence SPDX (such as CC-BY-SA-4.0)",
}


@dataclass(frozen=True)
class AssemblyOptions:
    """What the command line adds to the files."""

    title: str | None = None
    summary: str | None = None
    city: str | None = None
    language: str | None = None
    timezone: str | None = None
    licence: str | None = None
    slug: str | None = None
    fields: FieldMap = field(default_factory=FieldMap)
    order: str | None = None  # "source", "route" or None (explicit, else route)
    #: Source indices of the stops in the order a coordinator set by hand (the console's
    #: preview); it wins over ``order`` when it names every stop once.
    stop_order: tuple[int, ...] | None = None
    #: Of several lines, the route is this one (its name, or its number from 1)...
    route_line: str | None = None
    #: ...or all of them joined in the files' order (never without asking).
    join: bool = False
    #: Without a route in the files, join the stops in their order with straight lines
    #: (``--draw-route``), marked approximate until redrawn in the editor.
    draw_route: bool = False
    validation: ValidationOptions = field(default_factory=ValidationOptions)


@dataclass
class Assembly:
    """The assembled document (None when refused), its report and its to-do list."""

    report: Report
    document: dict[str, Any] | None = None
    todo: list[dict[str, Any]] = field(default_factory=list)
    order: StopOrder | None = None
    notes: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)
    slug: str | None = None
    naming: SlugChoice | None = None  # where the slug came from, which storing checks
    stop_count: int = 0
    #: How many texts of the document are in each language (names, stories, titles…).
    texts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Per stop, in source order: where it came from and which property fed which field.
    stop_sources: list[StopSource] = field(default_factory=list)
    #: The lines of the files when there are several (the preview offers a choice).
    lines: list[LineInfo] = field(default_factory=list)
    #: Those lines look like a network of paths rather than a walking route.
    network: bool = False

    @property
    def ok(self) -> bool:
        return self.document is not None

    @property
    def texts_per_language(self) -> dict[str, int]:
        """``{"en": 137, "de": 24}``: the report's count of texts in each language."""
        return {tag: sum(counts.values()) for tag, counts in self.texts.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.report.to_dict(),
            "slug": self.slug,
            "stops": self.stop_count,
            "todo": self.todo,
            "order": self.order.to_dict() if self.order else None,
            "notes": self.notes,
            "not_carried_over": self.not_carried,
            "lines": [line.to_dict() for line in self.lines],
            "network": self.network,
            "texts_per_language": self.texts_per_language,
        }


@dataclass(frozen=True)
class StopSource:
    """Where an assembled stop came from, what fed its fields and what it kept as it was."""

    file: str
    label: str
    line: int | None
    column: int | None
    used: dict[str, str]  # profile field -> source property
    languages: tuple[str, ...]
    kept: tuple[str, ...]  # source properties carried over under their own names


@dataclass
class _Parts:
    route: list[SourceFeature] = field(default_factory=list)
    stops: list[SourceFeature] = field(default_factory=list)
    districts: list[SourceFeature] = field(default_factory=list)


def assemble_paths(
    files: list[Path],
    *,
    route: Path | None = None,
    stops: list[Path] | None = None,
    districts: Path | None = None,
    options: AssemblyOptions | None = None,
) -> Assembly:
    """Read the files and assemble them into one tour document."""
    options = options or AssemblyOptions()
    limit = options.validation.max_bytes

    def read(path: Path) -> SourceData:
        return read_source(path, max_bytes=limit, max_depth=options.validation.max_depth)

    with without_gc():  # reading allocates as much as assembling: see ``assemble``
        roles: list[tuple[str, SourceData]] = [("any", read(p)) for p in files]
        if route is not None:
            roles.append(("route", read(route)))
        roles.extend(("stops", read(p)) for p in stops or [])
        if districts is not None:
            roles.append(("districts", read(districts)))
        return assemble(roles, options)


def assemble(roles: list[tuple[str, SourceData]], options: AssemblyOptions) -> Assembly:
    """Assemble sources, each with its role (``any``, ``route``, ``stops``, ``districts``).

    The garbage collector is paused, as for a check (``without_gc``): the lists made stay
    alive and form no cycles; collecting them was a tenth of assembling a My Maps KML."""
    with without_gc():
        return _assemble(roles, options)


def _assemble(roles: list[tuple[str, SourceData]], options: AssemblyOptions) -> Assembly:
    label = " + ".join(PurePath(s.file).name for _, s in roles) or "(no files)"
    result = Assembly(Report(label))
    read = {source.file: source for _, source in roles}  # a file given for two roles: once
    for source in read.values():
        result.report.problems.extend(source.problems)
        result.not_carried.extend(source.not_carried)
        result.notes.extend(source.notes)
    if not all(source.readable for _, source in roles):
        return result
    parts = _by_role(roles, result)
    drawn = not parts.route and options.draw_route and len(parts.stops) >= 2
    if drawn:
        parts.route.append(drawn_route(parts.stops))
    if not parts.route:
        result.stop_count = len(parts.stops)  # the preview offers a route file or drawn lines
        result.report.error(
            "assemble.no-route", "", no_route_message(len(parts.stops), options.draw_route)
        )
        return result
    choice = choose_route(
        parts.route,
        route_line=options.route_line,
        join=options.join,
        report=result.report,
        notes=result.notes,
        not_carried=result.not_carried,
    )
    result.lines, result.network = choice.lines, choice.network
    if choice.route is None:
        return result
    parts.route = choice.route
    language = _language(options, parts)
    route_props = _route_properties(parts.route, roles, options, language, result)
    stop_features = _stops(parts.stops, options, route_props["languages"][0], result)
    arrays = CoordinateArrays()  # the route's, converted once for the order and the check
    for coords, array in (kept for s in read.values() for kept in s.arrays.values()):
        arrays.keep(coords, array, made_from=True)  # the reader's lists are its arrays'
    geometry = None if drawn else measure_route(parts.route, arrays)
    order = decide_order(
        geometry,
        stop_features,
        options.order,
        result.notes,
        options.stop_order,
    )
    result.order = order
    if drawn:
        result.notes.append(draw_through(parts.route[0], [stop_features[i] for i in order.final]))
    document = _document(parts, route_props, stop_features, order, language, options, result)
    result.document, result.slug = document, route_props["slug"]
    result.stop_count = len(stop_features)
    result.texts = texts_per_language(document)
    result.notes.extend(language_notes(result.texts, language))
    measured = geometry if isinstance(geometry, RouteGeometry) else None
    _check(document, parts, stop_features, order, options, result, (measured, arrays))
    return result


_WANTED = {"route": _LINES, "stops": ("Point",), "districts": _AREAS}


def _by_role(roles: list[tuple[str, SourceData]], result: Assembly) -> _Parts:
    parts = _Parts()
    # A file given for several roles (--route F --stops F): each role takes its kind and
    # what another of its roles takes is not "not carried over".
    taken = {(s.file, kind) for r, s in roles for kind in _WANTED.get(r, ())}
    for role, source in roles:
        for feature in source.features:
            kind = feature.kind
            wanted = _WANTED.get(role)
            if wanted is not None and kind not in wanted:
                if (source.file, kind) in taken:
                    continue
                result.not_carried.append(
                    f"{feature.where()}: a {kind} in the --{role} file (give it with the"
                    " option for its role)"
                )
                continue
            if kind in _LINES:
                parts.route.append(feature)
            elif kind == "Point":
                parts.stops.append(feature)
            elif kind in _AREAS:
                parts.districts.append(feature)
            else:
                result.not_carried.append(f"{feature.where()}: a {kind}, which plays no role")
    return parts


def _language(options: AssemblyOptions, parts: _Parts) -> str:
    tag = canonical_tag(options.language) if options.language else None
    if tag:
        return tag
    declared = parts.route[0].properties.get("languages")
    if isinstance(declared, list) and declared and canonical_tag(declared[0]):
        return canonical_tag(declared[0]) or "en"
    return "en"


def _route_properties(
    lines: list[SourceFeature],
    roles: list[tuple[str, SourceData]],
    options: AssemblyOptions,
    language: str,
    result: Assembly,
) -> dict[str, Any]:
    source_props = dict(lines[0].properties)
    source_props.pop("status", None)  # an exported draft says "draft"; storage decides
    source_props.pop("todo", None)
    props: dict[str, Any] = {"profile": PROFILE_VERSION}
    consumed: set[str] = set()
    local: dict[str, dict[str, str]] = {}
    for key in ("title", "summary"):
        given = getattr(options, key)
        if given:
            props[key] = {language: given}
            continue
        # The profile's own key first (an exported draft), then the file's metadata (a GPX
        # or KML document's name), then the route's name-like properties.
        sources = options.fields.sources[key]
        if key not in options.fields.overridden and key not in source_props:
            meta = _metadata(roles, key)
            if meta:
                props[key] = {language: meta}
                metadata_note(roles, key, meta, result.notes, result.not_carried)
                continue
        local[key] = {}
        text, used = map_text(source_props, sources, language, consumed, local[key])
        if text:
            props[key] = text
            result.notes.append(f"The tour's {key} comes from the route's {used!r}.")
    props["slug"] = None  # set below, once the city is known: the properties keep their order
    for key, value in (("city", options.city), ("timezone", options.timezone)):
        props[key] = value or _text_or_none(source_props.get(key))
    result.naming = choose_slug(options.slug, source_props, props, lines[0].file, result.notes)
    props["slug"] = result.naming.slug
    props["districts"] = source_props.get("districts", [])
    languages = source_props.get("languages")
    valid = isinstance(languages, list) and all(canonical_tag(t) for t in languages)
    props["languages"] = (
        [canonical_tag(t) for t in languages] if valid and languages else [language]
    )
    if options.language and canonical_tag(options.language) not in props["languages"]:
        props["languages"] = [language, *props["languages"]]
    licence = options.licence or _text_or_none(source_props.get("licence"))
    props["licence"] = licence or _metadata(roles, "licence")
    # Who made the file (a GPX <metadata><author>, <copyright>): the tour's credits, and
    # the copyright's holder and year, which both exports write back.
    credits = _metadata(roles, "credits")
    if credits and "credits" not in source_props:
        props["credits"] = {language: credits}
    copyright = next((s.copyright for _, s in _by_route_first(roles) if s.copyright), None)
    if copyright and "copyright" not in source_props:
        props["copyright"] = copyright
    for key, value in source_props.items():
        if key not in consumed and key not in props and key != "profile":
            props[key] = value
    route_id(lines[0], props, result.notes, result.not_carried)
    _keep_locals(props, local, language, result)
    return {k: v for k, v in props.items() if v is not None}


def _keep_locals(
    props: dict[str, Any],
    local: dict[str, dict[str, str]],
    language: str,
    result: Assembly,
) -> None:
    """Keep the route's plain texts that a ``title:xx``-style variant replaced."""
    kept: dict[str, tuple[str, str]] = {}
    unkept: list[str] = []
    for key, found in local.items():
        if found:
            keep_local(props, local_key(key), found, kept, unkept)
    result.notes.extend(
        local_notes(Counter((k, *v) for k, v in kept.items()), "The route", language)
    )
    result.not_carried.extend(f"the route: {item}" for item in unkept)


def _metadata(roles: list[tuple[str, SourceData]], key: str) -> str | None:
    attribute = {"title": "name", "summary": "description"}.get(key, key)
    ordered = [s for _, s in _by_route_first(roles)]
    return next((getattr(s, attribute) for s in ordered if getattr(s, attribute)), None)


def _by_route_first(roles: list[tuple[str, SourceData]]) -> list[tuple[str, SourceData]]:
    return [(r, s) for r, s in roles if r == "route"] + [(r, s) for r, s in roles if r != "route"]


def _text_or_none(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _stops(
    points: list[SourceFeature], options: AssemblyOptions, language: str, result: Assembly
) -> list[AssembledStop]:
    fields_by_file = _file_fields(points, options.fields, result)
    stops: list[AssembledStop] = []
    used: set[str] = set()
    replaced: list[str] = []
    converted = 0
    local: Counter[tuple[str, str, str]] = Counter()
    odd: Counter[str] = Counter()  # name:left and the like, kept as they were
    for index, feature in enumerate(points):
        fields = fields_by_file[feature.file]
        mapped, raw_id = map_stop(feature.properties, feature.foreign_id, fields, language)
        if mapped.local:  # most stops have none: no Counter.update, with its Mapping test
            local.update((k, *v) for k, v in mapped.local.items())
        odd.update(not_languages(mapped.props, (*fields.sources["name"], *fields.sources["story"])))
        result.not_carried.extend(f"{feature.where()}: {item}" for item in mapped.unkept)
        stop_id = text_id(raw_id)
        if stop_id is not None and not isinstance(raw_id, str):
            converted += 1
        if stop_id is None or stop_id in used:
            fresh = _fresh_id(mapped.props, language, index, used)
            if raw_id is not None:
                replaced.append(f"{raw_id!r} → {fresh!r} ({feature.where()})")
            stop_id = fresh
        used.add(stop_id)
        order_from = mapped.used.get("order")
        stops.append(AssembledStop(feature, {"id": stop_id, **mapped.props}, order_from))
        kept = tuple(k for k in mapped.props if k not in _MAPPED_FIELDS)
        result.stop_sources.append(
            StopSource(
                feature.file,
                feature.where(),
                feature.line,
                feature.column,
                dict(mapped.used),
                tuple(sorted(mapped.languages)),
                kept,
            )
        )
    result.notes.extend(local_notes(local, "stop", language))
    result.notes.extend(not_language_notes(odd))
    if converted:
        result.notes.append(f'{counted(converted, "numeric stop id")} became text ids (7 → "7").')
    if replaced:
        result.notes.append(
            f"{counted(len(replaced), 'stop id')} could not be used (not letters, digits, _ and -,"
            f" or used twice) and were replaced: {'; '.join(replaced[:10])}"
            + (f"; and {len(replaced) - 10} more" if len(replaced) > 10 else "")
        )
    return stops


def _fresh_id(props: dict[str, Any], language: str, index: int, used: set[str]) -> str:
    name = props.get("name") or {}
    base = slugify(next(iter(name.values()), "") if isinstance(name, dict) else "")[:56]
    base = base or f"stop-{index + 1}"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _file_fields(
    points: list[SourceFeature], fields: FieldMap, result: Assembly
) -> dict[str, FieldMap]:
    """Per file, the field map; a file with no story field whose second name-like field
    holds long texts (Vienna's ``title``) reads its stories from that field."""
    by_file: dict[str, FieldMap] = {}
    for file in dict.fromkeys(p.file for p in points):
        mine = [p.properties for p in points if p.file == file]
        chosen = fields
        has_story = any(fields.source_of("story", props) for props in mine)
        if not has_story and "story" not in fields.overridden:
            candidate = _long_text_field(mine, fields)
            if candidate is not None:
                chosen = FieldMap({**fields.sources, "story": (candidate,)}, fields.overridden)
                name_sources = tuple(s for s in fields.sources["name"] if s != candidate)
                chosen.sources["name"] = name_sources
                result.notes.append(
                    f"{PurePath(file).name} has no story field; its {candidate!r} holds long"
                    f" texts, so the stories come from {candidate!r} (--map story=... to"
                    " choose another)."
                )
        by_file[file] = chosen
    return by_file


def _long_text_field(props_list: list[dict[str, Any]], fields: FieldMap) -> str | None:
    for candidate in fields.sources["name"]:
        texts = [p.get(candidate) for p in props_list if isinstance(p.get(candidate), str)]
        name_used = [fields.source_of("name", p) for p in props_list]
        if len(texts) * 2 < len(props_list) or all(u == candidate for u in name_used):
            continue
        lengths = sorted(len(t) for t in texts)
        if lengths and lengths[len(lengths) // 2] >= 60:
            return candidate
    return None


def _document(
    parts: _Parts,
    route_props: dict[str, Any],
    stops: list[AssembledStop],
    order: StopOrder,
    language: str,
    options: AssemblyOptions,
    result: Assembly,
) -> dict[str, Any]:
    lines = route_lines(parts.route)
    geometry = (
        {"type": "LineString", "coordinates": lines[0]}
        if len(lines) == 1
        else {"type": "MultiLineString", "coordinates": lines}
    )
    features = [{"type": "Feature", "geometry": geometry, "properties": route_props}]
    for position, index in enumerate(order.final, start=1):
        stop = stops[index]
        features.append(
            {
                "type": "Feature",
                "geometry": stop.feature.geometry,
                "properties": {**stop.props, "order": position},
            }
        )
    fields = options.fields
    kept: dict[str, tuple[str, str]] = {}
    local_names: Counter[tuple[str, str, str]] = Counter()
    for district in parts.districts:
        consumed: set[str] = set()
        local: dict[str, str] = {}
        name, _ = map_text(district.properties, fields.sources["name"], language, consumed, local)
        props = {k: v for k, v in district.properties.items() if k not in consumed}
        props.update({"name": name} if name else {})
        if local:
            unkept: list[str] = []
            keep_local(props, local_key("name"), local, kept, unkept)
            local_names.update((k, *v) for k, v in kept.items())
            result.not_carried.extend(f"{district.where()}: {item}" for item in unkept)
            kept.clear()
        features.append({"type": "Feature", "geometry": district.geometry, "properties": props})
    result.notes.extend(local_notes(local_names, "district", language))
    return {"type": "FeatureCollection", "features": features}


def _check(
    document: dict[str, Any],
    parts: _Parts,
    stops: list[AssembledStop],
    order: StopOrder,
    options: AssemblyOptions,
    result: Assembly,
    measured: tuple[RouteGeometry | None, CoordinateArrays],
) -> None:
    """Run the profile over the assembled document (its route as measured for the stop
    order); errors become the to-do list."""
    geometry, arrays = measured
    checked = validate_document(
        document, result.report.file, options.validation, route_geometry=geometry, arrays=arrays
    )
    origins: dict[int, SourceFeature] = {0: parts.route[0]}
    for position, index in enumerate(order.final, start=1):
        origins[position] = stops[index].feature
    first_district = 1 + len(stops)
    for i, district in enumerate(parts.districts):
        origins[first_district + i] = district
    for problem in checked.report.problems:
        located = _located(problem, origins)
        if problem.severity is Severity.ERROR or problem.code in TODO_WARNINGS:
            result.todo.append(located.to_dict())
        else:
            result.report.problems.append(located)


def option_hint(problem: Problem) -> str:
    """ " Import again with --title "…", or fix the draft." for what an option can give."""
    key = problem.pointer.rsplit("/", 1)[-1]
    if problem.code == "profile.missing-property" and key in _OPTION_HINTS:
        return f" Import again with {_OPTION_HINTS[key]}, or fix the draft."
    return ""


def _located(problem: Problem, origins: dict[int, SourceFeature]) -> Problem:
    """The problem with the file, line and column of the source feature it is about."""
    parts = problem.pointer.split("/")
    origin = origins.get(int(parts[2])) if len(parts) > 2 and parts[2].isdigit() else None
    if origin is None:
        return problem
    hint = option_hint(problem)
    return Problem(
        problem.code,
        problem.pointer,
        f"{problem.message}{hint} (source: {origin.label})",
        problem.severity,
        origin.line,
        origin.column,
        origin.file,
    )
