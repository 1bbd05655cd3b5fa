"""Scheduling walks and giving them their guide (coordinators), refused on a clash; the
page lists the upcoming walks a page at a time (``webapp.console.walk_lists``).

The form keeps every field after a refusal; tours, languages and guides are chosen from
lists, and the guides offered are those who speak the language and are free and
available then (``guides.assignment.offered_guides``).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from babel.dates import get_day_names
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from guides import profiles as prof
from guides.assignment import leads_tour, offered_guides, planned_spans
from guides.clashes import meeting_point_warnings
from tours.booking import agenda
from tours.booking import departures as deps
from tours.db import utcnow
from tours.errors import BideanError, TourNotFound
from tours.tour.store import current_versions
from webapp.actions import departures as departure_actions
from webapp.common.database import get_db
from webapp.common.departure_views import request_date_writer
from webapp.common.i18n import current_language, language_name
from webapp.common.tourcache import tour_cache
from webapp.console import walk_lists as lists
from webapp.console.auth import coordinator_required
from webapp.console.forms import choices, offer_choices
from webapp.console.planning import wording
from webapp.console.planning.forms import ScheduleForm
from webapp.console.views import bp


def _weekday_choices() -> list[SelectChoice]:
    """The days of the week in the reader's language (Babel's names: nothing to translate)."""
    names = get_day_names("wide", locale=get_locale())
    return choices([("", "—"), *((day, names[n]) for n, day in enumerate(deps.WEEKDAYS))])


def _tours_and_languages(db_session) -> tuple[list[SelectChoice], list[SelectChoice]]:
    """Every published tour by its title, and every language one of them is written in."""
    lang = current_language()
    tours, languages = [], set()
    for slug, _version in current_versions(db_session):
        try:
            tour = tour_cache().get(db_session, slug).tour
        except TourNotFound:
            continue
        title = tour.title.resolve(lang, tour.default_language)
        tours.append((slug, title.text if title else slug))
        languages.update(tour.languages)
    tours.sort(key=lambda pair: pair[1].casefold())
    named = sorted(((tag, language_name(tag)) for tag in languages), key=lambda p: p[1])
    return choices([("", "—"), *tours]), choices([("", "—"), *named])


def _schedule_form(db_session) -> ScheduleForm:
    form = ScheduleForm()
    form.tour.choices, form.language.choices = _tours_and_languages(db_session)
    form.every.choices = _weekday_choices()
    form.guide.choices = _guide_choices(db_session, form)
    return form


def _planned(form: ScheduleForm) -> bool:
    """True when tour, date and language are given: the guides free then can be listed."""
    chosen = {c.value for c in form.tour.choices} - {""}
    spoken = {c.value for c in form.language.choices} - {""}
    return (
        form.tour.data in chosen
        and form.language.data in spoken
        and isinstance(form.starts_at.data, datetime)
    )


def _guide_choices(db_session, form: ScheduleForm) -> list[SelectChoice]:
    asked = form.guide.data or ""
    keep = None
    if asked:
        try:
            keep = SelectChoice(asked, prof.get_guide(db_session, asked).display_name)
        except prof.GuideNotFound:
            keep = None
    if not _planned(form):
        return offer_choices([], keep=keep)
    try:
        spans, zone = planned_spans(db_session, form.tour.data or "", form.starts_at.data)
    except BideanError:
        return offer_choices([], keep=keep)
    offers = offered_guides(db_session, form.tour.data or "", form.language.data or "", spans, zone)
    return offer_choices(offers, keep=keep)


@bp.route("/admin/departures", methods=["GET", "POST"])
@coordinator_required
def admin_departures() -> tuple[str, int] | Response:
    """The upcoming walks, a page at a time and filtered, and a form to schedule one or a
    weekly series."""
    with get_db().transaction() as db_session:
        form = _schedule_form(db_session)
    if request.method == "POST" and request.form.get("step") != "guides":
        if form.validate_on_submit():
            outcome = _schedule(form)
            if outcome is not None:
                return outcome
        return _page(form)[0], 422
    return _page(form)


def _page(form: ScheduleForm) -> tuple[str, int]:
    """The page with its list: 400 when a filter or the page asked for was not valid."""
    lang = current_language()
    asked = lists.page_asked(request.args)
    with get_db().transaction() as db_session:
        choices = lists.filter_choices(db_session, lang)
        filters = lists.read_filters(request.args, choices)
        page = lists.read_page(
            partial(
                agenda.walks_page, db_session, utcnow(), filters.chosen(), limit=lists.PAGE_SIZE
            ),
            asked,
        )
    names = {choice.value: choice.label for choice in choices["guide"]}
    links = lists.page_links(
        page, partial(url_for, "console.admin_departures", _anchor="walks"), filters.args()
    )
    body = render_template(
        "console/admin_departures.html",
        form=form,
        planned=_planned(form),
        walks=lists.listed_walks(page.walks, lang, request_date_writer(), names),
        words=lists.list_words(),
        links=links,
        filters=filters,
        choices=choices,
        bad_cursor=asked.bad,
        # Each walk's page is this path and its id: one url_for a page, not one a walk.
        departures_path=url_for("console.admin_departures"),
    )
    return body, 400 if filters.errors or asked.bad else 200


def _schedule(form: ScheduleForm) -> Response | None:
    """Schedule what the form asks; None (and an error shown) when it is refused."""
    start: datetime = form.starts_at.data  # type: ignore[assignment]
    request_ = deps.DepartureRequest(
        slug=form.tour.data or "",
        local_start=start,
        language=form.language.data or "",
        capacity=form.capacity.data or 0,
        guide_id=form.guide.data or None,
    )
    try:
        with get_db().transaction(write_lock=True) as db_session:
            dates = None
            if form.every.data:
                if form.until.data is None:
                    form.until.errors = [gettext("A weekly series needs its last date.")]
                    return None
                dates = deps.series_dates(start.date(), form.until.data, [form.every.data])
            created = departure_actions.schedule_departures(
                db_session, current_user.actor, request_, dates=dates
            )
            warnings = [
                wording.meeting_warning(db_session, warning)
                for warning in meeting_point_warnings(db_session, created)
            ]
            if request_.guide_id and not leads_tour(
                db_session, request_.guide_id, created[0].tour_id
            ):
                guide = prof.get_guide(db_session, request_.guide_id)
                warnings.insert(0, wording.outside_tours(guide.display_name))
    except BideanError as error:
        with get_db().transaction() as db_session:
            flash(wording.refusal(db_session, error), "error")
        return None
    flash(ngettext("%(num)d walk scheduled.", "%(num)d walks scheduled.", len(created)))
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for("console.admin_departures"))


@bp.post("/admin/departures/<int:departure_id>/guide")
@coordinator_required
def admin_assign(departure_id: int) -> Response:
    """Give the walk its guide: one who speaks its language, is free and available then."""
    guide_id = request.form.get("guide") or None
    try:
        with get_db().transaction(write_lock=True) as db_session:
            result = departure_actions.assign_guide(
                db_session, current_user.actor, departure_id, guide_id
            )
            outside = bool(guide_id) and not leads_tour(
                db_session, guide_id or "", result.departure.tour_id
            )
            name = prof.get_guide(db_session, guide_id).display_name if guide_id else ""
    except deps.DepartureNotFound:
        abort(404)
    except prof.GuideNotFound:
        flash(gettext("That guide does not exist any more: choose another."), "error")
    except BideanError as error:
        with get_db().transaction() as db_session:
            flash(wording.refusal(db_session, error), "error")
    else:
        if result.changed:
            flash(gettext("Guide changed."))
            if outside:
                flash(wording.outside_tours(name), "warning")
        else:
            flash(gettext("The walk already had that guide: nothing changed."))
    return redirect(url_for("console.admin_departure", departure_id=departure_id))
