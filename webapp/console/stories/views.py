"""The moderation queue of residents' contributions and each one's page: what coordinators
and facilitators see (``/console/contributions``), and the coordinators' decisions
(``admin_*``: accept into a draft, edit, decline), each one action of
``webapp.actions.contributions`` in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from tours.content.workflows.editing import EditError, EditRefused
from tours.errors import TourNotFound
from tours.stories import contributions as stories
from tours.stories.contributions import ContributionNotFound
from tours.stories.models import Contribution
from webapp.actions import contributions as actions
from webapp.actions.contributions import (
    INTO_NEW_STOP,
    INTO_NEW_TOUR,
    AcceptRefused,
    ContributionClosed,
    ExistingStop,
    NewStop,
    NewTour,
)
from webapp.actions.withdrawal import MediaStores, withdraw_contribution
from webapp.common.database import get_db
from webapp.console.auth import contributions_required, coordinator_required
from webapp.console.forms import choices
from webapp.console.stories import pages
from webapp.console.stories.forms import AcceptForm, DeclineForm, EditForm, WithdrawForm
from webapp.console.views import bp
from webapp.console.wording import language_choices
from webapp.mail import worker
from webapp.media.audio import audio_store
from webapp.media.store import store_for


@bp.get("/contributions")
@contributions_required
def contributions() -> str:
    """Every contribution: those waiting for a decision first, oldest on top."""
    with get_db().transaction() as db_session:
        places = pages.Places(db_session)
        listed = pages.lines(stories.queue(db_session), places)
        return render_template("console/contributions.html", lines=listed, minutes=pages.minutes)


def _found(db_session: Session, contribution_id: int) -> Contribution:
    try:
        return stories.get(db_session, contribution_id)
    except ContributionNotFound:
        abort(404)


def _accept_form(found: Contribution, places: pages.Places, form: AcceptForm | None) -> AcceptForm:
    """The accept form, its lists filled; a first view starts where the teller proposed."""
    if form is None:
        form = AcceptForm(prefix="accept", formdata=None)
        form.target.data = INTO_NEW_STOP if found.lon is not None else INTO_NEW_TOUR
        if found.tour_slug:
            form.tour.data = found.tour_slug
            if found.stop_id:
                form.target.data = "stop"
                form.stop.data = f"{found.tour_slug}:{found.stop_id}"
        first = next(iter(places.listings.values()), None)
        tour = places.listings.get(found.tour_slug or "") or first
        form.city.data = tour.city if tour else ""
    form.tour.choices = choices([("", "—"), *places.tour_choices()])
    form.stop.choices = [
        SelectChoice("", "—"),
        *(SelectChoice(v, name, optgroup=title) for v, name, title in places.stop_choices()),
    ]
    return form


def _edit_form(found: Contribution, form: EditForm | None) -> EditForm:
    if form is None:
        form = EditForm(prefix="edit", formdata=None, title=found.title, story=found.story)
    shown = pages.transcript_languages(found)
    form.new_language.choices = choices(
        [("", "—"), *[(t, n) for t, n in language_choices() if t not in shown]]
    )
    return form


def _page(
    contribution_id: int,
    *,
    accept: AcceptForm | None = None,
    edit: EditForm | None = None,
    decline: DeclineForm | None = None,
    withdraw: WithdrawForm | None = None,
    refusal: str | None = None,
    transcript: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """A contribution's page with its forms (those given keep what was typed and errors)."""
    with get_db().transaction() as db_session:
        found = _found(db_session, contribution_id)
        places = pages.Places(db_session)
        page = render_template(
            "console/contribution.html",
            line=pages.line(found, places),
            c=found,
            consent=found.consent,
            photos=pages.photos(found),
            recordings=pages.recordings(found),
            edits=list(found.edits),
            accepted_title=places.title(found.accepted_tour) if found.accepted_tour else None,
            accept=_accept_form(found, places, accept),
            edit=_edit_form(found, edit),
            transcript_languages=pages.transcript_languages(found),
            transcript=transcript if transcript is not None else dict(found.transcript or {}),
            decline=decline or DeclineForm(prefix="decline", formdata=None),
            withdraw=withdraw or WithdrawForm(prefix="withdraw", formdata=None),
            refusal=refusal,
            minutes=pages.minutes,
        )
    return page, status


@bp.get("/contributions/<int:contribution_id>")
@contributions_required
def contribution(contribution_id: int) -> tuple[str, int]:
    """One contribution: the story, its photos and recording, the consent record verbatim,
    its edits, and (for coordinators) accept, edit and decline."""
    return _page(contribution_id)


@contextmanager
def _deciding(contribution_id: int) -> Iterator[Session]:
    """The write transaction of one decision: an unknown contribution is a 404; one no
    longer waiting a redirect back to it with an error (nothing changed)."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            yield db_session
    except ContributionNotFound:
        abort(404)
    except ContributionClosed:
        flash(gettext("This story has been decided on already: nothing was changed."), "error")
        abort(redirect(url_for("console.contribution", contribution_id=contribution_id)))


def _destination(form: AcceptForm) -> actions.Destination:
    if form.target.data == INTO_NEW_TOUR:
        return NewTour(
            city=form.city.data or "",
            slug=form.slug.data or "",
            district=form.district.data or "",
            timezone=form.timezone.data or "",
        )
    if form.target.data == INTO_NEW_STOP:
        return NewStop(form.tour.data or "")
    slug, _, stop_id = (form.stop.data or "").partition(":")
    return ExistingStop(slug, stop_id)


ACCEPT_FIELDS = {"target": "target", "stop": "stop", "slug": "slug", "city": "city"}


def _accept_refusal(form: AcceptForm, error: Exception) -> None:
    """Say beside the form's field why the story could not go there."""
    if isinstance(error, AcceptRefused):
        sentences = {
            "no-pin": gettext(
                "This story has no pin on the map: put it on an existing stop instead."
            ),
            "story-exists": gettext(
                "This stop has a story in that language already: choose another stop, "
                "or a new stop."
            ),
            "slug": gettext(
                "Use lowercase letters, digits and single hyphens (at most 64) for the "
                "new tour's web address."
            ),
            "slug-taken": gettext("A tour has this web address already: choose another."),
            "city": gettext("Write the city on one line, at most 120 characters."),
        }
        place = getattr(form, ACCEPT_FIELDS.get(error.field, "target"))
        place.errors = [*place.errors, sentences[error.reason]]
    elif isinstance(error, TourNotFound):
        form.tour.errors = [*form.tour.errors, gettext("That tour does not exist any more.")]
    else:
        form.target.errors = [
            *form.target.errors,
            gettext(
                "The tour would not be valid with this story in it: check its texts "
                "(a character that cannot be stored, a position or time zone that is wrong)."
            ),
        ]


@bp.post("/admin/contributions/<int:contribution_id>/accept")
@coordinator_required
def admin_contribution_accept(contribution_id: int) -> Response | tuple[str, int]:
    """Accept: the story goes into a draft version of a tour (never straight to the public)."""
    form = AcceptForm(prefix="accept")
    if not form.validate():
        return _page(contribution_id, accept=form, status=400)
    try:
        with _deciding(contribution_id) as db_session:
            accepted = actions.accept_into_draft(
                db_session, current_user.actor, contribution_id, _destination(form)
            )
            slug = accepted.slug
    except (AcceptRefused, TourNotFound, EditError, EditRefused) as error:
        _accept_refusal(form, error)
        return _page(contribution_id, accept=form, status=422)
    flash(
        gettext(
            "The story is in a draft of the tour. Check it in the editor; the public sees "
            "it once the draft is published."
        ),
        "success",
    )
    return redirect(url_for("console.admin_tour_edit", slug=slug))


@bp.post("/admin/contributions/<int:contribution_id>/edit")
@coordinator_required
def admin_contribution_edit(contribution_id: int) -> Response | tuple[str, int]:
    """Edit the title, story and transcript; kept in the history, told to the teller."""
    form = EditForm(prefix="edit")
    with get_db().transaction() as db_session:
        languages = pages.transcript_languages(_found(db_session, contribution_id))
    transcript = form.transcript(request.form, languages)
    if not form.validate():
        return _page(contribution_id, edit=form, transcript=transcript, status=400)
    try:
        with _deciding(contribution_id) as db_session:
            edited = actions.edit_contribution(
                db_session,
                current_user.actor,
                contribution_id,
                title=form.title.data or "",
                story=form.story.data or "",
                transcript=transcript,
            )
    except (EditError, EditRefused):
        form.story.errors = [
            gettext("This text cannot be stored: remove the character it does not take.")
        ]
        return _page(contribution_id, edit=form, transcript=transcript, status=422)
    if edited is None:
        flash(gettext("Nothing was changed."))
    else:
        worker.wake()
        flash(_edited_message(edited), "success")
    return redirect(url_for("console.contribution", contribution_id=contribution_id))


def _edited_message(edited: Any) -> str:
    if edited.mailed:
        return gettext("The edit is saved and the teller was emailed what will be published.")
    return gettext("The edit is saved.")


def _media_stores() -> MediaStores:
    """Where the app keeps contributions' photos and recordings."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return MediaStores(images=store_for(app), audio=audio_store(app))


@bp.post("/admin/contributions/<int:contribution_id>/decline")
@coordinator_required
def admin_contribution_decline(contribution_id: int) -> Response | tuple[str, int]:
    """Decline, with a reason emailed to the teller when they left an address; its photos
    and recording are deleted."""
    form = DeclineForm(prefix="decline")
    if not form.validate():
        return _page(contribution_id, decline=form, status=400)
    with _deciding(contribution_id) as db_session:
        found = actions.decline_contribution(
            db_session,
            current_user.actor,
            contribution_id,
            form.reason.data or "",
            media_stores=_media_stores(),
        )
        mailed = bool(found.contact_email)
    worker.wake()
    flash(
        gettext("The story was declined and the teller was emailed the reason.")
        if mailed
        else gettext("The story was declined. The teller left no email to tell."),
        "success",
    )
    return redirect(url_for("console.contributions"))


@bp.post("/admin/contributions/<int:contribution_id>/withdraw")
@coordinator_required
def admin_contribution_withdraw(contribution_id: int) -> Response | tuple[str, int]:
    """Withdraw on the teller's request: the story, its photos and recording leave every
    page, script, kit, export and cache; the history keeps a placeholder."""
    form = WithdrawForm(prefix="withdraw")
    if not form.validate():
        return _page(contribution_id, withdraw=form, status=400)
    try:
        with get_db().transaction(write_lock=True) as db_session:
            result = withdraw_contribution(
                db_session, current_user.actor, contribution_id, media_stores=_media_stores()
            )
    except ContributionNotFound:
        abort(404)
    flash(
        gettext("This story had been withdrawn already.")
        if result.already
        else gettext(
            "The story was withdrawn: its text, photos and recording are gone from every "
            "page, script, kit and export."
        ),
        "success",
    )
    return redirect(url_for("console.contribution", contribution_id=contribution_id))
