"""Blueprint ``guides_api``: ``/api/guides`` and ``/api/guides/<id>`` (profiles, no contacts)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request
from flask_babel import gettext
from werkzeug.exceptions import BadRequest

from guides.profiles import GuideNotFound, GuideProfile, get_guide, list_guides
from tours.i18n import normalize_tag
from webapp.common.database import get_db
from webapp.common.i18n import current_language
from webapp.common.urls import public_url_for
from webapp.guides_public import api_docs  # noqa: F401  (registers the OpenAPI paths)
from webapp.guides_public.profiles import api_item

bp = Blueprint("guides_api", __name__, url_prefix="/api")


def _lang() -> str:
    raw = request.args.get("lang")
    if raw is None:
        return current_language()
    try:
        return normalize_tag(raw.strip())
    except ValueError:
        raise BadRequest(
            gettext("%(tag)s is not a language tag such as es, eu or ar.", tag=raw)
        ) from None


def _item(guide: GuideProfile, lang: str) -> dict:
    photo = (
        public_url_for("guides_public.photo", guide_id=guide.id, v=guide.photo_version)
        if guide.has_photo
        else None
    )
    links = {
        "self": public_url_for("guides_api.guide_detail", guide_id=guide.id),
        "html": public_url_for("guides_public.profile", guide_id=guide.id),
    }
    return api_item(guide, lang, photo, links)


@bp.get("/guides")
def guide_list() -> Response:
    """Every guide's public profile."""
    lang = _lang()
    with get_db().transaction() as db_session:
        guides = list_guides(db_session)
    return jsonify([_item(guide, lang) for guide in guides])


@bp.get("/guides/<guide_id>")
def guide_detail(guide_id: str) -> Response:
    """One guide's public profile."""
    lang = _lang()
    with get_db().transaction() as db_session:
        try:
            guide = get_guide(db_session, guide_id)
        except GuideNotFound:
            abort(404)
    return jsonify(_item(guide, lang))
