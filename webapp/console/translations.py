"""Coordinator page (role ``admin``): a tour's translation completeness, and the CSV round
trip for translators (download a language's file, upload it back).

``/console/tours/<slug>/translations`` shows, per language (the declared ones, then any
other a stop text uses), how complete the names, stories and scripts are and which stops
lack what; a language the tour does not declare is a partial translation, which a
button offers to visitors.  It calls ``guides.translations`` and
``webapp.actions.tours``, exactly as ``bidean translations`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
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


# What a translation file's problem says (``tours.content.translation.translation_csv``
# writes it for the command line, in English, with ids and slugs), as interface words:
# the first pattern its message matches gives the sentence; the message stays folded.
_CSV_SENTENCES: tuple[tuple[str, Callable[[re.Match], str]], ...] = (
    (r"^The file is larger than (\d+) MB", lambda m: gettext(
        "The file is larger than %(size)s MB.", size=m[1])),
    (r"^The file is not UTF-8", lambda m: gettext(
        "The file is not saved as UTF-8: save it as “CSV UTF-8” in your spreadsheet and"
        " upload it again.")),
    (r"^The file is not valid CSV", lambda m: gettext(
        "The file cannot be read as CSV: download it again and copy your texts into it.")),
    (r"^The file (is empty|has no rows)", lambda m: gettext(
        "The file holds no texts: download it again and copy your texts into it.")),
    (r"^The header must be", lambda m: gettext(
        "The first row is not the file's own header: download the file again and copy your"
        " texts into it.")),
    (r"^The row has (\d+) cells; it must have (\d+)", lambda m: gettext(
        "This row has %(found)s cells instead of %(wanted)s: a cell was split or merged.",
        found=m[1], wanted=m[2])),
    (r"^This row is for tour", lambda m: gettext(
        "This row belongs to another tour's file: translate each tour in its own file.")),
    (r"is not a version number", lambda m: gettext(
        "The version column does not hold a number: leave that column as it was.")),
    (r"^The file was made for version (\d+), but the tour is now at version (\d+)",
     lambda m: gettext(
        "The file was made for version %(old)s, and the tour has changed since (it is at"
        " version %(new)s): download the file again and copy your texts into it.",
        old=m[1], new=m[2])),
    (r"has no version (\d+)", lambda m: gettext(
        "The tour has no version %(version)s: leave the version column as it was.",
        version=m[1])),
    (r"is not a language tag", lambda m: gettext(
        "The language column does not hold a language: leave that column as it was.")),
    (r"^The file mixes languages \(([^ ]+) and ([^)]+)\)", lambda m: gettext(
        "The file mixes %(first)s and %(other)s: one file per language.",
        first=language_name(m[1]), other=language_name(m[2]))),
    (r"^The tour has no stop", lambda m: gettext(
        "This row names a stop the tour does not have: leave the stop column as it was.")),
    (r"is not a field of this file", lambda m: gettext(
        "The field column holds something this file does not translate: leave that column"
        " as it was.")),
    (r"appears twice \(also in row (\d+)\)", lambda m: gettext(
        "This text is in the file twice (also in row %(row)s): keep one of the two rows.",
        row=m[1])),
    (r"characters long; at most (\d+) fit", lambda m: gettext(
        "The text is too long: at most %(limit)s characters fit.", limit=m[1])),
    (r"NUL character or broken Unicode", lambda m: gettext(
        "The text holds a character that cannot be stored: remove it.")),
    (r"must be on one line", lambda m: gettext(
        "A title or a stop's name must be on one line.")),
)  # fmt: skip


def csv_problem_sentence(message: str) -> str:
    """A translation file's problem in interface words (the new version's own problems,
    which the file does not explain, say so)."""
    for pattern, sentence in _CSV_SENTENCES:
        found = re.search(pattern, message)
        if found:
            return sentence(found)
    return gettext(
        "With these texts the tour would break one of its rules, so nothing was stored;"
        " the details say where."
    )


def _page(slug: str, problems: list[CsvProblem] | None = None) -> str:
    """The translations page; ``problems`` of an upload or a declaration, said in
    interface words, their own words folded."""
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
        problems=[
            (_location(p), csv_problem_sentence(p.message), p.message) for p in problems or ()
        ],
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
        flash(gettext("Choose the language to translate into from the list."), "error")
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
                "The tour cannot be translated into that language: choose another from the"
                " list, other than the language the tour is written in."
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
def admin_tour_translations_import(slug: str) -> Response:
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
        return make_response(_page(slug, outcome.problems), 422)
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
def admin_tour_translations_declare(slug: str) -> Response:
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
        return make_response(_page(slug, outcome.problems), 422)
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
