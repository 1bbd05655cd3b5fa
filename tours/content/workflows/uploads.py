"""An import from uploaded files (the console's import page): plan it, then store it.

The same combinations as ``bidean import`` (:mod:`tours.content.workflows.intake`), on bytes
instead of paths: one ``tour`` file alone is taken as a whole tour (a complete file in
the profile, or anything that can be assembled into a draft); with a ``route``,
``stops`` or ``districts`` file every file forms one assembled draft.  :func:`plan_import`
stores nothing (the preview); :func:`store_plan` stores the plan in the caller's
transaction (the confirmation).

A web import never reads the server's disk: an image a file names by a local path
(``images/square.png``, which ``bidean import`` would read beside the file) is left out,
and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from tours.content.assembly.assemble import TODO_WARNINGS, Assembly, AssemblyOptions, assemble
from tours.content.assembly.sources import SourceData, read_bytes
from tours.content.checking.pipeline import ValidationOptions, validate_bytes, validate_document
from tours.content.reading.jsonload import UTF8_BOM, load_json
from tours.content.reading.positions import pointer_positions
from tours.content.report import Problem, Report, Severity
from tours.content.workflows.intake import alone_options, as_draft_hint, assemblable, is_draft
from tours.content.workflows.slugs import SlugTaken, check_slug, earlier_draft
from tours.content.workflows.staging import StagedFile
from tours.tour.domain import Tour
from tours.tour.models import TourRecord
from tours.tour.store import DRAFT, PUBLISHED, latest_version_number, save_document, save_tour

LOCAL_IMAGE = "media.local-file-not-read"


@dataclass
class ImportPlan:
    """What an upload gives: the report, and what would be stored (nothing when refused).

    ``kind`` is ``tour`` for a complete file in the profile, ``assembly`` for a draft
    assembled from the files, None when refused.  ``tour`` is set when the import is
    complete (nothing to do), so it may be published.
    """

    report: Report
    kind: str | None = None
    slug: str | None = None
    document: dict[str, Any] | None = None
    tour: Tour | None = None
    todo: list[dict[str, Any]] = field(default_factory=list)
    assembly: Assembly | None = None
    source_name: str = ""
    city: str | None = None

    @property
    def ok(self) -> bool:
        return self.document is not None and self.slug is not None

    @property
    def complete(self) -> bool:
        return self.ok and self.tour is not None and not self.todo


@dataclass(frozen=True)
class StoredImport:
    slug: str
    version: int
    status: str
    unchanged: bool = False


@dataclass(frozen=True)
class ExistingTour:
    """A stored tour of the same slug: an import adds a version to it."""

    status: str
    current_version: int
    newest_version: int


def validation_options(options: AssemblyOptions) -> ValidationOptions:
    """The options as validation sees them (what a GPX file cannot say, the city, the
    title and summary)."""
    extra: dict[str, Any] = {"default_language": options.language} if options.language else {}
    return replace(
        options.validation,
        city=options.city,
        timezone=options.timezone,
        licence=options.licence,
        title=options.title,
        summary=options.summary,
        **extra,
    )


def plan_import(files: list[StagedFile], options: AssemblyOptions) -> ImportPlan:
    """What importing ``files`` would store, and the report; stores nothing."""
    options = replace(options, validation=validation_options(options))
    limits = options.validation
    names = " + ".join(f.name for f in files) or "(no files)"

    def read(item: StagedFile) -> SourceData:
        return read_bytes(
            item.data, item.name, max_bytes=limits.max_bytes, max_depth=limits.max_depth
        )

    whole = [f for f in files if f.role == "tour"]
    if len(whole) == 1 and len(files) == 1:
        return _one_file(whole[0], options, read)
    roles = [("any" if f.role == "tour" else f.role, read(f)) for f in files]
    plan = _from_assembly(assemble(roles, options), options)
    plan.source_name = names
    return plan


def _one_file(item: StagedFile, options: AssemblyOptions, read: Any) -> ImportPlan:
    result = validate_bytes(item.data, item.name, options.validation)
    if result.valid and result.document is not None and not is_draft(result.document):
        document = result.document
        skipped = _local_images(document, _source_positions(item), item.name, None)
        result.report.problems.extend(skipped)
        tour = Tour.from_document(document) if skipped else result.tour
        assert tour is not None
        # Complete, but maybe not publishable yet (a recording without a transcript).
        todo = [p.to_dict() for p in result.report.warnings if p.code in TODO_WARNINGS]
        return ImportPlan(
            result.report, "tour", tour.slug, document, tour, todo, None, item.name, options.city
        )
    source = read(item)
    if assemblable(source, result):
        alone = alone_options(source, options)
        plan = _from_assembly(assemble([("any", source)], alone), options)
        plan.source_name = item.name
        return plan
    hint = as_draft_hint(source, result, item.name)
    if hint is not None:
        result.report.problems.append(hint)
    return ImportPlan(result.report, source_name=item.name)


def _from_assembly(assembly: Assembly, options: AssemblyOptions) -> ImportPlan:
    plan = ImportPlan(assembly.report, assembly=assembly, city=options.city)
    if not assembly.ok or assembly.document is None:
        return plan
    document = assembly.document
    places: dict[int, tuple[str, int | None, int | None]] = {}
    if assembly.order is not None:
        for position, index in enumerate(assembly.order.final, start=1):
            source = assembly.stop_sources[index]
            places[position] = (source.file, source.line, source.column)
    assembly.report.problems.extend(_local_images(document, {}, assembly.report.file, places))
    plan.kind, plan.slug, plan.document, plan.todo = (
        "assembly",
        assembly.slug,
        document,
        assembly.todo,
    )
    if not assembly.todo:
        checked = validate_document(document, assembly.report.file, options.validation)
        if checked.valid:
            plan.tour = checked.tour
    return plan


def _source_positions(item: StagedFile) -> dict[str, tuple[int, int]]:
    """Line and column of every media url in a GeoJSON file, by pointer."""
    value, _ = load_json(item.data, max_bytes=len(item.data) + 1)
    pointers = [p for p, media in _media(value) if _is_local(media["url"])]
    if not pointers:
        return {}
    text = item.data.removeprefix(UTF8_BOM).decode("utf-8", errors="replace")
    return pointer_positions(text, pointers)


def _media(document: Any) -> list[tuple[str, dict[str, Any]]]:
    found = []
    features = document.get("features") if isinstance(document, dict) else None
    for i, feature in enumerate(features if isinstance(features, list) else ()):
        props = feature.get("properties") if isinstance(feature, dict) else None
        media = props.get("media") if isinstance(props, dict) else None
        for j, entry in enumerate(media if isinstance(media, list) else ()):
            if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                found.append((f"/features/{i}/properties/media/{j}/url", entry))
    return found


def _is_local(url: str) -> bool:
    """A path on the computer the file came from (the rule of ``bidean import``)."""
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or not url.strip() or url.startswith(("/", "\\")))


def _local_images(
    document: dict[str, Any],
    positions: dict[str, tuple[int, int]],
    file: str,
    places: dict[int, tuple[str, int | None, int | None]] | None,
) -> list[Problem]:
    """Take the images named by a local path out of ``document``; a warning for each."""
    problems = []
    for pointer, entry in _media(document):
        if not _is_local(entry["url"]):
            continue
        line, column = positions.get(pointer, (None, None))
        where_file = file
        if places is not None:
            feature = int(pointer.split("/")[2])
            where_file, line, column = places.get(feature, (file, None, None))
        problems.append(
            Problem(
                LOCAL_IMAGE,
                pointer,
                f"The image {entry['url']!r} is a file on the computer the tour came from;"
                " an import in the browser does not read files from the server's disk, so it"
                " was left out. Give the image as an https:// address, or store it with"
                " `bidean media add` and use its media:… reference.",
                Severity.WARNING,
                line,
                column,
                where_file,
            )
        )
    for feature in document.get("features") or []:
        props = feature.get("properties") or {}
        media = props.get("media")
        if isinstance(media, list):
            kept = [
                m
                for m in media
                if not (
                    isinstance(m, dict) and isinstance(m.get("url"), str) and _is_local(m["url"])
                )
            ]
            if kept:
                props["media"] = kept
            else:
                props.pop("media")
    return problems


def existing_tour(db_session: Session, slug: str) -> ExistingTour | None:
    """The stored tour an import of ``slug`` would add a version to, if any."""
    record = db_session.scalars(select(TourRecord).where(TourRecord.slug == slug)).one_or_none()
    if record is None:
        return None
    newest = latest_version_number(db_session, record.id) or 0
    return ExistingTour(record.status, record.current_version, newest)


def settle_slug(db_session: Session, plan: ImportPlan) -> None:
    """Give the plan the slug it will be stored under, as ``bidean import`` does: the
    draft the same files made before they had a title, else its own; a slug that names
    another tour refuses the plan (see :mod:`tours.content.workflows.slugs`)."""
    if not plan.ok or plan.slug is None or plan.document is None:
        return
    props = plan.document["features"][0]["properties"]
    naming = plan.assembly.naming if plan.assembly is not None else None
    origin = naming.origin if naming is not None else "file"
    if origin == "made" and plan.assembly is not None and naming is not None:
        earlier = earlier_draft(
            db_session,
            plan.slug,
            naming.earlier,
            plan.source_name,
            plan.document,
            plan.city or props.get("city"),
        )
        if earlier is not None:
            plan.slug = props["slug"] = plan.assembly.slug = earlier
    try:
        check_slug(db_session, plan.slug, plan.city or props.get("city"), plan.document, origin)
    except SlugTaken as exc:
        plan.report.error("import.slug-taken", "", exc.reason)  # the page offers its title
        plan.document = plan.tour = None


def store_plan(db_session: Session, plan: ImportPlan, *, publish: bool) -> StoredImport:
    """Store the plan in the caller's transaction: published when it is complete and
    ``publish`` asks for it, else as a draft with its to-do list."""
    if not plan.ok or plan.slug is None or plan.document is None:
        raise ValueError("nothing to store: the import was refused")
    if publish and plan.complete and plan.tour is not None:
        stored = save_tour(db_session, plan.tour, source_name=plan.source_name, city=plan.city)
        return StoredImport(stored.slug, stored.version, PUBLISHED, stored.unchanged)
    props = plan.document["features"][0]["properties"]
    title = props.get("title") if isinstance(props.get("title"), dict) else {}
    version = save_document(
        db_session,
        plan.document,
        slug=plan.slug,
        city=plan.city or props.get("city") or "",
        languages=props.get("languages") or [],
        title=title or {},
        source_name=plan.source_name,
        todo=plan.todo,
        draft=True,
    )
    return StoredImport(plan.slug, version, DRAFT)
