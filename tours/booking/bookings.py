"""Taking seats (the seat rule), references and the capacity invariant.

Cancelling gives seats back to the waiting list: see ``tours.booking.cancellation``.

Seats are taken by ONE conditional ``UPDATE`` that succeeds only while they remain,
in the same transaction that inserts the booking (pretix's rule: the check and the
write are one step under one lock).  On SQLite the caller opens the transaction with
``write_lock=True`` (``BEGIN IMMEDIATE``) so writers queue instead of failing; on
PostgreSQL the ``UPDATE``'s row lock makes concurrent attempts wait and then
re-check the condition against the committed count.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, func, inspect, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached

from tours.booking import outbox
from tours.booking.departures import DepartureNotFound, get_departure
from tours.booking.idempotency import check_same_request
from tours.booking.models import (
    CONFIRMED,
    OFFERED,
    ONLINE,
    SCHEDULED,
    Booking,
    Departure,
    OutboxMessage,
    WaitlistEntry,
)
from tours.db import TryAgain, UTCDateTime, foreign_key_violated, utcnow
from tours.errors import BideanError, NotFound

# No 0/O, 1/I/L: a reference read out over the phone cannot be misheard as another.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 8
_REFERENCE_TRIES = 8


class BookingRefused(BideanError):
    """The seats could not be taken; ``reason`` says why, ``seats_left`` how many remain.

    Reasons: ``full`` (not enough seats), ``cancelled``, ``started`` (too late), and
    ``party_too_large`` (above the departure's per-booking maximum).
    """

    def __init__(self, reason: str, departure: Departure) -> None:
        self.reason = reason
        self.departure_id = departure.id
        self.seats_left = departure.seats_left
        self.max_party = departure.max_party
        super().__init__(f"Session {departure.id}: booking refused ({reason}).")


class BookingNotFound(NotFound):
    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(f"No booking {reference!r} exists.")


@dataclass(frozen=True)
class Party:
    """Who books: the personal data stays with the booking until the purge."""

    name: str
    email: str
    party_size: int
    language: str
    phone: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class DepartureSeats:
    """A departure's seats as a booking left them, and when it starts (for the links).

    What a booking's caller needs of its departure, read back by the seats' ``UPDATE``
    itself: building an ORM ``Departure`` from every column cost more than the UPDATE.
    """

    id: int
    starts_at: datetime
    capacity: int
    max_party: int
    seats_taken: int
    seats_held: int

    @property
    def seats_left(self) -> int:
        # The same rule as ``Departure.seats_left`` (a test holds them equal).
        return max(0, self.capacity - self.seats_taken - self.seats_held)

    @classmethod
    def of(cls, departure: Departure) -> DepartureSeats:
        return cls(*(getattr(departure, name) for name in _SEAT_FIELDS))


_SEAT_FIELDS = tuple(DepartureSeats.__dataclass_fields__)


@dataclass
class BookingResult:
    booking: Booking
    departure: DepartureSeats
    replayed: bool = False  # True when an idempotency key found an earlier booking


# Every reference, numbered: a reference is its number's digits in base 31.
REFERENCES = len(REFERENCE_ALPHABET) ** REFERENCE_LENGTH


def new_reference() -> str:
    """A reference drawn uniformly from all of them: one call to the operating system's
    generator instead of one a character (eight system calls a booking), with the same
    chance for every reference as a draw per character."""
    return reference_number(secrets.randbelow(REFERENCES))


def reference_number(number: int) -> str:
    """The reference numbered ``number`` (0 to ``REFERENCES - 1``), least digit first."""
    characters = []
    for _ in range(REFERENCE_LENGTH):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        characters.append(REFERENCE_ALPHABET[digit])
    return "".join(characters)


def normalize_reference(text: str) -> str:
    """What a person typed, as stored: upper case, spaces and dashes dropped."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


# Built once, as Core statements on the tables: on the path of every booking the ORM's
# statement layer (cache keys, loading, the unit of work) cost more CPU than the round
# trips themselves (docs/performance.md, Booking).
_BOOKINGS = Booking.__table__
_DEPARTURES = Departure.__table__
_BY_KEY = select(_BOOKINGS.c.id).where(_BOOKINGS.c.idempotency_key == bindparam("key"))
_SEATS = bindparam("seats")
_TAKE_ANY_SEATS = (
    _DEPARTURES.update()
    .where(
        _DEPARTURES.c.id == bindparam("departure_id"),
        _DEPARTURES.c.status == SCHEDULED,
        _DEPARTURES.c.starts_at > bindparam("now", type_=UTCDateTime()),
        # The whole party must fit the per-booking maximum (more than ``seats`` when a
        # booking grows).
        _DEPARTURES.c.max_party >= bindparam("party"),
        _DEPARTURES.c.seats_taken + _DEPARTURES.c.seats_held + _SEATS <= _DEPARTURES.c.capacity,
    )
    .values(seats_taken=_DEPARTURES.c.seats_taken + _SEATS)
    .returning(*(_DEPARTURES.c[name] for name in _SEAT_FIELDS))
)
# What everyone but a group's own booking takes: seats of a departure that is not private.
_TAKE_SEATS = _TAKE_ANY_SEATS.where(_DEPARTURES.c.private.is_(False))
_INSERT_BOOKING = _BOOKINGS.insert().returning(_BOOKINGS.c.id)
# With an idempotency key the insert itself finds a known key: it inserts nothing and
# returns no id (a concurrent twin's insert waits for the first one's transaction), so
# a new booking needs no look-up first.  The two dialects Bidean runs on spell it alike.
_INSERT_KEYED = {
    dialect: insert(_BOOKINGS)
    .on_conflict_do_nothing(index_elements=[_BOOKINGS.c.idempotency_key])
    .returning(_BOOKINGS.c.id)
    for dialect, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}

# Every column a new booking is written with (``_booking_values``).
_WRITTEN = (
    "reference", "departure_id", "party_size", "status", "language", "name", "email",
    "phone", "notes", "idempotency_key", "request_hash", "created_at", "cancelled_at",
    "cancel_reason", "purged_at", "source", "contact_consent",
)  # fmt: skip


def _insert_keyed_with_mail() -> Any:
    """PostgreSQL: the keyed booking INSERT and its message's outbox row in ONE statement.

    ``WITH booking AS (INSERT … ON CONFLICT DO NOTHING RETURNING …), queued AS (INSERT
    INTO outbox_messages SELECT … FROM booking) SELECT id FROM booking``: the outbox row
    exists exactly when the booking was inserted (a known key inserts neither), and a
    refusal after it rolls both back, as it rolled back the two statements before.  One
    round trip less a booking; what is written is what ``outbox.record_to_compose`` writes.
    """
    booking = (
        postgresql_insert(_BOOKINGS)
        .values({name: bindparam(name) for name in _WRITTEN})
        .on_conflict_do_nothing(index_elements=[_BOOKINGS.c.idempotency_key])
        .returning(
            _BOOKINGS.c.id, _BOOKINGS.c.departure_id, _BOOKINGS.c.email, _BOOKINGS.c.created_at
        )
        .cte("booking")
    )
    columns = {
        **{name: literal(value, _OUTBOX.c[name].type) for name, value in outbox.TO_COMPOSE.items()},
        "kind": bindparam("mail_kind", type_=String()),
        "recipient": booking.c.email,
        "departure_id": booking.c.departure_id,
        "booking_id": booking.c.id,
        "created_at": booking.c.created_at,
    }
    queued = _OUTBOX.insert().from_select(list(columns), select(*columns.values())).cte("queued")
    return select(booking.c.id).add_cte(queued)


_OUTBOX = OutboxMessage.__table__
_INSERT_KEYED_WITH_MAIL = _insert_keyed_with_mail()


def _find_by_key(db_session: Session, key: str) -> Booking | None:
    found = db_session.connection().execute(_BY_KEY, {"key": key}).scalar()
    return None if found is None else db_session.get(Booking, found)


def _take_seats(
    db_session: Session,
    departure_id: int,
    seats: int,
    now: datetime,
    party: int | None = None,
    *,
    private: bool = False,
) -> DepartureSeats | None:
    """The one conditional UPDATE; the departure's seats as they now stand, or None.

    ``party``: the size of the whole party the seats are for (``seats`` unless a booking
    grows).  ``RETURNING`` hands back the row the UPDATE wrote, so confirming the seats
    and reading them are one round trip, not two.  Only with ``private`` may the
    departure be a private one (a group's own walk).
    """
    values = {
        "departure_id": departure_id,
        "seats": seats,
        "party": seats if party is None else party,
        "now": now,
    }
    statement = _TAKE_ANY_SEATS if private else _TAKE_SEATS
    row = db_session.connection().execute(statement, values).first()
    return None if row is None else DepartureSeats(*row)


def _refusal(
    db_session: Session, departure_id: int, seats: int, now: datetime, private: bool
) -> BookingRefused:
    departure = get_departure(db_session, departure_id)
    db_session.refresh(departure)
    if departure.private and not private:
        raise DepartureNotFound(departure_id)  # a group's walk: as if it did not exist
    if departure.status != SCHEDULED:
        return BookingRefused("cancelled", departure)
    if departure.starts_at <= now:
        return BookingRefused("started", departure)
    if seats > departure.max_party:
        return BookingRefused("party_too_large", departure)
    return BookingRefused("full", departure)


def take_seats(
    db_session: Session,
    departure_id: int,
    seats: int,
    now: datetime,
    *,
    party: int | None = None,
    private: bool = False,
) -> DepartureSeats:
    """Add ``seats`` to an existing booking's departure by the seat rule (a booking moved
    here, or grown to ``party`` people); ``BookingRefused`` when they are not there.
    Only with ``private`` may it be a group's own walk (its booking grows)."""
    taken = _take_seats(db_session, departure_id, seats, now, party, private=private)
    if taken is None:
        wanted = seats if party is None else party
        raise _refusal(db_session, departure_id, wanted, now, private)
    return taken


def book(
    db_session: Session,
    departure_id: int,
    party: Party,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    now: datetime | None = None,
    private: bool = False,
    mail_kind: str | None = None,
) -> BookingResult:
    """Take ``party.party_size`` seats on the departure and write the booking, atomically.

    Raises ``DepartureNotFound`` or ``BookingRefused`` (nothing written).  A private
    departure (a group's own walk) is not found unless ``private`` (the group's booking).  A known
    ``idempotency_key`` returns the earlier booking (``replayed``) without taking seats,
    when ``request_hash`` matches the one it was stored with; ``KeyReused`` otherwise.

    Two statements when it succeeds: the booking's ``INSERT`` (which, with a key, inserts
    nothing when the key is known: then the earlier booking is looked up and replayed)
    and the seats' ``UPDATE … RETURNING``; no savepoint.  A reference drawn twice
    raises ``TryAgain``: the caller runs the transaction again
    (``tours.db.run_transaction``), which draws another.

    ``mail_kind``: a message about the new booking to record in the outbox, to
    ``party.email``, for the mail worker to compose (``outbox.record_to_compose``); none
    for a replay.  On PostgreSQL with a key the booking's INSERT writes it too (one
    statement, ``_insert_keyed_with_mail``); otherwise one more INSERT after the seats.
    """
    now = now or utcnow()
    if party.party_size < 1:
        raise ValueError("party_size must be at least 1")
    if mail_kind is not None and not party.email:
        raise ValueError("a message needs the party's email address")
    dialect = db_session.get_bind().dialect.name
    queued = mail_kind is not None and idempotency_key is not None and dialect == "postgresql"
    if queued:
        insert = _INSERT_KEYED_WITH_MAIL
    else:
        insert = _INSERT_KEYED[dialect] if idempotency_key else _INSERT_BOOKING
    # The booking is inserted before the seats are taken: the UPDATE's row lock, which
    # every other booking of this departure waits for, is then held from the UPDATE to
    # COMMIT only.  (The insert's foreign-key check takes a KEY SHARE lock, which does
    # not conflict with the UPDATE's.)  When the seats are not there the refusal rolls
    # the insert back with the rest.
    values = _booking_values(departure_id, party, idempotency_key, request_hash, now)
    try:
        parameters = {**values, "mail_kind": mail_kind} if queued else values
        booking_id = db_session.connection().execute(insert, parameters).scalar()
    except IntegrityError as exc:
        # A reference drawn twice (a new transaction draws another), or no such
        # departure (the foreign key).
        if foreign_key_violated(exc):
            raise DepartureNotFound(departure_id) from exc
        raise TryAgain from exc
    if booking_id is None:  # the key is known: its booking, if this is the same request
        assert idempotency_key is not None
        earlier = _find_by_key(db_session, idempotency_key)
        if earlier is None:  # rolled back after our insert found it: a new transaction
            raise TryAgain
        return _replay(db_session, earlier, request_hash)
    departure = _take_seats(db_session, departure_id, party.party_size, now, private=private)
    if departure is None:
        raise _refusal(db_session, departure_id, party.party_size, now, private)
    if mail_kind is not None and not queued:
        outbox.record_to_compose(
            db_session,
            kind=mail_kind,
            recipient=party.email,
            departure_id=departure_id,
            booking_id=booking_id,
        )
    return BookingResult(_written_booking(booking_id, values), departure)


_BOOKING_CLASS = inspect(Booking).class_manager


def _written_booking(booking_id: int, values: dict[str, Any]) -> Booking:
    """The booking as written, as a loaded booking looks once its session has closed
    (detached), without reading the row back.  Its attributes are set as loading sets
    them, not through the constructor's change events (a tenth of the CPU)."""
    # Mappers are set up at the first query or constructor; a worker's first request
    # may book before either (then this does it; afterwards it returns at once).
    configure_mappers()
    booking = _BOOKING_CLASS.new_instance()
    booking.__dict__.update(values, id=booking_id)
    make_transient_to_detached(booking)
    return booking


def _booking_values(
    departure_id: int,
    party: Party,
    idempotency_key: str | None,
    request_hash: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Every column of a new booking but its id."""
    return {
        "reference": new_reference(),
        "departure_id": departure_id,
        "party_size": party.party_size,
        "status": CONFIRMED,
        "language": party.language,
        "name": party.name,
        "email": party.email,
        "phone": party.phone or None,
        "notes": party.notes or None,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "created_at": now,
        "cancelled_at": None,
        "cancel_reason": None,
        "purged_at": None,
        "source": ONLINE,  # a booking taken at the desk says how (``changes.record_origin``)
        "contact_consent": False,
    }


def _new_booking(
    departure_id: int,
    party: Party,
    idempotency_key: str | None,
    request_hash: str | None,
    now: datetime,
) -> Booking:
    return Booking(**_booking_values(departure_id, party, idempotency_key, request_hash, now))


def insert_booking(
    db_session: Session,
    departure_id: int,
    party: Party,
    take_seats: Callable[[], None],
    idempotency_key: str | None,
    now: datetime,
    request_hash: str | None = None,
) -> BookingResult:
    """Run ``take_seats`` and insert the booking in one savepoint, retrying on a clash.

    Used by the waiting list's offers (``waitlist.claim``), where a savepoint keeps the
    offer's own changes; ``book`` has a savepoint-free path of its own.

    A clashing reference, or a concurrent twin with the same idempotency key, rolls
    back the seats together with the insert and nothing else.
    """
    if idempotency_key and (earlier := _find_by_key(db_session, idempotency_key)):
        return _replay(db_session, earlier, request_hash)
    for _ in range(_REFERENCE_TRIES):
        try:
            with db_session.begin_nested():
                take_seats()
                booking = _new_booking(departure_id, party, idempotency_key, request_hash, now)
                db_session.add(booking)
                db_session.flush()
        except IntegrityError:
            if idempotency_key and (earlier := _find_by_key(db_session, idempotency_key)):
                return _replay(db_session, earlier, request_hash)
            continue  # the reference was taken: draw another
        return BookingResult(booking, DepartureSeats.of(_fresh_departure(db_session, departure_id)))
    raise RuntimeError("could not draw an unused booking reference")


def _replay(db_session: Session, earlier: Booking, request_hash: str | None) -> BookingResult:
    """The booking a key already made, if this is the same request (``KeyReused`` if not)."""
    check_same_request(earlier.request_hash, request_hash)
    departure = get_departure(db_session, earlier.departure_id)
    return BookingResult(earlier, DepartureSeats.of(departure), replayed=True)


def _fresh_departure(db_session: Session, departure_id: int) -> Departure:
    """The departure as it stands after our UPDATE, in one SELECT.

    ``populate_existing`` overwrites a copy already in the session (the seat counters
    changed behind the ORM's back).
    """
    query = (
        select(Departure)
        .where(Departure.id == departure_id)
        .execution_options(populate_existing=True)
    )
    return db_session.scalars(query).one()


def get_booking(db_session: Session, reference: str, *, lock: bool = False) -> Booking:
    query = select(Booking).where(Booking.reference == normalize_reference(reference))
    if lock:
        query = query.with_for_update()
    booking = db_session.scalars(query).one_or_none()
    if booking is None:
        raise BookingNotFound(reference)
    return booking


def invariant_problems(db_session: Session) -> list[str]:
    """Every departure whose counters disagree with its bookings and offers (empty = good).

    seats_taken == sum of confirmed party sizes; seats_held == sum of open offers;
    taken + held <= capacity.
    """
    confirmed = dict(
        db_session.execute(
            select(Booking.departure_id, func.sum(Booking.party_size))
            .where(Booking.status == CONFIRMED)
            .group_by(Booking.departure_id)
        ).all()
    )
    held = dict(
        db_session.execute(
            select(WaitlistEntry.departure_id, func.sum(WaitlistEntry.party_size))
            .where(WaitlistEntry.status == OFFERED)
            .group_by(WaitlistEntry.departure_id)
        ).all()
    )
    problems = []
    for dep_id, taken, seats_held, capacity in db_session.execute(
        select(Departure.id, Departure.seats_taken, Departure.seats_held, Departure.capacity)
    ):
        if taken != (confirmed.get(dep_id) or 0):
            problems.append(f"session {dep_id}: seats_taken {taken} != {confirmed.get(dep_id)}")
        if seats_held != (held.get(dep_id) or 0):
            problems.append(f"session {dep_id}: seats_held {seats_held} != {held.get(dep_id)}")
        if taken + seats_held > capacity:
            problems.append(f"session {dep_id}: {taken}+{seats_held} seats > {capacity}")
    return problems
