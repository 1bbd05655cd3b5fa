"""Coordinators import tour files in the browser, with a preview before anything is stored.

``/console/tours/import``: choose the files and options (as ``bidean import``); they are
staged on the server (:mod:`tours.content.workflows.staging`) under a token bound to the account,
and ``/console/tours/import/<token>`` previews them (``?format=json`` or ``Accept:
application/json`` for the JSON report).  Options and the stop order can be changed
there and previewed again; confirming stores the tour in one transaction, cancelling
removes the upload.  Uploads have their own size limit, ``BIDEAN_CONSOLE_IMPORT_MB``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from tours.content.assembly.assembly_order import move_stops
from tours.content.workflows import staging
from tours.content.workflows.preview import ImportPreview, build_preview
from tours.content.workflows.uploads import ImportPlan, existing_tour, plan_import, settle_slug
from tours.tour.store import PUBLISHED
from webapp.actions import imports
from webapp.common.database import get_db
from webapp.common.errors import handle_http_error
from webapp.common.i18n import current_language
from webapp.common.limits import body_limit
from webapp.console.auth import coordinator_required
from webapp.console.import_forms import (
    MANUAL,
    ImportForm,
    OptionsForm,
    assembly_options,
    mappable_fields,
    mapping_error,
)
from webapp.console.import_map import preview_map_html
from webapp.console.views import bp
from webapp.console.wording import stop_names, title_in

LIMIT_KEY = "CONSOLE_IMPORT_MB"
_UPLOAD = "console.admin_import_upload"


def staging_root() -> Path:
    return Path(current_app.config["IMPORT_STAGING_DIR"])


def _max_age() -> float:
    return float(current_app.config["IMPORT_STAGING_MINUTES"]) * 60


def _wants_json() -> bool:
    accepted = request.accept_mimetypes
    return request.args.get("format") == "json" or (
        accepted.accept_json and not accepted.accept_html
    )


def _limit_mb() -> str:
    return f"{float(current_app.config[LIMIT_KEY]):g}"


def _form_page(form: ImportForm, status: int = 200, error: str | None = None) -> tuple[str, int]:
    form.set_order_choices(manual=False)
    page = render_template(
        "console/import.html",
        form=form,
        error=error,
        limit_mb=_limit_mb(),
        fields=mappable_fields(),
    )
    return page, status


@bp.get("/tours/import")
@coordinator_required
def admin_import() -> tuple[str, int]:
    """The files and options of an import."""
    return _form_page(ImportForm())


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Any:
    """An upload over the import limit gets the import page again, saying so."""
    if request.endpoint != _UPLOAD or not (
        current_user.is_authenticated and current_user.is_coordinator
    ):
        return handle_http_error(error)
    message = gettext(
        "The files are larger than the import limit of %(mb)s MB. Upload fewer or smaller"
        " files; an administrator can raise the limit (BIDEAN_CONSOLE_IMPORT_MB).",
        mb=_limit_mb(),
    )
    if _wants_json():
        return jsonify(error=message, code="too-large"), 413
    return _form_page(ImportForm(formdata=None), 413, message)


def _uploaded() -> list[staging.StagedFile]:
    files = []
    for role in staging.ROLES:
        for upload in request.files.getlist(role):
            try:
                if upload.filename:
                    name = staging.file_name(upload.filename, role)
                    files.append(staging.StagedFile(role, name, upload.read()))
            finally:
                upload.close()  # a large upload is a temporary file
    return files


@bp.post("/tours/import")
@body_limit(LIMIT_KEY)
@coordinator_required
def admin_import_upload() -> Any:
    """Stage the files and show the preview (nothing is stored yet)."""
    form = ImportForm()
    form.set_language_choices(form.language.data)
    form.set_order_choices(manual=False)
    files = _uploaded()
    options = form.options()
    error = None
    if not files:
        error = gettext("Choose at least one file: a whole tour, or a route and its stops.")
    elif len([f for f in files if f.role == "tour"]) > 1:
        error = gettext("Give one whole-tour file at a time.")
    elif mapping_error(options):
        error = _mapping_message()
    if error:
        if _wants_json():
            return jsonify(error=error, code="bad-request"), 400
        return _form_page(form, 400, error)
    root = staging_root()
    staging.purge_expired(root, _max_age())
    staged = staging.stage(root, current_user.account_id, files, options)
    if _wants_json():
        preview = _preview(staged)
        return jsonify(_json(staged, preview)), 201
    return redirect(url_for("console.admin_import_preview", token=staged.token))


def _mapping_message() -> str:
    return gettext(
        "Write each field mapping as FIELD=PROPERTY on a line of its own, such as"
        " story=historical_relevance. FIELD is one of: %(fields)s.",
        fields=mappable_fields(),
    )


def _load(token: str) -> staging.Staged:
    return staging.load(staging_root(), token, current_user.account_id, _max_age())


def _gone() -> Any:
    message = gettext(
        "This import is no longer waiting: it was confirmed, cancelled or left too long."
        " Upload the files again."
    )
    if _wants_json():
        return jsonify(error=message, code="not-found"), 404
    flash(message)
    return redirect(url_for("console.admin_import"))


def _plan(staged: staging.Staged) -> ImportPlan:
    config = current_app.config
    max_bytes = int(float(config["MAX_IMPORT_MB"]) * 1024 * 1024)
    options = assembly_options(staged.options, max_bytes, float(config["STOP_DISTANCE_M"]))
    plan = plan_import(staged.files, options)
    with get_db().transaction() as db_session:
        settle_slug(db_session, plan)
    return plan


def _preview(staged: staging.Staged) -> ImportPreview:
    return _preview_and_title(staged)[0]


def _preview_and_title(staged: staging.Staged) -> tuple[ImportPreview, str]:
    """The preview, and the tour's title as the headings show it (not its slug)."""
    plan = _plan(staged)
    existing = None
    if plan.slug:
        with get_db().transaction() as db_session:
            existing = existing_tour(db_session, plan.slug)
    publish = bool(staged.options.get("publish"))
    return build_preview(staged.files, plan, existing, publish), _title(plan)


def _title(plan: ImportPlan) -> str:
    features = (plan.document or {}).get("features") or [{}]
    title = (features[0].get("properties") or {}).get("title")
    return title_in(title, current_language(), gettext("Untitled tour"))


def _json(staged: staging.Staged, preview: ImportPreview) -> dict[str, Any]:
    url = url_for("console.admin_import_preview", token=staged.token)
    return {
        "token": staged.token,
        "preview": url,
        "confirm": url_for("console.admin_import_confirm", token=staged.token),
        "cancel": url_for("console.admin_import_cancel", token=staged.token),
        "options": staged.options,
        **preview.to_dict(),
    }


@bp.get("/tours/import/<token>")
@coordinator_required
def admin_import_preview(token: str) -> Any:
    """The preview: map, stop order, fields, problems and what will be stored."""
    try:
        staged = _load(token)
    except staging.StagingNotFound:
        return _gone()
    preview, title = _preview_and_title(staged)
    if _wants_json():
        return jsonify(_json(staged, preview))
    form = OptionsForm(formdata=None)
    form.set_language_choices(staged.options.get("language"))
    form.set_order_choices(manual=bool(staged.options.get("stop_order")))
    form.set_line_choices(preview.lines)
    form.fill(staged.options)
    return render_template(
        "console/import_preview.html",
        token=token,
        preview=preview,
        form=form,
        map_html=preview_map_html(preview),
        fields=mappable_fields(),
        tour_title=title,
        stop_names=stop_names(preview.stops, by_source=not preview.movable),
    )


@bp.post("/tours/import/<token>")
@body_limit(LIMIT_KEY)
@coordinator_required
def admin_import_update(token: str) -> Any:
    """Preview again with other options or another stop order (the files stay; a route
    file given here joins them)."""
    try:
        staged = _load(token)
    except staging.StagingNotFound:
        return _gone()
    route = [f for f in _uploaded() if f.role == "route"]
    if route:
        staging.add_files(staging_root(), staged, route)
    form = OptionsForm()
    form.set_order_choices(manual=True)
    options = form.options()
    if mapping_error(options):
        flash(_mapping_message())
        return redirect(url_for("console.admin_import_preview", token=token))
    before = staged.options
    chosen = form.order.data or ""
    previous = MANUAL if before.get("stop_order") else before.get("order") or ""
    stop_order = None
    if chosen == previous:
        # The same rule: positions typed into the list move those stops.
        current = _plan(staged)
        order = current.assembly.order if current.assembly else None
        final = list(order.final) if order else []
        moved = _moved(final)
        stop_order = move_stops(final, moved) if moved else before.get("stop_order")
    if chosen == MANUAL:
        options["order"] = before.get("order")
    options["stop_order"] = list(stop_order) if stop_order else None
    staged.options = options
    staging.save_options(staging_root(), staged)
    return redirect(url_for("console.admin_import_preview", token=token))


def _moved(final: list[int]) -> dict[int, int]:
    """``position-<source position>`` fields whose value differs from the stop's position."""
    moved = {}
    for position, index in enumerate(final, start=1):
        raw = (request.form.get(f"position-{index + 1}") or "").strip()
        if raw.isdigit() and int(raw) != position:
            moved[index] = int(raw)
    return moved


@bp.post("/tours/import/<token>/confirm")
@coordinator_required
def admin_import_confirm(token: str) -> Any:
    """Store the tour in one transaction (a draft, or published if complete and asked)."""
    try:
        staged = _load(token)
    except staging.StagingNotFound:
        return _gone()
    plan = _plan(staged)
    if not plan.ok:
        flash(gettext("Nothing can be stored from these files: see the errors below."))
        return redirect(url_for("console.admin_import_preview", token=token))
    publish = bool(staged.options.get("publish"))
    if not staging.discard(staging_root(), token, current_user.account_id):
        return _gone()  # confirmed (or cancelled) by another request meanwhile
    try:
        with get_db().transaction(write_lock=True) as db_session:
            stored = imports.confirm_upload(
                db_session,
                current_user.actor,
                plan,
                publish=publish,
                files=[f.name for f in staged.files],
            )
    except Exception:
        # Nothing was stored: keep the upload, so that a second try needs no new upload.
        staging.restore(staging_root(), staged)
        raise
    title = _title(plan)
    if stored.unchanged:
        message = gettext("Nothing new: “%(title)s” is already published like this.", title=title)
    elif stored.status == PUBLISHED:
        message = gettext(
            "“%(title)s”, version %(version)d, is published.", title=title, version=stored.version
        )
    else:
        message = gettext(
            "“%(title)s”, version %(version)d, is stored as a draft.",
            title=title,
            version=stored.version,
        )
    if _wants_json():
        return jsonify(
            slug=stored.slug,
            version=stored.version,
            status=stored.status,
            unchanged=stored.unchanged,
            url=_tour_page(stored.slug),
        )
    flash(message)
    return redirect(_tour_page(stored.slug))


def _tour_page(slug: str) -> str:
    """The tour's page in the editor, where the coordinator goes on with the draft."""
    return url_for("console.admin_tour_edit", slug=slug)


@bp.post("/tours/import/<token>/cancel")
@coordinator_required
def admin_import_cancel(token: str) -> Response:
    """Forget the upload; nothing was stored."""
    staging.discard(staging_root(), token, current_user.account_id)
    flash(gettext("Import cancelled: nothing was stored."))
    return redirect(url_for("console.admin_import"))
