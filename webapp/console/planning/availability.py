"""A guide's own planning, from their phone: the days and hours they can or cannot guide,
and giving back a walk they lead.

Only an account tied to a guide profile has availability (others get 403); a mark or a
walk of another guide answers 404, exactly like one that does not exist.  Coordinators
read a guide's marks on ``/console/admin/guides/<id>/availability``.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from guides import availability as avail
from guides.assignment import WithdrawalRefused
from guides.availability import AvailabilityError, MarkNotFound, marks_of
from guides.profiles import GuideNotFound, get_guide
from guides.roster import departure_for
from tours.booking.departures import DepartureNotFound
from tours.db import utcnow
from webapp.actions import departures as departure_actions
from webapp.actions import guides as guide_actions
from webapp.common.database import get_db
from webapp.console.auth import coordinator_required
from webapp.console.planning import wording
from webapp.console.planning.forms import AvailabilityForm, WithdrawForm
from webapp.console.views import bp

# The field beside which each refusal of a mark is shown.
FIELD_OF_REASON = {
    avail.DAYS_REVERSED: "last_day",
    avail.IN_THE_PAST: "first_day",
    avail.TOO_LONG: "last_day",
    avail.TIMES_INCOMPLETE: "until_time",
    avail.TIMES_REVERSED: "until_time",
    avail.NOTE_TOO_LONG: "note",
}


def _own_guide() -> str:
    """The guide profile of the account logged in; 403 for an account without one."""
    if not current_user.guide_id:
        abort(403)
    return current_user.guide_id


def _today():
    # A day earlier than UTC's: wherever the guide is, their today is not refused as past.
    return (utcnow() - timedelta(days=1)).date()


@bp.route("/availability", methods=["GET", "POST"])
def availability() -> Response | tuple[str, int] | str:
    """The days and hours I can or cannot guide: mark them, and see my marks."""
    guide_id = _own_guide()
    form = AvailabilityForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                with get_db().transaction(write_lock=True) as db_session:
                    guide_actions.add_availability(
                        db_session,
                        current_user.actor,
                        guide_id,
                        form.first_day.data,  # type: ignore[arg-type]
                        available=form.available.data == "yes",
                        last_day=form.last_day.data,
                        from_time=form.from_time.data,
                        until_time=form.until_time.data,
                        note=form.note.data or "",
                        today=_today(),
                    )
            except AvailabilityError as error:
                field = getattr(form, FIELD_OF_REASON.get(error.reason, "first_day"))
                field.errors = [*field.errors, wording.mark_refusal(error)]
            else:
                flash(gettext("Saved. Coordinators will plan with it."))
                return redirect(url_for("console.availability"))
        flash(gettext("Nothing was saved: correct the fields marked below."), "error")
    with get_db().transaction() as db_session:
        marks = marks_of(db_session, guide_id, _today())
    return render_template("console/availability.html", form=form, marks=marks), status


@bp.post("/availability/<int:mark_id>/remove")
def availability_remove(mark_id: int) -> Response:
    """Remove one of my marks."""
    guide_id = _own_guide()
    try:
        with get_db().transaction(write_lock=True) as db_session:
            guide_actions.remove_availability(db_session, current_user.actor, guide_id, mark_id)
    except MarkNotFound:
        abort(404)
    flash(gettext("Mark removed."))
    return redirect(url_for("console.availability"))


@bp.post("/departures/<int:departure_id>/withdraw")
def withdraw(departure_id: int) -> Response | tuple[str, int]:
    """Give back a walk I lead, saying why: it has no guide until a coordinator finds one."""
    with get_db().transaction() as db_session:
        try:
            found = departure_for(db_session, departure_id, current_user.sees_guide)
        except DepartureNotFound:
            abort(404)
    if not current_user.guide_id or found.guide_id != current_user.guide_id:
        abort(403)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(gettext("Nothing was changed: say why you cannot lead this walk."), "error")
        return render_template("console/withdraw.html", form=form, departure_id=departure_id), 400
    try:
        with get_db().transaction(write_lock=True) as db_session:
            departure_actions.withdraw_guide(
                db_session,
                current_user.actor,
                departure_id,
                current_user.guide_id,
                (form.reason.data or "").strip(),
            )
    except DepartureNotFound:
        abort(404)
    except WithdrawalRefused as error:
        flash(wording.withdrawal_refusal(error), "error")
        return redirect(url_for("console.departure", departure_id=departure_id))
    flash(gettext("You gave this walk back. The coordinators see it and will find a guide."))
    return redirect(url_for("console.index"))


@bp.get("/admin/guides/<guide_id>/availability")
@coordinator_required
def admin_guide_availability(guide_id: str) -> str:
    """A guide's marks, as a coordinator reads them (the guide alone changes them)."""
    with get_db().transaction() as db_session:
        try:
            guide = get_guide(db_session, guide_id)
        except GuideNotFound:
            abort(404)
        marks = marks_of(db_session, guide_id, _today())
    return render_template("console/admin_guide_availability.html", guide=guide, marks=marks)
