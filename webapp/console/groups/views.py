"""Coordinator pages (role ``coordinator``, endpoints ``admin_*``) of group requests: the
queue (pending first), one request with its three answers, and the answers themselves,
each one action of ``webapp.actions.groups`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import Session

from tours.booking import groups
from tours.booking.departures import ScheduleError
from tours.booking.groups import GroupRequestClosed, GroupRequestNotFound
from tours.booking.models import GroupRequest
from webapp.actions import groups as group_actions
from webapp.common.database import get_db
from webapp.common.i18n import current_language
from webapp.common.tourcache import tour_cache
from webapp.console.auth import coordinator_required
from webapp.console.groups.forms import AcceptGroupForm, DeclineGroupForm, ProposeGroupForm
from webapp.console.views import bp
from webapp.mail import worker


def _page(
    request_id: int,
    accept: AcceptGroupForm | None = None,
    decline: DeclineGroupForm | None = None,
    propose: ProposeGroupForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """One request with its answer forms (those given keep what was typed and its errors)."""
    with get_db().transaction() as db_session:
        try:
            found = groups.get_request(db_session, request_id)
        except GroupRequestNotFound:
            abort(404)
        preferred = groups.preferred_times(found)
        page = render_template(
            "console/admin_group_request.html",
            group=found,
            tour_title=_titles(db_session).get(found.tour.slug, found.tour.slug),
            preferred=preferred,
            accept=accept
            or AcceptGroupForm(prefix="accept", starts_at=_first_choice(found, preferred)),
            decline=decline or DeclineGroupForm(prefix="decline"),
            propose=propose or ProposeGroupForm(prefix="propose"),
        )
    return page, status


def _titles(db_session: Session) -> dict[str, str]:
    """Each published tour's title in the coordinator's language, by slug."""
    lang = current_language()
    return {s.slug: s.title_in(lang).text for s in tour_cache().summaries(db_session)}


def _first_choice(found: GroupRequest, preferred: list[datetime]) -> datetime | None:
    """The time the accept form starts with: the one proposed, else the group's first."""
    if found.proposed:
        return groups.wall_time(found.proposed)
    return preferred[0] if preferred else None


@bp.get("/admin/groups")
@coordinator_required
def admin_group_requests() -> str:
    """Every group request, those waiting for an answer first."""
    with get_db().transaction() as db_session:
        listed = groups.list_requests(db_session)
        page = render_template(
            "console/admin_group_requests.html",
            requests=listed,
            titles=_titles(db_session),
            preferred={r.id: groups.preferred_times(r) for r in listed},
        )
    return page


@bp.get("/admin/groups/<int:request_id>")
@coordinator_required
def admin_group_request(request_id: int) -> tuple[str, int]:
    """One group request: what they asked for, and accept, decline or propose a date."""
    return _page(request_id)


@contextmanager
def _answering(request_id: int) -> Iterator[Session]:
    """The write transaction of one answer: a request not found is a 404, one answered
    already a redirect back to it with an error (nothing changed)."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            yield db_session
    except GroupRequestNotFound:
        abort(404)
    except GroupRequestClosed:
        flash(gettext("This request has been answered already: nothing was changed."), "error")
        abort(redirect(url_for("console.admin_group_request", request_id=request_id)))


@bp.post("/admin/groups/<int:request_id>/accept")
@coordinator_required
def admin_group_accept(request_id: int) -> Response | tuple[str, int]:
    """Accept: the group's private walk, its seats held, a guide, and the confirmation."""
    form = AcceptGroupForm(prefix="accept")
    if not form.validate():
        return _page(request_id, accept=form, status=400)
    try:
        with _answering(request_id) as db_session:
            accepted = group_actions.accept_group_request(
                db_session, current_user.actor, request_id, form.starts_at.data
            )
            departure_id = accepted.departure.id
    except ScheduleError:
        form.starts_at.errors = [_schedule_problem()]
        return _page(request_id, accept=form, status=400)
    worker.wake()
    if accepted.guide_id is None:
        flash(
            gettext(
                "The group's private walk is booked and the contact was emailed, but no guide "
                "who speaks its language is free then: choose one here."
            ),
            "error",
        )
    else:
        flash(
            gettext("The group's private walk is booked, with its guide; the contact was emailed."),
            "success",
        )
    return redirect(url_for("console.admin_departure", departure_id=departure_id))


def _schedule_problem() -> str:
    """A refused time in interface words (the domain's message speaks the command line's)."""
    return gettext(
        "This time cannot be used: it is in the past, or the clocks change at that hour. "
        "Choose another."
    )


@bp.post("/admin/groups/<int:request_id>/decline")
@coordinator_required
def admin_group_decline(request_id: int) -> Response | tuple[str, int]:
    """Decline, with a message emailed to the contact."""
    form = DeclineGroupForm(prefix="decline")
    if not form.validate():
        return _page(request_id, decline=form, status=400)
    with _answering(request_id) as db_session:
        group_actions.decline_group_request(
            db_session, current_user.actor, request_id, form.message.data or ""
        )
    worker.wake()
    flash(gettext("The request was declined and the contact was emailed."), "success")
    return redirect(url_for("console.admin_group_requests"))


@bp.post("/admin/groups/<int:request_id>/propose")
@coordinator_required
def admin_group_propose(request_id: int) -> Response | tuple[str, int]:
    """Propose another date, with a message emailed to the contact."""
    form = ProposeGroupForm(prefix="propose")
    if not form.validate():
        return _page(request_id, propose=form, status=400)
    try:
        with _answering(request_id) as db_session:
            group_actions.propose_group_date(
                db_session,
                current_user.actor,
                request_id,
                form.starts_at.data,
                form.message.data or "",
            )
    except ScheduleError:
        form.starts_at.errors = [_schedule_problem()]
        return _page(request_id, propose=form, status=400)
    worker.wake()
    flash(gettext("The new date was proposed to the contact by email."), "success")
    return redirect(url_for("console.admin_group_request", request_id=request_id))
