"""Storing and reading tours.  Plain functions over a SQLAlchemy session; the caller owns
the transaction (``tours.db.transaction``), so an import is all-or-nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from tours.errors import TourNotFound
from tours.tour.domain import Tour
from tours.tour.models import TourRecord, TourVersionRecord


@dataclass(frozen=True)
class StoredTour:
    """What an import stored: the slug, the version it got, and the tour itself."""

    slug: str
    version: int
    tour: Tour
    unchanged: bool = False  # the file equals the current version: nothing new was stored


def save_tour(
    session: Session, tour: Tour, source_name: str = "", city: str | None = None
) -> StoredTour:
    """Store ``tour`` as a new version of its slug (version 1 for a new slug).

    Re-importing a slug never overwrites: the previous versions stay, the new one
    becomes current.  The row of the slug is locked so two imports of the same slug
    cannot both become version N.
    """
    document = tour.to_document()
    record = session.scalars(
        select(TourRecord).where(TourRecord.slug == tour.slug).with_for_update()
    ).one_or_none()
    city = city or tour.city
    if record is not None and record.current_version and record.city == city:
        current = _version_row(session, tour.slug, record.current_version)
        if current.document == document and current.city == city:
            return StoredTour(tour.slug, record.current_version, tour, unchanged=True)
    if record is None:
        record = TourRecord(slug=tour.slug, city=city, current_version=0)
        session.add(record)
        session.flush()
    version = (
        session.scalar(
            select(func.max(TourVersionRecord.version)).where(
                TourVersionRecord.tour_id == record.id
            )
        )
        or 0
    ) + 1
    session.add(
        TourVersionRecord(
            tour_id=record.id,
            version=version,
            city=city,
            languages=" ".join(tour.languages),
            title=tour.title.to_json(),
            document=document,
            source_name=source_name[:255],
        )
    )
    record.current_version = version
    record.city = city
    session.flush()
    return StoredTour(tour.slug, version, tour)


def _version_row(session: Session, slug: str, version: int | None) -> TourVersionRecord:
    query = select(TourVersionRecord).join(TourRecord).where(TourRecord.slug == slug)
    if version is None:
        query = query.where(TourVersionRecord.version == TourRecord.current_version)
    else:
        query = query.where(TourVersionRecord.version == version)
    row = session.scalars(query).one_or_none()
    if row is None:
        raise TourNotFound(slug, version)
    return row


def get_tour(session: Session, slug: str, version: int | None = None) -> StoredTour:
    """The current (or a given) version of a tour; raises ``TourNotFound``."""
    row = _version_row(session, slug, version)
    return StoredTour(slug, row.version, Tour.from_document(row.document))


def get_document(session: Session, slug: str, version: int | None = None) -> dict:
    """The stored profile document, without building a ``Tour``."""
    return _version_row(session, slug, version).document


# Built once: every page asks for these, and building a select() costs more than running
# it from SQLAlchemy's compiled cache.
_CURRENT_VERSIONS = select(TourRecord.slug, TourRecord.current_version).order_by(
    TourRecord.city, TourRecord.slug
)
_CURRENT_VERSIONS_IN_CITY = _CURRENT_VERSIONS.where(TourRecord.city == bindparam("city"))


def current_versions(session: Session, city: str | None = None) -> list[tuple[str, int]]:
    """``(slug, version)`` of every tour's current version, ordered by city then slug."""
    if city:
        rows = session.execute(_CURRENT_VERSIONS_IN_CITY, {"city": city})
    else:
        rows = session.execute(_CURRENT_VERSIONS)
    return [(slug, version) for slug, version in rows]


def list_tours(session: Session, city: str | None = None) -> list[StoredTour]:
    """The current version of every tour."""
    return [get_tour(session, slug, version) for slug, version in current_versions(session, city)]
