"""Writing to everyone booked on a walk, from the console.

The walk's guide and coordinators reach the page; any other guide gets 404, as for a
walk that does not exist.  The work is ``webapp.actions.walk_messages.message_group``.
"""

from __future__ import annotations

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext, ngettext
from flask_login import current_user

from guides import walk_messages as walk
from guides.roster import departure_for
from tours.booking.departures import DepartureNotFound
from tours.db import utcnow
from webapp.actions import walk_messages as walk_actions
from webapp.common.database import get_db
from webapp.common.departure_views import load_departure_view
from webapp.common.i18n import current_language
from webapp.console.views import bp
from webapp.mail import worker


def _walk_or_404(db_session, departure_id: int):
    try:
        return departure_for(db_session, departure_id, current_user.sees_guide)
    except DepartureNotFound:
        abort(404)


def _written() -> tuple[dict[str, str], dict[str, str]]:
    """``{language: subject}`` and ``{language: text}`` from the form's fields."""
    subjects, texts = {}, {}
    for name, value in request.form.items():
        kind, _, language = name.partition("-")
        if language and kind == "subject":
            subjects[language] = value
        elif language and kind == "text":
            texts[language] = value
    return subjects, texts


def problem_text(problem: walk.MessageRejected) -> str:
    """What was wrong with the message, in the interface's language."""
    texts = {
        walk.SUBJECT_MISSING: gettext("Write a subject."),
        walk.TEXT_MISSING: gettext("Write the message."),
        walk.SUBJECT_BREAKS: gettext("The subject must be one line, without line breaks."),
        walk.SUBJECT_LONG: ngettext(
            "The subject may have at most %(num)d character.",
            "The subject may have at most %(num)d characters.",
            walk.SUBJECT_MAX,
        ),
        walk.TEXT_LONG: ngettext(
            "The message may have at most %(num)d character.",
            "The message may have at most %(num)d characters.",
            walk.TEXT_MAX,
        ),
        walk.UNSTORABLE: gettext("The message holds characters that cannot be sent."),
        walk.HALF_WRITTEN: gettext(
            "Write both a subject and a message in this language, or leave both empty."
        ),
        walk.BAD_LANGUAGE: gettext("That language is not known."),
        walk.TOO_MANY_LANGUAGES: gettext("Write the message in fewer languages."),
        walk.CANCELLED: gettext("This walk is cancelled: its bookers were already told."),
        walk.NOBODY: gettext("Nobody with an email address is booked on this walk."),
    }
    return texts.get(problem.reason, gettext("This message cannot be sent."))


def limit_text(limited: walk.MessageLimited) -> str:
    """Why the message must wait, and until when, in the interface's language."""
    when = format_datetime(limited.retry_at, "short")
    if limited.reason == walk.REPEATED:
        return gettext("This message was already sent to this walk: it is not sent twice.")
    if limited.reason == walk.ACCOUNT_LIMIT:
        return ngettext(
            "You have sent %(num)d message in the last 24 hours, the most allowed."
            " You can write again after %(when)s.",
            "You have sent %(num)d messages in the last 24 hours, the most allowed."
            " You can write again after %(when)s.",
            walk.PER_ACCOUNT,
            when=when,
        )
    return ngettext(
        "This walk's group has had %(num)d message in the last hour, the most allowed."
        " You can write again after %(when)s.",
        "This walk's group has had %(num)d messages in the last hour, the most allowed."
        " You can write again after %(when)s.",
        walk.PER_WALK,
        when=when,
    )


def _page(departure_id: int, status: int = 200, **shown) -> Response:
    """The form (with what was written and what was wrong) and the walk's log."""
    with get_db().transaction() as db_session:
        found = _walk_or_404(db_session, departure_id)
        view = load_departure_view(db_session, found, current_language())
        bookers = walk.recipients(db_session, departure_id)
        history = walk.history(db_session, departure_id)
    problem, limited = shown.get("problem"), shown.get("limited")
    page = render_template(
        "console/walk_messages.html",
        view=view,
        walk_language=found.language,
        other_languages=[lang for lang in walk.languages_of(bookers) if lang != found.language],
        booker_count=len(bookers),
        walk_messages=history,
        limits=walk,
        written=shown.get("written", ({}, {})),
        problem=problem,
        problem_text=problem_text(problem) if problem else "",
        limited_text=limit_text(limited) if limited else "",
    )
    return make_response(page, status)


@bp.route("/departures/<int:departure_id>/messages", methods=["GET", "POST"])
def departure_messages(departure_id: int) -> Response:
    """Write to everyone booked on the walk; the walk's messages so far."""
    if request.method == "GET":
        return _page(departure_id)
    subjects, texts = _written()
    try:
        with get_db().transaction(write_lock=True) as db_session:
            _walk_or_404(db_session, departure_id)
            result = walk_actions.message_group(
                db_session,
                current_user.actor,
                departure_id,
                subjects,
                texts,
                account_id=current_user.account_id,
            )
    except DepartureNotFound:
        abort(404)
    except walk.MessageRejected as problem:
        return _page(departure_id, 400, written=(subjects, texts), problem=problem)
    except walk.MessageLimited as limited:
        response = _page(departure_id, 429, written=(subjects, texts), limited=limited)
        response.headers["Retry-After"] = str(_seconds_until(limited))
        return response
    worker.wake()
    sent = len(result.outbox_ids)
    flash(
        ngettext(
            "Your message is on its way to %(num)d booking.",
            "Your message is on its way to %(num)d bookings.",
            sent,
        )
    )
    return redirect(url_for("console.departure_messages", departure_id=departure_id))


def _seconds_until(limited: walk.MessageLimited) -> int:
    return max(1, int((limited.retry_at - utcnow()).total_seconds()))
