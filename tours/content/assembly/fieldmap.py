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
        sources = self.sources[target]
        if props.keys().isdisjoint(sources):  # most features have none of the many names
            return None
        return next((s for s in sources if not _blank(props.get(s))), None)


@dataclass
class Mapped:
    """One feature's properties in the profile's terms, and what was used from where."""

    props: dict[str, Any]
    used: dict[str, str] = field(default_factory=dict)  # profile field -> source property
    languages: set[str] = field(default_factory=set)
    #: ``local_name`` -> ``("name", "name:en")``: plain texts a variant of their language
    #: replaced, kept under ``local_<field>``.
    local: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Such plain texts that could not be kept (the feature already has that property).
    unkept: list[str] = field(default_factory=list)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def language_variants(props: dict[str, Any], source: str) -> dict[str, tuple[str, str]]:
    """``{"de": ("name:de", …)}`` from ``source:de``, ``source:DE``… (OSM style): per valid
    tag, the first key written for it and its text.  A second key for the same tag is not
    read, so the caller keeps it under its own name."""
    found: dict[str, tuple[str, str]] = {}
    prefix = source + ":"
    for key, value in props.items():
        if key.startswith(prefix) and isinstance(value, str) and value.strip():
            tag = canonical_tag(key[len(prefix) :])
            if tag is not None and tag not in found:
                found[tag] = (key, value.strip())
    return found


def map_text(
    props: dict[str, Any],
    sources: tuple[str, ...],
    language: str,
    consumed: set[str],
    local: dict[str, str] | None = None,
    has_variants: bool | None = None,
) -> tuple[dict[str, str] | None, str | None]:
    """A language map from the sources: the first plain text (or map) found, plus every
    ``source:xx`` variant (OSM style) of any source; returns it and the first source used,
    and marks the keys it read as consumed.

    A plain text goes to ``language``; when a ``source:language`` variant also exists, the
    variant wins (OSM's ``name`` is the local name, ``name:en`` the English one) and the
    plain text, when it differs, goes into ``local`` (``{"text": …, "source": "name",
    "variant": "name:en"}``)
    for the caller to keep.  Without ``local`` the plain text is not consumed, so a caller
    that keeps unconsumed properties keeps it under its own name.
    """
    text: dict[str, str] = {}
    variants: dict[str, tuple[str, str]] = {}
    first: str | None = None
    plain: str | None = None  # the source whose plain string went to ``language``
    # Most files have no ``source:xx`` key at all: then no source is searched for one
    # (``has_variants``: the caller already knows whether ``props`` has such a key).
    if has_variants is None:
        has_variants = any(":" in key for key in props)
    if not has_variants and props.keys().isdisjoint(sources):
        return None, None  # nothing to read: most stops have one or two of the fields
    for source in sources:
        if text:  # the first source with a text is read; later ones only for variants
            if not has_variants:
                break
        elif (value := props.get(source)) is not None:
            main = _main_text(value, language)
            if main:
                consumed.add(source)
                first = first or source
                plain = None if isinstance(value, dict) else source
                text.update(main)
        if not has_variants:
            continue
        for tag, (key, variant) in language_variants(props, source).items():
            if tag not in variants:  # a second source's variant is kept under its own key
                variants[tag] = (key, variant)
    for tag, (key, variant) in variants.items():
        if tag not in text:
            text[tag] = variant
        elif text[tag] == variant:
            pass  # the same text twice: read once, nothing lost
        elif tag == language and plain is not None and local is not None:
            local.update(text=text[tag], source=plain, variant=f"{key.partition(':')[0]}:{tag}")
            text[tag] = variant
        elif tag == language and plain is not None:
            consumed.discard(plain)  # kept under its own name by the caller
            text[tag] = variant
        else:
            continue  # an explicit language map wins; the variant stays a property
        consumed.add(key)
        first = first or key.partition(":")[0]
    return (text or None), first


def _main_text(value: Any, language: str) -> dict[str, str]:
    """A source's own text: its language map's non-blank texts, or its plain text (or
    number) in ``language``; empty when it holds none."""
    if isinstance(value, dict):
        return {k: v.strip() for k, v in value.items() if isinstance(v, str) and v.strip()}
    if isinstance(value, str):
        return {language: value.strip()} if value.strip() else {}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {language: str(value)}
    return {}


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
    locals_: dict[str, dict[str, str]] = {}
    variants = any(":" in key for key in props)
    for target in ("name", "story", "community", "accessibility"):
        local: dict[str, str] = {}
        text, source = map_text(
            props, fields.sources[target], language, consumed, local, has_variants=variants
        )
        if text:
            result.props[target] = text
            result.used[target] = source or target
            result.languages.update(text)
        if local:
            locals_[local_key(target)] = local
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
        if key in consumed or key in result.props or _blank(value):
            continue
        result.props[key] = value
    for key, local in locals_.items():
        keep_local(result.props, key, local, result.local, result.unkept)
    return result, raw_id


def local_key(target: str) -> str:
    """Where a plain text replaced by its language's variant is kept: ``local_name``."""
    return f"local_{target}"


def keep_local(
    props: dict[str, Any],
    key: str,
    local: dict[str, str],
    kept: dict[str, tuple[str, str]],
    unkept: list[str],
) -> None:
    """Keep ``local`` (from :func:`map_text`) as ``props[key]``, or say why it cannot be;
    ``kept[key]`` says which plain property was kept and which variant replaced it."""
    if props.get(key) == local["text"]:
        kept[key] = (local["source"], local["variant"])
    elif key in props:
        unkept.append(f"{local['source']} {local['text']!r} ({key} is taken)")
    else:
        props[key] = local["text"]
        kept[key] = (local["source"], local["variant"])


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
