"""Booking actions: what the public does is not audited; the same action asked by anyone
else (a coordinator) writes its record in the action's transaction, and none for a no-op."""

from __future__ import annotations

import pytest

from tests.booking_support import add_departure, departure_row, party, store_tour
from tests.webapp.actions.support import COORDINATOR, audit_log, one_transaction, outbox_count
from tours.booking.departures import cancel
from tours.booking.models import CANCELLED, CONFIRMED, OFFERED
from tours.booking.waitlist import WaitlistRefused
from webapp.actions import booking as actions

pytestmark = pytest.mark.usefixtures("seat_invariant")
ACTOR = COORDINATOR.name
PUBLIC = actions.PUBLIC


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=3, max_party=3)


def test_the_public_books_and_cancels_without_an_audit_record(app, db_transaction, departure_id):
    with one_transaction(app) as db:
        booked = actions.place_booking(db, PUBLIC, departure_id, party(2), None)
    with one_transaction(app) as db:
        cancelled = actions.cancel_booking(db, PUBLIC, booked.booking.reference)
    assert (cancelled.changed, cancelled.booking.cancel_reason) == (True, "booker")
    assert outbox_count(app) == 2  # the confirmation and the cancellation
    assert audit_log(app) == []


def test_a_coordinators_booking_and_cancellation_are_recorded_once(
    app, db_transaction, departure_id
):
    with one_transaction(app) as db:
        booked = actions.place_booking(db, COORDINATOR, departure_id, party(2), None)
    reference = booked.booking.reference
    for changed in (True, False):
        with one_transaction(app) as db:
            assert actions.cancel_booking(db, COORDINATOR, reference).changed is changed
    assert departure_row(db_transaction, departure_id).seats_taken == 0
    added = {"departure": departure_id, "party_size": 2}
    assert audit_log(app) == [
        (ACTOR, "booking.add", f"booking:{reference}", added),
        (ACTOR, "booking.cancel", f"booking:{reference}", {}),
    ]


def test_a_booking_rolled_back_leaves_neither_seats_mail_nor_record(
    app, db_transaction, departure_id
):
    with pytest.raises(RuntimeError), one_transaction(app) as db:
        actions.place_booking(db, COORDINATOR, departure_id, party(2), None)
        raise RuntimeError("the front door fails after the action")
    assert departure_row(db_transaction, departure_id).seats_taken == 0
    assert outbox_count(app) == 0
    assert audit_log(app) == []


def _full_with_one_waiting(app, departure_id: int, actor) -> tuple[str, int]:
    """The departure booked out by the public, and ``actor``'s party on its waiting list."""
    with one_transaction(app) as db:
        booked = actions.place_booking(db, PUBLIC, departure_id, party(3, 1), None)
    with one_transaction(app) as db:
        joined = actions.join_waitlist(db, actor, departure_id, party(2, 2), None)
    assert joined.position == 1
    return booked.booking.reference, joined.entry.id


def test_joining_and_leaving_the_waiting_list(app, departure_id):
    _reference, entry_id = _full_with_one_waiting(app, departure_id, COORDINATOR)
    for changed in (True, False):
        with one_transaction(app) as db:
            assert actions.leave_waitlist(db, COORDINATOR, entry_id) is changed
    target = f"waitlist:{entry_id}"
    assert audit_log(app) == [
        (ACTOR, "waitlist.join", target, {"departure": departure_id, "party_size": 2}),
        (ACTOR, "waitlist.leave", target, {}),
    ]


def _offered(app, departure_id: int) -> tuple[int, int]:
    """The waiting party offered seats (the public's booking cancelled): (entry, offer)."""
    reference, entry_id = _full_with_one_waiting(app, departure_id, PUBLIC)
    with one_transaction(app) as db:
        (offer,) = actions.cancel_booking(db, PUBLIC, reference).new_offers
        assert (offer.id, offer.status) == (entry_id, OFFERED)
        return offer.id, offer.offer_count


def test_claiming_an_offer(app, db_transaction, departure_id):
    entry_id, number = _offered(app, departure_id)
    with one_transaction(app) as db:
        claimed = actions.claim_offer(db, COORDINATOR, entry_id, number)
    assert claimed.booking.status == CONFIRMED
    assert departure_row(db_transaction, departure_id).seats_taken == 2
    assert audit_log(app) == [
        (ACTOR, "waitlist.claim", f"waitlist:{entry_id}", {"booking": claimed.booking.reference})
    ]


def test_declining_an_offer(app, db_transaction, departure_id):
    entry_id, number = _offered(app, departure_id)
    with one_transaction(app) as db:
        actions.decline_offer(db, COORDINATOR, entry_id, number)
    departure = departure_row(db_transaction, departure_id)
    assert (departure.seats_taken, departure.seats_held) == (0, 0)
    assert audit_log(app) == [(ACTOR, "waitlist.decline", f"waitlist:{entry_id}", {})]


def test_a_cancelled_departure_refuses_the_waiting_list_and_records_nothing(
    app, db_transaction, departure_id
):
    with one_transaction(app) as db:
        actions.place_booking(db, PUBLIC, departure_id, party(3, 1), None)
    with db_transaction(write_lock=True) as db_session:
        cancel(db_session, departure_id)
    with pytest.raises(WaitlistRefused), one_transaction(app) as db:
        actions.join_waitlist(db, COORDINATOR, departure_id, party(2, 2), None)
    assert departure_row(db_transaction, departure_id).status == CANCELLED
    assert audit_log(app) == []
