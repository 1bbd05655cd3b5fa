"""The guide's debrief after a walk, from the console.

The walk's guide and coordinators reach the page; any other guide gets 404, as for a
walk that does not exist.  The form opens once the walk has started; the checks are
``guides.debriefs``, the saving (with its audit record) ``webapp.actions.debriefs``.
"""

from __future__ import annotations

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from guides import debriefs
from guides.roster import departure_for
from tours.booking.departures import DepartureNotFound
from webapp.actions import debriefs as debrief_actions
from webapp.common.database import get_db
from webapp.common.departure_views import load_departure_view
from webapp.common.i18n import current_language
from webapp.console.views import bp


def _walk_or_404(db_session, departure_id: int):
    try:
        return departure_for(db_session, departure_id, current_user.sees_guide)
    except DepartureNotFound:
        abort(404)


def problem_text(reason: str, field: str = "") -> str:
    """What was wrong with a field, or why the walk takes no debrief, in the interface's
    language."""
    longest = debriefs.ROUTE_CHANGE_MAX if field == "route_change" else debriefs.NOTES_MAX
    texts = {
        debriefs.HEADCOUNT_MISSING: gettext("Write how many people came."),
        debriefs.HEADCOUNT_NOT_NUMBER: gettext("Write the number of people as a whole number."),
        debriefs.HEADCOUNT_RANGE: gettext(
            "The number of people must be between 0 and %(most)d.", most=debriefs.HEADCOUNT_MAX
        ),
        debriefs.RATING_MISSING: gettext("Choose how the walk went, from 1 to 5."),
        debriefs.TOO_LONG: ngettext(
            "Write at most %(num)d character here.",
            "Write at most %(num)d characters here.",
            longest,
        ),
        debriefs.UNSTORABLE: gettext("This text holds characters that cannot be stored."),
        debriefs.ROUTE_CHANGE_MISSING: gettext("Say what should change on the route."),
        debriefs.NOT_STARTED: gettext("The debrief opens once the walk has started."),
        debriefs.CANCELLED: gettext("This walk was cancelled: it has no debrief."),
    }
    return texts.get(reason, gettext("This debrief cannot be saved."))


def _page(departure_id: int, status: int = 200, **shown) -> Response:
    """The form (with what was written and what was wrong, else what was saved or the
    headcount from check-ins)."""
    with get_db().transaction() as db_session:
        found = _walk_or_404(db_session, departure_id)
        view = load_departure_view(db_session, found, current_language())
        saved = debriefs.debrief_of(db_session, departure_id)
        values = shown.get("written") or debriefs.prefilled(db_session, departure_id)
        checked_in = debriefs.checked_in_headcount(db_session, departure_id)
        closed = debriefs.why_not(found)
    problems = shown.get("problems", {})
    walk_problem = shown.get("walk_problem", "")
    page = render_template(
        "console/debrief.html",
        view=view,
        saved=saved,
        values=values,
        checked_in=checked_in,
        closed_text=problem_text(closed) if closed else "",
        ratings=debriefs.RATINGS,
        limits=debriefs,
        errors={field: problem_text(reason, field) for field, reason in problems.items()},
        walk_error=problem_text(walk_problem) if walk_problem else "",
    )
    return make_response(page, status)


@bp.route("/departures/<int:departure_id>/debrief", methods=["GET", "POST"])
def departure_debrief(departure_id: int) -> Response:
    """The walk's debrief: headcount, how it went, notes, incidents, route changes."""
    if request.method == "GET":
        return _page(departure_id)
    written = {field: request.form.get(field, "") for field in debriefs.FIELDS}
    try:
        with get_db().transaction(write_lock=True) as db_session:
            _walk_or_404(db_session, departure_id)
            _saved, changed = debrief_actions.file_debrief(
                db_session,
                current_user.actor,
                departure_id,
                written,
                account_id=current_user.account_id,
            )
    except DepartureNotFound:
        abort(404)
    except debriefs.DebriefRejected as rejected:
        if rejected.walk:
            return _page(departure_id, 400, walk_problem=rejected.walk)
        return _page(departure_id, 422, written=written, problems=rejected.problems)
    flash(gettext("Debrief saved.") if changed else gettext("Nothing changed in the debrief."))
    return redirect(url_for("console.departure_debrief", departure_id=departure_id))
