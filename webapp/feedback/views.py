"""Blueprint ``feedback``: the short form a walker opens from the email sent after their
walk (``/feedback/<token>``, no login), and "do not ask me again"
(``/feedback/<token>/opt-out``).

The signed link names one ``WalkFeedback`` row and lasts 30 days; a tampered link is
404, an old one 410.  One answer per booking: a second visit says it was received.
The writes are ``webapp.actions.feedback``'s, each in one transaction.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext
from wtforms.fields.choices import SelectChoice

from guides.audit import Actor
from webapp.actions import feedback as feedback_actions
from webapp.actions import links
from webapp.actions.feedback import FeedbackClosed, FeedbackPage
from webapp.common.database import get_db
from webapp.common.i18n import LANGUAGES, current_language, language_name
from webapp.feedback.forms import OTHER_LANGUAGE, FeedbackForm, OptOutForm

bp = Blueprint("feedback", __name__, template_folder="templates")


def _invalid() -> str:
    return gettext("This link is not valid. Check that you copied the whole link.")


def _page(feedback_id: int) -> FeedbackPage:
    with get_db().transaction() as db_session:
        page = feedback_actions.load_feedback_page(db_session, feedback_id, current_language())
    if page is None:  # the booking was deleted
        abort(404, _invalid())
    return page


def _form_page(token: str) -> FeedbackPage:
    try:
        feedback_id = links.read_feedback_token(token)
    except links.LinkExpired:
        abort(410, gettext("This link has expired: answers are taken for 30 days after the walk."))
    except links.LinkInvalid:
        abort(404, _invalid())
    return _page(feedback_id)


def _language_choices(walk_language: str) -> list[SelectChoice]:
    """The walk's language first, then the interface languages, then "another"."""
    tags = [walk_language, *(tag for tag in LANGUAGES if tag != walk_language)]
    named = [SelectChoice(tag, language_name(tag), {"lang": tag}) for tag in tags]
    return [*named, SelectChoice(OTHER_LANGUAGE, gettext("Another language"))]


def _closed(page: FeedbackPage, state: str) -> str:
    return render_template("feedback/closed.html", page=page, state=state)


@bp.route("/feedback/<token>", methods=["GET", "POST"])
def form(token: str) -> Response | tuple[str, int] | str:
    """The feedback form, or that the answer was received."""
    page = _form_page(token)
    if page.state != "open":
        return _closed(page, page.state)
    form = FeedbackForm()
    form.followed_language.choices = _language_choices(page.walk_language)
    if request.method == "GET":
        form.followed_language.data = page.walk_language
    if form.validate_on_submit():
        try:
            with get_db().transaction(write_lock=True) as db_session:
                feedback_actions.answer_feedback(
                    db_session, Actor.public(), page.feedback_id, form.answer()
                )
        except FeedbackClosed as closed:  # answered in another tab meanwhile
            return _closed(page, closed.reason)
        return redirect(url_for("feedback.form", token=token), code=303)
    expired_note = None
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        expired_note = gettext(
            "This page was open for a long time and its security check expired. "
            "Your answers are still here: send the form again."
        )
    html = render_template("feedback/form.html", form=form, page=page, expired_note=expired_note)
    return html, (422 if request.method == "POST" else 200)


@bp.route("/feedback/<token>/opt-out", methods=["GET", "POST"])
def opt_out(token: str) -> Response | str:
    """Confirm, then never ask this booking or its address for feedback again."""
    try:
        feedback_id = links.read_feedback_opt_out_token(token)
    except links.LinkInvalid:
        abort(404, _invalid())
    page = _page(feedback_id)
    form = OptOutForm()
    if form.validate_on_submit():
        with get_db().transaction(write_lock=True) as db_session:
            feedback_actions.opt_out(db_session, Actor.public(), feedback_id)
        return redirect(url_for("feedback.opt_out", token=token), code=303)
    return render_template("feedback/opt_out.html", form=form, page=page)
