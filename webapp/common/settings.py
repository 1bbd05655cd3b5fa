"""Every setting Bidean reads, with its type, default and meaning: the one table.

Each setting with ``environment=True`` is read from the environment variable
``BIDEAN_<NAME>`` and parsed by its type (the end of this module does the reading):
text stays exactly as written (a password ``0123`` stays ``0123``), and a value that is
not of the type stops the start with a :class:`SettingError` naming the variable, its
type and an example.  An empty value means "unset" for a setting whose default is None.
The others are Flask's or an extension's keys that Bidean fixes itself.

docs/deployment.md shows this table; ``python -m webapp.common.settings`` prints it, and
a test keeps the two equal.  This module must stay light: the command line imports it
before any command runs.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})


class SettingError(ValueError):
    """A setting that cannot be used; the message says which and how to write it."""


class Kind(Enum):
    """The type of a setting, as the docs name it."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "true/false"
    PATH = "path"
    URL = "URL"
    CHOICE = "choice"


@dataclass(frozen=True)
class Setting:
    """One setting: its name (without ``BIDEAN_``), type, default and one-line meaning."""

    name: str
    kind: Kind
    default: Any
    help: str
    #: For a setting whose default is not a plain value: what the default is, in words.
    default_text: str = ""
    #: A value for error messages, when the default does not show one.
    example: str = ""
    choices: tuple[str, ...] = ()
    #: For an optional path: the folder under the instance folder that None stands for.
    instance_folder: str = ""
    #: Never echoed in an error message (it may hold a password).
    secret: bool = False
    #: False: Bidean sets it itself, and ``BIDEAN_<NAME>`` is ignored.
    environment: bool = True
    #: Who reads it: Bidean, or the library whose key it is.
    owner: str = "Bidean"

    @property
    def variable(self) -> str:
        return f"BIDEAN_{self.name}"

    @property
    def optional(self) -> bool:
        return self.default is None

    def parse(self, raw: str) -> Any:
        """The value of ``BIDEAN_<NAME>=raw``, by this setting's type."""
        empty = raw == "" if self.kind is Kind.TEXT else not raw.strip()
        if self.optional and empty:
            return None
        try:
            return _PARSERS[self.kind](raw, self)
        except ValueError:
            raise SettingError(self.problem(raw)) from None

    def problem(self, raw: str) -> str:
        """What is wrong with ``raw`` and how to write the variable instead."""
        shown = "(the value is not shown)" if self.secret else repr(raw)
        return (
            f"{self.variable}={shown} is not {_EXPECTED[self.kind](self)}; write it like"
            f" {self.variable}={self.example_value()} (docs/deployment.md lists every setting)."
        )

    def example_value(self) -> str:
        if self.example:
            return self.example
        if self.kind is Kind.CHOICE:
            return self.choices[-1]
        return _plain(self.default)


def _plain(value: Any) -> str:
    """A value as one writes it in the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _boolean(raw: str, _: Setting) -> bool:
    word = raw.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError(raw)
    return word in TRUE_WORDS


def _number(raw: str, _: Setting) -> float:
    value = float(raw.strip())
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _url(raw: str, _: Setting) -> str:
    value = raw.strip()
    scheme, separator, rest = value.partition("://")
    if not (scheme and separator and rest) or any(c.isspace() for c in value):
        raise ValueError(raw)
    return value


def _choice(raw: str, setting: Setting) -> str:
    word = raw.strip().lower()
    if word not in setting.choices:
        raise ValueError(raw)
    return word


def _path(raw: str, _: Setting) -> Path:
    if not raw.strip():
        raise ValueError(raw)
    return Path(raw.strip())


_PARSERS: dict[Kind, Callable[[str, Setting], Any]] = {
    Kind.TEXT: lambda raw, _: raw,
    Kind.INTEGER: lambda raw, _: int(raw.strip()),
    Kind.NUMBER: _number,
    Kind.BOOLEAN: _boolean,
    Kind.PATH: _path,
    Kind.URL: _url,
    Kind.CHOICE: _choice,
}
_EXPECTED: dict[Kind, Callable[[Setting], str]] = {
    Kind.TEXT: lambda _: "text",
    Kind.INTEGER: lambda _: "a whole number",
    Kind.NUMBER: lambda _: "a number",
    Kind.BOOLEAN: lambda _: "true or false (also yes/no, on/off, 1/0)",
    Kind.PATH: lambda _: "a path",
    Kind.URL: lambda _: "a URL (scheme://…)",
    Kind.CHOICE: lambda s: "one of " + ", ".join(s.choices),
}

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)

SETTINGS: tuple[Setting, ...] = (
    # -- the site ---------------------------------------------------------------------
    Setting(
        "ENV",
        Kind.CHOICE,
        "development",
        "`production` refuses to start without `PUBLIC_URL`",
        choices=("development", "production"),
    ),
    Setting(
        "DATABASE_URL",
        Kind.URL,
        None,
        "SQLAlchemy URL; PostgreSQL in production",
        default_text="SQLite file in `instance/`",
        example="postgresql+psycopg://bidean@db.internal/bidean",
        secret=True,
    ),
    Setting(
        "SECRET_KEY",
        Kind.TEXT,
        None,
        "signs sessions, CSRF tokens, manage and offer links; must be the same on every worker",
        default_text="generated once into `instance/secret_key`",
        secret=True,
    ),
    Setting(
        "PUBLIC_URL",
        Kind.URL,
        None,
        "base of every link in emails, of absolute URLs in API answers and of calendar UIDs;"
        " never taken from the request's `Host`",
        default_text="none (`bidean serve`: where it listens; other commands: where it last"
        " listened, recorded in `instance/served-at`, else `http://localhost:5000`; with one"
        " warning)",
        example="https://tours.example.org",
    ),
    Setting(
        "PROXY_FIX",
        Kind.INTEGER,
        0,
        "number of reverse proxies in front whose `X-Forwarded-For`/`-Proto` to trust (nginx: 1)",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        Kind.INTEGER,
        1024 * 1024,
        "largest request body in bytes (413 beyond); Flask's key",
        owner="Flask",
    ),
    Setting(
        "DEFAULT_LOCALE",
        Kind.TEXT,
        "es",
        "interface language when the visitor states none (one the interface speaks, else `es`)",
    ),
    Setting(
        "COOKIE_SECURE",
        Kind.BOOLEAN,
        None,
        "`true`/`false` forces the `Secure` flag of the session cookie",
        default_text="Secure, except when debugging, testing or on `bidean serve`",
        example="true",
    ),
    Setting(
        "CONSOLE_IDLE_MINUTES", Kind.INTEGER, 120, "a console session ends after this long unused"
    ),
    # -- rate limits --------------------------------------------------------------------
    Setting(
        "REDIS_URL",
        Kind.URL,
        None,
        "one Redis shared by every worker for the rate-limit counters",
        default_text="none (each worker counts in memory)",
        example="redis://127.0.0.1:6379/0",
        secret=True,
    ),
    Setting(
        "RATELIMIT_ENABLED",
        Kind.BOOLEAN,
        True,
        "`false` switches every rate limit off (load tests); Flask-Limiter's key",
        owner="Flask-Limiter",
    ),
    Setting(
        "BOOKING_RATE_LIMIT",
        Kind.TEXT,
        "10 per minute;60 per hour",
        "one budget per client for every booking write: form and API, bookings, waiting"
        " list, cancellations, offers",
    ),
    Setting(
        "FALLBACK_BOOKING_RATE_LIMIT",
        Kind.TEXT,
        "3 per minute;20 per hour",
        "that budget per worker while Redis is unreachable (logged)",
    ),
    Setting("API_READ_RATE_LIMIT", Kind.TEXT, "120 per minute", "per client, on API reads"),
    Setting(
        "GROUP_REQUEST_RATE_LIMIT",
        Kind.TEXT,
        "5 per hour;20 per day",
        "per client, on group request forms sent (`/groups`)",
    ),
    Setting("WITHDRAWAL_RATE_LIMIT", Kind.TEXT, "10 per hour", "per client, on withdrawals"),
    Setting("SHARE_RATE_LIMIT", Kind.TEXT, "10 per hour;40 per day", "per client, on stories sent"),
    Setting(
        "CONSOLE_LOGIN_RATE_LIMIT",
        Kind.TEXT,
        "10 per minute;50 per hour",
        "per client, on console login attempts; checked before any password hash",
    ),
    Setting(
        "CONSOLE_PASSWORD_HASHES",
        Kind.INTEGER,
        2,
        "password hashes (64 MiB each) one worker computes at once; a login beyond them is"
        " answered 503 with Retry-After",
    ),
    # -- tours and their import ---------------------------------------------------------
    Setting(
        "MAX_IMPORT_MB",
        Kind.NUMBER,
        50.0,
        "largest file `validate`/`import` read; an import needs about 10× the file size in"
        " memory at worst",
    ),
    Setting(
        "CONSOLE_IMPORT_MB",
        Kind.NUMBER,
        10.0,
        "largest upload (all files together) of the console's import page; the rest of the"
        " site takes `MAX_CONTENT_LENGTH`",
    ),
    Setting("SHARE_UPLOAD_MB", Kind.NUMBER, 60.0, "largest `/share` upload: photos and recording"),
    Setting(
        "IMPORT_STAGING_MINUTES",
        Kind.NUMBER,
        60.0,
        "an import previewed in the console but not confirmed is removed after this long",
    ),
    Setting(
        "IMPORT_STAGING_DIR",
        Kind.PATH,
        None,
        "where the console keeps imports awaiting confirmation",
        instance_folder="import-staging",
        example="/var/lib/bidean/import-staging",
    ),
    Setting(
        "STOP_DISTANCE_M",
        Kind.NUMBER,
        50.0,
        "stops farther than this (metres) from the route get a warning",
    ),
    Setting("WALKING_KMH", Kind.NUMBER, 4.5, "walking pace for leg times and durations"),
    Setting(
        "MEDIA_DIR",
        Kind.PATH,
        None,
        "where tour images are stored",
        instance_folder="media",
        example="/var/lib/bidean/media",
    ),
    Setting(
        "SAMPLE_ROUTES_DIR",
        Kind.PATH,
        REPO / "data" / "routes",
        "tours `bidean serve` loads into an empty database",
        default_text="`data/routes`",
        example="/srv/tours",
    ),
    Setting(
        "SAMPLE_GUIDES_DIR",
        Kind.PATH,
        REPO / "data" / "guides",
        "guides `bidean serve` loads with the sample tours",
        default_text="`data/guides`",
        example="/srv/guides",
    ),
    Setting(
        "SAMPLE_DEPARTURES",
        Kind.BOOLEAN,
        True,
        "the first start also schedules a few sample walks with guides",
    ),
    # -- maps and caches ----------------------------------------------------------------
    Setting(
        "TILES_URL",
        Kind.TEXT,
        OSM_TILES,
        "map tile URL template, or `none` for a map without tiles",
        default_text="OpenStreetMap",
    ),
    Setting(
        "TILES_ATTRIBUTION",
        Kind.TEXT,
        OSM_ATTRIBUTION,
        "attribution shown on the map (text and links)",
        default_text="OpenStreetMap contributors",
    ),
    Setting(
        "CACHE_MB",
        Kind.NUMBER,
        64.0,
        "memory, in MB, for all of one worker's in-process caches together (tours, pages,"
        " maps, GeoJSON), least recently used first",
    ),
    Setting(
        "PAGE_CACHE",
        Kind.BOOLEAN,
        True,
        "`false` turns the rendered-page cache off (for measuring)",
    ),
    Setting("MAP_CACHE", Kind.BOOLEAN, True, "`false` turns the map cache off (for measuring)"),
    # -- mail ---------------------------------------------------------------------------
    Setting(
        "SMTP_HOST",
        Kind.TEXT,
        None,
        "outgoing mail server; without it messages go to `OUTBOX_DIR` as `.eml` files",
        example="smtp.example.org",
    ),
    Setting(
        "SMTP_PORT",
        Kind.INTEGER,
        None,
        "its port",
        default_text="465 with `SMTP_SSL`, else 25",
        example="587",
    ),
    Setting("SMTP_USER", Kind.TEXT, None, "user name to log in with", example="bidean"),
    Setting(
        "SMTP_PASSWORD",
        Kind.TEXT,
        None,
        "password to log in with, exactly as written",
        secret=True,
    ),
    Setting("SMTP_STARTTLS", Kind.BOOLEAN, False, "`true`: upgrade the connection with STARTTLS"),
    Setting("SMTP_SSL", Kind.BOOLEAN, False, "`true`: connect with TLS from the start"),
    Setting(
        "SMTP_SENDER",
        Kind.TEXT,
        None,
        "the `From` of every message",
        default_text="`Bidean <no-reply@HOST>`, HOST from `PUBLIC_URL`",
        example="Bidean <tours@example.org>",
    ),
    Setting(
        "OUTBOX_DIR",
        Kind.PATH,
        None,
        "where mail is written without `SMTP_HOST` (purge deletes the files of purged bookings)",
        instance_folder="outbox",
        example="/var/lib/bidean/outbox",
    ),
    Setting(
        "WAITLIST_HOLD_MINUTES",
        Kind.INTEGER,
        120,
        "how long a waiting-list offer holds the seats",
    ),
    # -- feedback from walkers ----------------------------------------------------------
    Setting("FEEDBACK", Kind.BOOLEAN, True, "`false`: walkers get no feedback form after a walk"),
    Setting(
        "FEEDBACK_UNCHECKED",
        Kind.BOOLEAN,
        False,
        "`true`: also ask bookers of walks nobody was checked in on (else arrivals only)",
    ),
    Setting(
        "FEEDBACK_AFTER_MINUTES", Kind.INTEGER, 60, "walkers are asked this long after the walk"
    ),
    Setting("CONSOLE_CONTRIBUTION_MB", Kind.NUMBER, 50.0, "largest workshop story upload"),
    # -- set by Bidean itself -----------------------------------------------------------
    Setting(
        "SESSION_COOKIE_HTTPONLY",
        Kind.BOOLEAN,
        True,
        "scripts cannot read the session cookie",
        environment=False,
        owner="Flask",
    ),
    Setting(
        "SESSION_COOKIE_SAMESITE",
        Kind.TEXT,
        "Lax",
        "the session cookie goes along only on same-site requests and top-level links",
        environment=False,
        owner="Flask",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        Kind.BOOLEAN,
        False,
        "the session cookie only over HTTPS",
        default_text="as `COOKIE_SECURE` says",
        environment=False,
        owner="Flask",
    ),
    Setting(
        "WTF_CSRF_ENABLED",
        Kind.BOOLEAN,
        True,
        "console forms need their CSRF token (tests switch it off)",
        environment=False,
        owner="Flask-WTF",
    ),
    Setting(
        "BABEL_TRANSLATION_DIRECTORIES",
        Kind.TEXT,
        "translations",
        "the interface catalogues, under `webapp/`",
        environment=False,
        owner="Flask-Babel",
    ),
)

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def default_text(setting: Setting) -> str:
    """The default as the docs state it."""
    if setting.default_text:
        return setting.default_text
    if setting.instance_folder:
        return f"`instance/{setting.instance_folder}`"
    if setting.default is None:
        return "none"
    return f"`{_plain(setting.default)}`"


def type_text(setting: Setting) -> str:
    """The type as the docs state it."""
    if setting.kind is Kind.CHOICE:
        return " or ".join(f"`{choice}`" for choice in setting.choices)
    return setting.kind.value


def row(setting: Setting) -> str:
    """The setting's row of the docs' tables."""
    name = setting.variable if setting.environment else setting.name
    cells = (f"`{name}`", type_text(setting), default_text(setting), setting.help)
    return "| " + " | ".join(cells) + " |"


def table(environment: bool) -> str:
    """The docs' table of the settings read from the environment, or of those Bidean fixes."""
    header = (
        "| variable | type | default | meaning |"
        if environment
        else "| key | type | value | meaning |"
    )
    rows = [row(s) for s in SETTINGS if s.environment is environment]
    return "\n".join([header, "|---|---|---|---|", *rows])


# --- reading the environment ---------------------------------------------------------

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
    import secrets  # late import, only for the CLI's start-up: `validate` makes no key

    path.write_text(key := secrets.token_hex(32))
    path.chmod(0o600)
    return key


if __name__ == "__main__":  # python -m webapp.common.settings: the tables of docs/deployment.md
    print(table(environment=True), table(environment=False), sep="\n\n")
