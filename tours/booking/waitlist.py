"""Waiting lists: join a full departure, get offered freed seats in turn, claim them.

The rule, first come first offered without leaving anyone behind forever: when seats
free up, entries are walked in the order they joined and every entry whose party fits
the seats still free is offered them (the seats are *held*: counted in
``seats_held`` so nobody else can book them).  An entry too big for what is free keeps
its place and is the first considered at the next release.  An offer holds its seats
for a while (default two hours); an offer left to lapse closes the entry and the seats
go to the next in line.  Lapsed offers are expired before each booking attempt on the
departure and by ``bidean sessions expire-offers`` (run it from cron every few minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tours.booking.bookings import (
    BookingRefused,
    BookingResult,
    DepartureSeats,
    Party,
    insert_booking,
)
from tours.booking.departures import DepartureNotFound, get_departure
from tours.booking.idempotency import check_same_request
from tours.booking.models import (
    CLAIMED,
    DECLINED,
    EXPIRED,
    LEFT,
    OFFERED,
    SCHEDULED,
    WAITING,
    Booking,
    Departure,
    WaitlistEntry,
)
from tours.db import utcnow
from tours.errors import BideanError, NotFound

DEFAULT_HOLD = timedelta(hours=2)


class WaitlistRefused(BideanError):
    """Joining is not possible: ``reason`` is ``seats_available``, ``cancelled``,
    ``started`` or ``party_too_large``."""

    def __init__(self, reason: str, departure: Departure) -> None:
        self.reason = reason
        self.seats_left = departure.seats_left
        self.max_party = departure.max_party
        super().__init__(f"Session {departure.id}: cannot join the waiting list ({reason}).")


class OfferUnavailable(BideanError):
    """The offer was claimed, declined or has lapsed; ``status`` is the entry's status."""

    def __init__(self, entry: WaitlistEntry) -> None:
        self.status = entry.status
        super().__init__(f"Waiting-list entry {entry.id}: no open offer ({entry.status}).")


class EntryNotFound(NotFound):
    def __init__(self, entry_id: int) -> None:
        super().__init__(f"No waiting-list entry {entry_id} exists.")


def _get_entry(db_session: Session, entry_id: int, *, lock: bool = False) -> WaitlistEntry:
    query = select(WaitlistEntry).where(WaitlistEntry.id == entry_id)
    if lock:
        query = query.with_for_update()
    entry = db_session.scalars(query).one_or_none()
    if entry is None:
        raise EntryNotFound(entry_id)
    return entry


def get_entry(db_session: Session, entry_id: int) -> WaitlistEntry:
    """A waiting-list entry by id; ``EntryNotFound`` when there is none."""
    return _get_entry(db_session, entry_id)


@dataclass(frozen=True)
class Joined:
    entry: WaitlistEntry
    created: bool  # False when an idempotency key found the earlier entry


def join(
    db_session: Session,
    departure_id: int,
    party: Party,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    now: datetime | None = None,
) -> Joined:
    """Put a party at the end of the departure's waiting list (only when it cannot book)."""
    now = now or utcnow()
    # The departure's row lock first: a concurrent twin with the same key waits here and
    # then finds the entry the first one wrote.
    departure = get_departure(db_session, departure_id, lock=True)
    if departure.private:
        raise DepartureNotFound(departure_id)  # a group's own walk has no public list
    if idempotency_key:
        earlier = db_session.scalars(
            select(WaitlistEntry).where(WaitlistEntry.idempotency_key == idempotency_key)
        ).one_or_none()
        if earlier is not None:
            check_same_request(earlier.request_hash, request_hash)
            return Joined(earlier, created=False)
    if departure.status != SCHEDULED:
        raise WaitlistRefused("cancelled", departure)
    if departure.starts_at <= now:
        raise WaitlistRefused("started", departure)
    if party.party_size > departure.max_party:
        raise WaitlistRefused("party_too_large", departure)
    if party.party_size <= departure.seats_left:
        raise WaitlistRefused("seats_available", departure)
    entry = WaitlistEntry(
        departure_id=departure_id,
        party_size=party.party_size,
        status=WAITING,
        language=party.language,
        name=party.name,
        email=party.email,
        phone=party.phone or None,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=now,
    )
    db_session.add(entry)
    db_session.flush()
    return Joined(entry, created=True)


def position(db_session: Session, entry: WaitlistEntry) -> int:
    """1 for the first party still waiting; counts only entries ahead that are waiting."""
    ahead = db_session.scalar(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.departure_id == entry.departure_id,
            WaitlistEntry.status == WAITING,
            WaitlistEntry.id < entry.id,
        )
    )
    return int(ahead or 0) + 1


def open_entries(db_session: Session, departure_id: int) -> list[WaitlistEntry]:
    """A departure's waiting list as it stands: parties waiting or holding an offer, in
    the order they joined (the order seats are offered in)."""
    return list(
        db_session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.departure_id == departure_id,
                WaitlistEntry.status.in_((WAITING, OFFERED)),
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        )
    )


def release_seats(
    db_session: Session, departure_id: int, now: datetime, hold: timedelta = DEFAULT_HOLD
) -> list[WaitlistEntry]:
    """Offer the free seats to waiting entries in order; returns the entries just offered."""
    departure = get_departure(db_session, departure_id, lock=True)
    db_session.refresh(departure)
    if departure.status != SCHEDULED or departure.starts_at <= now:
        return []
    free = departure.seats_left
    if free <= 0:
        return []
    waiting = db_session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.departure_id == departure_id, WaitlistEntry.status == WAITING)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .with_for_update()
    )
    offered: list[WaitlistEntry] = []
    for entry in waiting:
        if entry.party_size > free:
            continue  # keeps its place: first in line at the next release
        entry.status = OFFERED
        entry.offered_at = now
        # An offer never outlives the departure's start.
        entry.offer_expires_at = min(now + hold, departure.starts_at)
        entry.offer_count += 1
        free -= entry.party_size
        offered.append(entry)
        if free == 0:
            break
    if offered:
        db_session.flush()
        db_session.execute(
            update(Departure)
            .where(Departure.id == departure_id)
            .values(seats_held=Departure.seats_held + sum(e.party_size for e in offered))
            .execution_options(synchronize_session=False)
        )
        db_session.refresh(departure)
    return offered


def lapsed_departures(
    db_session: Session, now: datetime, departure_id: int | None = None
) -> list[int]:
    """Departures with offers past their hold (a cheap read before taking any lock)."""
    query = (
        select(WaitlistEntry.departure_id)
        .where(WaitlistEntry.status == OFFERED, WaitlistEntry.offer_expires_at <= now)
        .distinct()
    )
    if departure_id is not None:
        query = query.where(WaitlistEntry.departure_id == departure_id)
    return sorted(db_session.scalars(query))


def _close_offer(db_session: Session, entry: WaitlistEntry, status: str, now: datetime) -> None:
    entry.status = status
    entry.closed_at = now
    db_session.flush()
    db_session.execute(
        update(Departure)
        .where(Departure.id == entry.departure_id)
        .values(seats_held=Departure.seats_held - entry.party_size)
        .execution_options(synchronize_session=False)
    )


def expire_offers(
    db_session: Session,
    now: datetime | None = None,
    *,
    departure_id: int | None = None,
    hold: timedelta = DEFAULT_HOLD,
) -> list[WaitlistEntry]:
    """Close offers past their hold, free their seats, offer them on; returns new offers."""
    now = now or utcnow()
    new_offers: list[WaitlistEntry] = []
    for dep_id in lapsed_departures(db_session, now, departure_id):
        get_departure(db_session, dep_id, lock=True)  # lock the row before touching counters
        lapsed = db_session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.departure_id == dep_id,
                WaitlistEntry.status == OFFERED,
                WaitlistEntry.offer_expires_at <= now,
            )
            .with_for_update()
        )
        for entry in lapsed:
            _close_offer(db_session, entry, EXPIRED, now)
        new_offers += release_seats(db_session, dep_id, now, hold)
    return new_offers


@dataclass(frozen=True)
class OfferView:
    entry: WaitlistEntry
    departure: Departure
    open: bool


def get_offer(db_session: Session, entry_id: int, now: datetime | None = None) -> OfferView:
    """An entry and whether its offer can still be claimed."""
    now = now or utcnow()
    entry = _get_entry(db_session, entry_id)
    departure = get_departure(db_session, entry.departure_id)
    is_open = entry.status == OFFERED and entry.offer_expires_at is not None
    is_open = is_open and entry.offer_expires_at > now
    return OfferView(entry, departure, is_open)


def claim(
    db_session: Session, entry_id: int, offer_number: int, *, now: datetime | None = None
) -> BookingResult:
    """Turn an open offer into a booking: the held seats become taken seats."""
    now = now or utcnow()
    entry = _get_entry(db_session, entry_id, lock=True)
    if entry.status == CLAIMED and entry.booking_id is not None:
        booking = db_session.get(Booking, entry.booking_id)
        assert booking is not None
        departure = get_departure(db_session, entry.departure_id)
        return BookingResult(booking, DepartureSeats.of(departure), replayed=True)
    if (
        entry.status != OFFERED
        or entry.offer_count != offer_number
        or entry.offer_expires_at is None
        or entry.offer_expires_at <= now
    ):
        raise OfferUnavailable(entry)
    departure_id = entry.departure_id

    def take() -> None:
        moved = db_session.execute(
            update(Departure)
            .where(
                Departure.id == departure_id,
                Departure.status == SCHEDULED,
                Departure.seats_held >= entry.party_size,
            )
            .values(
                seats_held=Departure.seats_held - entry.party_size,
                seats_taken=Departure.seats_taken + entry.party_size,
            )
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            raise BookingRefused("cancelled", get_departure(db_session, departure_id))

    party = Party(
        name=entry.name or "",
        email=entry.email or "",
        party_size=entry.party_size,
        language=entry.language,
        phone=entry.phone,
    )
    result = insert_booking(db_session, departure_id, party, take, None, now)
    entry.status = CLAIMED
    entry.closed_at = now
    entry.booking_id = result.booking.id
    db_session.flush()
    return result


def decline(
    db_session: Session,
    entry_id: int,
    offer_number: int,
    *,
    now: datetime | None = None,
    hold: timedelta = DEFAULT_HOLD,
) -> list[WaitlistEntry]:
    """The party does not want the seats: free them for the next in line (new offers)."""
    now = now or utcnow()
    entry = _get_entry(db_session, entry_id, lock=True)
    if entry.status != OFFERED or entry.offer_count != offer_number:
        raise OfferUnavailable(entry)
    get_departure(db_session, entry.departure_id, lock=True)
    _close_offer(db_session, entry, DECLINED, now)
    return release_seats(db_session, entry.departure_id, now, hold)


def leave(
    db_session: Session,
    entry_id: int,
    *,
    now: datetime | None = None,
    hold: timedelta = DEFAULT_HOLD,
) -> tuple[bool, list[WaitlistEntry]]:
    """Take a party off the list: ``(changed, new offers)``; an open offer is given back.

    Leaving twice changes nothing; an entry already claimed, expired or declined stays so.
    """
    now = now or utcnow()
    entry = _get_entry(db_session, entry_id, lock=True)
    if entry.status == WAITING:
        entry.status = LEFT
        entry.closed_at = now
        db_session.flush()
        return True, []
    if entry.status == OFFERED:
        get_departure(db_session, entry.departure_id, lock=True)
        _close_offer(db_session, entry, LEFT, now)
        return True, release_seats(db_session, entry.departure_id, now, hold)
    return False, []
