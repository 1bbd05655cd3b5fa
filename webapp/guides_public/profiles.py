"""What visitors see of a guide: the profile resolved in their language, no contact data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from guides.profiles import GuideProfile
from tours.booking import departures as deps
from tours.errors import TourNotFound
from tours.i18n import Resolved
from webapp.common.departure_views import DepartureView, load_departure_views
from webapp.common.tourcache import tour_cache

LEVEL_NAMES = {
    "native": _l("native"),
    "fluent": _l("fluent"),
    "conversational": _l("conversational"),
}


@dataclass(frozen=True)
class TourLink:
    slug: str
    title: Resolved


@dataclass(frozen=True)
class ProfileView:
    guide: GuideProfile
    bio: Resolved | None
    origin: Resolved | None
    tours: list[TourLink]
    sessions: list[DepartureView]


def _resolve(text: Any, lang: str) -> Resolved | None:
    resolved = text.resolve(lang, "es")
    return resolved if resolved is not None and resolved.text.strip() else None


def profile_view(db_session: Session, guide: GuideProfile, lang: str) -> ProfileView:
    """The guide in ``lang``: bio and origin with fallback, tours by title, next walks."""
    links = []
    for slug in guide.tours:
        try:
            tour = tour_cache().get(db_session, slug).tour
        except TourNotFound:
            continue
        title = tour.title.resolve(lang, tour.default_language)
        links.append(TourLink(slug, title or Resolved(slug, lang, lang)))
    upcoming = deps.upcoming(db_session, guide_id=guide.id, limit=10)
    return ProfileView(
        guide=guide,
        bio=_resolve(guide.bio, lang),
        origin=_resolve(guide.origin, lang),
        tours=links,
        sessions=load_departure_views(db_session, upcoming, lang),
    )


def api_item(guide: GuideProfile, lang: str, photo_url: str | None, links: dict) -> dict:
    """A guide in the JSON API: profile only, never an email or a phone number."""
    bio, origin = _resolve(guide.bio, lang), _resolve(guide.origin, lang)
    return {
        "id": guide.id,
        "name": guide.display_name,
        "languages": [language.to_json() for language in guide.languages],
        "origin": origin.text if origin else None,
        "bio": bio.text if bio else None,
        "language": bio.language if bio else lang,
        "fallback": bool(bio and bio.is_fallback),
        "bio_languages": guide.bio.languages,
        "tours": list(guide.tours),
        "photo": photo_url,
        "sample": guide.sample,
        "links": links,
    }
