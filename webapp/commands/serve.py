"""``bidean serve``: a ready-to-try Bidean on one command (``make run``).

It upgrades the schema, compiles stale interface translations, loads the sample tours
on first start, starts the mail worker as a thread of this process and serves with
Werkzeug's threaded development server.  Without ``BIDEAN_PUBLIC_URL`` the links in
emails point at the address it serves on, which it records in the instance folder for
the other commands' links (``webapp.common.urls``).  In production run ``bidean init-db`` once,
compile translations (``pybabel compile -d webapp/translations``) and serve with
gunicorn plus ``bidean mail worker`` instead (docs/deployment.md)::

    gunicorn --workers 4 --bind 0.0.0.0:8000 'webapp:create_app()'
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import make_server

from tours.text import counted
from webapp.commands.samples import SampleRoutesInvalid, load_samples_if_empty, sample_files
from webapp.common.database import get_db, upgrade
from webapp.common.i18n import ensure_compiled, translation_directories
from webapp.common.urls import record_served_address
from webapp.mail import worker


def served_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for ``host``:``port``."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    type=click.IntRange(0, 65535),
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Upgrade the database, load the sample tours on first start, and serve the site."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["COOKIE_SECURE"] is None:
        # The development server speaks plain HTTP: a Secure cookie would never come back.
        app.config["SESSION_COOKIE_SECURE"] = False
    upgrade(get_db(app).engine)
    ensure_compiled(translation_directories(app))
    try:
        loaded = load_samples_if_empty(app)
    except SampleRoutesInvalid as error:
        click.echo("Sample tours not loaded: fix these files and start again.", err=True)
        click.echo(str(error), err=True)
        loaded = []
    for stored in loaded:
        click.echo(f"Loaded sample tour {stored.slug!r} (version {stored.version}).")
    if loaded:
        folder = sample_files(app)[0].parent
        click.echo(f"{counted(len(loaded), 'sample tour')} loaded from {folder}.")
    server = make_server(host, port, app, threaded=True)
    address = served_url(host, server.server_port)
    if not app.config["PUBLIC_URL"]:
        app.config["PUBLIC_URL"] = address
        # For the links that other commands (`users add`, `sessions cancel`) build.
        record_served_address(app, address)
    stop_mail = worker.start_thread(app)
    click.echo(f"Bidean is running on {address}/ (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        stop_mail.set()
        server.server_close()
