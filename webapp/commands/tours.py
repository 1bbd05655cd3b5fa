"""``bidean import``, ``bidean export`` and ``bidean tours`` (``validate`` is in its own module).

Thin commands over :mod:`tours.content.checking.pipeline` and :mod:`tours.tour.store`.  Exit codes:
0 when everything went well (warnings allowed), 1 when a file is invalid, a tour is
unknown or the database fails, 2 for usage errors (click's own).  A bad file never
prints a traceback: it prints its report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from guides.audit import Actor
from tours.content.assembly.assemble import AssemblyOptions
from tours.content.assembly.fieldmap import FieldMap, MappingError
from tours.content.workflows.intake import Intake, Store, import_files
from tours.errors import TourNotFound
from tours.i18n import is_valid_tag, normalize_tag
from tours.text import SLUG_PATTERN, slugify
from tours.tour.domain import without_scripts
from tours.tour.store import export_document, tour_listings
from webapp.actions import imports
from webapp.commands import with_database
from webapp.commands.media import validate_for_app, validate_in_scratch
from webapp.commands.reports import intake_text
from webapp.commands.validate import FILES, gpx_options, validation_options
from webapp.common.database import get_db, is_initialised, upgrade


@contextmanager
def _database_errors() -> Iterator[None]:
    """A database that is down or misconfigured gets one line, not a traceback."""
    try:
        yield
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        click.echo(f"Database error: {first}", err=True)
        raise click.exceptions.Exit(1) from None


@click.command("import")
@click.argument("files", nargs=-1, type=FILES)
@click.option("--route", type=FILES, help="Take the route from this file (GeoJSON, GPX, KML).")
@click.option(
    "--stops", type=FILES, multiple=True, help="Take stops from this file (repeatable, in order)."
)
@click.option("--districts", type=FILES, help="Take district outlines from this file.")
@gpx_options
@click.option(
    "--languages",
    metavar="TAGS",
    help="The draft's languages, in order (es,eu,en); texts in others are kept as partial"
    " translations, not offered to visitors until declared. A file in the profile keeps"
    " its own.",
)
@click.option("--title", help="The tour's title, in the --language.")
@click.option("--summary", help="The tour's summary, in the --language.")
@click.option(
    "--map",
    "mappings",
    metavar="TARGET=SOURCE",
    multiple=True,
    help="Read a field from another property, such as story=historical_relevance.",
)
@click.option(
    "--order",
    type=click.Choice(["source", "route"]),
    help="Stop order: the files' own (an order field, else as listed), or along the route.",
)
@click.option(
    "--route-line",
    metavar="NAME|N",
    help="Of several lines in the files, take this one (its name, or its number from 1).",
)
@click.option(
    "--join", is_flag=True, help="Join several lines into one route, in the files' order."
)
@click.option(
    "--draw-route",
    is_flag=True,
    help="Without a route, join the stops in order with straight lines (redraw it later).",
)
@click.option(
    "--slug", help="The tour's URL name (default: made from its title and city, or the file's own)."
)
@click.option(
    "--new-version-of",
    metavar="SLUG",
    help="Store the import as a new version of this stored tour.",
)
@click.option("--dry-run", is_flag=True, help="Show the report and what would be stored.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@with_database
def import_command(
    files: tuple[Path, ...],
    route: Path | None,
    stops: tuple[Path, ...],
    districts: Path | None,
    city: str | None,
    timezone: str | None,
    language: str | None,
    licence: str | None,
    languages: str | None,
    title: str | None,
    summary: str | None,
    mappings: tuple[str, ...],
    order: str | None,
    route_line: str | None,
    join: bool,
    draw_route: bool,
    slug: str | None,
    new_version_of: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import tour files; files that are not yet a complete tour become drafts.

    A file in the Bidean profile is stored and published as a new version of its tour.
    With --route/--stops/--districts all the files form one tour, stored as a draft
    with a to-do list (`bidean tours`, then `bidean publish SLUG`).  Each tour is stored
    in its own transaction; the command exits 1 when any file could not be imported.
    """
    if not files and route is None and not stops and districts is None:
        raise click.UsageError("Give at least one file (or --route / --stops / --districts).")
    try:
        fields = FieldMap.parse(mappings)
    except MappingError as exc:
        raise click.UsageError(str(exc)) from None
    if route_line and join:
        raise click.UsageError("Give --route-line (one line) or --join (all lines), not both.")
    declared = _language_list(languages)
    if declared and language is None:
        language = declared[0]  # plain texts are in the tour's first language
    elif declared and normalize_tag(language or "") not in declared:
        raise click.UsageError(f"--language {language} must be one of --languages {languages}.")
    if slug and new_version_of:
        raise click.UsageError("Give --slug (a new tour) or --new-version-of (a stored one).")
    for value in (slug, new_version_of):
        if value is not None and not SLUG_PATTERN.match(value):
            raise click.UsageError(
                f"{value!r} is not a slug: lower-case letters, digits and single hyphens,"
                f" such as {slugify(value) or 'old-town-walk'!r}."
            )
    assembly = AssemblyOptions(
        title=title,
        summary=summary,
        city=city,
        language=language,
        timezone=timezone,
        licence=licence,
        fields=fields,
        order=order,
        route_line=route_line,
        join=join,
        draw_route=draw_route,
        slug=slug,
        # --title and --summary apply in every mode: a whole file's own texts too.
        validation=replace(
            validation_options(city, timezone, language, licence), title=title, summary=summary
        ),
    )
    store = None
    if not dry_run:
        with _database_errors():
            upgrade(get_db().engine)
        store = _store(Actor.command_line())
    with _database_errors():
        intakes = import_files(
            store,
            list(files),
            route=route,
            stops=list(stops),
            districts=districts,
            options=assembly,
            dry_run=dry_run,
            # Images a tour file names by a local path go into the media store, except in
            # a dry run, which checks them in a scratch folder and keeps nothing.
            validate=validate_in_scratch if dry_run else validate_for_app,
            languages=declared,
            new_version_of=new_version_of,
        )
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in intakes], ensure_ascii=False, indent=2))
    else:
        for intake in intakes:
            click.echo("\n".join(intake_text(intake)))
    raise click.exceptions.Exit(0 if all(i.ok for i in intakes) else 1)


def _language_list(value: str | None) -> tuple[str, ...]:
    """``--languages es,eu,en`` as canonical tags, in order, each once."""
    tags = [tag.strip() for tag in (value or "").split(",") if tag.strip()]
    bad = [tag for tag in tags if not is_valid_tag(tag)]
    if bad:
        raise click.UsageError(f"--languages: {', '.join(bad)} is no language tag such as eu.")
    return tuple(dict.fromkeys(normalize_tag(tag) for tag in tags))


def _store(actor: Actor) -> Store:
    """Store each file (or assembly) in a transaction of its own, with its audit record."""

    def store(intake: Intake) -> None:
        with get_db().transaction(write_lock=True) as db_session:
            imports.store_import(db_session, actor, intake)

    return store


@click.command("export")
@click.argument("slug")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    help="Write to this file instead of standard output.",
)
@click.option("--version", type=click.IntRange(min=1), help="Export this version, not the current.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["geojson", "gpx"]),
    default="geojson",
    help="geojson (the profile, default) or gpx (route as a track, stops as waypoints).",
)
@click.option("--language", metavar="TAG", help="Language of the GPX names and stories.")
@click.option("--with-scripts", is_flag=True, help="Include the guides' stop scripts (private).")
@with_appcontext
def export_command(
    slug: str,
    output: Path | None,
    version: int | None,
    fmt: str,
    language: str | None,
    with_scripts: bool,
) -> None:
    """Write a stored tour as profile GeoJSON or GPX 1.1 (scripts only with --with-scripts)."""
    # Late imports, only for the CLI's start-up: `bidean import` shares this module and
    # needs neither the residents' stories (their models) nor the GPX writer.
    import geojson

    from tours.content.publishing.export import to_geojson, to_gpx
    from tours.stories.consent import USE_KITS
    from tours.stories.uses import document_for_use

    db = get_db()
    with _database_errors():
        if not is_initialised(db.engine):
            click.echo("No tours are stored yet: import one with `bidean import FILE`.", err=True)
            raise click.exceptions.Exit(1)
        try:
            with db.transaction() as db_session:
                document = export_document(db_session, slug, version)
                # An export goes to other cities: residents' contributions only as their
                # consent allows kits and exports (never one "for this site only").
                document, left_out = document_for_use(db_session, document, USE_KITS)
                if not with_scripts:
                    document = without_scripts(document)
        except TourNotFound as exc:
            click.echo(f"{exc} List the stored tours with `bidean tours`.", err=True)
            raise click.exceptions.Exit(1) from None
    for line in left_out:
        click.echo(f"left out: {line}", err=True)
    if fmt == "gpx":
        props = document["features"][0]["properties"]
        chosen = language or (props.get("languages") or ["en"])[0]
        text = to_gpx(document, chosen, published_only=False)
    else:
        text = geojson.dumps(to_geojson(document), ensure_ascii=False, indent=2) + "\n"
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
@click.option(
    "--json", "as_json", is_flag=True, help="Print every tour as JSON, to-do list included."
)
@with_appcontext
def tours_command(city: str | None, as_json: bool) -> None:
    """List the stored tours: slug, version, city, languages, and status unless published."""
    db = get_db()
    listings = []
    with _database_errors():
        if is_initialised(db.engine):
            with db.transaction() as db_session:
                listings = tour_listings(db_session, city)
    if as_json:
        click.echo(json.dumps([t.to_dict() for t in listings], ensure_ascii=False, indent=2))
        return
    if not listings:
        click.echo("No tours are stored yet.")
    for item in listings:
        fields = [item.slug, f"version {item.version}", item.city, " ".join(item.languages)]
        if item.status != "published" or item.version != item.published_version:
            pending = "" if item.status != "published" else " (a newer draft waits)"
            fields.append(f"{item.status}{pending}, {len(item.todo)} to do")
        click.echo("\t".join(fields))
