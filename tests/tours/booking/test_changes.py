"""Moving a booking and changing its party size: the seat rule on both departures, in
one transaction, under racing transactions too."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from tests.booking_support import add_departure, departure_row, party, store_tour
from tours.booking.bookings import BookingRefused, book
from tours.booking.changes import ChangeRefused, move_booking, resize_booking

# Whatever a test did, seats taken equal confirmed party sizes afterwards.
pytestmark = pytest.mark.usefixtures("seat_invariant")


def _book(db_transaction, departure_id: int, size: int, n: int) -> str:
    with db_transaction(write_lock=True) as db_session:
        return book(db_session, departure_id, party(size, n)).booking.reference


def _race(db_transaction, jobs) -> list[str]:
    """Run each job in its own transaction and thread, released together."""
    barrier = threading.Barrier(len(jobs), timeout=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(job) -> None:
        barrier.wait()
        try:
            with db_transaction(write_lock=True) as db_session:
                job(db_session)
            outcome = "done"
        except BookingRefused as refused:
            outcome = refused.reason
        except Exception as exc:  # anything else is a bug the test must show
            outcome = f"error: {exc!r}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_racing_moves_take_the_last_seats_once(db_transaction):
    store_tour(db_transaction)
    here = add_departure(db_transaction, capacity=10, days_ahead=5)
    there = add_departure(db_transaction, capacity=4, days_ahead=6)
    _book(db_transaction, there, 3, 99)  # one seat left there
    references = [_book(db_transaction, here, 1, n) for n in range(6)]
    jobs = [lambda s, r=r: move_booking(s, r, there) for r in references]
    assert Counter(_race(db_transaction, jobs)) == {"done": 1, "full": 5}
    assert departure_row(db_transaction, there).seats_taken == 4
    assert departure_row(db_transaction, here).seats_taken == 5


def test_moves_in_opposite_directions_both_go_through(db_transaction):
    """Each move locks both departures in the same order: no deadlock, both moved."""
    store_tour(db_transaction)
    # Room for everyone whatever the order (12 seats may be on one walk at a time).
    east = add_departure(db_transaction, capacity=20, days_ahead=5, max_party=4)
    west = add_departure(db_transaction, capacity=20, days_ahead=6, max_party=4)
    eastern = [_book(db_transaction, east, 2, n) for n in range(4)]
    western = [_book(db_transaction, west, 1, n + 10) for n in range(4)]
    jobs = [lambda s, r=r: move_booking(s, r, west) for r in eastern]
    jobs += [lambda s, r=r: move_booking(s, r, east) for r in western]
    assert Counter(_race(db_transaction, jobs)) == {"done": 8}
    assert departure_row(db_transaction, east).seats_taken == 4
    assert departure_row(db_transaction, west).seats_taken == 8


def test_a_move_to_another_tour_or_of_a_cancelled_booking_is_refused(db_transaction):
    store_tour(db_transaction)
    store_tour(db_transaction, "other-walk")
    here = add_departure(db_transaction, capacity=10)
    elsewhere = add_departure(db_transaction, slug="other-walk", capacity=10)
    reference = _book(db_transaction, here, 2, 1)
    with db_transaction(write_lock=True) as db_session, pytest.raises(ChangeRefused) as refused:
        move_booking(db_session, reference, elsewhere)
    assert refused.value.reason == "other_tour"
    assert departure_row(db_transaction, elsewhere).seats_taken == 0


def test_growing_a_party_counts_the_whole_party_against_the_per_booking_maximum(
    db_transaction,
):
    store_tour(db_transaction)
    here = add_departure(db_transaction, capacity=20, max_party=4)
    reference = _book(db_transaction, here, 3, 1)
    with db_transaction(write_lock=True) as db_session, pytest.raises(BookingRefused) as refused:
        resize_booking(db_session, reference, 5)  # 2 more seats, but a party of 5
    assert refused.value.reason == "party_too_large"
    with db_transaction(write_lock=True) as db_session:
        grown = resize_booking(db_session, reference, 4)
    assert grown.changed and grown.previous_party == 3
    assert departure_row(db_transaction, here).seats_taken == 4
