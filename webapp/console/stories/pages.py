"""What the queue and a contribution's page show, read once per request: where each
contribution was proposed (a tour's stop by their names, or its pin), its media, and its
consent as short badges in interface words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tours.errors import TourNotFound
from tours.stories.consent import (
    CREDIT_ANONYMOUS,
    CREDIT_CHOSEN_NAME,
    CREDIT_FIRST_NAME,
    CREDIT_FULL_NAME,
    LICENCE_CC_BY,
    LICENCE_CC_BY_SA,
    LICENCE_SITE_ONLY,
    METHOD_PAPER,
    METHOD_SPOKEN,
    METHOD_WEB,
)
from tours.stories.models import (
    ACCEPTED,
    AUDIO,
    DECLINED,
    IMAGE,
    PENDING,
    WITHDRAWN,
    Contribution,
    ContributionConsent,
)
from tours.tour.store import newest_version, tour_listings
from webapp.common.i18n import current_language, language_name
from webapp.console.wording import stop_names_by_id, title_in
from webapp.media.audio import MIME_TYPES
from webapp.media.views import ImageView, image_view

STATUS_WORDS = {
    PENDING: _l("Waiting for a decision"),
    ACCEPTED: _l("Accepted into a draft"),
    DECLINED: _l("Declined"),
    WITHDRAWN: _l("Withdrawn"),
}
CREDIT_WORDS = {
    CREDIT_FULL_NAME: _l("Full name"),
    CREDIT_FIRST_NAME: _l("First name"),
    CREDIT_CHOSEN_NAME: _l("Chosen name"),
    CREDIT_ANONYMOUS: _l("Anonymous"),
}
LICENCE_WORDS = {  # a licence's name is the same in every language
    LICENCE_CC_BY: "CC BY 4.0",
    LICENCE_CC_BY_SA: "CC BY-SA 4.0",
    LICENCE_SITE_ONLY: _l("This site only"),
}
METHOD_WORDS = {
    METHOD_WEB: _l("Web form"),
    METHOD_PAPER: _l("Paper form"),
    METHOD_SPOKEN: _l("Spoken, witnessed"),
}
EXTENSIONS = {mime: ext for ext, mime in MIME_TYPES.items()}


@dataclass(frozen=True)
class Badge:
    kind: str  # credit, use, media, licence, method; "no" for what is not allowed
    text: str


@dataclass(frozen=True)
class Recording:
    src: str
    mime: str
    seconds: float | None


@dataclass
class Line:
    """One contribution as the queue lists it."""

    contribution: Contribution
    status_word: str
    language: str  # the story's language, named in the interface language
    where: str
    photos: int
    recording: float | None  # its length in seconds; None: no recording
    badges: list[Badge] = field(default_factory=list)


class Places:
    """Tour titles and stop names by slug, each tour read once per request."""

    def __init__(self, db_session: Session) -> None:
        self.db_session = db_session
        self.lang = current_language()
        self.listings = {t.slug: t for t in tour_listings(db_session)}
        self._stops: dict[str, dict[str, str]] = {}

    def title(self, slug: str) -> str:
        listing = self.listings.get(slug)
        return title_in(listing.title, self.lang, slug) if listing else slug

    def stop_names(self, slug: str) -> dict[str, str]:
        if slug not in self._stops:
            try:
                self._stops[slug] = stop_names_by_id(self.db_session, slug)
            except TourNotFound:
                self._stops[slug] = {}
        return self._stops[slug]

    def district(self, slug: str | None) -> str | None:
        """The first district of a tour's newest version (what "a neighbour of" names)."""
        if not slug or slug not in self.listings:
            return None
        document = newest_version(self.db_session, slug, lock=False).document
        districts = document["features"][0].get("properties", {}).get("districts") or []
        return districts[0] if districts and isinstance(districts[0], str) else None

    def where(self, found: Contribution) -> str:
        """ "Tour · stop", "Tour", a pin's position, or that nothing was said."""
        parts = []
        if found.tour_slug:
            parts.append(self.title(found.tour_slug))
            if found.stop_id:
                parts.append(self.stop_names(found.tour_slug).get(found.stop_id, found.stop_id))
        if found.lon is not None and found.lat is not None:
            parts.append(
                gettext("pin at %(lat)s, %(lon)s", lat=f"{found.lat:.5f}", lon=f"{found.lon:.5f}")
            )
        return " · ".join(parts) or gettext("no place given")

    def stop_choices(self) -> list[tuple[str, str, str]]:
        """(``slug:stop``, stop name, tour title) for every stop of every tour."""
        found = []
        for slug in sorted(self.listings, key=lambda s: self.title(s).casefold()):
            for stop_id, name in self.stop_names(slug).items():
                found.append((f"{slug}:{stop_id}", f"{name} ({stop_id})", self.title(slug)))
        return found

    def tour_choices(self) -> list[tuple[str, str]]:
        return sorted(
            ((slug, self.title(slug)) for slug in self.listings), key=lambda p: p[1].casefold()
        )


def consent_badges(consent: ContributionConsent) -> list[Badge]:
    """The consent at a glance: credit, uses, photos and recording, licence, method."""
    badges = [Badge("credit", gettext("Credit: %(how)s", how=CREDIT_WORDS[consent.credit]))]
    uses = (
        (consent.tour_pages, _l("Tour pages")),
        (consent.guide_scripts, _l("Guides' scripts")),
        (consent.kits and consent.licence != LICENCE_SITE_ONLY, _l("Kits and exports")),
    )
    badges += [Badge("use", str(text)) for yes, text in uses if yes]
    badges.append(
        Badge("media", gettext("Photos allowed"))
        if consent.photos
        else Badge("no", gettext("No photos"))
    )
    badges.append(
        Badge("media", gettext("Recording allowed"))
        if consent.audio
        else Badge("no", gettext("No recording"))
    )
    badges.append(Badge("licence", str(LICENCE_WORDS.get(consent.licence, consent.licence))))
    badges.append(Badge("method", str(METHOD_WORDS.get(consent.method, consent.method))))
    return badges


def line(found: Contribution, places: Places) -> Line:
    recordings = [m for m in found.media if m.kind == AUDIO]
    return Line(
        contribution=found,
        status_word=str(STATUS_WORDS[found.status]),
        language=language_name(found.language),
        where=places.where(found),
        photos=sum(1 for m in found.media if m.kind == IMAGE),
        recording=(recordings[0].duration_seconds or 0.0) if recordings else None,
        badges=consent_badges(found.consent) if found.consent else [],
    )


def lines(found: Iterable[Contribution], places: Places) -> list[Line]:
    return [line(c, places) for c in found]


def photos(found: Contribution) -> list[ImageView]:
    views = (image_view(m.url, None) for m in found.media if m.kind == IMAGE)
    return [v for v in views if v is not None]


def recordings(found: Contribution) -> list[Recording]:
    return [
        Recording(
            url_for("media.audio", key=m.key, ext=EXTENSIONS.get(m.mime, "ogg")),
            m.mime,
            m.duration_seconds,
        )
        for m in found.media
        if m.kind == AUDIO
    ]


def transcript_languages(found: Contribution) -> list[str]:
    """The languages the edit form offers a transcript in: the story's, then those it has."""
    return list(dict.fromkeys([found.language, *sorted(found.transcript or {})]))


def minutes(seconds: float | None) -> str:
    """A recording's length as m:ss."""
    whole = round(seconds or 0)
    return f"{whole // 60}:{whole % 60:02d}"
