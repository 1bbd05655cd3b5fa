"""Forking a tour: its structure copied as a **draft** in another city.

What is copied, and what becomes of it:

* **kept**: the stops (not the withdrawn ones) with their ids and their order (written as
  an explicit ``order``, so moving them keeps it), their fields and every language of
  their texts, the tour's title, summary, languages, duration, price and other
  properties, its licence and its credits, to which a "forked from" line is added in each
  language; the route properties also get ``forked_from`` (slug, version, city, title,
  licence) so the attribution survives any later edit of the credits.
* **kept as a starting point, marked to do**: the route line and the stop positions (they
  are the original city's: a draft needs a route, and the shape helps to plan the local
  one), the stop names and stories.  Every stop becomes a *draft stop*, so the fork cannot
  be published until the local coordinators have placed and rewritten at least one stop
  and set it to ``published``; the to-do list says so stop by stop.
* **dropped**: district names and outlines, and stop media (they show the other city).
* **scripts**: not copied unless asked for (``with_scripts``).  They are the original
  guides' private working notes, written for their own walk; a fork is read by other
  coordinators and guides, and nothing in the tour's public licence covers them.

The caller owns the transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tours.content.translation.translations import counted_stops
from tours.errors import BideanError, TourNotFound
from tours.text import COLUMN_LIMITS, SLUG_MAX, SLUG_PATTERN, breaks_lines, slugify
from tours.tour.store import get_document, save_document, tour_record

# "Forked from" in the languages of the interface; any other language gets English.
FORKED_FROM = {
    "es": "Adaptado de",
    "eu": "Oinarria:",
    "en": "Forked from",
    "fr": "Adapté de",
    "ar": "مقتبس من",
    "pl": "Na podstawie",
    "de": "Abgeleitet von",
    "pt": "Adaptado de",
    "it": "Adattato da",
}


class ForkError(BideanError):
    """The fork cannot be made (bad city or slug, slug taken)."""


@dataclass(frozen=True)
class ForkResult:
    slug: str
    version: int
    source_slug: str
    source_version: int
    todo: list[dict[str, Any]]


# Latin letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ħ": "h", "ı": "i",
     "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th"}
)  # fmt: skip


def fork_slug(slug: str, city: str) -> str:
    """The default slug of a fork: the original's with the city's ("…-wroclaw")."""
    suffix = slugify(city.translate(_LETTERS)) or "fork"
    return f"{slug[: SLUG_MAX - len(suffix) - 1].rstrip('-')}-{suffix}"


def _credit_line(language: str, title: str, slug: str, city: str, version: int) -> str:
    base = language.split("-", 1)[0].lower()
    words = FORKED_FROM.get(base, FORKED_FROM["en"])
    return f"{words} «{title or slug}» ({city}, {slug} v{version})"


def fork_document(
    document: Mapping[str, Any],
    *,
    city: str,
    slug: str,
    source_version: int,
    with_scripts: bool = False,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The fork's document and its to-do list (``{code, pointer, message}`` items)."""
    source = copy.deepcopy(dict(document))
    features = list(source.get("features") or ())
    route = next(
        f
        for f in features
        if (f.get("geometry") or {}).get("type") in ("LineString", "MultiLineString")
    )
    props = dict(route.get("properties") or {})
    old_slug, old_city = str(props.get("slug", "")), str(props.get("city", ""))
    languages = list(props.get("languages") or ())
    title = props.get("title") if isinstance(props.get("title"), Mapping) else {}
    credits = props.get("credits") if isinstance(props.get("credits"), Mapping) else {}
    new_credits = {}
    for language in languages or list(credits):
        line = _credit_line(language, title.get(language, ""), old_slug, old_city, source_version)
        before = str(credits.get(language, "")).strip()
        new_credits[language] = f"{before}\n{line}" if before else line
    props.update(
        slug=slug,
        city=city,
        districts=[],
        credits=new_credits,
        forked_from={
            "slug": old_slug,
            "version": source_version,
            "city": old_city,
            "title": dict(title),
            "licence": props.get("licence"),
        },
    )
    props.pop("status", None)
    props.pop("todo", None)
    todo = [
        {
            "code": "fork.route",
            "pointer": "/features/0/geometry",
            "message": f"The route is still the one in {old_city}: draw the route in {city}.",
        },
        {
            "code": "fork.districts",
            "pointer": "/features/0/properties/districts",
            "message": f"Name the districts of {city} the walk goes through.",
        },
    ]
    order = {ref.id: n for n, ref in enumerate(counted_stops(source), start=1)}
    stops = []
    for feature in features:
        if (feature.get("geometry") or {}).get("type") != "Point":
            continue
        stop = dict(feature.get("properties") or {})
        if stop.get("id") not in order:
            continue  # withdrawn
        stop["order"] = order[stop["id"]]
        stop["status"] = "draft"
        stop.pop("media", None)
        if not with_scripts:
            stop.pop("script", None)
        stops.append({**feature, "properties": stop})
    for index, stop in enumerate(stops, start=1):
        todo.append(
            {
                "code": "fork.stop",
                "pointer": f"/features/{index}",
                "message": (
                    f"Stop {stop['properties']['id']}: place it in {city}, rewrite its name and"
                    ' story (they are the original\'s), then set its "status" to "published".'
                ),
            }
        )
    fork = {**source, "features": [{**route, "properties": props}, *stops]}
    return fork, todo


def check_city(city: str) -> str:
    city = city.strip()
    limit = COLUMN_LIMITS["city"]
    if not city or breaks_lines(city) or len(city) > limit:
        raise ForkError(f"Give the city on one line, 1 to {limit} characters.")
    return city


def fork_tour(
    db_session: Session,
    slug: str,
    city: str,
    new_slug: str | None = None,
    *,
    with_scripts: bool = False,
    shown: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> ForkResult:
    """Store a fork of the current version of ``slug`` as a draft; raises ``TourNotFound``
    for an unknown tour and ``ForkError`` for a bad city or slug.  ``shown`` gives the
    document as it may go to another city (residents' contributions as their consent
    allows kits and exports)."""
    city = check_city(city)
    record = tour_record(db_session, slug)
    version = record.current_version
    document = get_document(db_session, slug, version)
    if shown is not None:
        document = shown(document)
    target = (new_slug or "").strip() or fork_slug(slug, city)
    if len(target) > SLUG_MAX or not SLUG_PATTERN.match(target):
        raise ForkError(
            f"{target!r} cannot be a slug: lowercase letters, digits and single hyphens,"
            f" at most {SLUG_MAX} characters."
        )
    try:
        tour_record(db_session, target)
    except TourNotFound:
        pass
    else:
        raise ForkError(f"A tour {target!r} exists already: choose another slug.")
    fork, todo = fork_document(
        document, city=city, slug=target, source_version=version, with_scripts=with_scripts
    )
    props = fork["features"][0]["properties"]
    stored = save_document(
        db_session,
        fork,
        slug=target,
        city=city,
        languages=list(props.get("languages") or ()),
        title=dict(props.get("title") or {}),
        source_name=f"fork of {slug} version {version}",
        todo=todo,
        draft=True,
    )
    return ForkResult(target, stored, slug, version, todo)
