"""``bidean feedback ask``: email the walkers of walks that have ended their feedback form.

The mail worker does the same every minute (``webapp.actions.feedback``); this command
is for sites that run the worker seldom, and for cron.  Run twice, it asks nobody twice.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from guides.audit import Actor
from tours.text import counted
from webapp.actions import feedback as feedback_actions
from webapp.mail import worker


@click.group("feedback")
def feedback_group() -> None:
    """Walkers' feedback after their walk."""


@feedback_group.command("ask")
@with_appcontext
def ask_command() -> None:
    """Email the feedback form to every booking due to be asked; idempotent."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["FEEDBACK"]:
        click.echo("Feedback is switched off (BIDEAN_FEEDBACK=false); nobody was asked.")
        return
    ids = feedback_actions.ask_due(app, Actor.command_line())
    outcomes = worker.drain(app, ids) if ids else []
    sent = sum(1 for o in outcomes if o.result == worker.SENT)
    waiting = len(ids) - sent
    later = f" ({waiting} left to the mail worker)" if waiting else ""
    click.echo(f"{counted(len(ids), 'booking')} asked for feedback, {sent} sent{later}.")
