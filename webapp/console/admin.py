"""Coordinator pages (role ``admin``): a walk and its roster, guides, audit log.
Scheduling walks and giving them a guide are in ``webapp.console.planning``, accounts in
``webapp.console.accounts``.

They call the same functions as the command line: the departure actions
(``webapp.actions.departures``, which write the audit records), ``guides.profiles`` and
``guides.audit``.
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from guides import audit, debriefs, walk_messages
from guides import profiles as prof
from guides.assignment import offers_for_departure
from guides.photos import PhotoRejected, reencode_photo
from guides.roster import roster, roster_csv
from tours.booking import departures as deps
from tours.errors import BideanError
from webapp.actions import departures as departure_actions
from webapp.actions import guides as guide_actions
from webapp.common.database import get_db
from webapp.common.departure_views import load_departure_view
from webapp.common.i18n import current_language
from webapp.console.auth import coordinator_required
from webapp.console.forms import (
    AssignForm,
    CapacityForm,
    ConfirmForm,
    GuideForm,
    PhotoForm,
    choices,
    offer_choices,
)
from webapp.console.pages import kept_until
from webapp.console.views import bp
from webapp.console.wording import (
    guide_refusal,
    language_choices,
    level_choices,
    schedule_refusal,
    tour_choices,
)
from webapp.mail import worker

BIO_LANGUAGES = ("es", "eu", "en", "fr", "ar")
ORIGIN_LANGUAGES = ("es", "en")


def _error(error: BideanError) -> None:
    """A domain refusal: its message says what to change (a scheduling one in the
    interface's words rather than the command line's)."""
    flash(schedule_refusal(error) if isinstance(error, deps.ScheduleError) else str(error), "error")


# --- departures -------------------------------------------------------------------------


@bp.get("/admin/departures/<int:departure_id>")
@coordinator_required
def admin_departure(departure_id: int) -> Response:
    """One walk: capacity, guide, cancel; its bookings and who came."""
    with get_db().transaction() as db_session:
        try:
            departure = deps.get_departure(db_session, departure_id)
        except deps.DepartureNotFound:
            abort(404)
        view = load_departure_view(db_session, departure, current_language())
        listed = roster(db_session, departure_id)
        messages = walk_messages.history(db_session, departure_id)
        debrief = debriefs.debrief_of(db_session, departure_id)
        assign = AssignForm(guide=departure.guide_id or "")
        # Only guides free and available then are offered (``offers_for_departure``).
        current = SelectChoice(departure.guide_id, view.guide_name) if departure.guide_id else None
        assign.guide.choices = offer_choices(
            offers_for_departure(db_session, departure), keep=current
        )
    capacity = CapacityForm(capacity=departure.capacity)
    page = render_template(
        "console/admin_departure.html",
        view=view,
        roster=listed,
        assign=assign,
        capacity=capacity,
        confirm=ConfirmForm(),
        walk_messages=messages,
        debrief=debrief,
        debrief_open=not debriefs.why_not(departure),
    )
    return kept_until(make_response(page), departure)


@bp.post("/admin/departures/<int:departure_id>/capacity")
@coordinator_required
def admin_capacity(departure_id: int) -> Response:
    """Change the number of seats."""
    form = CapacityForm()
    if not form.validate():
        flash(gettext("The number of seats must be a whole number, at least 1."), "error")
    else:
        try:
            with get_db().transaction(write_lock=True) as db_session:
                result = departure_actions.set_capacity(
                    db_session, current_user.actor, departure_id, form.capacity.data or 0
                )
        except deps.DepartureNotFound:
            abort(404)
        except BideanError as error:
            _error(error)
        else:
            if result.changed:
                flash(gettext("Seats changed."))
            else:
                flash(gettext("The walk already had that many seats: nothing changed."))
    return redirect(url_for("console.admin_departure", departure_id=departure_id))


@bp.post("/admin/departures/<int:departure_id>/cancel")
@coordinator_required
def admin_cancel(departure_id: int) -> Response:
    """Cancel the walk; everyone booked or waiting gets an email (as `sessions cancel`)."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            result = departure_actions.cancel_departure(
                db_session, current_user.actor, departure_id
            )
    except deps.DepartureNotFound:
        abort(404)
    worker.wake()
    if not result.changed:
        flash(gettext("This walk was already cancelled: nothing was changed or sent."))
        return redirect(url_for("console.admin_departure", departure_id=departure_id))
    sent = len(result.message_ids)
    flash(
        ngettext(
            "Walk cancelled; %(num)d email is on its way.",
            "Walk cancelled; %(num)d emails are on their way.",
            sent,
        )
    )
    return redirect(url_for("console.admin_departure", departure_id=departure_id))


@bp.get("/admin/departures/<int:departure_id>/roster.csv")
@coordinator_required
def admin_roster_csv(departure_id: int) -> Response:
    """The roster as CSV, for a spreadsheet."""
    with get_db().transaction() as db_session:
        try:
            deps.get_departure(db_session, departure_id)
        except deps.DepartureNotFound:
            abort(404)
        listed = roster(db_session, departure_id)
    response = Response(roster_csv(listed), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="roster-{departure_id}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- guides -----------------------------------------------------------------------------


def _guide_fields(form: GuideForm, languages: list[dict[str, str]]) -> dict:
    return {
        "display_name": form.display_name.data or "",
        "languages": languages,
        "bio": {
            t: getattr(form, f"bio_{t}").data
            for t in BIO_LANGUAGES
            if (getattr(form, f"bio_{t}").data or "").strip()
        },
        "origin": {
            t: getattr(form, f"origin_{t}").data
            for t in ORIGIN_LANGUAGES
            if (getattr(form, f"origin_{t}").data or "").strip()
        },
        "tours": [slug for slug in form.tours.data or () if slug],
    }


def _offer_languages(form: GuideForm, kept: tuple[str, ...] = ()) -> set[str]:
    """Each language row's lists: the world's languages (and ``kept``, a profile's own
    tags), the levels; returns the tags a row may choose."""
    offered = language_choices(kept)
    form.offer_lists(offered, level_choices())
    return {tag for tag, _name in offered}


def _refused(form: GuideForm, error: BideanError) -> None:
    """A profile the rules refused: a language refusal beside the languages, others above."""
    if getattr(error, "reason", None) in (prof.BAD_LANGUAGES, prof.LANGUAGE_IN_USE):
        form.language_errors = [guide_refusal(error)]
    else:
        flash(guide_refusal(error), "error")


def _guide_form_page(template: str, form: GuideForm, refused: bool, **values) -> Response:
    """The page with its form; 422 when what was sent was refused (errors beside fields)."""
    page = render_template(template, form=form, **values)
    return make_response(page, 422 if refused else 200)


@bp.route("/admin/guides", methods=["GET", "POST"])
@coordinator_required
def admin_guides() -> Response:
    """Every guide profile, and a form to create one."""
    form = GuideForm()
    with get_db().transaction() as db_session:
        form.tours.choices = choices(tour_choices(db_session))
    known = _offer_languages(form)
    refused = request.method == "POST"
    languages = form.chosen_languages(known) if form.validate_on_submit() else None
    if languages is not None:
        fields = _guide_fields(form, languages)
        try:
            with get_db().transaction(write_lock=True) as db_session:
                guide = guide_actions.add_guide(
                    db_session,
                    current_user.actor,
                    form.guide_id.data or "",
                    fields.pop("display_name"),
                    fields.pop("languages"),
                    **fields,
                )
        except BideanError as error:
            _refused(form, error)
        else:
            flash(gettext("Guide profile created."))
            return redirect(url_for("console.admin_guide", guide_id=guide.id))
    with get_db().transaction() as db_session:
        found = prof.list_guides(db_session)
    return _guide_form_page("console/admin_guides.html", form, refused, guides=found)


@bp.route("/admin/guides/<guide_id>", methods=["GET", "POST"])
@coordinator_required
def admin_guide(guide_id: str) -> Response:
    """Edit a guide's profile and photo."""
    with get_db().transaction() as db_session:
        try:
            guide = prof.get_guide(db_session, guide_id)
        except prof.GuideNotFound:
            abort(404)
        tours = choices(tour_choices(db_session, extra=guide.tours))
    refused = request.method == "POST"
    form = GuideForm(data=_profile_data(guide)) if request.method == "GET" else GuideForm()
    form.tours.choices = tours
    known = _offer_languages(form, tuple(guide.language_tags))
    languages = form.chosen_languages(known) if form.validate_on_submit() else None
    if languages is not None:
        try:
            with get_db().transaction(write_lock=True) as db_session:
                update = guide_actions.update_guide(
                    db_session, current_user.actor, guide_id, **_guide_fields(form, languages)
                )
        except BideanError as error:
            _refused(form, error)
        else:
            if update.changed:
                flash(gettext("Guide profile saved."))
            else:
                flash(gettext("Nothing changed in the profile, so nothing was saved."))
            return redirect(url_for("console.admin_guide", guide_id=guide_id))
    return _guide_form_page(
        "console/admin_guide.html", form, refused, guide=guide, photo_form=PhotoForm()
    )


def _profile_data(guide: prof.GuideProfile) -> dict:
    """What the form shows of a stored profile: every field, each language in its row."""
    data = {
        "display_name": guide.display_name,
        "languages": [{"tag": lang.tag, "level": lang.level} for lang in guide.languages],
        "tours": list(guide.tours),
    }
    data.update({f"bio_{tag}": guide.bio.get(tag, "") for tag in BIO_LANGUAGES})
    data.update({f"origin_{tag}": guide.origin.get(tag, "") for tag in ORIGIN_LANGUAGES})
    return data


@bp.post("/admin/guides/<guide_id>/photo")
@coordinator_required
def admin_guide_photo(guide_id: str) -> Response:
    """Upload a photo: checked, re-encoded without metadata."""
    upload = request.files.get("photo")
    data = upload.read(5 * 1024 * 1024 + 1) if upload else b""
    try:
        jpeg = reencode_photo(data)
        with get_db().transaction(write_lock=True) as db_session:
            guide_actions.set_guide_photo(db_session, current_user.actor, guide_id, jpeg)
    except prof.GuideNotFound:
        abort(404)
    except PhotoRejected:
        flash(
            gettext("That file was not accepted: send a JPEG, PNG or WebP photo of at most 5 MB."),
            "error",
        )
    else:
        flash(gettext("Photo saved."))
    return redirect(url_for("console.admin_guide", guide_id=guide_id))


# --- audit (the accounts pages are webapp.console.accounts.pages) ---------------------


@bp.get("/admin/audit")
@coordinator_required
def admin_audit() -> str:
    """Who changed what, and when (newest first)."""
    with get_db().transaction() as db_session:
        entries = audit.recent(db_session)
    return render_template("console/admin_audit.html", entries=entries)
