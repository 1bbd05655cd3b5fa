"""Translation completeness of a tour, and applying translated texts to its document.

Which languages count: the tour's **declared** languages (``languages``, in their order,
the first being the source language), then every other language that any counted stop
text is written in (sorted by tag), so a half-done language nobody declared yet shows up
too: a *partial* translation, which visitors are offered only once the language is
declared (``declare_language``).
Which stops count: every stop that is not withdrawn (draft stops will be published,
so they need their texts too), in tour order (explicit ``order`` first, then document
order).  A text counts as present when it is not blank.

This module reads the stored profile document and knows nothing of who may see which
field: the caller chooses ``fields``.  Guide scripts (``script``) are private, so only
``guides.translations`` asks for them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tours.i18n import normalize_tag

#: The public translated texts of a stop.
PUBLIC_FIELDS: tuple[str, ...] = ("name", "story")
#: The translated texts of the tour itself (route properties), and the stop id their rows
#: in a translation file carry: none (a stop always has an id).
TOUR_FIELDS: tuple[str, ...] = ("title", "summary")
TOUR_ROW = ""


def _percent(present: int, total: int) -> float:
    return round(100.0 * present / total, 1) if total else 100.0


@dataclass(frozen=True)
class StopRef:
    """A counted stop: its id and its texts as stored (``{field: {tag: text}}``)."""

    id: str
    texts: Mapping[str, Mapping[str, str]]

    def text(self, field: str, language: str) -> str:
        value = self.texts.get(field) or {}
        return value.get(language, "") if isinstance(value, Mapping) else ""

    def has(self, field: str, language: str) -> bool:
        return bool(self.text(field, language).strip())


@dataclass(frozen=True)
class FieldCoverage:
    field: str
    present: int
    total: int
    missing: tuple[str, ...]  # stop ids

    @property
    def percent(self) -> float:
        return _percent(self.present, self.total)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "present": self.present,
            "total": self.total,
            "percent": self.percent,
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class LanguageCoverage:
    language: str
    declared: bool
    fields: tuple[FieldCoverage, ...]

    @property
    def present(self) -> int:
        return sum(f.present for f in self.fields)

    @property
    def total(self) -> int:
        return sum(f.total for f in self.fields)

    @property
    def percent(self) -> float:
        return _percent(self.present, self.total)

    @property
    def complete(self) -> bool:
        return self.present == self.total

    def missing_by_stop(self) -> dict[str, list[str]]:
        """``{stop id: [fields it lacks]}`` in tour order of first mention."""
        result: dict[str, list[str]] = {}
        for coverage in self.fields:
            for stop_id in coverage.missing:
                result.setdefault(stop_id, []).append(coverage.field)
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "declared": self.declared,
            "partial": not self.declared,  # kept, counted, offered once declared
            "present": self.present,
            "total": self.total,
            "percent": self.percent,
            "fields": {f.field: f.to_dict() for f in self.fields},
            "missing_by_stop": self.missing_by_stop(),
        }


@dataclass(frozen=True)
class TranslationReport:
    slug: str
    version: int | None
    source_language: str
    fields: tuple[str, ...]
    stops: tuple[str, ...]
    languages: tuple[LanguageCoverage, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "version": self.version,
            "source_language": self.source_language,
            "fields": list(self.fields),
            "stops": list(self.stops),
            "languages": [c.to_dict() for c in self.languages],
        }


def route_properties(document: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of the route feature (the first line feature), or {}."""
    for feature in document.get("features") or ():
        geometry = feature.get("geometry") or {}
        if geometry.get("type") in ("LineString", "MultiLineString"):
            return dict(feature.get("properties") or {})
    return {}


def declared_languages(document: Mapping[str, Any]) -> list[str]:
    return [tag for tag in route_properties(document).get("languages") or () if tag]


def counted_stops(document: Mapping[str, Any]) -> list[StopRef]:
    """The stops that need texts (not withdrawn), in tour order."""
    found: list[tuple[tuple[int, int], StopRef]] = []
    for index, feature in enumerate(document.get("features") or ()):
        if (feature.get("geometry") or {}).get("type") != "Point":
            continue
        props = feature.get("properties") or {}
        if props.get("status", "published") == "withdrawn" or not props.get("id"):
            continue
        order = props.get("order")
        key = (order if isinstance(order, int) else 1_000_000, index)
        texts = {k: v for k, v in props.items() if isinstance(v, Mapping)}
        found.append((key, StopRef(str(props["id"]), texts)))
    return [ref for _, ref in sorted(found, key=lambda item: item[0])]


def tour_texts(document: Mapping[str, Any]) -> StopRef:
    """The tour's own texts (title, summary) as a row of a translation file."""
    props = route_properties(document)
    texts = {k: props[k] for k in TOUR_FIELDS if isinstance(props.get(k), Mapping)}
    return StopRef(TOUR_ROW, texts)


def languages_of(document: Mapping[str, Any], fields: Iterable[str]) -> list[str]:
    """Declared languages first (their order), then any other language a counted text uses."""
    declared = declared_languages(document)
    seen = set(declared)
    others: set[str] = set()
    for stop in counted_stops(document):
        for field in fields:
            value = stop.texts.get(field) or {}
            others.update(tag for tag, text in value.items() if str(text).strip())
    return declared + sorted(others - seen)


def completeness(
    document: Mapping[str, Any],
    fields: tuple[str, ...] = PUBLIC_FIELDS,
    *,
    version: int | None = None,
) -> TranslationReport:
    """Per language and per field: how many counted stops have the text, which lack it."""
    props = route_properties(document)
    stops = counted_stops(document)
    declared = declared_languages(document)
    coverage = []
    for language in languages_of(document, fields):
        per_field = []
        for field in fields:
            missing = tuple(s.id for s in stops if not s.has(field, language))
            per_field.append(FieldCoverage(field, len(stops) - len(missing), len(stops), missing))
        coverage.append(LanguageCoverage(language, language in declared, tuple(per_field)))
    return TranslationReport(
        slug=str(props.get("slug", "")),
        version=version,
        source_language=declared[0] if declared else "",
        fields=fields,
        stops=tuple(s.id for s in stops),
        languages=tuple(coverage),
    )


def report_text(report: TranslationReport) -> list[str]:
    """The report as lines for a terminal."""
    lines = [
        f"{report.slug} version {report.version}: {len(report.stops)} stops,"
        f" fields {', '.join(report.fields)}; source language {report.source_language or '-'}"
    ]
    for lang in report.languages:
        fields = ", ".join(f"{f.field} {f.percent:g}%" for f in lang.fields)
        mark = "" if lang.declared else " (partial: not offered to visitors until declared)"
        lines.append(f"{lang.language}{mark}: {lang.percent:g}% ({fields})")
        for stop_id, missing in lang.missing_by_stop().items():
            lines.append(f"  {stop_id}: no {', '.join(missing)}")
    return lines


def apply_texts(
    document: Mapping[str, Any],
    language: str,
    texts: Mapping[tuple[str, str], str],
    *,
    declare: bool = True,
) -> tuple[dict[str, Any], int]:
    """A copy of ``document`` with ``texts`` (``{(stop id, field): text}``) written in
    ``language``; returns it and the number of texts that changed.  The stop id
    ``TOUR_ROW`` names the tour's own texts (title, summary), in the route's properties.

    With ``declare`` a language the tour does not declare yet is added at the end of
    ``languages`` (never first: the source language stays).
    """
    language = normalize_tag(language)
    result = copy.deepcopy(dict(document))
    changed = 0
    route: dict[str, Any] | None = None
    for feature in result.get("features") or ():
        kind = (feature.get("geometry") or {}).get("type")
        if route is None and kind in ("LineString", "MultiLineString"):
            route = feature.setdefault("properties", {})
            owner = TOUR_ROW
        elif kind == "Point":
            # A stop without an id is counted nowhere; it must not pass for the tour.
            owner = feature.setdefault("properties", {}).get("id") or None
        else:
            continue
        props = feature["properties"]
        for (stop_id, field), text in texts.items():
            if owner == stop_id:
                changed += _write_text(props, field, language, text)
    if changed and declare and route is not None:
        languages = list(route.get("languages") or ())
        if language not in languages:
            route["languages"] = [*languages, language]
    return result, changed


def declare_language(document: Mapping[str, Any], language: str) -> tuple[dict[str, Any], bool]:
    """A copy of ``document`` whose route declares ``language`` (a valid tag), after the
    tour's other languages, so visitors are offered its texts; and whether that changed
    anything (False when it was declared already, or there is no route)."""
    language = normalize_tag(language)
    result = copy.deepcopy(dict(document))
    for feature in result.get("features") or ():
        if (feature.get("geometry") or {}).get("type") in ("LineString", "MultiLineString"):
            props = feature.setdefault("properties", {})
            languages = list(props.get("languages") or ())
            if language in languages:
                return result, False
            props["languages"] = [*languages, language]
            return result, True
    return result, False


def _write_text(props: dict[str, Any], field: str, language: str, text: str) -> int:
    """Write ``text`` into ``props[field][language]``; 1 if that changed it, else 0."""
    current = props.get(field)
    value = dict(current) if isinstance(current, Mapping) else {}
    if value.get(language) == text:
        return 0
    value[language] = text
    props[field] = value
    return 1
