"""``bidean init-db``: create or upgrade the schema."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from webapp.common.database import get_db, upgrade


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database tables, or upgrade them to the newest schema."""
    db = get_db()
    upgrade(db.engine)
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")
