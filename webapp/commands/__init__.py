"""The ``bidean`` command line: thin commands over the domain core, grouped by area.

Commands are loaded lazily.  :data:`COMMANDS` names each one, where it lives
(``"module:attribute"``) and its help line; ``bidean --help`` lists the table without
importing a single command module, and ``bidean NAME`` imports only NAME's module (see
``webapp.cli``).  So a command's module is free to import what it needs at the top, but
it costs only that command.  To add a command, write it in a module here and add a row
(DEVELOPERS.md, "Adding a command"); ``tests/webapp/commands/test_cli_startup.py`` checks
that each row's help line is the command's own.

This module must stay light: it is imported before any command runs, and it imports no
Flask, so that ``bidean validate``, which ``webapp.cli`` runs without Flask's command group
(:data:`OWN_SETTINGS`), imports none.  Its functions that need Flask import it themselves.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, TypeVar

import click

from webapp.common.settings import environment_config

if TYPE_CHECKING:
    from flask import Flask


@dataclass(frozen=True)
class CommandEntry:
    """Where a command lives (``"module:attribute"``) and what ``bidean --help`` says of it:
    the first line of its docstring."""

    target: str
    help: str


#: Every ``bidean`` command, by name.  The help line is the first line of the command's
#: docstring (a test keeps them equal).
COMMANDS: dict[str, CommandEntry] = {
    "init-db": CommandEntry(
        "webapp.commands.db:init_db_command",
        "Create the database tables, or upgrade them to the newest schema.",
    ),
    "serve": CommandEntry(
        "webapp.commands.serve:serve_command",
        "Upgrade the database, load the sample tours on first start, and serve the site.",
    ),
    "validate": CommandEntry(
        "webapp.commands.validate:validate_command",
        "Check tour files (GeoJSON or GPX) and report every problem; stores nothing.",
    ),
    "import": CommandEntry(
        "webapp.commands.tours:import_command",
        "Import tour files; files that are not yet a complete tour become drafts.",
    ),
    "export": CommandEntry(
        "webapp.commands.tours:export_command",
        "Write a stored tour as profile GeoJSON or GPX 1.1 (scripts only with --with-scripts).",
    ),
    "tours": CommandEntry(
        "webapp.commands.tours:tours_command",
        "List the stored tours: slug, version, city, languages, and status unless published.",
    ),
    "publish": CommandEntry(
        "webapp.commands.drafts:publish_command",
        "Publish the newest version of a tour if it is complete; else print what is left.",
    ),
    "withdraw": CommandEntry(
        "webapp.commands.drafts:withdraw_command",
        "Take a tour off the public site; `bidean publish SLUG` brings it back.",
    ),
    # `sessions` is the documented name; `departures` says it in the code's word.
    "sessions": CommandEntry(
        "webapp.commands.departures:departures_group",
        "Schedule, list and cancel departures (walks); `sessions` and `departures` are one group.",
    ),
    "departures": CommandEntry(
        "webapp.commands.departures:departures_group",
        "Schedule, list and cancel departures (walks); `sessions` and `departures` are one group.",
    ),
    "mail": CommandEntry("webapp.commands.departures:mail_group", "Outgoing email."),
    "purge": CommandEntry(
        "webapp.commands.departures:purge_command",
        "Remove personal data of departures older than --older-than, keeping counts.",
    ),
    "feedback": CommandEntry(
        "webapp.commands.feedback:feedback_group", "Walkers' feedback after their walk."
    ),
    "guides": CommandEntry(
        "webapp.commands.guides:guides_group",
        "Guide profiles: who guides, in which languages, which tours.",
    ),
    "users": CommandEntry(
        "webapp.commands.guides:users_group", "Console accounts of guides and coordinators."
    ),
    "media": CommandEntry(
        "webapp.commands.media:media_group", "Images for tours, re-encoded and served by Bidean."
    ),
    "translations": CommandEntry(
        "webapp.commands.translations:translations_group",
        "Translation completeness of a tour, and CSV files for translators.",
    ),
    "fork": CommandEntry(
        "webapp.commands.translations:fork_command",
        "Copy a tour's structure as a draft in another city, with its credits and licence.",
    ),
    "contributions": CommandEntry(
        "webapp.commands.contributions:contributions_group",
        "Residents' contributions: list, show, withdraw on the teller's request.",
    ),
    "impact": CommandEntry(
        "webapp.commands.impact:impact_command",
        "Print the impact report of a period: walks, people, languages, feedback, guides.",
    ),
    # Flask-Limiter's command (its ``flask.commands`` entry point), named here so that
    # ``bidean --help`` need not import Flask-Limiter to describe it.
    "limiter": CommandEntry(
        "flask_limiter.commands:cli", "Flask-Limiter maintenance & utility commands"
    ),
}


def load_command(name: str) -> click.Command:
    """Import the command ``name`` of :data:`COMMANDS` (its module and nothing else)."""
    module, _, attribute = COMMANDS[name].target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    if not isinstance(command, click.Command):  # pragma: no cover - a wrong row in the table
        raise TypeError(f"{COMMANDS[name].target} is not a click command")
    return command


def register(app: Flask) -> None:
    """Add Bidean's commands to ``app.cli`` (``flask --app webapp ...``, the tests' runner)."""
    for name, entry in COMMANDS.items():
        if entry.target.startswith("webapp."):
            app.cli.add_command(load_command(name), name)


# -- settings for commands that need no app ------------------------------------------------

#: ``ctx.meta`` key set by the ``bidean`` group (``webapp.cli``): unless ``--app`` names
#: another app, the app would be Bidean's own, whose settings need no app to be read.
OWN_APP = "bidean.own-app"


class OwnSettings:
    """The ``obj`` of a command that ``webapp.cli`` runs alone, without Flask's group
    (``bidean validate``): no app exists, nor can ``--app`` name one, so the settings
    are the environment's."""


#: The one :class:`OwnSettings`.
OWN_SETTINGS = OwnSettings()


def command_config() -> Mapping[str, Any]:
    """The settings of the running command, without creating the app when it can.

    The loaded app's config when there is one (an app context, ``--app``, a test's
    runner); otherwise, for ``bidean`` itself, what ``create_app`` would put there:
    the defaults and the ``BIDEAN_*`` environment (``webapp.common.settings``).  For
    commands such as ``validate`` that touch neither the database nor the web app.
    """
    ctx = click.get_current_context()
    if ctx.find_object(OwnSettings) is not None:
        return environment_config()
    # Late imports, only for the CLI's start-up: `bidean validate` runs without Flask.
    from flask import current_app, has_app_context
    from flask.cli import ScriptInfo

    if has_app_context():
        return current_app.config
    info = ctx.find_object(ScriptInfo)
    if info is None or (ctx.meta.get(OWN_APP) and not info.app_import_path):
        return environment_config()
    return info.load_app().config


# -- a light app for commands that need only the settings and the database ----------------

F = TypeVar("F", bound=Callable[..., Any])


def command_app() -> Flask:
    """An app with the settings ``create_app`` would give it and the database, and nothing
    else: no blueprint, template, interface translation, cache or rate limit.

    For commands such as ``import`` that store through the database alone: creating the
    whole app imports every page and its libraries, most of a second (issue #21).
    """
    # Late imports, only for the CLI's start-up: `bidean --help` needs no database.
    from flask import Flask

    from webapp.common import database, privacy
    from webapp.common.settings import load_config

    # The factory's import name, from which Flask derives the same instance folder (and
    # so the same default database and media store) as create_app's.
    app = Flask("webapp.factory")
    app.config.from_mapping(load_config(app.instance_path, None))
    privacy.init_app(app)
    database.init_app(app)
    return app


def with_database(command: F) -> F:
    """``flask.cli.with_appcontext`` for commands that need only the settings and the
    database: Bidean's own ``bidean`` gets :func:`command_app`; ``--app``, a test's
    runner or an app context already there get their app, as with ``with_appcontext``."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        # Late imports, only for the CLI's start-up: `bidean validate` runs without Flask.
        from flask import has_app_context
        from flask.cli import ScriptInfo

        if not has_app_context():
            info = ctx.ensure_object(ScriptInfo)
            own = ctx.meta.get(OWN_APP) and not info.app_import_path
            app = command_app() if own else info.load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(command, *args, **kwargs)

    return update_wrapper(decorator, command)  # type: ignore[return-value]
