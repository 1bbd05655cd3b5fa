"""``bidean validate``: check tour files and report every problem; stores nothing.

It needs neither the app nor the database, nor even Flask, and imports only what
checking a file takes (``bidean validate`` is the command people run most often, in
scripts and editors): ``webapp.cli`` runs it without Flask's command group, and the
settings come from ``webapp.commands.command_config``.  Each file is parsed once; the
images a tour names by a path beside it are checked from their headers, not re-encoded
(``webapp.media.store.check_file``; ``bidean import`` re-encodes them, once).  Exit
codes: 0 when every file is valid (warnings allowed), 1 when any is not, 2 for usage
errors (click's own).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from tours.content.checking.pipeline import (
    Prepare,
    ValidationOptions,
    ValidationResult,
    validate_path,
)
from tours.content.report import Problem
from webapp.commands import command_config
from webapp.common.settings import SettingError
from webapp.media.store import check_local_media

F = TypeVar("F", bound=Callable[..., Any])
FILES = click.Path(path_type=Path)


def gpx_options(command: F) -> F:
    """Options for what a GPX file cannot say (and ``--city``, which overrides any file)."""
    command = click.option(
        "--licence",
        metavar="SPDX",
        help="Licence of a GPX tour's texts, such as CC-BY-SA-4.0, if the file has none.",
    )(command)
    command = click.option(
        "--language",
        metavar="TAG",
        help="Language of the names and descriptions of a GPX file (default: en).",
    )(command)
    command = click.option(
        "--timezone",
        metavar="ZONE",
        help="Time zone of a GPX tour, such as Europe/Madrid (GeoJSON tours say it themselves).",
    )(command)
    return click.option(
        "--city", metavar="NAME", help="Store the tours under this city, whatever the files say."
    )(command)


def validation_options(
    city: str | None, timezone: str | None, language: str | None, licence: str | None
) -> ValidationOptions:
    """Validation options from the settings (``BIDEAN_MAX_IMPORT_MB``,
    ``BIDEAN_STOP_DISTANCE_M``; the app's config when one is loaded) and the command's
    options."""
    try:
        config = command_config()
    except SettingError as error:  # as the `bidean` group says it, when it runs the command
        raise click.ClickException(str(error)) from None
    extra: dict[str, Any] = {"default_language": language} if language else {}
    try:
        max_mb, stop_m = float(config["MAX_IMPORT_MB"]), float(config["STOP_DISTANCE_M"])
    except (TypeError, ValueError):
        raise click.ClickException(
            "BIDEAN_MAX_IMPORT_MB and BIDEAN_STOP_DISTANCE_M must be numbers"
            f" (they are {config['MAX_IMPORT_MB']!r} and {config['STOP_DISTANCE_M']!r})."
        ) from None
    return ValidationOptions(
        max_bytes=int(max_mb * 1024 * 1024),
        stop_distance_m=stop_m,
        city=city,
        timezone=timezone,
        licence=licence,
        **extra,
    )


def media_problems(act: Callable[[Any], list[tuple[str, str]]]) -> Prepare:
    """The pipeline's ``prepare`` step from a media function (``check_local_media``,
    ``localize_media``) over a parsed tour: its (pointer, message) pairs as problems."""

    def prepare(document: Any) -> list[Problem]:
        return [Problem("media.local-file", pointer, message) for pointer, message in act(document)]

    return prepare


def check_path(path: Path, options: ValidationOptions) -> ValidationResult:
    """Validate ``path``, parsed once; the images it names by a local path are checked
    from their headers (type, size, dimensions), stored nowhere and not re-encoded."""
    base = path.parent
    return validate_path(
        path, options, prepare=media_problems(lambda doc: check_local_media(doc, base))
    )


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=FILES)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as a JSON array.")
@gpx_options
def validate_command(
    files: tuple[Path, ...],
    as_json: bool,
    city: str | None,
    timezone: str | None,
    language: str | None,
    licence: str | None,
) -> None:
    """Check tour files (GeoJSON or GPX) and report every problem; stores nothing.

    Exits 0 when every file is valid (warnings allowed) and 1 when any is not.
    """
    options = validation_options(city, timezone, language, licence)
    reports = [check_path(path, options).report for path in files]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        for report in reports:
            click.echo(report.to_text())
    raise click.exceptions.Exit(0 if all(r.valid for r in reports) else 1)
