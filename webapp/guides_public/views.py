"""Blueprint ``guides_public``: a guide's public profile page and photo."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from guides.profiles import GuideNotFound, get_guide, get_photo
from webapp.common.database import get_db
from webapp.common.i18n import current_language
from webapp.guides_public.profiles import LEVEL_NAMES, profile_view

bp = Blueprint("guides_public", __name__, template_folder="templates")


@bp.get("/guides/<guide_id>")
def profile(guide_id: str) -> str:
    """A guide's profile in the visitor's language, their tours and next walks."""
    lang = current_language()
    with get_db().transaction() as db_session:
        try:
            view = profile_view(db_session, get_guide(db_session, guide_id), lang)
        except GuideNotFound:
            abort(404)
    return render_template("guides_public/profile.html", view=view, level_names=LEVEL_NAMES)


@bp.get("/guides/<guide_id>/photo.jpg")
def photo(guide_id: str) -> Response:
    """The guide's photo, re-encoded on upload; cacheable per photo version."""
    with get_db().transaction() as db_session:
        found = get_photo(db_session, guide_id)
    if found is None:
        abort(404)
    data, version = found
    response = Response(data, mimetype="image/jpeg")
    response.set_etag(f"{guide_id}-{version}")
    response.cache_control.public = True
    response.cache_control.max_age = 31_536_000 if request.args.get("v") else 3600
    return response.make_conditional(request)
