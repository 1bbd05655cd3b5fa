"""``bidean import``: files in, tours stored (published, or drafts with a to-do list).

* A positional file that is a valid tour in the profile is stored and published, as
  always.  A positional file that is *not* in the profile but can be assembled (a plain
  GeoJSON with a line and points, CSV, KML, an exported draft) becomes a draft.  A file
  in the profile that is invalid is refused with its report, which names the options
  that store it as a draft instead.  A GPX file is never in the profile: given alone it
  is stored as a published tour when complete, else assembled into a draft (as with
  ``--route``).  ``--title`` and ``--summary`` apply in every case.
* With ``--route``/``--stops``/``--districts`` every file given forms **one** tour,
  assembled (:mod:`tours.content.assembly.assemble`) and stored as a draft: an assembly guesses
  (field names, order), so a coordinator looks before ``bidean publish``.

``dry_run`` does everything but store.  Storing is the caller's ``store`` function:
it opens one transaction per stored file or assembly, stores it with :func:`store_intake`
and writes the audit record in that same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from tours.content.assembly.assemble import TODO_WARNINGS, Assembly, AssemblyOptions, assemble
from tours.content.assembly.sources import SourceData, read_source
from tours.content.checking.pipeline import (
    ValidationOptions,
    ValidationResult,
    validate_document,
    validate_path,
    without_gc,
)
from tours.content.report import Problem, Report, Severity
from tours.content.workflows.drafts import without_draft_marks
from tours.content.workflows.slugs import SlugTaken, check_slug, earlier_draft
from tours.text import slugify
from tours.tour.domain import Tour
from tours.tour.store import DRAFT, PUBLISHED, save_document, save_tour

log = logging.getLogger(__name__)
Validator = Callable[[Path, ValidationOptions], ValidationResult]
_STRUCTURAL = ("file.", "json.", "geojson.", "gpx.")


@dataclass
class Intake:
    """One import: a file (or an assembly of several), what it gave and what was stored."""

    label: str
    report: Report
    status: str | None = None  # what was (or, in a dry run, would be) stored
    slug: str | None = None
    version: int | None = None
    assembly: Assembly | None = None
    document: dict[str, Any] | None = None
    dry_run: bool = False
    unchanged: bool = False  # the file equals the current published version: nothing stored
    tour: Tour | None = None  # a complete tour in the profile: stored published
    city: str | None = None  # the city given with the import, stored with a complete tour
    files: list[str] = field(default_factory=list)  # the names of the files it came from
    #: Where the slug came from, for :func:`check_slug`: "file", "option", "made", "new-version".
    slug_origin: str = "file"

    @property
    def ok(self) -> bool:
        return self.status is not None and self.report.valid

    def to_dict(self) -> dict[str, Any]:
        data = self.assembly.to_dict() if self.assembly else self.report.to_dict()
        data.update(
            file=self.label,
            stored=None
            if self.status is None or self.dry_run
            else {
                "slug": self.slug,
                "version": self.version,
                "status": self.status,
                "unchanged": self.unchanged,
            },
            would_store={"slug": self.slug, "status": self.status} if self.dry_run else None,
        )
        if self.dry_run:
            data["document"] = self.document
        return data


# Stores one intake (``store_intake`` in a transaction of its own); raises SQLAlchemyError.
Store = Callable[[Intake], None]


def import_files(
    store: Store | None,
    files: list[Path],
    *,
    route: Path | None = None,
    stops: list[Path] | None = None,
    districts: Path | None = None,
    options: AssemblyOptions | None = None,
    dry_run: bool = False,
    validate: Validator = validate_path,
    languages: tuple[str, ...] = (),
    new_version_of: str | None = None,
) -> list[Intake]:
    """Import ``files`` (see the module's docstring); ``store`` may be None in a dry run.

    ``languages`` (canonical tags, ``--languages``) become the languages a draft declares,
    in that order; texts in any other language are kept as partial translations.

    ``validate`` may do more than ``validate_path`` for a file in the profile (the CLI
    stores the images it names by a local path first).  ``new_version_of`` stores every
    tour as a new version of that stored tour, whatever its slug, city or route.
    """
    options = options or AssemblyOptions()
    if new_version_of:
        options = replace(options, slug=new_version_of)
    new_version = bool(new_version_of)
    if route is not None or stops or districts is not None:
        roles: list[tuple[str, SourceData]] = [("any", _read(p, options)) for p in files]
        if route is not None:
            roles.append(("route", _read(route, options)))
        roles += [("stops", _read(p, options)) for p in stops or []]
        if districts is not None:
            roles.append(("districts", _read(districts, options)))
        names = [PurePath(source.file).name for _, source in roles]
        assembly = declare(assemble(roles, options), languages, options.validation)
        return [_draft(store, assembly, dry_run, names, new_version)]
    return [
        _one_file(store, path, options, dry_run, validate, new_version, languages) for path in files
    ]


def _read(path: Path, options: AssemblyOptions) -> SourceData:
    limits = options.validation
    return read_source(path, max_bytes=limits.max_bytes, max_depth=limits.max_depth)


def _one_file(
    store: Store | None,
    path: Path,
    options: AssemblyOptions,
    dry_run: bool,
    validate: Validator,
    new_version: bool,
    languages: tuple[str, ...] = (),
) -> Intake:
    result = validate(path, options.validation)
    if result.valid and not is_draft(result.document):
        todo = [p.to_dict() for p in result.report.warnings if p.code in TODO_WARNINGS]
        if todo:  # complete, but not publishable yet (a recording without a transcript)
            return _held(store, path, result, todo, options, dry_run, new_version)
        return _publish(store, path, result, options, dry_run, new_version)
    source = _read(path, options)
    if assemblable(source, result):
        alone = alone_options(source, options)
        assembly = declare(assemble([("any", source)], alone), languages, options.validation)
        return _draft(store, assembly, dry_run, [path.name], new_version)
    hint = as_draft_hint(source, result, str(path))
    if hint is not None:
        result.report.problems.append(hint)
    return Intake(str(path), result.report)


#: The notes about languages, worked out again when ``--languages`` changes the tour's.
_LANGUAGE_NOTES = ("profile.partial-language", "profile.missing-translation")


def declare(assembly: Assembly, languages: tuple[str, ...], options: ValidationOptions) -> Assembly:
    """``assembly`` with its draft declaring ``languages`` (in that order), and its notes
    about languages (partial translations, missing ones) checked again for them."""
    if not languages or assembly.document is None:
        return assembly
    props = assembly.document["features"][0]["properties"]
    if props.get("languages") == list(languages):
        return assembly
    props["languages"] = list(languages)
    checked = validate_document(
        without_draft_marks(assembly.document), assembly.report.file, options
    )
    problems = [p for p in assembly.report.problems if p.code not in _LANGUAGE_NOTES]
    problems += [p for p in checked.report.problems if p.code in _LANGUAGE_NOTES]
    assembly.report.problems[:] = problems
    return assembly


def is_draft(document: dict[str, Any] | None) -> bool:
    props = (document or {}).get("features", [{}])[0].get("properties") or {}
    return props.get("status") == DRAFT


def assemblable(source: SourceData, result: ValidationResult) -> bool:
    """Not in the profile but readable (CSV, KML, GPX, a plain GeoJSON), or an exported
    draft.  A GPX file is never in the profile: whatever it lacks is a draft's to-do, as
    with ``--route FILE``."""
    if source.format in ("CSV", "KML"):
        return True
    if source.format == "GPX":
        return source.readable
    if source.format != "GeoJSON" or not source.readable:
        return False
    if any(p.code.startswith(_STRUCTURAL) for p in result.report.errors):
        return False
    lines = [f for f in source.features if f.kind in ("LineString", "MultiLineString")]
    props = lines[0].properties if lines else {}
    return "profile" not in props or props.get("status") == DRAFT


def alone_options(source: SourceData, options: AssemblyOptions) -> AssemblyOptions:
    """The options of assembling a file given alone: a GPX file keeps the slug its
    complete import would have (from its name), so its draft and its completed import
    are versions of one tour."""
    slug = slugify(source.name or "") if source.format == "GPX" else ""
    return replace(options, slug=slug) if slug and not options.slug else options


def as_draft_hint(source: SourceData, result: ValidationResult, file: str) -> Problem | None:
    """For a readable file refused as a whole tour (a file in the profile with errors):
    the options that store what it has as a draft with a to-do list instead."""
    if not source.readable or any(p.code.startswith(_STRUCTURAL) for p in result.report.errors):
        return None
    kinds = {f.kind for f in source.features}
    if not kinds & {"LineString", "MultiLineString"}:
        return None
    options = f"--route {file}" + (f" --stops {file}" if "Point" in kinds else "")
    return Problem(
        "import.as-draft",
        "",
        f"To store what the file has as a draft with a to-do list instead, import it with"
        f" {options}.",
        Severity.WARNING,
    )


def _publish(
    store: Store | None,
    path: Path,
    result: ValidationResult,
    options: AssemblyOptions,
    dry_run: bool,
    new_version: bool,
) -> Intake:
    assert result.tour is not None
    if options.slug and options.slug != result.tour.slug:
        # --slug (or --new-version-of) renames a tour file's own slug.
        result.tour = replace(result.tour, slug=options.slug)
        result.document = result.tour.to_document(with_scripts=True)
    intake = Intake(str(path), result.report, PUBLISHED, result.tour.slug, None, None)
    intake.document, intake.dry_run = result.document, dry_run
    intake.slug_origin = "new-version" if new_version else "option" if options.slug else "file"
    intake.tour, intake.city, intake.files = result.tour, options.city, [path.name]
    if dry_run or store is None:
        return intake
    return _stored(store, intake)


def _held(
    store: Store | None,
    path: Path,
    result: ValidationResult,
    todo: list[dict[str, Any]],
    options: AssemblyOptions,
    dry_run: bool,
    new_version: bool,
) -> Intake:
    """A valid tour file with something still to do before publishing (a warning of
    ``TODO_WARNINGS``): stored as a draft with that to-do list, never published."""
    assert result.tour is not None and result.document is not None
    document = result.tour.to_document(with_scripts=True)
    slug = options.slug or result.tour.slug
    document["features"][0]["properties"]["slug"] = slug
    assembly = Assembly(result.report, document, todo=todo, slug=slug)
    intake = Intake(str(path), result.report, DRAFT, slug, assembly=assembly, dry_run=dry_run)
    intake.document, intake.files = document, [path.name]
    intake.slug_origin = "new-version" if new_version else "option" if options.slug else "file"
    if dry_run or store is None:
        return intake
    return _stored(store, intake)


def _draft(
    store: Store | None, assembly: Assembly, dry_run: bool, files: list[str], new_version: bool
) -> Intake:
    intake = Intake(assembly.report.file, assembly.report, assembly=assembly, dry_run=dry_run)
    if not assembly.ok or assembly.document is None:
        return intake
    intake.status, intake.slug, intake.document = DRAFT, assembly.slug, assembly.document
    intake.files = files
    made = assembly.naming.origin if assembly.naming else "made"
    intake.slug_origin = "new-version" if new_version else made
    if dry_run or store is None:
        return intake
    return _stored(store, intake)


def _stored(store: Store, intake: Intake) -> Intake:
    """``intake`` after ``store`` ran it, with what went wrong in its report."""
    try:
        # The collector paused as while validating (pipeline.without_gc): the stored
        # document's hundred thousand small lists form no cycles.
        with without_gc():
            store(intake)
    except SQLAlchemyError as exc:
        _store_failed(intake, exc)
    except SlugTaken as exc:
        _slug_taken(intake, exc)
    return intake


def store_intake(db_session: Session, intake: Intake) -> None:
    """Store ``intake`` in the caller's transaction and set its version: a complete tour
    published (unchanged when it equals the published version), else a draft; raises
    :class:`SlugTaken` when the slug names a tour this import is not a version of."""
    assert intake.slug is not None
    props = (intake.document or {}).get("features", [{}])[0].get("properties") or {}
    naming = intake.assembly.naming if intake.assembly is not None else None
    if intake.slug_origin == "made" and intake.assembly is not None and naming is not None:
        earlier = earlier_draft(
            db_session,
            intake.slug,
            naming.earlier,
            intake.label,
            intake.document,
            props.get("city"),
        )
        if earlier is not None:
            intake.assembly.notes.append(
                f"Stored as a new version of {earlier!r}, the tour these files made before"
                " (with no title or another one); --slug NAME makes a new tour instead."
            )
            intake.slug = props["slug"] = intake.assembly.slug = earlier
    city = intake.city or (intake.tour.city if intake.tour else props.get("city"))
    check_slug(db_session, intake.slug, city, intake.document, intake.slug_origin)
    if intake.tour is not None:
        name = PurePath(intake.label).name
        stored = save_tour(db_session, intake.tour, source_name=name, city=intake.city)
        intake.version, intake.unchanged = stored.version, stored.unchanged
        return
    assert intake.assembly is not None and intake.document is not None
    title = props.get("title") if isinstance(props.get("title"), dict) else {}
    intake.version = save_document(
        db_session,
        intake.document,
        slug=props["slug"],
        city=props.get("city") or "",
        languages=props.get("languages") or [],
        title=title or {},
        source_name=intake.label,
        todo=intake.assembly.todo,
        draft=True,
    )


def _slug_taken(intake: Intake, exc: SlugTaken) -> None:
    intake.status = None
    intake.report.error("import.slug-taken", "", f"{exc} Nothing was stored for this file.")


def _store_failed(intake: Intake, exc: SQLAlchemyError) -> None:
    log.exception("storing %s failed", intake.label)
    intake.status = None
    intake.report.error(
        "store.failed",
        "",
        f"The tour could not be stored: {type(exc).__name__}: {str(exc).splitlines()[0]}."
        " Nothing was stored for this file; try again.",
    )
