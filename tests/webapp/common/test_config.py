"""The settings table: each ``BIDEAN_*`` value parsed by its type, clear errors for bad
values, every key the code reads in the table, and the docs' tables equal to the code's."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from webapp import create_app
from webapp.cli import make_cli
from webapp.common.settings import (
    BY_NAME,
    NOT_SETTINGS,
    SETTINGS,
    Kind,
    SettingError,
    environment_config,
    row,
    table,
)
from webapp.mail.transport import smtp_settings

REPO = Path(__file__).resolve().parents[3]
THIS = Path(__file__).resolve()


# -- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["0123", "00000", "1e3", "true", " 42 "])
def test_a_numeric_looking_smtp_password_stays_the_exact_string(password):
    config = environment_config(
        {"BIDEAN_SMTP_HOST": "smtp.example.org", "BIDEAN_SMTP_PASSWORD": password}
    )
    assert config["SMTP_PASSWORD"] == password
    settings = smtp_settings(config)
    assert settings is not None and settings.password == password


def test_the_app_gets_the_password_from_the_environment_unchanged(monkeypatch, tmp_path):
    monkeypatch.setenv("BIDEAN_SMTP_PASSWORD", "00000")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "test"})
    assert app.config["SMTP_PASSWORD"] == "00000"


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("SMTP_SSL", "yes", True),
        ("SMTP_SSL", " On ", True),
        ("SMTP_SSL", "1", True),
        ("SAMPLE_DEPARTURES", "FALSE", False),
        ("SAMPLE_DEPARTURES", "no", False),
        ("SAMPLE_DEPARTURES", "0", False),
        ("COOKIE_SECURE", "off", False),
        ("COOKIE_SECURE", "", None),
        ("PROXY_FIX", " 2 ", 2),
        ("SMTP_PORT", "587", 587),
        ("SMTP_PORT", "", None),
        ("CACHE_MB", "12.5", 12.5),
        ("WALKING_KMH", "4", 4.0),
        ("ENV", " Production ", "production"),
        ("OUTBOX_DIR", "/var/mail/bidean", Path("/var/mail/bidean")),
        ("OUTBOX_DIR", "", None),
        ("DATABASE_URL", "sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("PUBLIC_URL", "https://tours.example.org/", "https://tours.example.org/"),
        ("TILES_URL", " none ", " none "),
        ("SMTP_USER", "", None),
        ("BOOKING_RATE_LIMIT", "5 per minute", "5 per minute"),
    ],
)
def test_each_type_parses(name, raw, value):
    parsed = environment_config({f"BIDEAN_{name}": raw})[name]
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("CACHE_MB", "lots", "is not a number"),
        ("CACHE_MB", "nan", "is not a number"),
        ("PROXY_FIX", "1.5", "is not a whole number"),
        ("SMTP_PORT", "smtp", "is not a whole number"),
        ("SMTP_SSL", "maybe", "is not true or false"),
        ("ENV", "staging", "is not one of development, production"),
        ("PUBLIC_URL", "tours.example.org", "is not a URL"),
        ("SAMPLE_ROUTES_DIR", " ", "is not a path"),
    ],
)
def test_a_bad_value_names_the_variable_its_type_and_an_example(name, raw, expected):
    with pytest.raises(SettingError) as caught:
        environment_config({f"BIDEAN_{name}": raw})
    message = str(caught.value)
    assert message.startswith(f"BIDEAN_{name}={raw!r} {expected}")
    example = re.search(rf"write it like BIDEAN_{name}=(\S+) ", message)
    assert example is not None
    assert environment_config({f"BIDEAN_{name}": example[1]})[name] is not None


def test_a_secret_is_not_repeated_in_the_error():
    with pytest.raises(SettingError) as caught:
        environment_config({"BIDEAN_DATABASE_URL": "bidean:hunter2@db.internal/bidean"})
    assert "BIDEAN_DATABASE_URL" in str(caught.value) and "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("BIDEAN_CACHE_MB", "lots", "BIDEAN_CACHE_MB='lots' is not a number"),
        ("BIDEAN_ENV", "production", "BIDEAN_ENV=production needs BIDEAN_PUBLIC_URL"),
    ],
)
def test_bidean_serve_prints_a_bad_setting_without_a_traceback(tmp_path, variable, value, message):
    env = {
        variable: value,
        "BIDEAN_SECRET_KEY": "test",
        "BIDEAN_DATABASE_URL": f"sqlite:///{tmp_path / 'bidean.sqlite3'}",
    }
    result = CliRunner().invoke(make_cli(), ["serve", "--port", "0"], env=env)
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_an_unknown_variable_is_ignored_with_a_hint(caplog):
    environ = {
        "BIDEAN_SMTP_PASWORD": "secret",
        "BIDEAN_PAGE_CACHE_SIZE": "0",
        "BIDEAN_WTF_CSRF_ENABLED": "false",
        **{f"BIDEAN_{name}": "1" for name in NOT_SETTINGS},
    }
    with caplog.at_level(logging.WARNING, logger="webapp.common.settings"):
        config = environment_config(environ)
    assert "SMTP_PASWORD" not in config and config["WTF_CSRF_ENABLED"] is True
    assert config["PAGE_CACHE"] is True
    warnings = sorted(record.getMessage() for record in caplog.records)
    assert len(warnings) == 3
    assert "Did you mean BIDEAN_PAGE_CACHE?" in warnings[0]
    assert "Did you mean BIDEAN_SMTP_PASSWORD?" in warnings[1]
    assert "Bidean sets WTF_CSRF_ENABLED itself" in warnings[2]


def test_the_instance_folder_holds_what_no_setting_places_elsewhere(tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "OUTBOX_DIR": str(tmp_path / "mail")})
    assert app.config["OUTBOX_DIR"] == str(tmp_path / "mail")
    assert app.config["MEDIA_DIR"] == instance / "media"
    assert app.config["IMPORT_STAGING_DIR"] == instance / "import-staging"
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'bidean.sqlite3'}"
    assert app.config["SECRET_KEY"] == (instance / "secret_key").read_text()


# -- the table itself ----------------------------------------------------------------------

PYTHON_TYPES = {
    Kind.TEXT: str,
    Kind.INTEGER: int,
    Kind.NUMBER: float,
    Kind.BOOLEAN: bool,
    Kind.PATH: Path,
    Kind.URL: str,
    Kind.CHOICE: str,
}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_each_default_has_its_type_and_reads_back_from_the_environment(setting):
    if setting.default is None:
        assert setting.environment
        return
    assert isinstance(setting.default, PYTHON_TYPES[setting.kind])
    assert setting.kind is not Kind.INTEGER or not isinstance(setting.default, bool)
    assert setting.kind is not Kind.CHOICE or setting.default in setting.choices
    written = ("true" if setting.default else "false") if setting.kind is Kind.BOOLEAN else None
    assert setting.parse(written or str(setting.default)) == setting.default


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.environment], ids=lambda s: s.name)
def test_each_example_in_the_error_messages_is_a_good_value(setting):
    assert setting.parse(setting.example_value()) is not None


# -- every key the code reads is in the table ----------------------------------------------

_READS = re.compile(
    r"""config(?:\[\s*|\.get\(\s*)["']([A-Z][A-Z0-9_]*)["']\s*(?:\](?!\s*=[^=])|[,)])"""
    r"""|^\s*\w*_KEY\s*=\s*["']([A-Z][A-Z0-9_]*)["']""",
    re.M,
)


def config_reads(source: str) -> set[str]:
    """The config keys ``source`` reads: ``config["X"]`` (not assigned), ``config.get("X")``
    and ``..._KEY = "X"`` constants (keys handed to helpers such as ``body_limit``)."""
    return {a or b for a, b in _READS.findall(source)}


def test_the_key_finder_finds_reads_and_skips_writes():
    source = (
        'x = current_app.config["ALPHA"]\n'
        "y = app.config.get('BETA', 1)\n"
        'app.config["GAMMA"] = 1\n'
        'if config["DELTA"] == 2: pass\n'
        'LIMIT_KEY = "EPSILON"\n'
        'EXTENSION_KEY = "bidean.cache"\n'
    )
    assert config_reads(source) == {"ALPHA", "BETA", "DELTA", "EPSILON"}


def _sources(*folders: str) -> dict[Path, str]:
    files = (path for folder in folders for path in sorted((REPO / folder).rglob("*.py")))
    return {path: path.read_text(encoding="utf-8") for path in files}


def test_every_key_read_in_webapp_is_in_the_table():
    missing = {
        f"{key} ({path.relative_to(REPO)})"
        for path, source in _sources("webapp").items()
        for key in config_reads(source)
        if key not in BY_NAME
    }
    assert missing == set()


def test_every_setting_of_bidean_is_read_somewhere():
    settings_module = REPO / "webapp" / "common" / "settings.py"
    read = {
        key
        for path, source in _sources("webapp").items()
        if path != settings_module
        for key in config_reads(source)
    }
    unread = {s.name for s in SETTINGS if s.owner == "Bidean" and s.name not in read}
    assert unread == set()


def test_every_bidean_variable_named_anywhere_is_a_setting():
    texts = {**_sources("webapp", "bench", "tests", "tours", "guides")}
    for name in ("README.md", "DEVELOPERS.md", "Makefile", ".ci/run"):
        texts[REPO / name] = (REPO / name).read_text(encoding="utf-8")
    for path in sorted((REPO / "docs").glob("*.md")):
        texts[path] = path.read_text(encoding="utf-8")
    known = {s.name for s in SETTINGS if s.environment} | NOT_SETTINGS
    unknown = {
        f"BIDEAN_{name} ({path.relative_to(REPO)})"
        for path, text in texts.items()
        if path != THIS
        for name in re.findall(r"\bBIDEAN_([A-Z][A-Z0-9_]*[A-Z0-9])\b", text)
        if name not in known
    }
    assert unknown == set()


# -- the docs show the table --------------------------------------------------------------


def _block(text: str, marker: str) -> str:
    found = re.search(rf"<!-- {marker}: generated -->\n(.*?)\n<!-- {marker}: end -->", text, re.S)
    assert found, f"docs/deployment.md lost its '{marker}' markers"
    return found[1]


def test_the_deployment_doc_shows_the_code_table():
    doc = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    hint = "regenerate with: python -m webapp.common.settings"
    assert _block(doc, "settings") == table(environment=True), hint
    assert _block(doc, "fixed settings") == table(environment=False), hint


def test_the_readme_rows_are_the_code_rows():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `BIDEAN_([A-Z0-9_]+)` \|.*$", readme, re.M)
    assert len(rows) >= 5
    for line in re.findall(r"^\| `BIDEAN_[A-Z0-9_]+` \|.*$", readme, re.M):
        name = re.match(r"\| `BIDEAN_([A-Z0-9_]+)`", line)[1]
        assert line == row(BY_NAME[name])
