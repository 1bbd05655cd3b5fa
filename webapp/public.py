"""The public site: the tour catalogue, one page per tour, and a health check.

Views stay thin: the tour cache reads the database, ``tours.catalogue`` summarises,
and the small view models below pick each text in the visitor's language, keeping
track of which texts fell back to another language so the page can say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, render_template
from flask_babel import gettext

from tours.catalogue import group_by_place
from tours.domain import Media, Stop
from tours.geometry import Leg
from tours.i18n import LocalizedText, Resolved
from webapp.database import get_db
from webapp.i18n import current_language, language_name
from webapp.maps import text_direction, tour_map_html
from webapp.tourcache import CachedTour, tour_cache

bp = Blueprint("public", __name__)
bp.add_app_template_filter(text_direction, "direction")

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def resolve(text: LocalizedText, lang: str, default: str) -> Resolved | None:
    """``text`` in ``lang`` with the core's fallback chain; None when empty."""
    resolved = text.resolve(lang, default)
    return resolved if resolved is not None and resolved.text.strip() else None


def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in PARAGRAPH_BREAK.split(text) if part.strip()]


def safe_link(url: str) -> str | None:
    """Only http(s) URLs become links: a ``javascript:`` URL in content stays inert text."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def fallback_note(resolved: Resolved | None, lang: str) -> str | None:
    """ "Shown in Spanish: not yet translated into Basque", or None when nothing fell back."""
    if resolved is None or not resolved.is_fallback:
        return None
    return gettext(
        "Shown in %(shown)s: not yet translated into %(requested)s",
        shown=language_name(resolved.language),
        requested=language_name(lang),
    )


@dataclass(frozen=True)
class MediaView:
    url: str | None
    type: str
    caption: Resolved | None
    credit: str | None


@dataclass(frozen=True)
class StopView:
    """One published stop as the page shows it, with the walk on to the next stop."""

    number: int
    stop: Stop
    name: Resolved | None
    story: Resolved | None
    story_paragraphs: list[str]
    story_languages: list[str]
    community: Resolved | None
    accessibility: Resolved | None
    media: list[MediaView]
    note: str | None
    leg: Leg | None
    next_number: int | None
    next_name: Resolved | None


def media_view(media: Media, lang: str, default: str) -> MediaView:
    return MediaView(
        safe_link(media.url), media.type, resolve(media.caption, lang, default), media.credit
    )


def stop_views(cached: CachedTour, lang: str) -> list[StopView]:
    """The published stops in tour order, every text resolved for ``lang``."""
    default = cached.tour.default_language
    ordered = cached.ordered_stops()
    views = []
    for index, (stop, leg) in enumerate(ordered):
        story = resolve(stop.story, lang, default)
        following = ordered[index + 1][0] if index + 1 < len(ordered) else None
        views.append(
            StopView(
                number=index + 1,
                stop=stop,
                name=resolve(stop.name, lang, default),
                story=story,
                story_paragraphs=paragraphs(story.text) if story else [],
                story_languages=stop.story.languages,
                community=resolve(stop.community, lang, default),
                accessibility=resolve(stop.accessibility, lang, default),
                media=[media_view(m, lang, default) for m in stop.media],
                note=fallback_note(story, lang),
                leg=leg,
                next_number=index + 2 if following else None,
                next_name=resolve(following.name, lang, default) if following else None,
            )
        )
    return views


@dataclass(frozen=True)
class TourIntro:
    title: Resolved | None
    summary: Resolved | None
    credits: Resolved | None
    note: str | None


def tour_intro(cached: CachedTour, lang: str) -> TourIntro:
    tour = cached.tour
    default = tour.default_language
    title = resolve(tour.title, lang, default)
    summary = resolve(tour.summary, lang, default)
    return TourIntro(
        title=title,
        summary=summary,
        credits=resolve(tour.credits, lang, default),
        note=fallback_note(summary, lang) or fallback_note(title, lang),
    )


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: answers without touching the database."""
    return jsonify(status="ok")


@bp.get("/")
def catalogue() -> str:
    """Every tour, grouped by city and district."""
    with get_db().transaction() as session:
        tours = tour_cache().current(session)
    lang = current_language()
    groups = group_by_place((cached.summary for cached in tours), lang)
    return render_template("catalogue.html", groups=groups)


@bp.get("/tours/<slug>")
def tour_page(slug: str) -> str:
    """One tour: map, introduction and every published stop in walking order."""
    with get_db().transaction() as session:
        cached = tour_cache().get(session, slug)
    lang = current_language()
    return render_template(
        "tour.html",
        tour=cached.tour,
        stored=cached.stored,
        summary=cached.summary,
        intro=tour_intro(cached, lang),
        stops=stop_views(cached, lang),
        map_html=tour_map_html(cached.stored, lang),
    )
