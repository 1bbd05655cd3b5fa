"""The public site: the tour catalogue, one page per tour, and a health check.

Views stay thin: the tour cache reads the database, ``tours.tour.catalogue`` summarises,
and the small view models below pick each text in the visitor's language, keeping
track of which texts fell back to another language so the page can say so.  A tour
page is rendered once per tour version and language and cached (see the end of this
module); only the per-request parts are rendered on every view.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from babel.lists import format_list
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape

from tours.i18n import Fallback, LocalizedText, Resolved
from tours.stories.document import Credit
from tours.stories.uses import told_by
from tours.tour.catalogue import TourSummary, group_by_place
from tours.tour.domain import Media, Stop
from tours.tour.geometry import Leg
from webapp.common.database import get_db
from webapp.common.departure_views import (
    DEPARTURES_SHOWN,
    DepartureView,
    departure_list_date,
    next_dates_by_tour,
    tour_departure_views,
)
from webapp.common.errors import csp_nonce, nonce_placeholder
from webapp.common.httpcache import (
    PIECE_GZIP_LEVEL,
    PiecedBody,
    piece_tag,
    pieced_response,
)
from webapp.common.i18n import (
    babel_locale,
    content_fallback,
    content_language,
    current_language,
    interface_note,
    language_name,
)
from webapp.common.maps import point_map_html, text_direction, tour_map_html
from webapp.common.tiles import tiles_from_config
from webapp.common.tourcache import CachedTour, LiveTour, tour_cache
from webapp.media.store import media_key
from webapp.media.views import ImageView, alt_text, image_view
from webapp.public.pagecache import Holes, PageShell, page_cache

bp = Blueprint("public", __name__, template_folder="templates")
bp.add_app_template_filter(text_direction, "direction")
bp.add_app_template_filter(departure_list_date, "departure_list_date")

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
DEPARTURES_TEMPLATE = "departures/_tour_departures.html"
#: Cards on one page of the catalogue: a page renders in about the same time however
#: many tours there are (docs/performance.md, ``bench/catalogue_bench.py``).
CATALOGUE_PAGE_SIZE = 12


def resolve(text: LocalizedText, lang: str, default: Fallback) -> Resolved | None:
    """``text`` in ``lang`` with the core's fallback chain; None when empty."""
    resolved = text.resolve(lang, default)
    return resolved if resolved is not None and resolved.text.strip() else None


def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in PARAGRAPH_BREAK.split(text) if part.strip()]


def safe_link(url: str) -> str | None:
    """Only http(s) URLs become links: a ``javascript:`` URL in content stays inert text."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def fallback_note(texts: Iterable[Resolved | None], lang: str) -> str | None:
    """One note for a page's ``texts``: "Shown in Spanish: not yet translated into Basque"
    when all fell back, "Some texts are shown in English and Spanish: …" when some did;
    None when none did.  Each text carries its own ``lang``, so it need not be said again."""
    shown = [resolved for resolved in texts if resolved is not None]
    fell = [resolved for resolved in shown if resolved.is_fallback]
    if not fell:
        return None
    languages = dict.fromkeys(resolved.language for resolved in fell)
    names = format_list(
        [language_name(tag) for tag in languages], locale=babel_locale(current_language())
    )
    if len(fell) == len(shown):
        return gettext(
            "Shown in %(shown)s: not yet translated into %(requested)s",
            shown=names,
            requested=language_name(lang),
        )
    return gettext(
        "Some texts are shown in %(shown)s: not yet translated into %(requested)s",
        shown=names,
        requested=language_name(lang),
    )


@dataclass(frozen=True)
class RecordingView:
    """A recording Bidean stores, played from the stop, its transcript beside the player."""

    src: str
    mime: str | None
    transcript: Resolved | None
    transcript_paragraphs: list[str]


@dataclass(frozen=True)
class MediaView:
    url: str | None
    type: str
    caption: Resolved | None
    credit: str | None
    image: ImageView | None = None  # an image Bidean stores and serves itself
    recording: RecordingView | None = None  # a resident's recording, played here


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
    leg: Leg | None
    next_number: int | None
    next_name: Resolved | None
    told_by: tuple[Credit, ...] = ()  # the residents who told it, credited as they chose


def media_view(media: Media, lang: str, default: Fallback, subject: LocalizedText) -> MediaView:
    """A link to remote media, or an image from the store with alt text in ``lang``.

    The alt text is the image's ``alt``, else its caption, else ``subject`` (the stop's or
    tour's name), each with the fallback chain: an image never goes without one.
    """
    image = None
    if media.type == "image":
        alt = alt_text((media.alt, media.caption, subject), lang, default)
        image = image_view(media.url, alt)
    return MediaView(
        safe_link(media.url),
        media.type,
        resolve(media.caption, lang, default),
        media.credit,
        image,
        recording_view(media, lang, default),
    )


def recording_src(media: Media) -> str | None:
    """Where a stored recording is served: ``/media/audio/<key>.<ext>`` (route
    ``media.audio``); None for any other media, or a recording of an unknown type."""
    ext = media.recording_extension
    if ext is None:
        return None
    key = media.url.removeprefix("audio:")
    if "media.audio" in current_app.view_functions:
        return url_for("media.audio", key=key, ext=ext)
    return f"{request.script_root}/media/audio/{key}.{ext}"


def recording_view(media: Media, lang: str, default: Fallback) -> RecordingView | None:
    """A stored recording with its transcript in ``lang`` (else the fallback chain, marked
    by its own language on the page)."""
    src = recording_src(media)
    if src is None:
        return None
    transcript = resolve(media.transcript, lang, default)
    return RecordingView(
        src, media.mime, transcript, paragraphs(transcript.text) if transcript else []
    )


def cover_image(
    summary: TourSummary, lang: str, fallback: tuple[str, ...] = ()
) -> ImageView | None:
    """The tour's cover: the first stored image of its published stops, in walking order."""
    for cover in summary.covers:
        if media_key(cover.url):
            alt = alt_text(
                (cover.alt, cover.caption, cover.stop_name),
                lang,
                (*fallback, summary.default_language),
            )
            view = image_view(cover.url, alt)
            if view is not None:
                return view
    return None


def stop_views(cached: CachedTour, lang: str, fallback: tuple[str, ...] = ()) -> list[StopView]:
    """The published stops in tour order, every text resolved for ``lang``, then the
    ``fallback`` languages, then the tour's default."""
    default = (*fallback, cached.tour.default_language)
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
                media=[media_view(m, lang, default, stop.name) for m in stop.media],
                leg=leg,
                next_number=index + 2 if following else None,
                next_name=resolve(following.name, lang, default) if following else None,
                told_by=told_by(stop, cached.tour),
            )
        )
    return views


@dataclass(frozen=True)
class TourIntro:
    title: Resolved | None
    summary: Resolved | None
    credits: Resolved | None


def tour_intro(cached: CachedTour, lang: str, fallback: tuple[str, ...] = ()) -> TourIntro:
    tour = cached.tour
    default = (*fallback, tour.default_language)
    return TourIntro(
        title=resolve(tour.title, lang, default),
        summary=resolve(tour.summary, lang, default),
        credits=resolve(tour.credits, lang, default),
    )


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: answers without touching the database."""
    return jsonify(status="ok")


@bp.get("/")
def catalogue() -> str:
    """Every tour, grouped by city and district, ``CATALOGUE_PAGE_SIZE`` cards a page."""
    page = catalogue_page_number(request.args.get("page"))
    lang = current_language()
    with get_db().transaction() as db_session:
        ordered = tour_cache().in_catalogue_order(db_session, lang)
    pages = max(1, math.ceil(len(ordered) / CATALOGUE_PAGE_SIZE))
    if page > pages:
        abort(404)
    shown = ordered[(page - 1) * CATALOGUE_PAGE_SIZE : page * CATALOGUE_PAGE_SIZE]
    # Each card's texts fall back through the visitor's languages that its tour has.
    fallbacks = {summary.slug: content_fallback(summary.languages, lang) for summary in shown}
    covers = {
        summary.slug: cover_image(summary, lang, fallbacks[summary.slug]) for summary in shown
    }
    return render_template(
        "public/catalogue.html",
        groups=group_by_place(shown, lang),
        covers=covers,
        fallbacks=fallbacks,
        next_dates=next_dates_by_tour([summary.slug for summary in shown], lang),
        pagination=Pagination(
            page,
            pages,
            catalogue_page_url(page - 1) if page > 1 else None,
            catalogue_page_url(page + 1) if page < pages else None,
        ),
    )


@dataclass(frozen=True)
class Pagination:
    page: int
    pages: int
    previous_url: str | None
    next_url: str | None


def catalogue_page_number(raw: str | None) -> int:
    """``?page=`` as a page number from 1; anything else is a page that does not exist."""
    if raw is None:
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        abort(404)
    return int(raw)


def catalogue_page_url(page: int) -> str:
    """The catalogue's ``page``, keeping the ``?lang=`` the visitor chose."""
    params: dict[str, object] = {"page": page} if page > 1 else {}
    if "lang" in request.args:
        params["lang"] = request.args["lang"]
    return url_for("public.catalogue", **params)


@bp.get("/tours/<slug>")
def tour_page(slug: str) -> Response | str:
    """One tour: map, introduction and every published stop in walking order."""
    live = tour_cache().live(get_db(), slug, DEPARTURES_SHOWN)
    lang = content_language(live.cached.tour.languages)
    fallback = content_fallback(live.cached.tour.languages, lang)
    if not page_cache().enabled or current_app.jinja_env.auto_reload:
        sessions = tour_departure_views(
            live.cached, live.departures, lang, live.upcoming.guide_names
        )
        return render_tour(live.cached, lang, sessions=sessions, fallback=fallback)
    return cached_tour_page(live, lang, fallback)


# --- the cached tour page -------------------------------------------------------------
# Rendering tour.html (dozens of translated strings and formatted numbers) costs far more
# than serving it, and it changes only with the tour version, the language (and the
# visitor's fallback languages, bounded by the tour's: ``content_fallback``) and the tile
# settings.  So it is rendered once per such key into a shell with holes for what each
# request must get afresh: its CSP nonce, live seats and, with a query string, the
# language links that keep it.


def cached_tour_page(live: LiveTour, lang: str, fallback: tuple[str, ...] = ()) -> Response:
    """The tour page from its cached shell, the holes filled for this request."""
    cached = live.cached
    # The switcher's links keep the query string: only without one can the shell hold them.
    switcher_in_shell = all(name == "lang" for name in request.args)
    depends_on = (
        lang,
        fallback,
        current_language(),
        tiles_from_config(current_app.config),
        request.script_root,
        request.path,
        switcher_in_shell,
    )
    slug, version = cached.stored.slug, cached.stored.version
    shell = page_cache().page(
        (slug, version, depends_on),
        lambda: tour_shell(cached, lang, switcher_in_shell, fallback),
    )
    # The departures block is rendered from the page's key, the departures (seats
    # included) and their guides' names, and from nothing else: with the key of the list
    # they came in (its departures version), or else with themselves, in its key it is
    # never stale.
    upcoming = live.upcoming
    listing = upcoming.key
    if listing is None:
        listing = (tuple(upcoming.departures), *sorted(upcoming.guide_names.items()))
    # Filled into the shell and deflated once per list of walks (and per shell: one
    # rendered again may differ, if only in its map's generated ids).
    body = page_cache().fragment(
        (slug, version, (depends_on, "sessions", listing, shell.tag)),
        lambda: pieced_with_departures(
            shell,
            departures_block(
                cached,
                tour_departure_views(cached, upcoming.departures, lang, upcoming.guide_names),
            ),
        ),
    )
    # The nonce is the request's own; the ETag is named by what else the page is made of.
    filled = {"nonce": str(escape(csp_nonce()))}
    if switcher_in_shell:
        return pieced_response(body.body, filled, body.tag)
    # Links that keep this request's query string (rare: links in from elsewhere): near
    # the top, they would leave the rest of the page nothing to refer back to, so such a
    # page is compressed whole on its request, and its ETag hashed from its body.
    filled["language_switcher"] = render_block(
        "base.html", "language_switcher", page_languages=cached.tour.languages
    )
    return Response(
        body.body.plain({name: value.encode() for name, value in filled.items()}),
        mimetype="text/html",
    )


@dataclass(frozen=True)
class TourBody:
    """A tour page's shell with its departures block, ready to serve (``PiecedBody``), and
    the tag naming what it was made of."""

    body: PiecedBody
    tag: str

    @property
    def size(self) -> int:
        return self.body.size + len(self.tag)


def pieced_with_departures(shell: PageShell, block: str) -> tuple[TourBody, bool]:
    """``shell`` with its departures ``block``, and whether a cache may keep it: not if the
    block holds this request's nonce (then it is not compressed, and its tag leaves the
    nonce out as the page's ETag does)."""
    nonce = csp_nonce()
    kept = nonce not in block
    level = PIECE_GZIP_LEVEL if kept else None
    body = shell.pieced({"sessions": block}, {"nonce": len(escape(nonce))}, level)
    return TourBody(body, piece_tag((shell.tag, block.replace(nonce, "")))), kept


def render_tour(
    cached: CachedTour,
    lang: str,
    holes: Holes | None = None,
    sessions: list[DepartureView] | None = None,
    *,
    fallback: tuple[str, ...] = (),
) -> str:
    """The whole tour page with its upcoming ``sessions``, or with ``holes`` the page with
    markers where they go (the departures block is one of them)."""
    stops = stop_views(cached, lang, fallback)
    intro = tour_intro(cached, lang, fallback)
    return render_template(
        "public/tour.html",
        tour=cached.tour,
        stored=cached.stored,
        summary=cached.summary,
        intro=intro,
        stops=stops,
        content_note=fallback_note([intro.title, intro.summary, *(s.story for s in stops)], lang),
        map_html=tour_map_html(cached.stored, lang, fallback, styles=False),
        meeting_map_html=meeting_map(stops[0], lang) if stops else None,
        page_holes=holes,
        page_languages=cached.tour.languages,
        content_lang=lang,
        interface_note=interface_note(lang),
        tour_departures=sessions or [],
    )


def meeting_map(meeting: StopView, lang: str) -> Markup:
    """A small map of the meeting point (the first stop), as the booking form shows it.

    Its scripts come with the tour map below it (one copy of Leaflet per page) and its
    styles with the page's stylesheet bundle.  It is lazy: map.js draws the tour map
    first, then this one once it is scrolled into view (a phone has one map to build
    before the route shows, not two)."""
    label = meeting.name.text if meeting.name else meeting.stop.id
    return point_map_html(meeting.stop.lonlat, label, lang, scripts=False, styles=False, lazy=True)


def tour_shell(
    cached: CachedTour, lang: str, switcher_in_shell: bool, fallback: tuple[str, ...] = ()
) -> PageShell:
    """The tour page to cache, with holes for the nonce, the departures and maybe the links."""
    per_request = ("sessions",) if switcher_in_shell else ("sessions", "language_switcher")
    holes = Holes(("nonce", *per_request))
    with nonce_placeholder(holes.markers["nonce"]):
        html = render_tour(cached, lang, holes, fallback=fallback)
    return PageShell.cut(html, holes, once=per_request)


def departures_block(cached: CachedTour, sessions: list[DepartureView]) -> str:
    """The booking departures block, rendered as the page would include it."""
    try:
        current_app.jinja_env.get_template(DEPARTURES_TEMPLATE)
    except TemplateNotFound:
        return ""  # the page includes it with ``ignore missing``
    return render_template(
        DEPARTURES_TEMPLATE,
        tour=cached.tour,
        stored=cached.stored,
        summary=cached.summary,
        tour_departures=sessions,
    )


def render_block(template_name: str, block: str, **extra: object) -> Markup:
    """One ``{% block %}`` of a template, rendered with the usual context for this request
    and ``extra``."""
    context: dict = dict(extra)
    current_app.update_template_context(context)
    template = current_app.jinja_env.get_template(template_name)
    return Markup("".join(template.blocks[block](template.new_context(context))))
