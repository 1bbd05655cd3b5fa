"""The public JSON API: tours, one tour with its stops and legs, and its GeoJSON.

Read-only and open to any origin (``Access-Control-Allow-Origin: *``).  Texts are
resolved for the requested language with the core's fallback chain, and each
localized field says which language it is actually in and whether it fell back.
Only published stops are ever serialised.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext
from werkzeug.exceptions import BadRequest

from tours.content.publishing.export import to_gpx
from tours.i18n import Fallback, LocalizedText, normalize_tag
from tours.tour.catalogue import TourSummary
from tours.tour.domain import Stop
from webapp.api.docs import register_docs
from webapp.common.api import openapi
from webapp.common.api.pagination import next_link, page_request, with_next_link
from webapp.common.database import get_db
from webapp.common.i18n import LANGUAGES, content_fallback, default_language
from webapp.common.tourcache import CachedTour, downloadable, tour_cache, with_route
from webapp.common.urls import public_url_for

bp = Blueprint("api", __name__, url_prefix="/api")
register_docs()

CORS_METHODS = ("GET", "HEAD", "OPTIONS")
ONE_YEAR = 31_536_000


def content_language(available: Iterable[str] = ()) -> str:
    """``?lang=`` (any well-formed BCP 47 tag), else the best ``Accept-Language`` match."""
    raw = request.args.get("lang")
    if raw is not None:
        try:
            return normalize_tag(raw.strip())
        except ValueError:
            raise BadRequest(
                gettext(
                    "The lang parameter “%(value)s” is not a language tag: "
                    "use one such as es, eu, en, fr or ar.",
                    value=raw[:40],
                )
            ) from None
    candidates = list(dict.fromkeys([*LANGUAGES, *available]))
    return request.accept_languages.best_match(candidates) or default_language()


class Texts:
    """Resolves localized fields for one language, remembering language and fallback."""

    def __init__(self, lang: str, default: Fallback) -> None:
        self.lang = lang
        self.default = default
        self.languages: dict[str, str] = {}
        self.fallback: dict[str, bool] = {}

    def get(self, field: str, text: LocalizedText) -> str | None:
        resolved = text.resolve(self.lang, self.default)
        if resolved is None:
            return None
        self.languages[field] = resolved.language
        self.fallback[field] = resolved.is_fallback
        return resolved.text


def tour_links(slug: str) -> dict[str, str]:
    return {
        "self": public_url_for("api.tour_detail", slug=slug),
        "geojson": public_url_for("api.tour_geojson", slug=slug),
        "gpx": public_url_for("api.tour_gpx", slug=slug),
        "html": public_url_for("public.tour_page", slug=slug),
    }


def tour_item(summary: TourSummary, lang: str) -> dict[str, Any]:
    """The fields a listing shows; the detail adds to them."""
    fallback = content_fallback(summary.languages, lang)
    texts = Texts(lang, (*fallback, summary.default_language))
    return {
        "slug": summary.slug,
        "version": summary.version,
        "title": texts.get("title", summary.title) or summary.slug,
        "summary": texts.get("summary", summary.summary) or "",
        "city": summary.city,
        "districts": list(summary.districts),
        "distance_m": round(summary.distance_m, 1),
        "walk_minutes": round(summary.walk_minutes, 1),
        "duration_minutes": summary.duration_minutes,
        "stop_count": summary.stop_count,
        "languages": list(summary.languages),
        "sample": summary.sample,
        "language": lang,
        "text_languages": texts.languages,
        "fallback": texts.fallback,
        "links": tour_links(summary.slug),
    }


def stop_item(number: int, stop: Stop, lang: str, default: Fallback) -> dict[str, Any]:
    texts = Texts(lang, default)
    lonlat = stop.lonlat
    return {
        "id": stop.id,
        "number": number,
        "position": [lonlat.lon, lonlat.lat],
        "name": texts.get("name", stop.name) or stop.id,
        "story": texts.get("story", stop.story),
        "community": texts.get("community", stop.community),
        "accessibility": texts.get("accessibility", stop.accessibility),
        "credits": stop.credits,
        "dwell_minutes": stop.dwell_minutes,
        "story_languages": stop.story.languages,
        "media": [
            {
                "url": media.url,
                "type": media.type,
                "caption": media.caption.get_text(lang, default) or None,
                "credit": media.credit,
            }
            for media in stop.media
        ],
        "text_languages": texts.languages,
        "fallback": texts.fallback,
    }


def tour_detail_json(cached: CachedTour, lang: str) -> dict[str, Any]:
    tour, itinerary = cached.tour, cached.itinerary
    default = tour.default_language
    data = tour_item(cached.summary, lang)
    # The client's other Accept-Language languages come before the tour's default.
    chain = (*content_fallback(tour.languages, lang), default)
    credits = Texts(lang, chain)
    ordered = cached.ordered_stops()
    number_of = {stop.id: n for n, (stop, _) in enumerate(ordered, start=1)}
    public = tour.public_stops
    data.update(
        timezone=tour.timezone,
        licence=tour.licence,
        default_language=default,
        credits=credits.get("credits", tour.credits),
        total_minutes=round(itinerary.total_minutes, 1),
        bbox=list(itinerary.bbox),
        stops=[stop_item(n, stop, lang, chain) for n, (stop, _) in enumerate(ordered, start=1)],
        legs=[
            {
                "from": public[leg.from_index].id,
                "to": public[leg.to_index].id,
                "from_number": number_of[public[leg.from_index].id],
                "to_number": number_of[public[leg.to_index].id],
                "distance_m": round(leg.distance_m, 1),
                "walk_minutes": round(leg.walk_minutes, 1),
            }
            for leg in itinerary.legs
        ],
    )
    data["text_languages"].update(credits.languages)
    data["fallback"].update(credits.fallback)
    return data


@bp.get("/tours")
def tour_list() -> Response:
    """Published tours by city then slug, a page at a time (``limit``, ``cursor``; the
    next page in the ``Link`` header), texts in the requested language."""
    wanted = page_request((str, str))
    after = (wanted.after[0], wanted.after[1]) if wanted.after else None
    with get_db().transaction() as db_session:
        rows = tour_cache().summary_page(db_session, after, wanted.limit + 1)
    shown = [summary for _, summary in rows[: wanted.limit]]
    # Accept-Language is matched against the languages of the tours on this page.
    lang = content_language(tag for summary in shown for tag in summary.languages)
    last = rows[wanted.limit - 1][0] if len(rows) > wanted.limit else None
    response = jsonify([tour_item(summary, lang) for summary in shown])
    return with_next_link(response, next_link(public_url_for, "api.tour_list", last, wanted.limit))


@bp.get("/tours/<slug>")
def tour_detail(slug: str) -> Response:
    """One tour with its published stops in order and the walks between them."""
    with get_db().transaction() as db_session:
        cached = tour_cache().get(db_session, slug)
    return jsonify(tour_detail_json(cached, content_language(cached.tour.languages)))


@bp.get("/tours/<slug>.geojson")
def tour_geojson(slug: str) -> Response:
    """The tour as a Bidean-profile GeoJSON document, published stops only.

    ``?v=<version>`` naming the current version (as tour pages link it) may be cached for
    a year: that version never changes.  Without it, or naming another version, the
    current version is served for revalidation (its ETag gives a 304).
    """
    with get_db().transaction() as db_session:
        cached = tour_cache().get(db_session, slug)
    body = tour_cache().geojson_body(get_db(), slug, cached.stored.version)
    response = body.response("application/geo+json")
    response.headers["Content-Disposition"] = f'inline; filename="{cached.tour.slug}.geojson"'
    if request.args.get("v") == str(cached.stored.version):
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response


@bp.get("/tours/<slug>.gpx")
def tour_gpx(slug: str) -> Response:
    """The tour as GPX 1.1: a track and one waypoint per published stop."""
    with get_db().transaction() as db_session:
        cached = tour_cache().get(db_session, slug)
        tour = downloadable(db_session, with_route(cached.stored).tour)
    lang = content_language(cached.tour.languages)
    body = to_gpx(tour.to_document(published_only=True), lang)
    response = Response(body, mimetype="application/gpx+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{cached.tour.slug}.gpx"'
    response.vary.add("Accept-Language")
    return response


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi.build_document(request.host_url.rstrip("/")))


@bp.after_app_request
def allow_any_origin(response: Response) -> Response:
    """Public read-only data: any web page may fetch it (errors included, so JS can read them)."""
    if request.path.startswith("/api/") and request.method in CORS_METHODS:
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        if request.method == "OPTIONS":
            response.headers.setdefault("Access-Control-Allow-Methods", ", ".join(CORS_METHODS))
            response.headers.setdefault("Access-Control-Allow-Headers", "Accept-Language")
            response.headers.setdefault("Access-Control-Max-Age", "86400")
    return response
