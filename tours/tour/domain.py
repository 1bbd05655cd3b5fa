"""The tour as the rest of Bidean sees it: plain, immutable, already validated.

A ``Tour`` is built from a *normalised* profile document (see
``tours.content.checking.profile``) and turns back into one with ``to_document``; the two
are inverse, which the round-trip property test checks.  Unknown properties are kept in
``extra`` so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from tours.coords import LonLat
from tours.i18n import LocalizedText, base_language
from tours.tour import PROFILE_VERSION
from tours.tour.geometry import Itinerary, RouteGeometry, plan_itinerary

STOP_STATUSES = ("published", "draft", "withdrawn")
DEFAULT_DWELL_MINUTES = 5.0
DEFAULT_PACE_KMH = 4.5

Position = tuple[float, ...]
Line = tuple[Position, ...]

TOUR_KEYS = (
    "profile", "slug", "title", "summary", "city", "timezone", "districts",
    "languages", "duration_minutes", "licence", "credits", "sample",
)  # fmt: skip
#: The types of recording Bidean stores itself (``audio:<key>`` media, with their ``mime``)
#: and the file extension each is served with (``/media/audio/<key>.<ext>``): those of
#: ``webapp.media.audio.MIME_TYPES``, the audio store's.
RECORDING_TYPES = {
    "audio/ogg": "ogg",
    "audio/webm": "webm",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
}

STOP_KEYS = (
    "id", "name", "story", "community", "order", "credits", "status",
    "accessibility", "dwell_minutes", "media", "script",
)  # fmt: skip


def _text(value: Any) -> LocalizedText:
    return LocalizedText(value or {})


def _opt_text(text: LocalizedText) -> dict[str, str] | None:
    return text.to_json() if text else None


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _line(coords: Any) -> Line:
    # The document is normalised (validated numbers), so no per-value conversion is needed.
    return tuple(map(tuple, coords))


@dataclass(frozen=True)
class Media:
    """A photo, recording or link of a stop: where it is, what it is and whom to credit."""

    url: str
    type: str
    caption: LocalizedText = field(default_factory=LocalizedText)
    credit: str | None = None
    alt: LocalizedText = field(default_factory=LocalizedText)  # what an image shows
    #: The resident's contribution (``ctb-…``) this photo or recording comes from.
    contribution: str | None = None
    #: A recording's words per language (the page shows it beside the player).
    transcript: LocalizedText = field(default_factory=LocalizedText)
    #: A stored recording's type (``audio/ogg``…), which names its file's extension.
    mime: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Media:
        return cls(
            data["url"],
            data["type"],
            _text(data.get("caption")),
            data.get("credit"),
            _text(data.get("alt")),
            data.get("contribution"),
            _text(data.get("transcript")),
            data.get("mime"),
        )

    @property
    def recording_extension(self) -> str | None:
        """The extension a stored recording is served with (None: not one, or no type)."""
        if self.type != "audio" or not self.url.startswith("audio:"):
            return None
        return RECORDING_TYPES.get(self.mime or "")

    def to_json(self) -> dict[str, Any]:
        return _drop_none(
            {
                "url": self.url,
                "type": self.type,
                "caption": _opt_text(self.caption),
                "alt": _opt_text(self.alt),
                "credit": self.credit,
                "contribution": self.contribution,
                "transcript": _opt_text(self.transcript),
                "mime": self.mime,
            }
        )


@dataclass(frozen=True)
class Stop:
    """A place on the walk: where it is, its name and story, and what the guide says there."""

    id: str
    position: Position
    name: LocalizedText
    story: LocalizedText = field(default_factory=LocalizedText)
    community: LocalizedText = field(default_factory=LocalizedText)
    order: int | None = None
    credits: str | None = None
    status: str = "published"
    accessibility: LocalizedText = field(default_factory=LocalizedText)
    dwell_minutes: float | None = None
    media: tuple[Media, ...] = ()
    # What the guide says here, per language: never public (see ``to_feature``).
    script: LocalizedText = field(default_factory=LocalizedText)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def lonlat(self) -> LonLat:
        return LonLat(self.position[0], self.position[1])

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @classmethod
    def from_feature(cls, feature: Mapping[str, Any]) -> Stop:
        props = feature.get("properties") or {}
        media = tuple(Media.from_json(m) for m in props.get("media") or ())
        return cls(
            id=props["id"],
            position=tuple(float(v) for v in feature["geometry"]["coordinates"]),
            name=_text(props.get("name")),
            story=_text(props.get("story")),
            community=_text(props.get("community")),
            order=props.get("order"),
            credits=props.get("credits"),
            status=props.get("status", "published"),
            accessibility=_text(props.get("accessibility")),
            dwell_minutes=props.get("dwell_minutes"),
            media=media,
            script=_text(props.get("script")),
            extra={k: v for k, v in props.items() if k not in STOP_KEYS},
        )

    def to_feature(self, *, with_scripts: bool = False) -> dict[str, Any]:
        """The stop as a GeoJSON Feature; its guide script only when asked for."""
        props = _drop_none(
            {
                "id": self.id,
                "name": self.name.to_json(),
                "story": _opt_text(self.story),
                "community": _opt_text(self.community),
                "order": self.order,
                "credits": self.credits,
                "status": self.status,
                "accessibility": _opt_text(self.accessibility),
                "dwell_minutes": self.dwell_minutes,
                "media": [m.to_json() for m in self.media] or None,
                "script": _opt_text(self.script) if with_scripts else None,
            }
        )
        props.update(self.extra)
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(self.position)},
            "properties": props,
        }


@dataclass(frozen=True)
class District:
    """A district the tour walks through, with its outline."""

    name: LocalizedText
    geometry: Mapping[str, Any]
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_feature(self) -> dict[str, Any]:
        props = {"name": self.name.to_json(), **self.extra}
        return {"type": "Feature", "geometry": dict(self.geometry), "properties": props}


@dataclass(frozen=True)
class Price:
    """What a visitor pays, per person, on the day (Bidean takes no payment).

    ``model`` is ``free``, ``pay-what-you-want`` (``amount`` is the suggested one, if any)
    or ``fixed``; ``currency`` is an ISO 4217 code.
    """

    model: str
    amount: float | None = None
    currency: str | None = None

    @classmethod
    def from_json(cls, value: Any) -> Price | None:
        if not isinstance(value, Mapping) or "model" not in value:
            return None
        amount = value.get("amount" if value["model"] == "fixed" else "suggested")
        return cls(str(value["model"]), amount, value.get("currency"))


@dataclass(frozen=True, eq=True)
class Tour:
    """A validated tour: metadata, one route, stops and optional district outlines."""

    slug: str
    title: LocalizedText
    summary: LocalizedText
    city: str
    timezone: str
    districts: tuple[str, ...]
    languages: tuple[str, ...]
    licence: str
    route: tuple[Line, ...]
    stops: tuple[Stop, ...]
    district_areas: tuple[District, ...] = ()
    credits: LocalizedText = field(default_factory=LocalizedText)
    duration_minutes: int | None = None
    sample: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Set on a lean copy (``without_route``): the published itinerary planned before the
    #: route was dropped, so the copy still knows its stop order, legs and bounds.
    planned: Itinerary | None = field(default=None, compare=False, repr=False)

    @property
    def default_language(self) -> str:
        return self.languages[0] if self.languages else "es"

    @property
    def price(self) -> Price | None:
        """The declared price model (kept with the other properties as ``price``)."""
        return Price.from_json(self.extra.get("price"))

    @cached_property
    def geometry(self) -> RouteGeometry:
        return RouteGeometry([list(line) for line in self.route])

    def with_geometry(self, geometry: RouteGeometry) -> Tour:
        """This tour, given its route already measured (the profile's check measures the
        route as stored; building it again cost a fifth of an import).

        Raises ``ValueError`` when ``geometry`` is not of this route (other vertices)."""
        positions = geometry.positions
        vertices = [position[:2] for line in self.route for position in line]
        if len(positions) != len(vertices) or any(
            tuple(positions[i]) != tuple(vertices[i]) for i in (0, len(vertices) // 2, -1)
        ):
            raise ValueError(f"that geometry is not the route of {self.slug}")
        self.__dict__["geometry"] = geometry  # where the cached property keeps its value
        return self

    def itinerary(
        self, pace_kmh: float = DEFAULT_PACE_KMH, *, published_only: bool = True
    ) -> Itinerary:
        """Tour order, legs and times of the published stops (indices into ``public_stops``)."""
        if self.planned is not None:
            if not published_only:
                raise ValueError("a tour without its route knows only its published itinerary")
            return self.planned.at_pace(pace_kmh)
        stops = self.public_stops if published_only else self.stops
        return plan_itinerary(
            self.geometry,
            [s.lonlat for s in stops],
            [s.order for s in stops],
            pace_kmh=pace_kmh,
            dwell_minutes=[
                s.dwell_minutes if s.dwell_minutes is not None else DEFAULT_DWELL_MINUTES
                for s in stops
            ],
        )

    def without_route(self, itinerary: Itinerary) -> Tour:
        """A lean copy for caches: no route (nor its segment index), the published
        ``itinerary`` (planned from this tour) kept instead.  It cannot become a document."""
        return replace(self, route=(), planned=itinerary)

    @property
    def public_stops(self) -> tuple[Stop, ...]:
        """Published stops only: draft and withdrawn stops never reach the public."""
        return tuple(s for s in self.stops if s.is_published)

    def ordered_public_stops(self) -> list[Stop]:
        stops = self.public_stops
        return [stops[i] for i in self.itinerary().order] if stops else []

    @property
    def route_geometry_json(self) -> dict[str, Any]:
        if len(self.route) == 1:
            return {"type": "LineString", "coordinates": list(map(list, self.route[0]))}
        return {
            "type": "MultiLineString",
            "coordinates": [list(map(list, line)) for line in self.route],
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Tour:
        """Build from a normalised profile document (``checking.profile.normalize``)."""
        route_feature: Mapping[str, Any] | None = None
        stops: list[Stop] = []
        districts: list[District] = []
        for feature in doc["features"]:
            gtype = feature["geometry"]["type"]
            if gtype == "Point":
                stops.append(Stop.from_feature(feature))
            elif gtype in ("LineString", "MultiLineString"):
                route_feature = feature
            elif gtype in ("Polygon", "MultiPolygon"):
                props = feature.get("properties") or {}
                districts.append(
                    District(
                        _text(props.get("name")),
                        feature["geometry"],
                        {k: v for k, v in props.items() if k != "name"},
                    )
                )
        if route_feature is None:
            raise ValueError("a normalised tour document has a route feature")
        geometry = route_feature["geometry"]
        lines = (
            (geometry["coordinates"],)
            if geometry["type"] == "LineString"
            else geometry["coordinates"]
        )
        props = route_feature.get("properties") or {}
        return cls(
            slug=props["slug"],
            title=_text(props.get("title")),
            summary=_text(props.get("summary")),
            city=props.get("city", ""),
            timezone=props.get("timezone", "UTC"),
            districts=tuple(props.get("districts") or ()),
            languages=tuple(props.get("languages") or ()),
            licence=props.get("licence", ""),
            route=tuple(_line(line) for line in lines),
            stops=tuple(stops),
            district_areas=tuple(districts),
            credits=_text(props.get("credits")),
            duration_minutes=props.get("duration_minutes"),
            sample=bool(props.get("sample", False)),
            extra={k: v for k, v in props.items() if k not in TOUR_KEYS},
        )

    def to_document(
        self, *, published_only: bool = False, with_scripts: bool = False
    ) -> dict[str, Any]:
        """The profile GeoJSON FeatureCollection for this tour.

        Guide scripts are left out unless ``with_scripts``: only storage and an explicit
        ``bidean export --with-scripts`` ask for them, never anything public.
        """
        if not self.route:
            raise ValueError(f"the cached copy of {self.slug} has no route: read the stored tour")
        props = _drop_none(
            {
                "profile": PROFILE_VERSION,
                "slug": self.slug,
                "title": self.title.to_json(),
                "summary": self.summary.to_json(),
                "city": self.city,
                "timezone": self.timezone,
                "districts": list(self.districts),
                "languages": list(self.languages),
                "duration_minutes": self.duration_minutes,
                "licence": self.licence,
                "credits": _opt_text(self.credits),
                "sample": True if self.sample else None,
            }
        )
        props.update(self.extra)
        route = {"type": "Feature", "geometry": self.route_geometry_json, "properties": props}
        stops = self.public_stops if published_only else self.stops
        return {
            "type": "FeatureCollection",
            "features": [
                route,
                *(s.to_feature(with_scripts=with_scripts) for s in stops),
                *(d.to_feature() for d in self.district_areas),
            ],
        }

    @property
    def __geo_interface__(self) -> dict[str, Any]:
        """The seam to shapely and folium: the public FeatureCollection (no scripts)."""
        return self.to_document(published_only=True)


def without_scripts(document: Mapping[str, Any]) -> dict[str, Any]:
    """A stored profile document with every stop's ``script`` removed."""
    features = []
    for feature in document.get("features", ()):
        props = feature.get("properties")
        if isinstance(props, Mapping) and "script" in props:
            props = {k: v for k, v in props.items() if k != "script"}
            feature = {**feature, "properties": props}
        features.append(feature)
    return {**document, "features": features}


def offered(tour: Tour) -> Tour:
    """``tour`` as visitors are offered it: texts only in its declared ``languages``.

    Texts in other languages are partial translations, kept in the stored document (and
    its exports) until the coordinator declares the language.  A text with no declared
    language at all keeps what it has, as the fallback of last resort, so that no stop
    goes without a name.  Scripts are never public and stay as they are.
    """
    bases = frozenset(base_language(tag) for tag in tour.languages)
    if not bases:
        return tour

    def keep(text: LocalizedText) -> LocalizedText:
        declared = {tag: value for tag, value in text.items() if base_language(tag) in bases}
        return text if not declared or len(declared) == len(text) else LocalizedText(declared)

    def stop(s: Stop) -> Stop:
        media = tuple(replace(m, caption=keep(m.caption), alt=keep(m.alt)) for m in s.media)
        return replace(
            s,
            name=keep(s.name),
            story=keep(s.story),
            community=keep(s.community),
            accessibility=keep(s.accessibility),
            media=media,
        )

    return replace(
        tour,
        title=keep(tour.title),
        summary=keep(tour.summary),
        credits=keep(tour.credits),
        stops=tuple(stop(s) for s in tour.stops),
        district_areas=tuple(replace(d, name=keep(d.name)) for d in tour.district_areas),
    )
