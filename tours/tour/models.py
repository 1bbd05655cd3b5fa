"""Stored tours: one row per slug and one row per imported version of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tours.db import Base, utcnow


class TourRecord(Base):
    """A tour slug; its content lives in versions, the newest being current."""

    __tablename__ = "tours"
    # The catalogue's order, for its pages (``catalogue_rows``): read in order, not sorted.
    __table_args__ = (Index("ix_tours_status_city_slug", "status", "city", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    city: Mapped[str] = mapped_column(String(120), index=True)
    #: The version the public sees while ``status`` is published; a newer version is a
    #: draft waiting for ``bidean publish``.
    current_version: Mapped[int]
    #: ``draft`` (never public), ``published`` or ``withdrawn`` (no longer public).
    status: Mapped[str] = mapped_column(
        String(16), default="published", server_default="published", index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[TourVersionRecord]] = relationship(
        back_populates="tour", order_by="TourVersionRecord.version"
    )


class TourVersionRecord(Base):
    """One imported version: the validated, normalised profile document plus indexed columns."""

    __tablename__ = "tour_versions"
    __table_args__ = (UniqueConstraint("tour_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tour_id: Mapped[int] = mapped_column(ForeignKey("tours.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    city: Mapped[str] = mapped_column(String(120), index=True)
    # Space-separated BCP 47 tags, first the default: indexed for "tours in Arabic" look-ups.
    languages: Mapped[str] = mapped_column(String(255), index=True)
    title: Mapped[dict[str, Any]]
    document: Mapped[dict[str, Any]]
    source_name: Mapped[str] = mapped_column(String(255), default="")
    #: What is left to do before this version can be published (empty when complete).
    todo: Mapped[list[Any]] = mapped_column(default=list)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    tour: Mapped[TourRecord] = relationship(back_populates="versions")


class TourCatalogueRecord(Base):
    """What a catalogue card shows of one version (``tours.tour.catalogue.catalogue_facts``),
    worked out when the version is stored or published (a draft has none until then).

    A table of its own: in SQLite a column stored after the document is read by walking
    through the document's overflow pages, which made a listing read every document.
    """

    __tablename__ = "tour_catalogue"

    tour_version_id: Mapped[int] = mapped_column(
        ForeignKey("tour_versions.id", ondelete="CASCADE"), primary_key=True
    )
    facts: Mapped[dict[str, Any]]
