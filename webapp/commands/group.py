"""The ``bidean`` command group (``webapp.cli`` runs it): Flask's CLI group, so web
commands join it.

It starts fast by importing only what the command given uses.  The commands are listed
in ``webapp.commands.COMMANDS`` (name, ``"module:attribute"``, help line): ``bidean
--help`` prints that table without importing any command module or creating the app,
and ``bidean NAME`` imports NAME's module alone.  The app is created only when a command
asks for it (``with_appcontext``); ``validate`` never does (and ``bidean validate``
does not even come here: ``webapp.cli`` runs it alone, without Flask).  Flask's own
commands (``run``, ``shell``, ``routes``), plugin commands (``flask.commands`` entry
points, loaded when used) and ``--app`` work as with ``flask``: ``--app`` (or
``FLASK_APP``) chooses the app the commands run against and adds its own commands.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException, ScriptInfo, locate_app, prepare_import

from webapp.commands import COMMANDS, OWN_APP, load_command
from webapp.common.settings import SettingError


class LazyFlaskGroup(FlaskGroup):
    """A ``FlaskGroup`` whose commands are imported when used, not when listed."""

    def __init__(self, lazy: dict[str, Any], create_app: Callable[[], Flask], **extra: Any) -> None:
        super().__init__(**extra)
        self.lazy = lazy
        self.own_app = create_app
        self._plugins: dict[str, Any] = {}

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if "obj" not in extra and "obj" not in self.context_settings:
            info = ScriptInfo(
                set_debug_flag=self.set_debug_flag, load_dotenv_defaults=self.load_dotenv
            )
            # Flask's ScriptInfo prefers create_app to --app; here --app wins when given.
            info.create_app = lambda: _app(info, self.own_app)
            extra["obj"] = info
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta[OWN_APP] = True
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a setting that cannot be used ends it with its message, not a
        traceback (``BIDEAN_CACHE_MB=lots bidean serve``)."""
        try:
            return super().invoke(ctx)
        except SettingError as error:
            raise click.ClickException(str(error)) from None

    def _load_plugin_commands(self) -> None:
        """Note the plugin commands (``flask.commands`` entry points); load none yet."""
        if self._loaded_plugin_commands:
            return
        # Late import, only to keep `bidean validate` fast: it needs no plugin.
        from importlib import metadata

        for entry in metadata.entry_points(group="flask.commands"):
            if entry.name not in self.lazy and entry.name not in self.commands:
                self._plugins[entry.name] = entry
        self._loaded_plugin_commands = True

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            return load_command(name)
        self._load_plugin_commands()
        if name in self._plugins:
            self.add_command(self._plugins.pop(name).load(), name)
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        names = set(self.lazy) | set(self.commands) | set(self._plugins)
        info = ctx.ensure_object(ScriptInfo)
        if info.app_import_path:  # another app (--app): list its commands too, as flask does
            try:
                names.update(info.load_app().cli.list_commands(ctx))
            except NoAppException as exc:
                click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
            except Exception:  # as flask does: the listing still shows, after the traceback
                click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(names)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's listing, with the help lines of the table's commands taken from the
        table rather than from the imported commands."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            if name in self.lazy:  # a stand-in that only knows the help line
                rows.append((name, click.Command(name, help=self.lazy[name].help)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if not rows:
            return
        # As click does: the help is cut to what fits beside the longest name.
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in rows])


def _app(info: ScriptInfo, create_app: Callable[[], Flask]) -> Flask:
    """The app of ``--app`` (``FLASK_APP``), found as ``flask`` finds it; else Bidean's."""
    if not info.app_import_path:
        return create_app()
    # The same split as flask's ScriptInfo.load_app ("C:\\app.py:make" keeps its drive).
    path, name = [*re.split(r":(?![\\/])", info.app_import_path, maxsplit=1), None][:2]
    return locate_app(prepare_import(path), name)


def make_cli(create_app: Callable[[], Flask]) -> FlaskGroup:
    """The group of :data:`COMMANDS`; ``create_app`` makes Bidean's app (``webapp``'s, which
    this room may not import)."""
    return LazyFlaskGroup(
        COMMANDS,
        create_app,
        add_default_commands=True,
        add_version_option=False,
        load_dotenv=False,
        help="Bidean: community-led walking tours.",
    )
