"""Coordinator page (role ``admin``): a tour's translation completeness, and the CSV round
trip for translators (download a language's file, upload it back).

``/console/tours/<slug>/translations`` shows, per language (the declared ones, then any
other a stop text uses), how complete the names, stories and scripts are and which stops
lack what; a language the tour does not declare is a partial translation, which a
button offers to visitors.  It calls ``guides.translations`` and
``webapp.actions.tours``, exactly as ``bidean translations`` does.
"""

from __future__ import annotations

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
from flask_babel import gettext, ngettext
from flask_login import current_user

from guides.translations import (
    TranslationError,
    export_translations,
    translation_report,
)
from tours.content.checking.pipeline import ValidationOptions
from tours.content.translation.translation_csv import MAX_BYTES, CsvProblem
from tours.errors import TourNotFound
from webapp.actions import tours as tour_actions
from webapp.common.database import get_db
from webapp.common.i18n import language_name
from webapp.console.auth import coordinator_required
from webapp.console.forms import TranslationUploadForm
from webapp.console.views import bp
from webapp.console.wording import heading_title, language_choices, stop_names_by_id


def _options() -> ValidationOptions:
    """The profile check a published tour's new version passes, with the site's distance."""
    return ValidationOptions(stop_distance_m=float(current_app.config["STOP_DISTANCE_M"]))


def _location(problem: CsvProblem) -> str:
    if not problem.row:
        return gettext("The file")
    if problem.column:
        return gettext("Row %(row)d, column %(column)s", row=problem.row, column=problem.column)
    return gettext("Row %(row)d", row=problem.row)


def _page(slug: str, problems: list[CsvProblem] | None = None) -> str:
    with get_db().transaction() as db_session:
        try:
            report = translation_report(db_session, slug)
            title = heading_title(db_session, slug)
            stop_names = stop_names_by_id(db_session, slug)
        except TourNotFound:
            abort(404)
    return render_template(
        "console/admin_tour_translations.html",
        slug=slug,
        tour_title=title,
        stop_names=stop_names,
        language_list=language_choices(tuple(lang.language for lang in report.languages)),
        report=report,
        upload=TranslationUploadForm(),
        problems=[(_location(p), p.message) for p in problems or ()],
    )


@bp.get("/tours/<slug>/translations")
@coordinator_required
def admin_tour_translations(slug: str) -> str:
    """Per language, which stops lack a name, story or script; download and upload."""
    return _page(slug)


@bp.get("/tours/<slug>/translations.csv")
@coordinator_required
def admin_tour_translations_csv(slug: str) -> Response:
    """The translation file of one language (``?language=pl``, ``&scripts=1`` for scripts)."""
    language = (request.args.get("language") or "").strip()
    if not language:
        flash(gettext("Choose the language to translate into, such as pl."), "error")
        return redirect(url_for("console.admin_tour_translations", slug=slug))
    try:
        with get_db().transaction() as db_session:
            text = export_translations(
                db_session, slug, language, with_scripts=request.args.get("scripts") == "1"
            )
    except TourNotFound:
        abort(404)
    except TranslationError:
        flash(
            gettext(
                "%(language)s cannot be translated into: give a language tag such as pl,"
                " other than the tour's source language.",
                language=language,
            ),
            "error",
        )
        return redirect(url_for("console.admin_tour_translations", slug=slug))
    response = Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8")
    name = f"{slug}.{language}.csv".replace('"', "")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tours/<slug>/translations")
@coordinator_required
def admin_tour_translations_import(slug: str) -> Response | str:
    """Check an uploaded translation file and store its texts as a new version."""
    upload = request.files.get("file")
    data = upload.read(MAX_BYTES + 1) if upload else b""
    if not data:
        flash(gettext("Choose a translation file (CSV) to upload."), "error")
        return redirect(url_for("console.admin_tour_translations", slug=slug))
    try:
        with get_db().transaction(write_lock=True) as db_session:
            outcome = tour_actions.import_tour_translations(
                db_session, current_user.actor, slug, data, _options()
            )
    except TourNotFound:
        abort(404)
    if not outcome.ok:
        flash(
            gettext("The file was not accepted, and nothing was stored. Fix these rows:"), "error"
        )
        return _page(slug, outcome.problems)
    if outcome.version is None:
        flash(gettext("No text changed: nothing was stored."))
    else:
        flash(
            ngettext(
                "Version %(version)s stored: %(num)d text changed.",
                "Version %(version)s stored: %(num)d texts changed.",
                outcome.changed,
                version=outcome.version,
            )
        )
    return redirect(url_for("console.admin_tour_translations", slug=slug))


@bp.post("/tours/<slug>/translations/declare")
@coordinator_required
def admin_tour_translations_declare(slug: str) -> Response | str:
    """Declare a partial language, so that visitors are offered its texts."""
    language = (request.form.get("language") or "").strip()
    try:
        with get_db().transaction(write_lock=True) as db_session:
            outcome = tour_actions.declare_tour_language(
                db_session, current_user.actor, slug, language, _options()
            )
    except TourNotFound:
        abort(404)
    except TranslationError:
        abort(400)
    if not outcome.ok:
        flash(gettext("The new version was not accepted, and nothing was stored:"), "error")
        return _page(slug, outcome.problems)
    if outcome.version is None:
        flash(
            gettext(
                "%(language)s is offered already: nothing was stored.",
                language=language_name(language),
            )
        )
    else:
        flash(
            gettext(
                "Version %(version)s stored: %(language)s is offered to visitors.",
                version=outcome.version,
                language=language_name(outcome.language),
            )
        )
    return redirect(url_for("console.admin_tour_translations", slug=slug))
