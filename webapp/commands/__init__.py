"""The ``bidean`` command line: thin commands over the domain core, grouped by area."""

from __future__ import annotations

from flask import Flask

from webapp.commands import db as db_commands


def register(app: Flask) -> None:
    for group in (db_commands,):
        for command in group.COMMANDS:
            app.cli.add_command(command)
