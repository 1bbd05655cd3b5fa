"""The app's configuration: the table's defaults (``webapp.common.settings``), then the
``BIDEAN_*`` environment parsed by each setting's type, then a test's own values."""

from __future__ import annotations

import difflib
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from webapp.common.settings import BY_NAME, SETTINGS, Setting

PREFIX = "BIDEAN_"
#: ``BIDEAN_*`` variables that the test suite reads, not the app: no warning for them.
NOT_SETTINGS = frozenset({"TEST_POSTGRES_URL", "REQUIRE_BROWSER"})
DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}

log = logging.getLogger(__name__)


def environment_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then ``BIDEAN_*`` environment variables (what needs no instance folder).

    A value not of its setting's type raises :class:`~webapp.common.settings.SettingError`;
    a ``BIDEAN_*`` variable that is no setting is ignored with a warning, so a misspelt
    name is noticed without stopping the site."""
    config: dict[str, Any] = dict(DEFAULTS)
    for variable, raw in sorted((os.environ if environ is None else environ).items()):
        if not variable.startswith(PREFIX):
            continue
        name = variable.removeprefix(PREFIX)
        setting = BY_NAME.get(name)
        if setting is not None and setting.environment:
            config[name] = setting.parse(raw)
        elif name not in NOT_SETTINGS:
            log.warning("%s", ignored(variable, setting))
    return config


def ignored(variable: str, setting: Setting | None) -> str:
    """Why ``variable`` is ignored, with the setting it was probably meant to be."""
    if setting is not None:
        return f"{variable} is ignored: Bidean sets {setting.name} itself."
    names = [s.variable for s in SETTINGS if s.environment]
    close = difflib.get_close_matches(variable, names, n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    return f"{variable} is not a Bidean setting and is ignored.{hint} See docs/deployment.md."


def load_config(instance_path: str, test_config: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults, then ``BIDEAN_*`` environment variables, then ``test_config``; then the
    defaults that live in the instance folder."""
    config = environment_config()
    if test_config:
        config.update(test_config)
    instance = Path(instance_path)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance / 'bidean.sqlite3'}"
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(instance)
    for setting in SETTINGS:
        if setting.instance_folder and config[setting.name] is None:
            config[setting.name] = instance / setting.instance_folder
    return config


def _instance_secret(instance: Path) -> str:
    """A per-installation secret kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
