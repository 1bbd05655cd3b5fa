"""``bidean translations report|export|import|declare`` and ``bidean fork``.

Thin commands over ``guides.translations`` and ``webapp.actions.tours`` (storing a
translation file and a fork, audited as from the console); exit 1 with one clear
message for an unknown tour or a refused file (every problem with its row and column),
never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext

from guides.audit import Actor
from guides.translations import (
    TranslationError,
    export_translations,
    translation_report,
)
from tours.content.translation.translation_csv import MAX_BYTES
from tours.content.translation.translations import report_text
from tours.content.workflows.fork import ForkError
from tours.errors import TourNotFound
from tours.text import counted
from webapp.actions import tours as tour_actions
from webapp.commands.reports import todo_text
from webapp.commands.tours import _database_errors
from webapp.commands.validate import validation_options
from webapp.common.database import get_db, upgrade


@contextmanager
def _refusals() -> Iterator[None]:
    """An unknown tour or a refused request: one line on stderr, exit 1."""
    try:
        yield
    except TourNotFound as exc:
        click.echo(f"{exc} List the stored tours with `bidean tours`.", err=True)
        raise click.exceptions.Exit(1) from None
    except (TranslationError, ForkError) as exc:
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(1) from None


@click.group("translations")
def translations_group() -> None:
    """Translation completeness of a tour, and CSV files for translators."""


@translations_group.command("report")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def report_command(slug: str, as_json: bool) -> None:
    """Per language, which stops lack a name, story or script (newest version)."""
    db = get_db()
    with _database_errors(), _refusals():
        upgrade(db.engine)
        with db.transaction() as db_session:
            report = translation_report(db_session, slug)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    for line in report_text(report):
        click.echo(line)


@translations_group.command("export")
@click.argument("slug")
@click.option("--language", "-l", required=True, metavar="TAG", help="Translate into this.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--with-scripts", is_flag=True, help="Add the guides' stop scripts (private) as rows."
)
@with_appcontext
def export_command(slug: str, language: str, output: Path | None, with_scripts: bool) -> None:
    """Write the CSV for translating SLUG into a language (a row per stop and field)."""
    db = get_db()
    with _database_errors(), _refusals():
        upgrade(db.engine)
        with db.transaction() as db_session:
            text = export_translations(db_session, slug, language, with_scripts=with_scripts)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        click.echo(f"Cannot write {output}: {exc.strerror}.", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(f"wrote the {language} translation file of {slug} to {output}", err=True)


@translations_group.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@with_appcontext
def import_command(slug: str, file: Path, as_json: bool) -> None:
    """Check a translation CSV and store its texts as a new version of SLUG.

    Nothing is stored when any row has a problem; each is printed with its row and column.
    """
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        click.echo(f"Cannot read {file}: {exc.strerror}.", err=True)
        raise click.exceptions.Exit(1) from None
    db = get_db()
    with _database_errors(), _refusals():
        upgrade(db.engine)
        with db.transaction(write_lock=True) as db_session:
            outcome = tour_actions.import_tour_translations(
                db_session,
                Actor.command_line(),
                slug,
                data,
                validation_options(None, None, None, None),
            )
    if as_json:
        click.echo(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
    elif not outcome.ok:
        for problem in outcome.problems:
            click.echo(f"{file}: {problem.to_text()}", err=True)
        click.echo(f"{file}: nothing was stored.", err=True)
    elif outcome.version is None:
        click.echo(f"{file}: no text changed; nothing was stored.")
    else:
        kind = " as a draft" if outcome.draft else ""
        click.echo(
            f"stored {slug} version {outcome.version}{kind}:"
            f" {counted(outcome.changed, f'{outcome.language} text')} changed"
        )
    raise click.exceptions.Exit(0 if outcome.ok else 1)


@translations_group.command("declare")
@click.argument("slug")
@click.argument("language")
@with_appcontext
def declare_command(slug: str, language: str) -> None:
    """Offer LANGUAGE to visitors of SLUG: store a version that declares it.

    Until then its texts are a partial translation, counted by `bidean translations
    report` but not shown on the public pages.  Incomplete, it lists what is missing.
    """
    db = get_db()
    with _database_errors(), _refusals():
        upgrade(db.engine)
        with db.transaction(write_lock=True) as db_session:
            outcome = tour_actions.declare_tour_language(
                db_session,
                Actor.command_line(),
                slug,
                language,
                validation_options(None, None, None, None),
            )
            report = translation_report(db_session, slug) if outcome.version else None
    if not outcome.ok:
        for problem in outcome.problems:
            click.echo(f"{slug}: {problem.message}", err=True)
        click.echo(f"{slug}: nothing was stored.", err=True)
        raise click.exceptions.Exit(1)
    if outcome.version is None:
        click.echo(f"{slug} already declares {outcome.language}; nothing was stored.")
        return
    kind = " as a draft" if outcome.draft else ""
    click.echo(f"stored {slug} version {outcome.version}{kind}: {outcome.language} is declared")
    coverage = (
        next(c for c in report.languages if c.language == outcome.language) if report else None
    )
    if coverage is not None and not coverage.complete:
        click.echo(
            f"{outcome.language} is {coverage.percent:g}% complete: see"
            f" `bidean translations report {slug}` for what is missing."
        )


@click.command("fork")
@click.argument("slug")
@click.option("--city", required=True, help="The city of the new tour, such as Wrocław.")
@click.option("--slug", "new_slug", help="Slug of the new tour (default: SLUG-city).")
@click.option("--with-scripts", is_flag=True, help="Copy the guides' stop scripts too (private).")
@with_appcontext
def fork_command(slug: str, city: str, new_slug: str | None, with_scripts: bool) -> None:
    """Copy a tour's structure as a draft in another city, with its credits and licence.

    The copy keeps the stops (as draft stops, in order), their texts and languages, the
    licence and credits (plus a "forked from" line); its to-do list says what to redo
    locally.  Scripts are copied only with --with-scripts.
    """
    db = get_db()
    with _database_errors(), _refusals():
        upgrade(db.engine)
        with db.transaction(write_lock=True) as db_session:
            result = tour_actions.fork_tour(
                db_session, Actor.command_line(), slug, city, new_slug, with_scripts=with_scripts
            )
    for line in todo_text(result.todo, result.slug):
        click.echo(line)
    click.echo(
        f"stored {result.slug} version {result.version} as a draft ({len(result.todo)} to do),"
        f" forked from {result.source_slug} version {result.source_version}"
    )


COMMANDS = [translations_group, fork_command]
