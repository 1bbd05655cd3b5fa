"""Tables of residents' contributions.

A ``Contribution`` is one proposal: a place (a pin or a tour's stop) and/or a story, in the
teller's language, with optional photos and one recording (``ContributionMedia``).  Its
``ContributionConsent`` keeps what the teller agreed to, in the words they were shown.
``ContributionEdit`` keeps every edit a coordinator made before publishing.  A withdrawn
contribution keeps its row (status, dates, consent) but none of its content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tours.db import Base, utcnow

PENDING = "pending"
ACCEPTED = "accepted"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
STATUSES = (PENDING, ACCEPTED, DECLINED, WITHDRAWN)

IMAGE = "image"
AUDIO = "audio"


class Contribution(Base):
    """A place and/or story a resident proposed, and what became of it."""

    __tablename__ = "contributions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'withdrawn')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The id a tour document carries (``ctb-`` and 16 random characters): unique across
    #: cities, so a kit's contributions never meet another site's.
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    #: The form's one-time key: a second send of the same form finds this row.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    #: Where it was proposed: a tour (by slug) and maybe one of its stops, and/or a pin.
    tour_slug: Mapped[str | None] = mapped_column(String(64), index=True)
    stop_id: Mapped[str | None] = mapped_column(String(64))
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    #: BCP 47 tag of the story's language (any language, not only the interface's).
    language: Mapped[str] = mapped_column(String(35))
    #: The interface language the teller used: their emails are written in it.
    interface_language: Mapped[str] = mapped_column(String(35))
    title: Mapped[str] = mapped_column(String(200), default="")
    story: Mapped[str] = mapped_column(Text, default="")
    #: The recording's transcript per language ``{tag: text}``.
    transcript: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: For a receipt and the personal withdrawal link; removed once nothing is public.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    #: The facilitator's account email when entered at a workshop; none from the web form.
    entered_by: Mapped[str | None] = mapped_column(String(254))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    #: The tour (slug) and stop a coordinator accepted it into.
    accepted_tour: Mapped[str | None] = mapped_column(String(64))
    accepted_stop: Mapped[str | None] = mapped_column(String(64))

    consent: Mapped[ContributionConsent] = relationship(
        back_populates="contribution", cascade="all, delete-orphan", uselist=False
    )
    media: Mapped[list[ContributionMedia]] = relationship(
        back_populates="contribution",
        cascade="all, delete-orphan",
        order_by="ContributionMedia.position",
    )
    edits: Mapped[list[ContributionEdit]] = relationship(
        back_populates="contribution",
        cascade="all, delete-orphan",
        order_by="ContributionEdit.id",
    )


class ContributionConsent(Base):
    """What the teller agreed to, exactly as shown to them (never changed afterwards)."""

    __tablename__ = "contribution_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), unique=True
    )
    credit: Mapped[str] = mapped_column(String(16))
    #: The name to show (full, first or chosen); none when anonymous.
    credit_name: Mapped[str | None] = mapped_column(String(120))
    tour_pages: Mapped[bool]
    guide_scripts: Mapped[bool]
    kits: Mapped[bool]
    photos: Mapped[bool]
    audio: Mapped[bool]
    licence: Mapped[str] = mapped_column(String(16))
    age_16_or_over: Mapped[bool]
    guardian_name: Mapped[str | None] = mapped_column(String(120))
    #: web, paper (with ``paper_reference``) or spoken (with ``witness``).
    method: Mapped[str] = mapped_column(String(16))
    paper_reference: Mapped[str | None] = mapped_column(String(120))
    witness: Mapped[str | None] = mapped_column(String(120))
    #: The words the teller was shown, their language and the wording's version.
    wording: Mapped[str] = mapped_column(Text)
    wording_language: Mapped[str] = mapped_column(String(35))
    wording_version: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    contribution: Mapped[Contribution] = relationship(back_populates="consent")


class ContributionMedia(Base):
    """A photo (in the media store, ``media:<key>``) or the recording (``audio:<key>``)."""

    __tablename__ = "contribution_media"
    __table_args__ = (CheckConstraint("kind IN ('image', 'audio')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    duration_seconds: Mapped[float | None]
    position: Mapped[int] = mapped_column(default=0)

    contribution: Mapped[Contribution] = relationship(back_populates="media")

    @property
    def url(self) -> str:
        """How a tour document names it."""
        return f"{'audio' if self.kind == AUDIO else 'media'}:{self.key}"


class ContributionEdit(Base):
    """One coordinator's edit of a contribution before publishing: the text after it."""

    __tablename__ = "contribution_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), index=True
    )
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))
    title: Mapped[str] = mapped_column(String(200), default="")
    story: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[dict[str, Any]] = mapped_column(default=dict)

    contribution: Mapped[Contribution] = relationship(back_populates="edits")
