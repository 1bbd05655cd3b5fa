"""``bidean publish SLUG`` and ``bidean withdraw SLUG``, through ``webapp.actions.tours``
as the editor's buttons (audited with the actor ``cli:<operating-system user>``)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from guides.audit import Actor
from tours.errors import TourNotFound
from webapp.actions import tours as tour_actions
from webapp.commands.reports import todo_text
from webapp.commands.tours import _database_errors
from webapp.commands.validate import validation_options
from webapp.common.database import get_db, upgrade


@click.command("publish")
@click.argument("slug")
@with_appcontext
def publish_command(slug: str) -> None:
    """Publish the newest version of a tour if it is complete; else print what is left."""
    db = get_db()
    with _database_errors():
        upgrade(db.engine)
        try:
            with db.transaction(write_lock=True) as db_session:
                outcome = tour_actions.publish_tour(
                    db_session,
                    Actor.command_line(),
                    slug,
                    options=validation_options(None, None, None, None),
                )
        except TourNotFound as exc:
            click.echo(f"{exc} List the stored tours with `bidean tours`.", err=True)
            raise click.exceptions.Exit(1) from None
    if not outcome.ok:
        for line in todo_text(outcome.todo, slug):
            click.echo(line)
        click.echo(
            f"{slug} is not published: {len(outcome.todo)} to do. Fix the draft (export it,"
            " edit, import it again) or import again with the missing options."
        )
        raise click.exceptions.Exit(1)
    if outcome.unchanged:
        click.echo(f"{slug} version {outcome.version} was published already; nothing changed")
    else:
        click.echo(f"published {slug} version {outcome.version}")


@click.command("withdraw")
@click.argument("slug")
@with_appcontext
def withdraw_command(slug: str) -> None:
    """Take a tour off the public site; `bidean publish SLUG` brings it back."""
    db = get_db()
    with _database_errors():
        upgrade(db.engine)
        try:
            with db.transaction(write_lock=True) as db_session:
                withdrawn = tour_actions.withdraw_tour(db_session, Actor.command_line(), slug)
        except TourNotFound as exc:
            click.echo(f"{exc} List the stored tours with `bidean tours`.", err=True)
            raise click.exceptions.Exit(1) from None
    click.echo(
        f"withdrew {slug}" if withdrawn else f"{slug} was withdrawn already; nothing changed"
    )
