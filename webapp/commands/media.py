"""``bidean media add`` and tour files whose images are files beside them.

``validate_with_media`` is what ``bidean import`` and the sample loader use instead of
``validate_path``: a GeoJSON tour whose media ``url`` is a path relative to the file
(``images/plaza.png``) gets those images re-encoded, once, into the media store
(``webapp.media.store``) and pointed to as ``media:<key>`` as soon as it is parsed, then
it is checked; the file is parsed once.  (``bidean validate`` only checks them from
their headers: ``webapp.commands.validate.check_path``.)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tours.content.checking.pipeline import ValidationOptions, ValidationResult, validate_path
from webapp.commands.validate import media_problems
from webapp.media.store import MediaError, MediaStore, localize_media, store_for


def validate_with_media(
    path: Path, options: ValidationOptions, store: MediaStore
) -> ValidationResult:
    """Validate ``path``, storing the images it names by a local path in ``store`` (and
    pointing to them) before its document is checked."""
    base = path.parent
    return validate_path(
        path, options, prepare=media_problems(lambda doc: localize_media(doc, base, store))
    )


def validate_for_app(path: Path, options: ValidationOptions) -> ValidationResult:
    """``validate_with_media`` into this app's media store (for ``bidean import``)."""
    return validate_with_media(path, options, store_for(current_app))


def validate_in_scratch(path: Path, options: ValidationOptions) -> ValidationResult:
    """``validate_with_media`` that keeps nothing: images are re-encoded in a scratch
    store, as an import would (``bidean import --dry-run``)."""
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
    store = store_for(current_app)
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
