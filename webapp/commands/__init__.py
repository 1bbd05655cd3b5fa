"""The ``bidean`` command line: thin commands over the domain core, grouped by area."""

from __future__ import annotations

from flask import Flask

from webapp.commands import db as db_commands
from webapp.commands import drafts as drafts_commands
from webapp.commands import guides as guides_commands
from webapp.commands import media as media_commands
from webapp.commands import serve as serve_commands
from webapp.commands import sessions as sessions_commands
from webapp.commands import tours as tours_commands
from webapp.commands import translations as translations_commands


def register(app: Flask) -> None:
    for group in (
        db_commands,
        serve_commands,
        tours_commands,
        sessions_commands,
        guides_commands,
        drafts_commands,
        media_commands,
        translations_commands,
    ):
        for command in group.COMMANDS:
            app.cli.add_command(command)
