"""``GET /tours/<slug>/kit.zip``: the replication kit of a published tour.

Public, like the tour page: drafts and withdrawn tours answer 404 (the tour cache knows
only published tours).  The zip is built by ``tours.content.publishing.kit.build_kit`` from the
public tour (no scripts, nothing about bookings); the headings of its printable stop
list are this site's translations, each section in its own language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from flask import Response
from flask_babel import force_locale, gettext

from tours.content.publishing.kit import build_kit
from tours.i18n import base_language
from webapp.common.database import get_db
from webapp.common.i18n import LANGUAGES
from webapp.common.tourcache import tour_cache, with_route
from webapp.common.urls import public_url_for
from webapp.public.views import bp


def kit_labels(languages: Iterable[str]) -> dict[str, dict[str, str]]:
    """The printable list's headings in each tour language the interface speaks."""
    labels = {}
    for language in languages:
        base = base_language(language)
        if base not in LANGUAGES:
            continue  # the kit's English headings
        with force_locale(base):
            labels[language] = {
                "stops": gettext("Stops"),
                "credits": gettext("Credits"),
                "licence": gettext("Licence"),
                "minutes": gettext("About %(minutes)s minutes", minutes="{minutes}"),
            }
    return labels


@bp.get("/tours/<slug>/kit.zip")
def tour_kit(slug: str) -> Response:
    """The tour as GeoJSON and GPX, a printable stop list, credits, translation files."""
    with get_db().transaction() as db_session:
        cached = tour_cache().get(db_session, slug)
    # The cached tour is lean (no route); the kit needs the whole stored version.
    tour, version = with_route(cached.stored).tour, cached.stored.version
    body = build_kit(
        tour,
        version,
        labels=kit_labels(tour.languages),
        source_url=public_url_for("public.tour_page", slug=slug),
    )
    response = Response(body, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-kit-v{version}.zip"'
    # Revalidated on every use (its ETag gives a 304): a story withdrawn by its teller
    # must not stay in a browser's or a proxy's copy for minutes.
    response.headers["Cache-Control"] = "public, no-cache"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])  # 304s: webapp.common.httpcache
    return response
