"""Field mapping: the properties other projects' files really have, read as a tour's.

Stop names arrive as ``name``, ``title``, ``nombre`` or ``Name``; stories as
``description``, ``desc`` or ``descripcion``; OpenStreetMap exports add ``name:de``,
``description:en``.  A :class:`FieldMap` says, for each profile field, which source
properties feed it (the defaults below, documented in ``docs/geojson-profile.md``, or
``--map story=historical_relevance``), and :func:`map_properties` turns one feature's
properties into the profile's, keeping every property it did not use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tours.content.checking.textmaps import canonical_tag

#: Where an explicit stop order is: the names other projects' files use for it.
_ORDER_SOURCES = ("order", "sequence", "seq", "stop_number", "orden", "nr", "Nr", "NR", "no",
                  "Order", "Seq", "SEQ", "Sequence", "stop_nr", "reihenfolge", "Reihenfolge",
                  "ordre", "ordine", "ordem")  # fmt: skip
#: Profile field -> source properties, first present wins.  Text fields also read the
#: OSM-style ``<source>:<language>`` variants of each source.
DEFAULT_SOURCES: dict[str, tuple[str, ...]] = {
    "name": ("name", "title", "nombre", "nom", "titel", "Name"),
    "story": ("description", "desc", "descripcion", "story", "text"),
    "order": _ORDER_SOURCES,
    "id": ("id",),
    "community": ("community",),
    "accessibility": ("accessibility",),
    "credits": ("credits",),
}
TEXT_FIELDS = frozenset(("name", "story", "community", "accessibility", "title", "summary"))
#: Tour-level fields that ``--map`` may also point at a route property.
ROUTE_SOURCES: dict[str, tuple[str, ...]] = {
    "title": ("title", "name", "nombre", "titel", "Name"),
    "summary": ("summary", "description", "desc", "descripcion"),
}
MAPPABLE = frozenset((*DEFAULT_SOURCES, *ROUTE_SOURCES))
_STOP_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class MappingError(ValueError):
    """A ``--map`` option that cannot be used; the message says how to write it."""


@dataclass
class FieldMap:
    """Which source properties feed each profile field."""

    sources: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {**DEFAULT_SOURCES, **ROUTE_SOURCES}
    )
    overridden: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, options: tuple[str, ...] | list[str]) -> FieldMap:
        """From ``--map TARGET=SOURCE`` options (``story=historical_relevance``)."""
        result = cls()
        for option in options:
            target, sep, source = option.partition("=")
            target, source = target.strip(), source.strip()
            if not sep or not target or not source:
                raise MappingError(
                    f'--map "{option}" must be TARGET=SOURCE, such as story=historical_relevance.'
                )
            if target not in MAPPABLE:
                raise MappingError(
                    f'--map "{option}": {target} is not a field Bidean maps; use one of'
                    f" {', '.join(sorted(MAPPABLE))}."
                )
            result.sources[target] = (source,)
            result.overridden.add(target)
        return result

    def source_of(self, target: str, props: dict[str, Any]) -> str | None:
        """The first source property of ``target`` present (non-blank) in ``props``."""
        return next((s for s in self.sources[target] if not _blank(props.get(s))), None)


@dataclass
class Mapped:
    """One feature's properties in the profile's terms, and what was used from where."""

    props: dict[str, Any]
    used: dict[str, str] = field(default_factory=dict)  # profile field -> source property
    languages: set[str] = field(default_factory=set)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def language_variants(props: dict[str, Any], source: str) -> dict[str, str]:
    """``{"de": …, "tr": …}`` from ``source:de``, ``source:tr`` (OSM style), valid tags only."""
    found: dict[str, str] = {}
    prefix = source + ":"
    for key, value in props.items():
        if key.startswith(prefix) and isinstance(value, str) and value.strip():
            tag = canonical_tag(key[len(prefix) :])
            if tag is not None and tag not in found:
                found[tag] = value.strip()
    return found


def map_text(
    props: dict[str, Any], sources: tuple[str, ...], language: str, consumed: set[str]
) -> tuple[dict[str, str] | None, str | None]:
    """A language map from the sources: the first plain text (or map) found, plus every
    ``source:xx`` variant (OSM style) of any source; returns it and the first source used,
    and marks the keys it read as consumed."""
    text: dict[str, str] = {}
    variants: dict[str, str] = {}
    first: str | None = None
    have_main = False
    for source in sources:
        value = props.get(source)
        main: dict[str, str] = {}
        if isinstance(value, dict):
            main = {k: v.strip() for k, v in value.items() if isinstance(v, str) and v.strip()}
        elif isinstance(value, str) and value.strip():
            main = {language: value.strip()}
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            main = {language: str(value)}
        if main and not have_main:
            have_main = True
            consumed.add(source)
            first = first or source
            for tag, item in main.items():
                text.setdefault(tag, item)
        for tag, variant in language_variants(props, source).items():
            consumed.add(f"{source}:{tag}")
            consumed.update(k for k in props if k.lower() == f"{source}:{tag}".lower())
            first = first or source
            variants.setdefault(tag, variant)
    for tag, variant in variants.items():
        text.setdefault(tag, variant)
    return (text or None), first


def text_id(value: Any) -> str | None:
    """An id as the profile wants it: text of letters, digits, ``_`` and ``-``.

    ``7`` becomes ``"7"`` and ``"relation/252585"`` becomes ``"relation-252585"``; None
    when nothing usable is left.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", str(value).strip()).strip("-")[:64]
    return text if _STOP_ID.match(text) else None


def map_stop(
    props: dict[str, Any], foreign_id: Any, fields: FieldMap, language: str
) -> tuple[Mapped, Any]:
    """A stop's profile properties from a source feature's; returns it and the raw id.

    Every property not used for a profile field is kept under its own name, so nothing
    is lost and it is exported again.
    """
    consumed: set[str] = set()
    result = Mapped({})
    for target in ("name", "story", "community", "accessibility"):
        text, source = map_text(props, fields.sources[target], language, consumed)
        if text:
            result.props[target] = text
            result.used[target] = source or target
            result.languages.update(text)
    raw_id: Any = None
    id_source = fields.source_of("id", props)
    if id_source is not None:
        raw_id = props[id_source]
        consumed.add(id_source)
        result.used["id"] = id_source
    elif foreign_id is not None:
        raw_id = foreign_id
        result.used["id"] = "the feature's id"
    order_source = fields.source_of("order", props)
    if order_source is not None:
        order = _as_int(props[order_source])
        if order is not None and order >= 1:
            result.props["order"] = order
            consumed.add(order_source)
            result.used["order"] = order_source
    credits_source = fields.source_of("credits", props)
    if credits_source is not None and isinstance(props[credits_source], str):
        result.props["credits"] = props[credits_source]
        consumed.add(credits_source)
    for key, value in props.items():
        if _is_consumed(key, consumed) or key in result.props or _blank(value):
            continue
        result.props[key] = value
    return result, raw_id


def _is_consumed(key: str, consumed: set[str]) -> bool:
    """``name:de`` was read as ``name:de`` even when its tag was written ``name:DE``."""
    if key in consumed:
        return True
    source, _, tag = key.partition(":")
    canonical = canonical_tag(tag) if tag else None
    return canonical is not None and f"{source}:{canonical}" in consumed


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
