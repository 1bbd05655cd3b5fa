"""The tour profile's rules for the route's properties: the tour's metadata.

One rule object of :class:`tours.content.checking.profile.ProfileChecker`: it checks the
languages first (every text depends on them), then the slug, city, time zone, districts,
licence, duration and price (:mod:`tours.content.checking.profile_price`), and returns
the route's normalised properties.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any

from tours.content.checking.findings import Findings
from tours.content.checking.geojson_positions import json_type
from tours.content.checking.licences import licence_problem
from tours.content.checking.profile_features import (
    FeatureRef,
    column_length_error,
    found,
    header_text_warning,
)
from tours.content.checking.profile_price import PriceRule
from tours.content.checking.textmaps import TextChecker, canonical_tag, invalid_tag
from tours.content.report import pointer
from tours.text import SLUG_MAX, SLUG_PATTERN, slugify
from tours.tour import PROFILE_VERSION

#: The route property that marks a route drawn as straight lines between the stops.
APPROXIMATE = "approximate_route"
# Misspellings seen in the wild, so "missing licence" can say "you wrote license".
_ALIASES = {
    "licence": ("license", "License", "Licence"),
    "timezone": ("time_zone", "tz", "timeZone", "Timezone"),
    "languages": ("language", "lang", "langs"),
    "summary": ("description", "desc"),
    "title": ("name",),
    "slug": ("id",),
}
# What each required route property is, for "missing" messages.
_MEANING = {
    "slug": 'the URL name, such as "san-francisco-voices"',
    "city": 'the city, such as "Bilbao"',
    "timezone": 'the IANA time zone, such as "Europe/Madrid"',
    "districts": 'the districts walked through, such as ["San Francisco"] (may be [])',
    "languages": 'the languages of the texts, default first, such as ["es", "eu", "en"]',
    "licence": 'the licence of the texts, such as "CC-BY-SA-4.0"',
}


class RouteRules:
    """The rules of the route's properties; ``city`` (when given) overrides the file's."""

    def __init__(self, findings: Findings, city: str | None) -> None:
        self.findings = findings
        self.error = findings.error
        self.warn = findings.warn
        self.city = city
        self.price = PriceRule(findings)

    def languages(self, route: FeatureRef | None) -> list[str]:
        """The tour's canonical languages; checked first, as texts depend on them."""
        if route is None:
            return []
        ptr = route.props_ptr + "/languages"
        value = self._required(route, "languages")
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            self.error(
                "profile.languages",
                ptr,
                "languages must be a non-empty array of language tags, the default first,"
                f' such as ["es", "eu", "en"]; found {found(value)}.',
            )
            return []
        languages: list[str] = []
        for i, tag in enumerate(value):
            canonical = canonical_tag(tag)
            if canonical is None:
                self.findings.note(invalid_tag(tag, f"{ptr}/{i}"))
                continue
            if canonical in languages:
                self.error(
                    "profile.duplicate-language",
                    f"{ptr}/{i}",
                    f'"{tag}" is listed twice in languages (as {canonical}); remove one.',
                )
                continue
            languages.append(canonical)
        return languages

    def properties(self, route: FeatureRef, texts: TextChecker) -> dict[str, Any] | None:
        props, ptr = route.properties, route.props_ptr
        self.findings.labels[ptr] = "The route (tour metadata)"
        self._profile_version(props, ptr)
        result: dict[str, Any] = {}
        result["slug"] = self._slug(route)
        for key in ("title", "summary"):
            result[key] = texts.text(props, key, ptr, required=True, what="The tour")
        self.findings.note(header_text_warning(result["title"], f"{ptr}/title", "The title"))
        result["city"] = self.city or self._string(route, "city")
        self.findings.note(column_length_error(result["city"], "city", f"{ptr}/city"))
        result["timezone"] = self._timezone(route)
        result["districts"] = self._districts_list(route)
        result["languages"] = texts.languages if texts.languages else None
        result["licence"] = self._string(route, "licence")
        if result["licence"]:
            self.findings.note(licence_problem(result["licence"], f"{ptr}/licence"))
        for key in ("credits", "accessibility"):
            if props.get(key) is not None:
                result[key] = texts.text(props, key, ptr)
        if props.get("duration_minutes") is not None:
            result["duration_minutes"] = self._duration(props["duration_minutes"], ptr)
        if props.get("price") is not None:
            result["price"] = self.price.check(props["price"], ptr)
        if props.get("sample") is not None and not isinstance(props["sample"], bool):
            self.error(
                "profile.property-type",
                f"{ptr}/sample",
                f"sample must be true or false, not {json_type(props['sample'])}.",
            )
        self._approximate(props, ptr)
        if any(result.get(k) is None for k in result):
            return None
        known = {*result, "profile", "sample"}
        extra = {k: v for k, v in props.items() if k not in known}
        sample = {"sample": True} if props.get("sample") is True else {}
        return {"profile": PROFILE_VERSION, **result, **sample, **extra}

    def _approximate(self, props: dict[str, Any], ptr: str) -> None:
        """``approximate_route: true`` (a route drawn through the stops by ``--draw-route``)
        is a to-do until the coordinator redraws the route in the editor."""
        value = props.get(APPROXIMATE)
        if value is None or value is False:
            return
        if not isinstance(value, bool):
            self.error(
                "profile.property-type",
                f"{ptr}/{APPROXIMATE}",
                f"{APPROXIMATE} must be true or false, not {json_type(value)}.",
            )
            return
        self.warn(
            "profile.approximate-route",
            f"{ptr}/{APPROXIMATE}",
            "The route is approximate: redraw it in the editor (it joins the stops with"
            " straight lines, not the streets walked).",
        )

    def _profile_version(self, props: dict[str, Any], ptr: str) -> None:
        value = props.get("profile")
        if value is None:
            self.warn(
                "profile.profile-missing",
                f"{ptr}/profile",
                f'The route has no "profile" property; Bidean reads the file as'
                f' "{PROFILE_VERSION}". Add "profile": "{PROFILE_VERSION}" to say so.',
            )
        elif value != PROFILE_VERSION:
            self.warn(
                "profile.profile-version",
                f"{ptr}/profile",
                f'The file says profile {value!r}; Bidean only knows "{PROFILE_VERSION}" and'
                " read it as that. Check the result.",
            )

    def _required(self, feature: FeatureRef, key: str) -> Any:
        """``properties[key]``, or None after reporting that it is missing."""
        value = feature.properties.get(key)
        if value is not None:
            return value
        found = [a for a in _ALIASES.get(key, ()) if a in feature.properties]
        hint = f' (this feature has "{found[0]}": the profile calls it "{key}")' if found else ""
        wrap = (
            " The document is a bare geometry: wrap it in a Feature with properties."
            if feature.bare
            else ""
        )
        self.error(
            "profile.missing-property",
            feature.props_ptr + pointer(key),
            f'The route needs the property "{key}": {_MEANING.get(key, "see the profile")}'
            f"{hint}.{wrap}",
        )
        return None

    def _string(self, feature: FeatureRef, key: str) -> str | None:
        value = self._required(feature, key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(
                "profile.property-type",
                feature.props_ptr + pointer(key),
                f'"{key}" must be non-empty text, not {found(value)}.',
            )
            return None
        return value

    def _slug(self, route: FeatureRef) -> str | None:
        slug = self._string(route, "slug")
        if slug is None:
            return None
        if len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug):
            suggestion = slugify(slug)
            self.error(
                "profile.slug",
                f"{route.props_ptr}/slug",
                f'The slug "{slug}" is not a valid URL name: use lowercase letters, digits and'
                f" single hyphens, at most {SLUG_MAX} characters"
                + (f', for example "{suggestion}".' if suggestion else "."),
            )
            return None
        return slug

    def _timezone(self, route: FeatureRef) -> str | None:
        zone = self._string(route, "timezone")
        if zone is None or _is_zone(zone):
            return zone
        close = [z for z in _zones() if z.lower() == zone.lower()]
        hint = f' Did you mean "{close[0]}"?' if close else ' For Bilbao it is "Europe/Madrid".'
        self.error(
            "profile.timezone",
            f"{route.props_ptr}/timezone",
            f'"{zone}" is not an IANA time zone name (Area/City, case-sensitive).{hint}',
        )
        return None

    def _districts_list(self, route: FeatureRef) -> list[str] | None:
        value = self._required(route, "districts")
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(d, str) and d.strip() for d in value):
            self.error(
                "profile.districts",
                f"{route.props_ptr}/districts",
                'districts must be an array of district names, such as ["San Francisco",'
                f' "Zabala"] (it may be empty); found {found(value)}.',
            )
            return None
        return value

    def _duration(self, value: Any, ptr: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        self.error(
            "profile.duration-minutes",
            f"{ptr}/duration_minutes",
            f"duration_minutes must be a whole number of minutes above 0, not {found(value)};"
            " or leave it out and Bidean computes it.",
        )
        return None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    # Late import, only to keep `bidean validate` fast: zoneinfo and the sysconfig it reads
    # its search path from cost a few milliseconds, and tzdata's index answers for the
    # usual zones (`_tzdata_zones`).
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _tzdata_zones() -> frozenset[str]:
    """The zones the ``tzdata`` package lists, read from its one index file; every one of
    them is in ``available_timezones()``.  Empty without tzdata."""
    spec = importlib.util.find_spec("tzdata")
    folders = spec.submodule_search_locations if spec is not None else None
    if not folders:
        return frozenset()
    try:
        with open(Path(folders[0]) / "zones", encoding="utf-8") as f:
            return frozenset(line.strip() for line in f if line.strip())
    except OSError:
        return frozenset()


def _is_zone(zone: str) -> bool:
    """``zone in available_timezones()``, without walking the system's zoneinfo folders
    (a tenth of a second) for the usual zones, which tzdata's index already lists."""
    return (zone in _tzdata_zones() and zone != "posixrules") or zone in _zones()
