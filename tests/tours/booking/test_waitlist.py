"""Waiting lists: first come first offered, big groups keep their place, holds lapse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.booking_support import add_departure, departure_row, party, store_tour
from tours.booking.bookings import BookingRefused, book
from tours.booking.cancellation import cancel_booking
from tours.booking.departures import cancel
from tours.booking.models import CLAIMED, EXPIRED, OFFERED, WAITING, Booking, WaitlistEntry
from tours.booking.waitlist import (
    OfferUnavailable,
    WaitlistRefused,
    claim,
    decline,
    expire_offers,
    get_offer,
    join,
    position,
)

# Whatever a test did, seats taken equal confirmed party sizes afterwards.
pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def full_departure(db_transaction) -> tuple[int, list[str]]:
    """A departure for 10 sold out as 2 + 3 + 5; returns its id and the references."""
    store_tour(db_transaction)
    departure_id = add_departure(db_transaction, capacity=10)
    references = []
    for n, size in enumerate((2, 3, 5)):
        with db_transaction(write_lock=True) as db_session:
            references.append(book(db_session, departure_id, party(size, n)).booking.reference)
    return departure_id, references


def _join(db_session, departure_id: int, size: int, n: int, now: datetime | None = None) -> int:
    with db_session(write_lock=True) as s:
        return join(s, departure_id, party(size, n), now=now).entry.id


def _status(db_session, entry_id: int) -> str:
    with db_session() as s:
        entry = s.get(WaitlistEntry, entry_id)
        assert entry is not None
        return entry.status


def test_joining_is_only_for_parties_that_cannot_book(db_transaction):
    store_tour(db_transaction)
    departure_id = add_departure(db_transaction, capacity=6)
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(4))
    with pytest.raises(WaitlistRefused) as refused, db_transaction(write_lock=True) as db_session:
        join(db_session, departure_id, party(2))
    assert refused.value.reason == "seats_available"
    entry_id = _join(db_transaction, departure_id, 3, 1)
    assert _status(db_transaction, entry_id) == WAITING
    with pytest.raises(WaitlistRefused) as refused, db_transaction(write_lock=True) as db_session:
        join(db_session, departure_id, party(7))
    assert refused.value.reason == "party_too_large"


def test_small_group_behind_a_big_one_gets_the_seats_that_fit(db_transaction, full_departure):
    """6 waiting before 2, 3 seats freed: the 2 are offered, the 6 keep first place."""
    departure_id, refs = full_departure
    six = _join(db_transaction, departure_id, 6, 10)
    two = _join(db_transaction, departure_id, 2, 11)
    with db_transaction(write_lock=True) as db_session:
        released = cancel_booking(db_session, refs[1])  # the party of 3
    assert [e.id for e in released.new_offers] == [two]
    assert (_status(db_transaction, six), _status(db_transaction, two)) == (WAITING, OFFERED)
    row = departure_row(db_transaction, departure_id)
    assert (row.seats_taken, row.seats_held, row.seats_left) == (7, 2, 1)
    with db_transaction() as db_session:
        assert position(db_session, db_session.get(WaitlistEntry, six)) == 1


def test_big_group_first_in_line_is_offered_first_when_it_fits(db_transaction, full_departure):
    """With 6 seats free the waiting 6 gets them before the 2 that joined after."""
    departure_id, refs = full_departure
    six = _join(db_transaction, departure_id, 6, 10)
    two = _join(db_transaction, departure_id, 2, 11)
    with db_transaction(write_lock=True) as db_session:
        offers = cancel_booking(db_session, refs[2]).new_offers  # 5 free: nothing for the 6, 2 fits
    assert [e.id for e in offers] == [two]
    with db_transaction(write_lock=True) as db_session:
        offers = cancel_booking(db_session, refs[0]).new_offers  # 2 more: 5 - 2 held + 2 = 5 free
    assert offers == [] and _status(db_transaction, six) == WAITING
    with db_transaction(write_lock=True) as db_session:
        decline(db_session, two, 1)  # the 2 give their seats back: 7 free now
    assert _status(db_transaction, six) == OFFERED
    row = departure_row(db_transaction, departure_id)
    assert (row.seats_taken, row.seats_held) == (3, 6)


def test_held_seats_cannot_be_booked_by_someone_else(db_transaction, full_departure):
    departure_id, refs = full_departure
    _join(db_transaction, departure_id, 2, 10)
    with db_transaction(write_lock=True) as db_session:
        cancel_booking(db_session, refs[0])
    with pytest.raises(BookingRefused) as refused, db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(1, 99))
    assert refused.value.reason == "full"


def test_claiming_an_offer_turns_held_seats_into_a_booking(db_transaction, full_departure):
    departure_id, refs = full_departure
    entry_id = _join(db_transaction, departure_id, 3, 10)
    with db_transaction(write_lock=True) as db_session:
        cancel_booking(db_session, refs[1])
    with db_transaction(write_lock=True) as db_session:
        result = claim(db_session, entry_id, 1)
    assert result.booking.party_size == 3 and result.booking.email == "visitor10@example.org"
    row = departure_row(db_transaction, departure_id)
    assert (row.seats_taken, row.seats_held) == (10, 0)
    with db_transaction(write_lock=True) as db_session:
        again = claim(db_session, entry_id, 1)
    assert again.replayed and again.booking.reference == result.booking.reference
    assert _status(db_transaction, entry_id) == CLAIMED
    with db_transaction() as db_session:
        assert len(db_session.scalars(select(Booking)).all()) == 4


def test_lapsed_offer_passes_to_the_next_in_line(db_transaction, full_departure):
    departure_id, refs = full_departure
    first = _join(db_transaction, departure_id, 2, 10)
    second = _join(db_transaction, departure_id, 2, 11)
    with db_transaction(write_lock=True) as db_session:
        cancel_booking(db_session, refs[0])
    assert (_status(db_transaction, first), _status(db_transaction, second)) == (OFFERED, WAITING)
    with db_transaction() as db_session:
        assert get_offer(db_session, first).open
    later = datetime.now(UTC) + timedelta(hours=2, minutes=1)
    with db_transaction(write_lock=True) as db_session:
        assert expire_offers(db_session, datetime.now(UTC)) == []  # not yet
    with db_transaction(write_lock=True) as db_session:
        offers = expire_offers(db_session, later)
    assert [e.id for e in offers] == [second]
    assert (_status(db_transaction, first), _status(db_transaction, second)) == (EXPIRED, OFFERED)
    with pytest.raises(OfferUnavailable), db_transaction(write_lock=True) as db_session:
        claim(db_session, first, 1)


def test_an_old_offer_link_cannot_claim(db_transaction, full_departure):
    departure_id, refs = full_departure
    entry_id = _join(db_transaction, departure_id, 2, 10)
    with db_transaction(write_lock=True) as db_session:
        cancel_booking(db_session, refs[0])
    with pytest.raises(OfferUnavailable), db_transaction(write_lock=True) as db_session:
        claim(db_session, entry_id, 2)


def test_cancelling_the_departure_closes_the_waiting_list(db_transaction, full_departure):
    departure_id, refs = full_departure
    waiting = _join(db_transaction, departure_id, 6, 10)
    offered = _join(db_transaction, departure_id, 2, 11)
    with db_transaction(write_lock=True) as db_session:
        cancel_booking(db_session, refs[0])
    with db_transaction(write_lock=True) as db_session:
        closed = cancel(db_session, departure_id)
    assert sorted(e.id for e in closed.waitlist) == [waiting, offered]
    row = departure_row(db_transaction, departure_id)
    assert (row.seats_taken, row.seats_held) == (0, 0)
