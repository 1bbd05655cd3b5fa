"""Storing and reading tours.  Plain functions over a SQLAlchemy session; the caller owns
the transaction (``tours.db.transaction``), so an import is all-or-nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from tours.errors import BideanError, TourNotFound
from tours.tour.catalogue import catalogue_facts, facts_are_current
from tours.tour.domain import Tour
from tours.tour.models import TourCatalogueRecord, TourRecord, TourVersionRecord

DRAFT, PUBLISHED, WITHDRAWN = "draft", "published", "withdrawn"
TOUR_STATUSES = (DRAFT, PUBLISHED, WITHDRAWN)


@dataclass(frozen=True)
class StoredTour:
    """What an import stored: the slug, the version it got, and the tour itself."""

    slug: str
    version: int
    tour: Tour
    unchanged: bool = False  # the file equals the current version: nothing new was stored


def save_tour(
    db_session: Session, tour: Tour, source_name: str = "", city: str | None = None
) -> StoredTour:
    """Store ``tour`` as a new, published version of its slug (version 1 for a new slug).

    Re-importing a slug never overwrites: the previous versions stay, the new one
    becomes current.  The row of the slug is locked so two imports of the same slug
    cannot both become version N.
    """
    document = tour.to_document(with_scripts=True)
    city = city or tour.city
    record = db_session.scalars(
        select(TourRecord).where(TourRecord.slug == tour.slug).with_for_update()
    ).one_or_none()
    # The same file again is no new version: the report says "unchanged".
    if record is not None and record.status == PUBLISHED and record.city == city:
        current = _version_row(db_session, tour.slug, record.current_version)
        if current.document == document and current.city == city:
            return StoredTour(tour.slug, record.current_version, tour, unchanged=True)
    version = save_document(
        db_session,
        document,
        slug=tour.slug,
        city=city,
        languages=tour.languages,
        title=tour.title.to_json(),
        source_name=source_name,
        catalogue=catalogue_facts(tour),
    )
    return StoredTour(tour.slug, version, tour)


def save_document(
    db_session: Session,
    document: dict[str, Any],
    *,
    slug: str,
    city: str,
    languages: tuple[str, ...] | list[str],
    title: dict[str, str],
    source_name: str = "",
    todo: list[dict[str, Any]] | None = None,
    draft: bool = False,
    catalogue: dict[str, Any] | None = None,
) -> int:
    """Store ``document`` as a new version of ``slug``; returns the version number.

    A published version becomes current and makes the tour public.  A *draft* never
    touches what the public sees: it becomes current only for a tour that is not
    published (new, draft or withdrawn); for a published tour it waits, as the newest
    version, for ``publish_version``.
    """
    record = db_session.scalars(
        select(TourRecord).where(TourRecord.slug == slug).with_for_update()
    ).one_or_none()
    if record is None:
        status = DRAFT if draft else PUBLISHED
        record = TourRecord(slug=slug, city=city, current_version=0, status=status)
        db_session.add(record)
        db_session.flush()
    version = (latest_version_number(db_session, record.id) or 0) + 1
    if catalogue is None and not draft:
        catalogue = catalogue_facts(Tour.from_document(document))
    row = TourVersionRecord(
        tour_id=record.id,
        version=version,
        city=city,
        languages=" ".join(languages),
        title=title,
        document=document,
        source_name=source_name[:255],
        todo=list(todo or ()),
    )
    db_session.add(row)
    if catalogue is not None:
        db_session.flush()
        db_session.add(TourCatalogueRecord(tour_version_id=row.id, facts=catalogue))
    if not draft:
        record.current_version, record.status = version, PUBLISHED
    elif record.status != PUBLISHED:
        record.current_version, record.status = version, DRAFT
    record.city = city
    db_session.flush()
    return version


class StaleVersion(BideanError):
    """A save based on a version that is no longer the newest: another save came first."""

    def __init__(self, slug: str, based_on: int, newest: int, by: list[str]) -> None:
        self.slug = slug
        self.based_on = based_on
        self.newest = newest
        self.by = by  # how each newer version was made ("edited by ...", an import's file)
        self.changes: list[str] = []  # what changed since, when the caller looks it up
        super().__init__(
            f"{slug} changed while it was being edited: the form is based on version"
            f" {based_on}, the newest is {newest}. Nothing was saved; reload and edit again."
        )


def ensure_newest(db_session: Session, slug: str, based_on: int) -> TourRecord:
    """Lock the tour's row and check that ``based_on`` is still its newest version;
    raises ``StaleVersion`` (saying how the newer versions were made) or ``TourNotFound``."""
    record = tour_record(db_session, slug)
    newest = latest_version_number(db_session, record.id) or 0
    if newest != based_on:
        newer = db_session.scalars(
            select(TourVersionRecord.source_name)
            .where(TourVersionRecord.tour_id == record.id, TourVersionRecord.version > based_on)
            .order_by(TourVersionRecord.version)
        )
        raise StaleVersion(slug, based_on, newest, list(newer))
    return record


def save_edited_version(
    db_session: Session,
    slug: str,
    document: dict[str, Any],
    *,
    based_on: int,
    todo: list[dict[str, Any]] | None = None,
    source_name: str = "edited",
) -> int:
    """Store an edited ``document`` as a new draft version of ``slug``, only if the newest
    version is still ``based_on`` (compare-and-set); raises ``StaleVersion`` otherwise.

    The tour's row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite
    the caller's ``transaction(write_lock=True)`` holds the database's write lock), so
    two saves based on the same version cannot both pass the check: the second waits
    for the first to commit, then sees the newer version and is refused.
    """
    record = ensure_newest(db_session, slug, based_on)
    route = document["features"][0].get("properties") or {}
    return save_document(
        db_session,
        document,
        slug=slug,
        city=route.get("city") or record.city,
        languages=list(route.get("languages") or ()),
        title=dict(route.get("title") or {}),
        source_name=source_name,
        todo=todo,
        draft=True,
    )


@dataclass(frozen=True)
class VersionListing:
    """One stored version of a tour, for its history."""

    version: int
    saved_at: Any
    source_name: str
    todo_count: int
    current: bool  # the version the public sees (when published) or the current draft


def version_history(db_session: Session, slug: str) -> list[VersionListing]:
    """Every version of ``slug``, newest first; raises ``TourNotFound``."""
    record = db_session.scalars(select(TourRecord).where(TourRecord.slug == slug)).one_or_none()
    if record is None:
        raise TourNotFound(slug)
    rows = db_session.execute(
        select(
            TourVersionRecord.version,
            TourVersionRecord.imported_at,
            TourVersionRecord.source_name,
            TourVersionRecord.todo,
        )
        .where(TourVersionRecord.tour_id == record.id)
        .order_by(TourVersionRecord.version.desc())
    )
    return [
        VersionListing(v, at, name, len(todo or ()), v == record.current_version)
        for v, at, name, todo in rows
    ]


def latest_version_number(db_session: Session, tour_id: int) -> int | None:
    return db_session.scalar(
        select(func.max(TourVersionRecord.version)).where(TourVersionRecord.tour_id == tour_id)
    )


@dataclass(frozen=True)
class TourListing:
    """One stored tour for coordinators: its status, newest version and what is left to do."""

    slug: str
    status: str
    version: int
    published_version: int | None
    city: str
    languages: list[str]
    title: dict[str, str]
    todo: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "status": self.status,
            "version": self.version,
            "published_version": self.published_version,
            "city": self.city,
            "languages": self.languages,
            "title": self.title,
            "todo_count": len(self.todo),
            "todo": self.todo,
        }


def tour_listings(db_session: Session, city: str | None = None) -> list[TourListing]:
    """Every stored tour, drafts and withdrawn ones included, with its newest version."""
    newest = (
        select(TourVersionRecord.tour_id, func.max(TourVersionRecord.version).label("v"))
        .group_by(TourVersionRecord.tour_id)
        .subquery()
    )
    query = (
        select(TourRecord, TourVersionRecord)
        .join(newest, newest.c.tour_id == TourRecord.id)
        .join(
            TourVersionRecord,
            (TourVersionRecord.tour_id == TourRecord.id)
            & (TourVersionRecord.version == newest.c.v),
        )
        .order_by(TourRecord.city, TourRecord.slug)
    )
    if city:
        query = query.where(TourRecord.city == city)
    return [
        TourListing(
            slug=record.slug,
            status=record.status,
            version=row.version,
            published_version=record.current_version if record.status == PUBLISHED else None,
            city=row.city,
            languages=row.languages.split(),
            title=row.title,
            todo=list(row.todo or ()),
        )
        for record, row in db_session.execute(query)
    ]


def tour_record(db_session: Session, slug: str, *, lock: bool = True) -> TourRecord:
    """The row of ``slug``, locked for an update unless ``lock`` is false (a page that
    only reads); raises ``TourNotFound``."""
    query = select(TourRecord).where(TourRecord.slug == slug)
    record = db_session.scalars(query.with_for_update() if lock else query).one_or_none()
    if record is None:
        raise TourNotFound(slug)
    return record


def newest_version(db_session: Session, slug: str, *, lock: bool = True) -> TourVersionRecord:
    """The newest stored version of ``slug`` (a draft, if one waits); raises ``TourNotFound``."""
    record = tour_record(db_session, slug, lock=lock)
    return _version_row(db_session, slug, latest_version_number(db_session, record.id))


def set_status(db_session: Session, slug: str, status: str, version: int | None = None) -> None:
    """Publish (``version`` becomes current) or withdraw a tour; raises ``TourNotFound``."""
    if status not in TOUR_STATUSES:
        raise ValueError(f"unknown tour status {status!r}")
    record = tour_record(db_session, slug)
    if version is not None:
        _version_row(db_session, slug, version)  # it must exist
        record.current_version = version
    record.status = status
    if status == PUBLISHED:
        row = _version_row(db_session, slug, record.current_version)
        stored = db_session.get(TourCatalogueRecord, row.id)
        if stored is None or not facts_are_current(stored.facts):
            facts = catalogue_facts(Tour.from_document(row.document))
            db_session.merge(TourCatalogueRecord(tour_version_id=row.id, facts=facts))
    db_session.flush()


def _version_row(db_session: Session, slug: str, version: int | None) -> TourVersionRecord:
    query = select(TourVersionRecord).join(TourRecord).where(TourRecord.slug == slug)
    if version is None:
        query = query.where(TourVersionRecord.version == TourRecord.current_version)
    else:
        query = query.where(TourVersionRecord.version == version)
    row = db_session.scalars(query).one_or_none()
    if row is None:
        raise TourNotFound(slug, version)
    return row


def get_tour(db_session: Session, slug: str, version: int | None = None) -> StoredTour:
    """The current (or a given) version of a tour; raises ``TourNotFound``."""
    row = _version_row(db_session, slug, version)
    return StoredTour(slug, row.version, Tour.from_document(row.document))


def get_document(db_session: Session, slug: str, version: int | None = None) -> dict:
    """The stored profile document, without building a ``Tour``."""
    return _version_row(db_session, slug, version).document


def export_document(db_session: Session, slug: str, version: int | None = None) -> dict:
    """The document to export: a draft's route says ``"status": "draft"``, so importing
    the file again gives a draft again, never a published tour by surprise."""
    row = _version_row(db_session, slug, version)
    record = row.tour
    is_draft = record.status == DRAFT or row.version > record.current_version or bool(row.todo)
    if not is_draft:
        return row.document
    features = list(row.document["features"])
    features[0] = {**features[0], "properties": {**features[0]["properties"], "status": DRAFT}}
    return {**row.document, "features": features}


# Built once: every page asks for these, and building a select() costs more than running
# it from SQLAlchemy's compiled cache.
_CURRENT_VERSIONS = (
    select(TourRecord.slug, TourRecord.current_version)
    .where(TourRecord.status == PUBLISHED)
    .order_by(TourRecord.city, TourRecord.slug)
)
_CURRENT_VERSIONS_IN_CITY = _CURRENT_VERSIONS.where(TourRecord.city == bindparam("city"))


def current_versions(db_session: Session, city: str | None = None) -> list[tuple[str, int]]:
    """``(slug, version)`` of every published tour's current version, ordered by city then
    slug: drafts and withdrawn tours are never listed to the public."""
    if city:
        rows = db_session.execute(_CURRENT_VERSIONS_IN_CITY, {"city": city})
    else:
        rows = db_session.execute(_CURRENT_VERSIONS)
    return [(slug, version) for slug, version in rows]


_CURRENT_VERSIONS_OF = select(TourRecord.slug, TourRecord.current_version).where(
    TourRecord.status == PUBLISHED, TourRecord.slug.in_(bindparam("slugs", expanding=True))
)


def current_versions_of(db_session: Session, slugs: Iterable[str]) -> dict[str, int]:
    """``slug -> version`` of the current version of those of ``slugs`` that are published:
    one indexed look-up, whatever the number of tours stored."""
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    return {
        slug: version
        for slug, version in db_session.execute(_CURRENT_VERSIONS_OF, {"slugs": wanted})
    }


@dataclass(frozen=True)
class CatalogueRow:
    """A published tour's current version and its stored catalogue facts (None if absent)."""

    slug: str
    version: int
    city: str
    facts: dict[str, Any] | None


_CATALOGUE = (
    select(TourRecord.slug, TourRecord.current_version, TourRecord.city, TourCatalogueRecord.facts)
    .join(
        TourVersionRecord,
        (TourVersionRecord.tour_id == TourRecord.id)
        & (TourVersionRecord.version == TourRecord.current_version),
    )
    .outerjoin(TourCatalogueRecord, TourCatalogueRecord.tour_version_id == TourVersionRecord.id)
    .where(TourRecord.status == PUBLISHED)
    .order_by(TourRecord.city, TourRecord.slug)
)


def catalogue_rows(
    db_session: Session, *, after: tuple[str, str] | None = None, limit: int | None = None
) -> list[CatalogueRow]:
    """Published tours with their catalogue facts, ordered by city then slug, in one query:
    those after ``(city, slug)`` when given, at most ``limit`` of them."""
    query = _CATALOGUE
    if after is not None:
        city, slug = after
        query = query.where(
            or_(TourRecord.city > city, and_(TourRecord.city == city, TourRecord.slug > slug))
        )
    if limit is not None:
        query = query.limit(limit)
    return [
        CatalogueRow(slug, version, city, facts if facts_are_current(facts) else None)
        for slug, version, city, facts in db_session.execute(query)
    ]


def has_any_tour(db_session: Session) -> bool:
    """True once any tour is stored, whatever its status."""
    return db_session.scalar(select(TourRecord.id).limit(1)) is not None


def list_tours(db_session: Session, city: str | None = None) -> list[StoredTour]:
    """The current version of every published tour, each built from its document (for
    exports and commands; listings read ``catalogue_rows`` instead)."""
    return [
        get_tour(db_session, slug, version) for slug, version in current_versions(db_session, city)
    ]
