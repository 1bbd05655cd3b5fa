"""What an assembled tour is called and where its names came from: its slug (made from
its title and city, never from a file's common name alone), which file metadata became
its title or summary, and the route feature's own id.

Each function returns what it decided and the lines the report gets, so that
:mod:`tours.content.assembly.assemble` only adds them to its result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from tours.content.assembly.sources import SourceData, SourceFeature
from tours.text import SLUG_MAX, slugify

#: What a file's metadata is called in the report, by format and attribute.
_METADATA_NAMES = {
    ("GeoJSON", "name"): 'the FeatureCollection\'s "name" member (its layer name)',
    ("GPX", "name"): "the GPX file's <name>",
    ("GPX", "description"): "the GPX file's <desc>",
    ("KML", "name"): "the KML document's <name>",
    ("KML", "description"): "the KML document's <description>",
}


@dataclass
class SlugChoice:
    """The slug, where it came from (``option``: --slug, ``file``: the file's own, or
    ``made`` from the title and city, which storing refuses when it names another tour),
    and the slugs the same files made before they had a title (the file's name, with
    the city and without): storing adds a version to such a draft, not a new tour."""

    slug: str
    origin: str
    earlier: list[str] = field(default_factory=list)


def choose_slug(
    given: str | None,
    source_props: dict[str, Any],
    props: dict[str, Any],
    file: str,
    notes: list[str],
) -> SlugChoice:
    """``--slug``, else the file's own (an exported tour), else made from the title and the
    city: two cities' ``route.geojson`` never share a slug by their file name.  A made
    slug adds a note saying so to ``notes``."""
    own = source_props.get("slug")
    own = own.strip() if isinstance(own, str) and own.strip() else None
    if given or own:
        return SlugChoice(given or own or "", "option" if given else "file")
    title = props.get("title") or {}
    words = slugify(next(iter(title.values()), "")) if isinstance(title, dict) else ""
    origin = "title"
    stem = slugify(PurePath(file).stem)
    if not words:
        # No title yet: the file's name stands in for it, with the city beside it.
        words, origin = stem, "file name (no title)"
    city = slugify(props.get("city") or "")
    slug = _with_city(words, city) or "tour"
    if city and slug != words:
        origin += " and city"
    earlier = [s for s in dict.fromkeys((_with_city(stem, city), stem)) if s]
    notes.append(f"The tour's slug {slug!r} comes from its {origin}; --slug NAME chooses another.")
    return SlugChoice(slug, "made", earlier)


def _with_city(words: str, city: str) -> str:
    if not city or f"-{city}-" in f"-{words}-":
        return words
    return f"{words[: SLUG_MAX - len(city) - 1].rstrip('-')}-{city}".strip("-")


def metadata_note(
    roles: list[tuple[str, SourceData]],
    key: str,
    value: str,
    notes: list[str],
    not_carried: list[str],
) -> None:
    """Note which file's metadata became the tour's ``key``; a GeoJSON layer name used so
    leaves ``not_carried``."""
    attribute = {"title": "name", "summary": "description"}[key]
    source = next(s for _, s in roles if getattr(s, attribute) == value)
    unlisted = None
    if source.format == "GeoJSON" and attribute == "name":
        unlisted = f'the FeatureCollection\'s "name" member ({source.file})'
    what = _METADATA_NAMES.get((source.format, attribute), f"the file's {attribute}")
    name = PurePath(source.file).name
    notes.append(f"The tour's {key} comes from {what} of {name}: {value!r}.")
    not_carried[:] = [n for n in not_carried if n != unlisted]


def route_id(
    line: SourceFeature, props: dict[str, Any], notes: list[str], not_carried: list[str]
) -> None:
    """Keep the route feature's own ``id`` (beside its properties) as ``source_id`` (the
    profile would read a route's ``id`` as its slug), with a note; listed as not carried
    over when ``source_id`` is taken."""
    if line.foreign_id is None:
        return
    if "source_id" in props:
        not_carried.append(
            f"{line.where()}: the route's id {line.foreign_id!r} (source_id is taken)"
        )
        return
    props["source_id"] = line.foreign_id
    notes.append(f"The route's own id {line.foreign_id!r} is kept as source_id: {line.where()}.")
