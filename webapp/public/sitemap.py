"""``/sitemap.xml`` and ``/robots.txt``: the public pages a search engine may list.

The catalogue, each tour page and its booking page for every upcoming public walk, the
group request pages and the guides' profiles.  Private walks (groups' own) are never read
here: ``upcoming`` leaves them out unless asked, and this page never asks.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import Response, current_app, url_for

from guides.profiles import list_guides
from tours.booking.departures import upcoming
from webapp.common.database import get_db
from webapp.common.tourcache import tour_cache
from webapp.common.urls import public_url_for
from webapp.public.views import bp

# A sitemap file holds at most 50,000 URLs (sitemaps.org); walks beyond are left out.
MAX_URLS = 50_000


def absolute(endpoint: str, **values: object) -> str:
    """An absolute URL: under ``PUBLIC_URL`` when set, else the address this request used."""
    if current_app.config["PUBLIC_URL"]:
        return public_url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def sitemap_urls() -> list[str]:
    """Every public page worth listing, the catalogue first."""
    urls = [absolute("public.catalogue"), absolute("groups.request_form")]
    with get_db().transaction() as db_session:
        summaries = tour_cache().summaries(db_session)
        walks = upcoming(db_session, limit=MAX_URLS)
        guides = [guide.id for guide in list_guides(db_session)]
        slugs_of_walks = [(walk.tour.slug, walk.id) for walk in walks]
    listed = {summary.slug for summary in summaries}
    for summary in summaries:
        urls.append(absolute("public.tour_page", slug=summary.slug))
        urls.append(absolute("groups.tour_request_form", slug=summary.slug))
    urls += [
        absolute("booking.book", slug=slug, session=walk_id)
        for slug, walk_id in slugs_of_walks
        if slug in listed
    ]
    urls += [absolute("guides_public.profile", guide_id=guide_id) for guide_id in guides]
    return urls[:MAX_URLS]


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """The public pages, as a sitemaps.org URL set."""
    entries = "".join(f"<url><loc>{escape(url)}</loc></url>" for url in sitemap_urls())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</urlset>\n"
    )
    response = Response(body, mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/robots.txt")
def robots() -> Response:
    """Crawlers may read the public pages, never the console, bookings or the APIs."""
    lines = [
        "User-agent: *",
        "Disallow: /console/",
        "Disallow: /bookings/",
        "Disallow: /waitlist/",
        "Disallow: /feedback/",
        "Disallow: /api/",
        f"Sitemap: {absolute('public.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
