"""Blueprint ``withdrawal``: ``/share/withdraw/<token>``, the personal link a teller got
with their receipt (no login; the link never expires).

GET says what will disappear, in the visitor's language, with one button; the POST
(CSRF protected, rate limited per client) withdraws the story everywhere through
``webapp.actions.withdrawal`` and says so; a second POST, or the link opened again,
says it was withdrawn already.  A tampered or cut link is a 404 that says so.  The
pages are personal (they show the story's title): never stored by any cache.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, make_response, render_template
from flask_babel import format_date, gettext
from flask_wtf import FlaskForm

from guides.audit import Actor
from tours.i18n import LocalizedText
from tours.stories.contributions import ContributionNotFound
from tours.stories.models import WITHDRAWN
from tours.stories.withdrawal import Preview, preview
from webapp.actions import links
from webapp.actions.withdrawal import MediaStores, withdraw_contribution
from webapp.common.database import get_db
from webapp.common.forms.csrf import expired_form_note
from webapp.common.i18n import current_language
from webapp.media.audio import audio_store
from webapp.media.store import store_for
from webapp.withdrawal.limiter import withdrawal_budget

bp = Blueprint("withdrawal", __name__, template_folder="templates")


class WithdrawForm(FlaskForm):
    """Only the CSRF token: opening the emailed link never withdraws anything (mail
    scanners open links); the button on the page does."""


def _not_found() -> None:
    abort(
        404,
        gettext(
            "This withdrawal link is not valid: check that you copied the whole link from"
            " the email. If it still does not work, write to the people who run this site."
        ),
    )


def _public_id(token: str) -> str:
    try:
        return links.read_withdrawal_token(token)
    except links.LinkInvalid:
        _not_found()
        raise


def _preview(public_id: str) -> Preview:
    with get_db().transaction() as db_session:
        try:
            return preview(db_session, public_id)
        except ContributionNotFound:
            _not_found()
            raise


def _page(
    state: str, page: Preview, form: WithdrawForm | None = None, status: int = 200
) -> Response:
    lang = current_language()
    tours = [
        LocalizedText(title).get_text(lang, page.language) or slug for slug, title in page.tours
    ]
    html = render_template(
        "withdrawal/confirm.html",
        state=state,
        page=page,
        tours=tours,
        sent_on=format_date(page.created_at, "long"),
        form=form,
        expired_note=expired_form_note(form) if form is not None else None,
    )
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _stores() -> MediaStores:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return MediaStores(images=store_for(app), audio=audio_store(app))


@bp.route("/share/withdraw/<token>", methods=["GET", "POST"])
@withdrawal_budget
def confirm(token: str) -> Response:
    """What will disappear and one button; the POST withdraws the story."""
    public_id = _public_id(token)
    page = _preview(public_id)
    if page.status == WITHDRAWN:
        return _page("already", page)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _page("open", page, form, 422 if form.is_submitted() else 200)
    with get_db().transaction(write_lock=True) as db_session:
        result = withdraw_contribution(
            db_session, Actor.public(), public_id, media_stores=_stores()
        )
    return _page("already" if result.already else "withdrawn", page)
