"""Tables of the guide side: guides, their own scripts, accounts, check-ins; the audit log's
table (``AuditEntry``) is ``guides.audit``'s, named here too.

A departure points at its guide through ``departures.guide_id`` (a foreign key to
``guides.id``); the column is declared on ``tours.booking.models.Departure`` by name only,
so the booking core never imports this package.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

# The audit log's table lives with its functions (``guides.audit``), so that a command
# that only writes its record (``bidean import``) maps one class, not every table here.
from guides.audit import AuditEntry as AuditEntry
from tours.db import Base, utcnow

# Language levels, strongest first.
LEVELS = ("native", "fluent", "conversational")

ROLE_GUIDE = "guide"
# The role that sees and runs everything in the console: a coordinator (stored as such
# since migration 0012; it was "admin" before, a word `bidean users add` still accepts).
ROLE_COORDINATOR = "coordinator"
# Between guide and coordinator: sees and enters residents' contributions (at workshops,
# on a resident's behalf); cannot schedule, publish, edit tours nor see bookers, guides'
# scripts or accounts.  Tied to no guide profile.
ROLE_FACILITATOR = "facilitator"
ROLES = (ROLE_GUIDE, ROLE_COORDINATOR, ROLE_FACILITATOR)

ARRIVED = "arrived"
NO_SHOW = "no_show"
CHECK_IN_STATES = (ARRIVED, NO_SHOW)


class GuideRecord(Base):
    """A guide's public profile.  Texts are ``{language tag: text}`` maps."""

    __tablename__ = "guides"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    # [{"tag": "es", "level": "native"}, ...], strongest first as the guide lists them.
    languages: Mapped[list[Any]]
    origin: Mapped[dict[str, Any]]
    bio: Mapped[dict[str, Any]]
    tours: Mapped[list[Any]]
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_version: Mapped[int] = mapped_column(default=0)
    sample: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GuideScript(Base):
    """A guide's own version of a stop's script in one language, overriding the shared one.

    ``based_on`` is the shared text the guide started from: when the shared script has
    changed since, saving again is refused with a message instead of silently winning.
    """

    __tablename__ = "guide_scripts"
    __table_args__ = (UniqueConstraint("guide_id", "tour_slug", "stop_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guide_id: Mapped[str] = mapped_column(ForeignKey("guides.id", ondelete="CASCADE"))
    tour_slug: Mapped[str] = mapped_column(String(64))
    stop_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(35))
    text: Mapped[str] = mapped_column(Text)
    based_on: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserAccount(Base):
    """Someone who logs in to the console: a guide (tied to a profile), a coordinator or a
    facilitator of workshops."""

    __tablename__ = "user_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    guide_id: Mapped[str | None] = mapped_column(
        ForeignKey("guides.id", ondelete="SET NULL"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie: changing it (logout, password reset, disable) ends every
    # session of the account at once.
    session_token: Mapped[str] = mapped_column(String(64))
    set_password_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    set_password_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The interface language of the emails sent to them (None: the site's default).
    language: Mapped[str | None] = mapped_column(String(8))


class LoginThrottle(Base):
    """Failed logins counted per account and per client (``key``), for throttling."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]


class CheckIn(Base):
    """One check-in mark on a booking (arrived or no-show); the newest one counts.

    The browser gives every mark an idempotency key, so a mark sent twice (a retry after
    a lost answer, or an offline queue flushed again) is stored once.
    """

    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_booking_id_id", "booking_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_accounts.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class WalkMessage(Base):
    """A message written to everyone booked on a walk, kept as the walk's log.

    ``subjects`` and ``texts`` are ``{language tag: text}`` maps holding at least the
    walk's language; each booker was sent the best text for their language.  The sender
    is kept by account (for the per-account limit) and by name (the account may go).
    """

    __tablename__ = "walk_messages"
    __table_args__ = (
        Index("ix_walk_messages_departure_id_sent_at", "departure_id", "sent_at"),
        Index("ix_walk_messages_account_id_sent_at", "account_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    departure_id: Mapped[int] = mapped_column(ForeignKey("departures.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_accounts.id", ondelete="SET NULL")
    )
    sender: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(35))
    subjects: Mapped[dict[str, Any]]
    texts: Mapped[dict[str, Any]]
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class AvailabilityMark(Base):
    """A guide's word on days they can or cannot guide: every day from ``first_day`` to
    ``last_day``, the whole day or from ``from_time`` to ``until_time``.

    Times are wall-clock times where the walk happens (a walk's own timezone), as a guide
    says them: "not before 10:00" means 10:00 in the city of the walk.
    """

    __tablename__ = "guide_availability"
    __table_args__ = (
        Index("ix_guide_availability_guide_id_last_day", "guide_id", "last_day"),
        CheckConstraint("first_day <= last_day", name="days_in_order"),
        CheckConstraint(
            "(from_time IS NULL AND until_time IS NULL) OR "
            "(from_time IS NOT NULL AND until_time IS NOT NULL AND from_time < until_time)",
            name="whole_day_or_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guide_id: Mapped[str] = mapped_column(ForeignKey("guides.id", ondelete="CASCADE"))
    first_day: Mapped[date]
    last_day: Mapped[date]
    from_time: Mapped[time | None]
    until_time: Mapped[time | None]
    # True: the guide can guide then; False: they cannot.
    available: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Debrief(Base):
    """The guide's report after a walk, one per walk (a later save replaces it): how many
    came, how it went, what happened, and whether the route needs a change."""

    __tablename__ = "debriefs"
    __table_args__ = (
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_1_to_5"),
        CheckConstraint("headcount >= 0", name="headcount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    departure_id: Mapped[int] = mapped_column(
        ForeignKey("departures.id", ondelete="CASCADE"), unique=True
    )
    guide_id: Mapped[str | None] = mapped_column(ForeignKey("guides.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_accounts.id", ondelete="SET NULL")
    )
    headcount: Mapped[int]
    rating: Mapped[int]  # how it went, 1 to 5
    notes: Mapped[str] = mapped_column(Text, default="")
    incidents: Mapped[str] = mapped_column(Text, default="")
    route_change_needed: Mapped[bool] = mapped_column(default=False)
    route_change: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WalkBookingFigures(Base):
    """A walk's bookings, people booked, arrived and not come for one booker's language,
    stored once the walk is over so the impact report sums these rather than every booking
    and its newest check-in (``guides.impact.roll_up_walks``)."""

    __tablename__ = "walk_booking_figures"
    __table_args__ = (Index("ix_walk_booking_figures_departure_id", "departure_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    departure_id: Mapped[int] = mapped_column(ForeignKey("departures.id", ondelete="CASCADE"))
    booker_language: Mapped[str] = mapped_column(String(35))
    bookings: Mapped[int]
    people: Mapped[int]
    came: Mapped[int]
    no_show: Mapped[int]


__all__ = [
    "ARRIVED",
    "CHECK_IN_STATES",
    "LEVELS",
    "NO_SHOW",
    "ROLES",
    "ROLE_COORDINATOR",
    "ROLE_FACILITATOR",
    "ROLE_GUIDE",
    "AuditEntry",
    "AvailabilityMark",
    "CheckIn",
    "Debrief",
    "GuideRecord",
    "GuideScript",
    "LoginThrottle",
    "UserAccount",
    "WalkBookingFigures",
    "WalkMessage",
]
