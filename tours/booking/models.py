"""Tables of the booking side: departures (sessions), bookings, waiting lists, outgoing mail.

Seats are counted on the departure row (``seats_taken`` for confirmed bookings,
``seats_held`` for open waiting-list offers) so that taking seats is one conditional
``UPDATE`` in the transaction that writes the booking; the check constraints make the
database itself refuse an oversold row whatever code path writes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tours.db import Base, utcnow
from tours.tour.models import TourRecord

SCHEDULED = "scheduled"
CANCELLED = "cancelled"
CONFIRMED = "confirmed"

# Waiting-list entry states: waiting in line, holding an offer, done one way or another.
WAITING = "waiting"
OFFERED = "offered"
CLAIMED = "claimed"
EXPIRED = "expired"
DECLINED = "declined"
LEFT = "left"  # the party took itself off the list

# Where a booking came from: the site or the API, or a coordinator who took it in the
# console from a phone call, an email or someone at the desk.
ONLINE = "online"
PHONE = "phone"
EMAIL = "email"
IN_PERSON = "in_person"
DESK_SOURCES = (PHONE, EMAIL, IN_PERSON)


class Departure(Base):
    """A tour at a start time, in one language, with a capacity and a meeting point."""

    __tablename__ = "departures"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("max_party > 0", name="max_party_positive"),
        CheckConstraint("seats_taken >= 0 AND seats_held >= 0", name="seats_not_negative"),
        CheckConstraint("seats_taken + seats_held <= capacity", name="never_oversold"),
        Index("ix_departures_status_starts_at", "status", "starts_at"),
        # A tour's next departures without reading its others (the catalogue's lines).
        Index("ix_departures_tour_status_starts_at", "tour_id", "status", "starts_at"),
        Index("ix_departures_language", "language"),  # the walk languages offered as filters
        # the console's pages of walks: a keyset on (starts_at, id) without a sort
        Index("ix_departures_starts_at_id", "starts_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tour_id: Mapped[int] = mapped_column(ForeignKey("tours.id"), index=True)
    starts_at: Mapped[datetime]
    # The tour's IANA zone when the departure was scheduled: display and calendar use it.
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(35))
    capacity: Mapped[int]
    max_party: Mapped[int] = mapped_column(default=8)
    seats_taken: Mapped[int] = mapped_column(default=0)
    seats_held: Mapped[int] = mapped_column(default=0)
    # The guide's id; the ``guides`` table belongs to the ``guides`` package, named here
    # only as a string so the booking core does not depend on it.
    guide_id: Mapped[str | None] = mapped_column(
        ForeignKey("guides.id", ondelete="RESTRICT"), index=True
    )
    # The meeting point is copied from the tour at scheduling time, so a later version of
    # the tour cannot silently move the place people were told to go to.
    meeting_stop_id: Mapped[str | None] = mapped_column(String(64))
    meeting_name: Mapped[dict[str, Any]]
    meeting_lon: Mapped[float]
    meeting_lat: Mapped[float]
    status: Mapped[str] = mapped_column(String(16), default=SCHEDULED)
    # A group's own walk (an accepted group request): never listed publicly, and no one
    # books it through the public form or API (they answer as if it did not exist).
    private: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    # The impact report's stored figures: database triggers bump ``figures_version`` when a
    # booking, check-in or feedback of a walk that has started changes (migration 0021);
    # ``figures_rolled`` is the version the walk's stored figures were made at, if any.
    figures_version: Mapped[int] = mapped_column(default=0, server_default="0")
    figures_rolled: Mapped[int | None]

    tour: Mapped[TourRecord] = relationship()

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken - self.seats_held)

    @property
    def is_cancelled(self) -> bool:
        return self.status == CANCELLED


class DepartureVersion(Base):
    """A counter per tour that changes whenever anything its public departures show does.

    Database triggers (migration ``0022``) bump it in the transaction of every insert,
    change or removal of one of the tour's departures (a booking, a cancellation, a move,
    a schedule, a capacity or guide change, whatever code path writes it) and of every
    renamed guide who leads one; a tour's row is inserted with the tour.  So a reader
    that keeps what it read of the departures under this number knows, from this one
    small row, whether it is still what the database holds.
    """

    __tablename__ = "departure_versions"

    tour_id: Mapped[int] = mapped_column(
        ForeignKey("tours.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(default=0, server_default="0")


class Booking(Base):
    """Seats for one party on one departure.  Personal fields are emptied by the purge."""

    __tablename__ = "bookings"
    __table_args__ = (CheckConstraint("party_size > 0", name="party_size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    departure_id: Mapped[int] = mapped_column(ForeignKey("departures.id"), index=True)
    party_size: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=CONFIRMED)
    language: Mapped[str] = mapped_column(String(35))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    # A one-time key from the form or the ``Idempotency-Key`` header: a repeat finds
    # the booking it already made instead of making a second one.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    # What the keyed request asked for (endpoint, session, body): a repeat must match it.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(32))
    purged_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(16), default=ONLINE, server_default=ONLINE)
    # Whether the person agreed to be contacted (asked when a coordinator takes the
    # booking; online bookings are not asked, so False).
    contact_consent: Mapped[bool] = mapped_column(default=False, server_default=false())

    departure: Mapped[Departure] = relationship()


class WaitlistEntry(Base):
    """A party waiting for seats on a full departure; first come, first offered."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("party_size > 0", name="party_size_positive"),
        Index("ix_waitlist_entries_departure_status", "departure_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    departure_id: Mapped[int] = mapped_column(ForeignKey("departures.id"))
    party_size: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=WAITING)
    language: Mapped[str] = mapped_column(String(35))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    # Counts offers made to this entry; signed offer links carry it so an old link
    # cannot claim a later offer.
    offer_count: Mapped[int] = mapped_column(default=0)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    closed_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]

    departure: Mapped[Departure] = relationship()


class OutboxMessage(Base):
    """An email written in the same transaction as the change it tells about, sent after.

    ``status``: ``pending`` (to send, not before ``next_attempt_at``), ``sending`` (claimed
    by a worker on SQLite until ``next_attempt_at``), ``sent``, or ``failed`` (permanently,
    ``last_error`` says why).

    A message about a booking is recorded still to compose: ``booking_id`` set and ``raw``
    empty.  The mail worker composes it from the booking and stores ``raw`` (and the
    subject) in a transaction of its own before sending, so every attempt sends the same
    bytes; the request that made the booking only inserts the row.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    departure_id: Mapped[int | None] = mapped_column(
        ForeignKey("departures.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))


# Group request states: waiting for a coordinator, another date proposed to the contact,
# accepted into a private departure, declined.
PENDING = "pending"
PROPOSED = "proposed"
ACCEPTED = "accepted"
GROUP_DECLINED = "declined"


class GroupRequest(Base):
    """A school's, association's, company's or delegation's request for a walk of its own.

    Personal fields (the contact) are kept like a booking's; an accepted request points
    at its private departure and the booking that holds the group's seats.
    """

    __tablename__ = "group_requests"
    __table_args__ = (
        CheckConstraint("group_size > 0", name="group_size_positive"),
        Index("ix_group_requests_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tour_id: Mapped[int] = mapped_column(ForeignKey("tours.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # school, association, company, delegation
    group_size: Mapped[int]
    # Wall-clock times in the tour's zone, ``YYYY-MM-DDTHH:MM``, the group's first choice first.
    preferred: Mapped[list[Any]]
    walk_language: Mapped[str] = mapped_column(String(35))
    accessibility: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40))
    # The interface language the contact wrote in: every email to them is in it.
    language: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    # The coordinator's last words to the contact (a decline, or another date proposed).
    reply: Mapped[str | None] = mapped_column(Text)
    proposed: Mapped[str | None] = mapped_column(String(16))
    departure_id: Mapped[int | None] = mapped_column(ForeignKey("departures.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    tour: Mapped[TourRecord] = relationship()


class WalkFeedback(Base):
    """What one booking's walker said after the walk: asked once by email (``asked_at``),
    answered once through the emailed link (``answered_at``), or declined for good
    (``opted_out_at``).  Aggregates only leave the console; ``learned`` appears anywhere
    else only with ``quote_consent``, credited as ``credit`` says."""

    __tablename__ = "walk_feedback"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_1_to_5"),
        Index("ix_walk_feedback_departure_id", "departure_id"),
        # the impact report's quotes: only the walk's answers that may be quoted are read
        Index("ix_walk_feedback_departure_quote", "departure_id", "quote_consent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    departure_id: Mapped[int] = mapped_column(ForeignKey("departures.id", ondelete="CASCADE"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]
    rating: Mapped[int | None]  # overall, 1 to 5
    recommend: Mapped[bool | None]
    learned: Mapped[str | None] = mapped_column(Text)  # what they learned or saw differently
    followed_language: Mapped[str | None] = mapped_column(String(35))
    quote_consent: Mapped[bool] = mapped_column(default=False, server_default=false())
    credit: Mapped[str | None] = mapped_column(String(16))  # full, first, chosen, anonymous
    credit_name: Mapped[str | None] = mapped_column(String(120))


class WalkRatingFigures(Base):
    """A walk's feedback counts for one rating (None: not answered), stored once the walk is
    over so the impact report sums these rather than every answer (``guides.impact``)."""

    __tablename__ = "walk_rating_figures"
    __table_args__ = (Index("ix_walk_rating_figures_departure_id", "departure_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    departure_id: Mapped[int] = mapped_column(ForeignKey("departures.id", ondelete="CASCADE"))
    rating: Mapped[int | None]
    asked: Mapped[int]
    answered: Mapped[int]
    recommend_yes: Mapped[int]
    recommend_said: Mapped[int]  # answers that said yes or no
    quotable: Mapped[int]  # answers allowed to be quoted
