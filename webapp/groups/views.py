"""Blueprint ``groups``: "Request a walk for your group", at ``/groups`` (the group chooses
the tour) and at ``/tours/<slug>/groups`` (the tour chosen), and the page that says it
was received.

The request is stored and its receipt recorded in the outbox by
``webapp.actions.groups.submit_group_request``, in one transaction.  A form whose field
people never see was filled in (a robot) is thanked like anyone and stored nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import Blueprint, Response, redirect, render_template, request, url_for

from guides.audit import Actor
from guides.profiles import list_guides
from tours.booking.departures import tour_zone
from tours.booking.groups import GroupDetails
from tours.errors import TourNotFound
from tours.tour.catalogue import TourSummary
from webapp.actions import groups as group_actions
from webapp.common.database import get_db
from webapp.common.forms.csrf import expired_form_note
from webapp.common.i18n import current_language, language_name
from webapp.common.tourcache import tour_cache
from webapp.groups.forms import GroupRequestForm
from webapp.groups.limiter import group_request_budget
from webapp.mail import worker

bp = Blueprint("groups", __name__, template_folder="templates")


def _walk_languages(tours: Iterable[TourSummary], spoken: set[str]) -> list[tuple[str, str]]:
    """The languages a group may ask for: those the tours are told in, and those guides speak,
    each named in the visitor's language."""
    tags = {tag for summary in tours for tag in summary.languages} | spoken
    named = [(tag, language_name(tag)) for tag in tags]
    return sorted(named, key=lambda pair: pair[1].casefold())


def _group_form(slug: str | None) -> tuple[GroupRequestForm, dict[str, TourSummary]]:
    """The form with its tours and languages to choose from; ``slug`` preselected."""
    lang = current_language()
    form = GroupRequestForm(tour=slug)
    with get_db().transaction() as db_session:
        summaries = {s.slug: s for s in tour_cache().in_catalogue_order(db_session, lang)}
        if slug is not None and slug not in summaries:
            raise TourNotFound(slug)
        spoken = {tag for guide in list_guides(db_session) for tag in guide.language_tags}
        chosen = summaries.get(form.tour.data or "")
        zone = tour_cache().get(db_session, chosen.slug).tour.timezone if chosen else None
    form.tour.choices = [(s, summary.title_in(lang).text) for s, summary in summaries.items()]
    form.walk_language.choices = _walk_languages([chosen] if chosen else summaries.values(), spoken)
    if request.method == "GET" and not form.walk_language.data:
        form.walk_language.data = lang if lang in dict(form.walk_language.choices) else None
    if zone is not None:
        form.now = datetime.now(tour_zone(zone)).replace(tzinfo=None)
    return form, summaries


def _request_form(slug: str | None) -> Response | tuple[str, int] | str:
    form, summaries = _group_form(slug)
    if form.validate_on_submit():
        if form.is_robot():
            return redirect(url_for("groups.received"), code=303)
        details = GroupDetails(
            slug=form.tour.data or "",
            organisation=form.organisation.data.strip(),
            kind=form.kind.data or "",
            group_size=form.group_size.data or 0,
            preferred=form.preferred(),
            walk_language=form.walk_language.data or "",
            contact_name=form.contact_name.data.strip(),
            email=form.email.data,
            phone=form.phone.data.strip(),
            language=current_language(),
            accessibility=(form.accessibility.data or "").strip() or None,
        )
        with get_db().transaction(write_lock=True) as db_session:
            group_actions.submit_group_request(db_session, Actor.public(), details)
        worker.wake()
        return redirect(url_for("groups.received"), code=303)
    chosen = summaries.get(slug or "")
    page = render_template(
        "groups/form.html",
        form=form,
        tour_title=chosen.title_in(current_language()).text if chosen else None,
        slug=slug,
        expired_note=expired_form_note(form),
    )
    return page, (422 if request.method == "POST" else 200)


@bp.route("/groups", methods=["GET", "POST"])
@group_request_budget
def request_form() -> Response | tuple[str, int] | str:
    """Request a walk for your group: any tour."""
    return _request_form(None)


@bp.route("/tours/<slug>/groups", methods=["GET", "POST"])
@group_request_budget
def tour_request_form(slug: str) -> Response | tuple[str, int] | str:
    """Request a walk of this tour for your group."""
    return _request_form(slug)


@bp.get("/groups/received")
def received() -> str:
    """What happens next, once a request is sent."""
    return render_template("groups/received.html")
