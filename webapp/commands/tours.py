"""``bidean validate``, ``bidean import``, ``bidean export`` and ``bidean tours``.

Thin commands over :mod:`tours.content.importer` and :mod:`tours.tour.store`.  Exit codes:
0 when everything went well (warnings allowed), 1 when a file is invalid, a tour is
unknown or the database fails, 2 for usage errors (click's own).  A bad file never
prints a traceback: it prints its report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from tours.content.importer import ImportOutcome, ValidationOptions, import_paths
from tours.errors import TourNotFound
from tours.tour.store import get_document, list_tours
from webapp.commands.media import validate_for_app, validate_only
from webapp.common.database import get_db, is_initialised, upgrade

F = TypeVar("F", bound=Callable[..., Any])
_FILES = click.Path(path_type=Path)


def _gpx_options(command: F) -> F:
    """Options for what a GPX file cannot say (and ``--city``, which overrides any file)."""
    command = click.option(
        "--licence",
        metavar="SPDX",
        help="Licence of a GPX tour's texts, such as CC-BY-SA-4.0, if the file has none.",
    )(command)
    command = click.option(
        "--language",
        metavar="TAG",
        help="Language of the names and descriptions of a GPX file (default: en).",
    )(command)
    command = click.option(
        "--timezone",
        metavar="ZONE",
        help="Time zone of a GPX tour, such as Europe/Madrid (GeoJSON tours say it themselves).",
    )(command)
    return click.option(
        "--city", metavar="NAME", help="Store the tours under this city, whatever the files say."
    )(command)


def _options(
    city: str | None, timezone: str | None, language: str | None, licence: str | None
) -> ValidationOptions:
    """Validation options from the app config (``BIDEAN_MAX_IMPORT_MB``,
    ``BIDEAN_STOP_DISTANCE_M``) and the command's options."""
    config = current_app.config
    extra: dict[str, Any] = {"default_language": language} if language else {}
    try:
        max_mb, stop_m = float(config["MAX_IMPORT_MB"]), float(config["STOP_DISTANCE_M"])
    except (TypeError, ValueError):
        raise click.ClickException(
            "BIDEAN_MAX_IMPORT_MB and BIDEAN_STOP_DISTANCE_M must be numbers"
            f" (they are {config['MAX_IMPORT_MB']!r} and {config['STOP_DISTANCE_M']!r})."
        ) from None
    return ValidationOptions(
        max_bytes=int(max_mb * 1024 * 1024),
        stop_distance_m=stop_m,
        city=city,
        timezone=timezone,
        licence=licence,
        **extra,
    )


@contextmanager
def _database_errors() -> Iterator[None]:
    """A database that is down or misconfigured gets one line, not a traceback."""
    try:
        yield
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        click.echo(f"Database error: {first}", err=True)
        raise click.exceptions.Exit(1) from None


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as a JSON array.")
@_gpx_options
@with_appcontext
def validate_command(
    files: tuple[Path, ...],
    as_json: bool,
    city: str | None,
    timezone: str | None,
    language: str | None,
    licence: str | None,
) -> None:
    """Check tour files (GeoJSON or GPX) and report every problem; stores nothing.

    Exits 0 when every file is valid (warnings allowed) and 1 when any is not.
    """
    options = _options(city, timezone, language, licence)
    reports = [validate_only(path, options).report for path in files]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        for report in reports:
            click.echo(report.to_text())
    raise click.exceptions.Exit(0 if all(r.valid for r in reports) else 1)


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@_gpx_options
@with_appcontext
def import_command(
    files: tuple[Path, ...],
    city: str | None,
    timezone: str | None,
    language: str | None,
    licence: str | None,
) -> None:
    """Validate tour files and store each valid one as a new version of its tour.

    Each file is stored in its own transaction; an invalid file stores nothing and makes
    the command exit 1 after the others are done.
    """
    options = _options(city, timezone, language, licence)
    db = get_db()
    with _database_errors():
        upgrade(db.engine)
        outcomes = import_paths(db.sessions, files, options, validate=validate_for_app)
    for outcome in outcomes:
        _print_outcome(outcome)
    raise click.exceptions.Exit(0 if all(o.ok for o in outcomes) else 1)


def _print_outcome(outcome: ImportOutcome) -> None:
    report = outcome.result.report
    if outcome.stored is None:
        click.echo(report.to_text())
        return
    for warning in report.warnings:
        click.echo(warning.to_text(report.file))
    stored = outcome.stored
    if stored.unchanged:
        click.echo(f"unchanged {stored.slug} version {stored.version} ({outcome.file})")
        return
    click.echo(f"stored {stored.slug} version {stored.version} ({outcome.file})")


@click.command("export")
@click.argument("slug")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    help="Write to this file instead of standard output.",
)
@click.option("--version", type=click.IntRange(min=1), help="Export this version, not the current.")
@with_appcontext
def export_command(slug: str, output: Path | None, version: int | None) -> None:
    """Write a stored tour as its profile GeoJSON."""
    db = get_db()
    with _database_errors():
        if not is_initialised(db.engine):
            click.echo("No tours are stored yet: import one with `bidean import FILE`.", err=True)
            raise click.exceptions.Exit(1)
        try:
            with db.transaction() as session:
                document = get_document(session, slug, version)
        except TourNotFound as exc:
            click.echo(f"{exc} List the stored tours with `bidean tours`.", err=True)
            raise click.exceptions.Exit(1) from None
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        click.echo(f"Cannot write {output}: {exc.strerror}.", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(f"wrote {slug} to {output}", err=True)


@click.command("tours")
@click.option("--city", help="Only the tours of this city.")
@with_appcontext
def tours_command(city: str | None) -> None:
    """List the stored tours: slug, current version, city and languages."""
    db = get_db()
    with _database_errors():
        if not is_initialised(db.engine):
            click.echo("No tours are stored yet.")
            return
        with db.transaction() as session:
            stored = list_tours(session, city)
    if not stored:
        click.echo("No tours are stored yet.")
    for item in stored:
        tour = item.tour
        click.echo(f"{item.slug}\tversion {item.version}\t{tour.city}\t{' '.join(tour.languages)}")


COMMANDS = [validate_command, import_command, export_command, tours_command]
