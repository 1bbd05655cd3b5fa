"""``bidean media add`` and tour files whose images are files beside them.

``validate_with_media`` is what ``bidean import``, ``bidean validate`` and the sample
loader use instead of ``validate_path``: a GeoJSON tour whose media ``url`` is a path
relative to the file (``images/plaza.png``) gets those images re-encoded into the media
store (``webapp.media.store``) and pointed to as ``media:<key>`` before it is checked.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from tours.content.checking.pipeline import ValidationOptions, ValidationResult, validate_bytes
from tours.content.checking.pipeline import validate_path as validate_plain
from tours.content.reading.jsonload import load_json
from tours.content.report import Problem, Report
from webapp.media.store import MediaError, MediaStore, is_local_path, localize_media, stop_media
from webapp.media.store import media_store as app_media_store


def validate_with_media(
    path: Path, options: ValidationOptions, store: MediaStore
) -> ValidationResult:
    """Validate ``path``, first storing the images it names by a local path in ``store``."""
    if path.suffix.lower() not in (".geojson", ".json") or not path.is_file():
        return validate_plain(path, options)
    try:
        data = path.read_bytes() if path.stat().st_size <= options.max_bytes else None
    except OSError:
        data = None
    if data is None:
        return validate_plain(path, options)  # it says why in its report
    document, _ = load_json(data, max_bytes=options.max_bytes, max_depth=options.max_depth)
    if not any(is_local_path(item["url"]) for _, item in stop_media(document)):
        return validate_bytes(data, str(path), options)
    problems = localize_media(document, path.parent, store)
    if problems:
        report = Report(str(path), [Problem("media.local-file", p, m) for p, m in problems])
        return ValidationResult(report, None, None)
    return validate_bytes(json.dumps(document).encode(), str(path), options)


def validate_for_app(path: Path, options: ValidationOptions) -> ValidationResult:
    """``validate_with_media`` into this app's media store (for ``bidean import``)."""
    return validate_with_media(path, options, app_media_store())


def validate_only(path: Path, options: ValidationOptions) -> ValidationResult:
    """``validate_with_media`` that keeps nothing: images are checked in a scratch store."""
    with tempfile.TemporaryDirectory(prefix="bidean-media-") as scratch:
        return validate_with_media(path, options, MediaStore(Path(scratch)))


@click.group("media")
def media_group() -> None:
    """Images for tours, re-encoded and served by Bidean."""


@media_group.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_appcontext
def add_command(files: tuple[Path, ...]) -> None:
    """Store images (JPEG, PNG, WebP, GIF) without their metadata; print their references.

    Put a reference in a tour file as a media url: {"url": "media:…", "type": "image"}.
    """
    store = app_media_store()
    failed = False
    for path in files:
        try:
            image = store.add_file(path)
        except MediaError as error:
            click.echo(str(error), err=True)
            failed = True
            continue
        widths = ", ".join(str(w) for w in image.widths)
        click.echo(f"{image.reference}\t{path}\t{image.width}×{image.height} (widths {widths})")
    if failed:
        raise click.exceptions.Exit(1)
    click.echo(f"stored in {store.root}", err=True)
