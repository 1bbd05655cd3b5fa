"""``bidean`` imports only what the command given uses (issue #13), and lists every command.

Not timed (speed is ``bench/cli_bench.py``'s job): the tests run the real console script
under ``python -X importtime`` and look at which modules it imported.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from webapp import create_app
from webapp.commands import COMMANDS, load_command

REPO = Path(__file__).resolve().parents[3]
ZABALA = REPO / "data" / "routes" / "zabala-kitchens-and-workshops.geojson"
WITH_IMAGES = REPO / "data" / "routes" / "san-francisco-voices.geojson"

#: What neither `--help` nor `validate` of a GeoJSON tour may import: the web app, the
#: database, maps, interface translations, images, the other file formats, langcodes (the
#: samples' languages are common tags: `tours.i18n.COMMON_TAGS`).
NEVER = (
    "webapp.factory",
    "webapp.common.database",
    "sqlalchemy",
    "alembic",
    "folium",
    "flask_babel",
    "babel",
    "flask_limiter",
    "flask_wtf",
    "PIL",
    "gpxpy",
    "fastkml",
    "license_expression",
    "langcodes",
    "tours.content.reading.kml",
    "tours.content.reading.gpx",
)
#: What checking a tour does need beyond `--help`.
GEOMETRY = ("numpy", "shapely", "pyproj", "tours.content.checking.profile", "tours.tour.geometry")


def _bidean(*args: str, env: dict[str, str], cwd: Path) -> tuple[subprocess.CompletedProcess, set]:
    """Run the console script's entry point under -X importtime; (result, modules imported)."""
    command = [sys.executable, "-X", "importtime", "-c", "from webapp.cli import main; main()"]
    result = subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )
    modules = set(re.findall(r"^import time:\s*\d+ \|\s*\d+ \|\s*(\S+)$", result.stderr, re.M))
    assert "webapp.cli" in modules, result.stderr[-2000:]  # the parse found the list
    return result, modules


def _heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name in modules)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BIDEAN_", "FLASK_"))}
    # A database no command here may open: touching it would create the file.
    return {**clean, "BIDEAN_DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}"}


def test_help_imports_no_command_and_lists_every_command(env, tmp_path):
    result, modules = _bidean("--help", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _heavy(modules, NEVER + GEOMETRY) == []
    # No command module: the group that lists them (webapp.commands.group) is no command.
    commands = [m for m in modules if m.startswith("webapp.commands.")]
    assert commands == ["webapp.commands.group"], sorted(modules)
    listed = dict(re.findall(r"^  (\S+)\s+(.+)$", result.stdout.split("Commands:")[1], re.M))
    for name in COMMANDS:
        command = load_command(name)
        assert listed[name] == command.get_short_help_str(len(listed[name])), name
    assert {"run", "shell", "routes"} <= set(listed)  # Flask's own commands stay
    assert not (tmp_path / "never.sqlite3").exists()


def test_validate_imports_what_checking_needs_and_no_app(env, tmp_path):
    result, modules = _bidean("validate", "--json", str(ZABALA), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)[0]["valid"] is True
    assert _heavy(modules, NEVER) == []
    assert _heavy(modules, GEOMETRY) == list(sorted(GEOMETRY))
    assert "webapp.commands.tours" not in modules  # import/export stay unloaded
    # Nor Flask: `bidean validate` runs without its command group (webapp.cli).
    assert _heavy(modules, ("flask", "werkzeug", "jinja2", "webapp.commands.group")) == []
    assert not (tmp_path / "never.sqlite3").exists()


def test_validate_loads_pillow_only_for_a_tour_with_images(env, tmp_path):
    result, modules = _bidean("validate", str(WITH_IMAGES), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "PIL" in modules
    assert _heavy(modules, tuple(n for n in NEVER if n != "PIL")) == []


def test_validate_reads_its_settings_from_the_environment(env, tmp_path):
    small = {**env, "BIDEAN_MAX_IMPORT_MB": "0.0001"}  # about 100 bytes
    result, _ = _bidean("validate", "--json", str(ZABALA), env=small, cwd=tmp_path)
    assert result.returncode == 1
    [error] = json.loads(result.stdout)[0]["errors"]
    assert error["code"] == "json.too-large"
    bad = {**env, "BIDEAN_STOP_DISTANCE_M": "far"}
    result, _ = _bidean("validate", str(ZABALA), env=bad, cwd=tmp_path)
    assert result.returncode == 1
    assert "BIDEAN_STOP_DISTANCE_M='far' is not a number" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_command_that_needs_the_app_still_gets_it(env, tmp_path):
    result, modules = _bidean("tours", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "No tours are stored yet." in result.stdout
    assert "webapp.factory" in modules and "sqlalchemy" in modules


def test_the_app_option_still_chooses_the_app(env, tmp_path):
    """``--app`` as with ``flask``: its commands are listed, and ``validate`` takes its settings."""
    settings = {"INSTANCE_PATH": str(tmp_path / "instance"), "MAX_IMPORT_MB": 0.0001}
    app = f"webapp:create_app({settings!r})"
    routes, _ = _bidean("--app", app, "routes", env=env, cwd=tmp_path)
    assert routes.returncode == 0 and "/healthz" in routes.stdout, routes.stderr[-2000:]
    listed, _ = _bidean("--app", app, "--help", env=env, cwd=tmp_path)
    assert all(re.search(rf"^  {name} ", listed.stdout, re.M) for name in COMMANDS)
    checked, _ = _bidean("--app", app, "validate", "--json", str(ZABALA), env=env, cwd=tmp_path)
    assert json.loads(checked.stdout)[0]["errors"][0]["code"] == "json.too-large"


def test_the_table_is_every_command_of_the_app(tmp_path):
    """A command added to the app but not to ``webapp.commands.COMMANDS`` would be missing
    from ``bidean --help``; every row must name a click command with that help line."""
    app = create_app(
        {"DATABASE_URL": "sqlite://", "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path)}
    )
    assert set(app.cli.list_commands(click.Context(app.cli))) <= set(COMMANDS)
    for name, entry in COMMANDS.items():
        command = load_command(name)
        assert isinstance(command, click.Command)
        assert (command.help or "").strip().splitlines()[0] == entry.help, name


#: What `bidean import` never needs: the web app and its pages' libraries (issue #21).
NOT_FOR_IMPORT = (
    "webapp.factory",
    "webapp.public",
    "webapp.console",
    "webapp.booking",
    "folium",
    "flask_babel",
    "babel",
    "flask_limiter",
    "flask_wtf",
    "PIL",
    "fastkml",
    "gpxpy",  # the GPX reader and writer: a GeoJSON file is imported without them
)
#: ... nor, once the database is migrated (migrating maps every table), these.
NOT_ONCE_MIGRATED = (
    "alembic",
    "tours.stories",  # residents' stories: `bidean export` reads them, an import does not
)
SMALL_ROUTE = (
    '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name":'
    ' "Walk"}, "geometry": {"type": "LineString", "coordinates": [[-2.935, 43.257],'
    " [-2.933, 43.258]]}}]}"
)


def test_import_starts_light_and_still_upgrades_the_database(env, tmp_path):
    """`bidean import` needs the settings and the database, not the app's pages; the first
    import into an empty database still creates the schema (Alembic), later ones check it
    with a query and import no Alembic at all."""
    database = tmp_path / "instance" / "bidean.sqlite3"
    env = {**env, "BIDEAN_DATABASE_URL": f"sqlite:///{database}"}
    route = tmp_path / "walk.geojson"
    route.write_text(SMALL_ROUTE, encoding="utf-8")
    args = ("import", "--city", "Bilbao", "--language", "en", "--timezone", "Europe/Madrid")
    first, modules = _bidean(*args, "--route", str(route), env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr[-2000:]
    assert re.search(r"stored \S+ version 1 as a draft", first.stdout), first.stdout
    assert "alembic" in modules  # an empty database: the migrations ran
    assert _heavy(modules, NOT_FOR_IMPORT) == []
    second, modules = _bidean(*args, "--route", str(route), env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr[-2000:]
    assert "Traceback" not in second.stderr
    assert _heavy(modules, (*NOT_FOR_IMPORT, *NOT_ONCE_MIGRATED)) == []
    listed, _ = _bidean("tours", env=env, cwd=tmp_path)  # the whole app sees what was stored
    assert "\tBilbao\ten\tdraft" in listed.stdout, listed.stdout
    helped, modules = _bidean("import", "--help", env=env, cwd=tmp_path)
    assert helped.returncode == 0 and "--route" in helped.stdout
    assert _heavy(modules, (*NOT_FOR_IMPORT, *NOT_ONCE_MIGRATED)) == []


def _threads_after(args: list[str], env: dict[str, str], cwd: Path) -> tuple[str, int]:
    """OPENBLAS_NUM_THREADS and the process's thread count once the command has run."""
    code = (
        "import os, sys\nfrom webapp.cli import main\ntry:\n    main()\nfinally:\n"
        "    tasks = len(os.listdir('/proc/self/task'))\n"
        "    print(os.environ.get('OPENBLAS_NUM_THREADS'), tasks, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cwd
    )
    value, tasks = result.stderr.strip().splitlines()[-1].split()
    return value, int(tasks)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_commands_start_no_blas_threads_unless_told(env, tmp_path):
    """numpy's OpenBLAS would start a thread per core as it loads (bench/cli_bench.py)."""
    env.pop("OPENBLAS_NUM_THREADS", None)
    assert _threads_after(["validate", str(ZABALA)], env, tmp_path) == ("1", 1)
    # A value the user set wins, and OpenBLAS starts its threads (the machine has 2+ cores).
    value, tasks = _threads_after(
        ["validate", str(ZABALA)], {**env, "OPENBLAS_NUM_THREADS": "2"}, tmp_path
    )
    assert value == "2" and tasks >= 2


def _frozen_after(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """How many objects were frozen (``gc.freeze``) once the command ran, and its output."""
    code = (
        "import gc, sys\nfrom webapp.cli import main\ntry:\n    main()\nfinally:\n"
        "    print(gc.get_freeze_count(), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cwd
    )
    return int(result.stderr.strip().splitlines()[-1]), result.stdout


def test_validate_freezes_its_start_up_and_the_app_commands_do_not(env, tmp_path):
    """``bidean validate`` leaves its imported modules to the operating system at exit
    (``webapp.cli.freeze_start_up``), and still checks and reports; a command that opens
    the database keeps Python's usual exit, which closes what it opened."""
    frozen, out = _frozen_after(["validate", "--json", str(WITH_IMAGES)], env, tmp_path)
    assert frozen > 10_000  # numpy, shapely, pyproj and the checkers
    assert json.loads(out)[0]["valid"] is True
    frozen, out = _frozen_after(["tours"], env, tmp_path)
    assert frozen == 0 and "No tours are stored yet." in out
