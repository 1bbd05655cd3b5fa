"""Coordinator pages for tours: the list of every tour and the tour editor.

``/console/tours`` lists drafts, published and withdrawn tours; ``/console/tours/<slug>``
edits the newest version side by side in two languages.  Saving, restoring, publishing
and withdrawing call ``webapp.actions.tours`` (a new version, checked like an import,
refused when the form is based on a version that is no longer the newest), as the
``bidean publish`` and ``withdraw`` commands do.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from flask_login import current_user

from guides.debriefs import ROUTE_CHANGES_SINCE, route_changes_asked
from tours.content.workflows.editing import (
    Document,
    EditError,
    EditRefused,
    changed_fields,
    changed_stops,
    field_of,
)
from tours.db import utcnow
from tours.errors import TourNotFound
from tours.tour.store import (
    PUBLISHED,
    StaleVersion,
    get_document,
    newest_version,
    tour_listings,
    version_history,
)
from webapp.actions import tours as tour_actions
from webapp.common.database import get_db
from webapp.common.i18n import LANGUAGES, current_language
from webapp.common.limits import stored_id
from webapp.common.maps import json_for_script
from webapp.common.tiles import tiles_from_config
from webapp.console.auth import coordinator_required
from webapp.console.editor_pages import EditorInput, editor_page, pick_language
from webapp.console.views import bp
from webapp.console.wording import (
    document_stop_names,
    heading_title,
    problem_sentence,
    title_in,
)

# Route changes asked for in debriefs that the editor lists above the form.
ROUTE_CHANGES_SHOWN = 10

LABELS = {
    "title": lazy_gettext("Title"),
    "summary": lazy_gettext("Summary"),
    "credits": lazy_gettext("Credits"),
    "accessibility": lazy_gettext("Accessibility"),
    "name": lazy_gettext("Name"),
    "story": lazy_gettext("Story"),
    "script": lazy_gettext("Guide's script (never public)"),
    # The accessible name of a stop's marker on the map; the number is the stop list's.
    "stop_marker": lazy_gettext("Stop %(number)s: %(name)s"),
}


@bp.get("/tours")
@coordinator_required
def admin_tours() -> str:
    """Every stored tour: status, newest version, what is left to do."""
    with get_db().transaction() as db_session:
        listings = tour_listings(db_session)
    return render_template("console/admin_tours.html", tours=listings)


def _languages(default: str) -> tuple[str, str]:
    target = pick_language(request.values.get("write"), current_language())
    source = pick_language(request.values.get("read"), default)
    return target, source


def _render(slug: str, posted=None, errors=None, stale=None, status: int = 200, based_on=None):
    """The editor page; a posted form shown again keeps the version it was based on."""
    with get_db().transaction() as db_session:
        row = newest_version(db_session, slug, lock=False)
        record = row.tour
        document, todo = row.document, list(row.todo or ())
        version, tour_status, current = row.version, record.status, record.current_version
        asked, asked_total = route_changes_asked(
            db_session, utcnow() - ROUTE_CHANGES_SINCE, ROUTE_CHANGES_SHOWN, slug=slug
        )
    languages = (document["features"][0]["properties"].get("languages") or ["es"])[:1]
    target, source = _languages(languages[0])
    tiles = tiles_from_config(current_app.config)
    page = editor_page(
        slug,
        based_on if based_on is not None else version,
        tour_status,
        document,
        todo,
        target=target,
        source=source,
        labels={k: str(v) for k, v in LABELS.items()},
        interface_languages=list(LANGUAGES),
        published_version=current if tour_status == PUBLISHED else None,
        posted=posted,
        tiles={"url": tiles.url, "attribution": tiles.attribution} if tiles else None,
        errors=errors,
        opened=set(request.args.getlist("open")) if posted is None else (),
    )
    todo_fields = [(field_of(document, item.get("pointer", "")), item) for item in todo]
    body = render_template(
        "console/admin_tour_edit.html",
        page=page,
        tour_title=title_in(document["features"][0]["properties"].get("title"), target, slug),
        stop_names=document_stop_names(document, target),
        todo=todo_fields,
        stale=stale,
        unsaved=posted is not None,  # a form shown again holds what is not stored yet
        newest=version,
        map_json=json_for_script(page.map_data),
        can_publish=not todo and (tour_status != PUBLISHED or version != current),
        route_changes=asked,
        route_changes_total=asked_total,
    )
    return body, status


# The editing rules (``tours.content.workflows.editing``) say what is wrong in the command
# line's English, with stop ids; the console says it in the coordinator's language.
_EDIT_SENTENCES: tuple[tuple[str, Callable[[], str]], ...] = (
    ("needs two numbers", lambda: gettext(
        "Write the position as two numbers, such as -2.9262 and 43.2556.")),
    ("must be between -180 and 180", lambda: gettext(
        "The longitude must be between -180 and 180 and the latitude between -90 and 90.")),
    ("A route needs at least two points", lambda: gettext(
        "A route needs at least two points.")),
    ("The tour has no stop", lambda: gettext(
        "This stop is no longer in the tour: open the editor again.")),
    ("is not a language tag", lambda: gettext("Choose the language from the list.")),
    ("cannot be stored", lambda: gettext(
        "The text holds a character that cannot be stored: remove it.")),
    ("cannot be the id of a new stop", lambda: gettext(
        "The new stop could not be added: save again.")),
    ("must list every stop of the tour once", lambda: gettext(
        "The order must hold every stop of the tour once: open the editor again and move"
        " the stops.")),
)  # fmt: skip


def edit_refusal(error: EditError) -> str:
    """Why an edit was refused, in interface words (the form's own checks already are)."""
    message = str(error)
    return next((said() for part, said in _EDIT_SENTENCES if part in message), message)


@bp.route("/tours/<slug>", methods=["GET", "POST"])
@coordinator_required
def admin_tour_edit(slug: str):
    """The editor: GET shows the newest version; POST saves it, or moves a stop (no JS)."""
    if request.method == "GET":
        return _render(slug)
    based_on = _posted_int("based_on")
    with get_db().transaction() as db_session:
        route = newest_version(db_session, slug, lock=False).document["features"][0]["properties"]
    target, _source = _languages((route.get("languages") or ["es"])[0])
    form = EditorInput(
        target,
        request.form,
        gettext("Write the position as two numbers, such as -2.9262 and 43.2556."),
        gettext("A new stop needs a name."),
        gettext(
            "Write the route as at least two points, one per line: longitude, latitude,"
            " such as -2.9262, 43.2556."
        ),
    )
    action = request.form.get("action", "save")
    if action.startswith(("up:", "down:")):
        # Without JavaScript the up/down buttons come here: show the new order, store nothing.
        with get_db().transaction() as db_session:
            document = newest_version(db_session, slug, lock=False).document
        posted = request.form.copy()
        posted.setlist("order", form.moved_order(document))
        return _render(slug, posted=posted, based_on=based_on)
    edited: list[str] = []  # the stops this save adds or changes: unfolded after it

    def change(document: Document) -> Document:
        result = form.change(document)
        edited[:] = changed_stops(document, result)
        return result

    try:
        with get_db().transaction(write_lock=True) as db_session:
            saved = tour_actions.save_tour_edit(
                db_session, current_user.actor, slug, based_on, change
            )
    except StaleVersion as stale:
        return _stale(slug, stale)
    except EditError as error:
        return _render(
            slug, request.form, {error.field: [edit_refusal(error)]}, status=422, based_on=based_on
        )
    except EditRefused as refused:
        errors: dict[str, list[str]] = {}
        for problem in refused.problems:
            errors.setdefault(problem.field, []).append(problem_sentence(problem.code))
        flash(
            gettext("Nothing was saved: correct the fields marked below and save again."), "error"
        )
        return _render(slug, request.form, errors, status=422, based_on=based_on)
    if saved.unchanged:
        flash(gettext("Nothing changed, so no new version was saved."))
    elif saved.todo:
        flash(
            gettext("Saved as version %(version)d.", version=saved.version)
            + " "
            + ngettext(
                "%(num)d thing is left to do before publishing.",
                "%(num)d things are left to do before publishing.",
                len(saved.todo),
            )
        )
    else:
        flash(gettext("Saved as version %(version)d. It can be published.", version=saved.version))
    opened = {"open": edited} if edited and not saved.unchanged else {}
    return redirect(url_for("console.admin_tour_edit", slug=slug, **_language_args(), **opened))


def _language_args() -> dict[str, str]:
    return {k: request.values[k] for k in ("write", "read") if request.values.get(k)}


def _stale(slug: str, stale: StaleVersion):
    with get_db().transaction() as db_session:
        try:
            before = get_document(db_session, slug, stale.based_on)
            after = get_document(db_session, slug, stale.newest)
            stale.changes = changed_fields(before, after)
        except TourNotFound:
            stale.changes = []
    return _render(slug, posted=request.form, stale=stale, status=409, based_on=stale.based_on)


@bp.get("/tours/<slug>/history")
@coordinator_required
def admin_tour_history(slug: str) -> str:
    """Every version of a tour, newest first, each with a button to restore it."""
    with get_db().transaction() as db_session:
        versions = version_history(db_session, slug)
        title = heading_title(db_session, slug) if versions else slug
    return render_template(
        "console/admin_tour_history.html", slug=slug, versions=versions, tour_title=title
    )


def _posted_int(name: str) -> int:
    """A version number from the form; 400 unless it is one a column can hold."""
    number = stored_id(request.form.get(name))
    if number is None:
        abort(400, gettext("The form does not say which version it edits. Reload the editor."))
    return number


@bp.post("/tours/<slug>/restore")
@coordinator_required
def admin_tour_restore(slug: str) -> Response:
    """Store an earlier version again as the newest one (a new version; nothing is lost)."""
    version, based_on = _posted_int("version"), _posted_int("based_on")
    try:
        with get_db().transaction(write_lock=True) as db_session:
            saved = tour_actions.restore_tour_version(
                db_session, current_user.actor, slug, version, based_on
            )
    except StaleVersion as stale:
        flash(_stale_text(stale), "error")
        return redirect(url_for("console.admin_tour_history", slug=slug))
    except EditRefused as refused:
        flash(gettext("Version %(version)d cannot be restored:", version=version), "error")
        for problem in refused.problems:
            flash(problem_sentence(problem.code), "error")
        return redirect(url_for("console.admin_tour_history", slug=slug))
    flash(gettext("Version %(old)d restored as version %(new)d.", old=version, new=saved.version))
    return redirect(url_for("console.admin_tour_edit", slug=slug))


def _stale_text(stale: StaleVersion) -> str:
    return gettext(
        "Nothing was saved: this tour changed while you were working on version %(old)d;"
        " the newest is version %(new)d. Reload the page to see the changes, then try again.",
        old=stale.based_on,
        new=stale.newest,
    )


@bp.post("/tours/<slug>/publish")
@coordinator_required
def admin_tour_publish(slug: str) -> Response:
    """Publish the newest version if nothing is left to do."""
    based_on = _posted_int("based_on") if request.form.get("based_on") else None
    try:
        with get_db().transaction(write_lock=True) as db_session:
            outcome = tour_actions.publish_tour(
                db_session, current_user.actor, slug, based_on=based_on
            )
    except StaleVersion as stale:
        flash(_stale_text(stale), "error")
        return redirect(url_for("console.admin_tour_edit", slug=slug))
    if outcome.unchanged:
        flash(
            gettext(
                "Version %(version)d was on the public site already: nothing changed.",
                version=outcome.version,
            )
        )
    elif outcome.ok:
        flash(
            gettext(
                "Published: version %(version)d is on the public site.", version=outcome.version
            )
        )
    else:
        flash(gettext("Not published: finish the to-do list first."), "error")
    return redirect(url_for("console.admin_tour_edit", slug=slug))


@bp.post("/tours/<slug>/withdraw")
@coordinator_required
def admin_tour_withdraw(slug: str) -> Response:
    """Take a tour off the public site; its versions stay and it can be published again."""
    with get_db().transaction(write_lock=True) as db_session:
        withdrawn = tour_actions.withdraw_tour(db_session, current_user.actor, slug)
    if withdrawn:
        flash(gettext("Withdrawn: the tour is no longer on the public site."))
    else:
        flash(gettext("The tour was withdrawn already: nothing changed."))
    return redirect(url_for("console.admin_tour_edit", slug=slug))
