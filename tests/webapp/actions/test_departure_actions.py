"""Departure actions: the change and its audit record in one transaction, none for a no-op."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from guides.profiles import add_guide
from tests.booking_support import SLUG, add_departure, departure_row, party, store_tour
from tests.webapp.actions.support import COORDINATOR, audit_log, one_transaction, outbox_count
from tours.booking import departures as deps
from tours.booking.bookings import book
from tours.booking.models import CANCELLED, SCHEDULED, Departure
from webapp.actions import departures as actions

pytestmark = pytest.mark.usefixtures("seat_invariant")
ACTOR = COORDINATOR.name


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10, max_party=6)


@pytest.fixture
def guide(db_transaction) -> str:
    with db_transaction() as db_session:
        return add_guide(db_session, "ane", "Ane", "es:native").id


def _request(guide_id: str | None = None) -> deps.DepartureRequest:
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    start = datetime(day.year, day.month, day.day, 11, 0)
    return deps.DepartureRequest(SLUG, start, "es", 12, guide_id=guide_id)


def test_scheduling_a_series_records_each_departure(app, db_transaction, guide):
    store_tour(db_transaction)
    request = _request(guide)
    first = request.local_start.date()
    dates = [first, first + timedelta(days=7), first + timedelta(days=14)]
    with one_transaction(app) as db:
        created = actions.schedule_departures(db, COORDINATOR, request, dates=dates)
        ids = [d.id for d in created]
    assert len(ids) == 3
    assert audit_log(app) == [
        (ACTOR, "departure.add", f"departure:{i}", {"guide": "ane"}) for i in ids
    ]


def test_a_schedule_rolled_back_leaves_neither_departures_nor_records(app, db_transaction):
    store_tour(db_transaction)
    with pytest.raises(RuntimeError), one_transaction(app) as db:
        assert actions.schedule_departures(db, COORDINATOR, _request())
        raise RuntimeError("the front door fails after the action")
    with db_transaction() as db_session:
        assert db_session.scalar(select(func.count()).select_from(Departure)) == 0
    assert audit_log(app) == []


def test_assigning_records_each_change_and_nothing_when_the_guide_is_already_there(
    app, departure_id, guide
):
    target = f"departure:{departure_id}"
    steps = [("ane", True), ("ane", False), (None, True), (None, False)]
    for guide_id, changed in steps:
        with one_transaction(app) as db:
            result = actions.assign_guide(db, COORDINATOR, departure_id, guide_id)
        assert (result.changed, result.departure.guide_id) == (changed, guide_id)
    assert audit_log(app) == [
        (ACTOR, "departure.assign", target, {"guide": "ane"}),
        (ACTOR, "departure.assign", target, {"guide": None}),
    ]


def test_setting_the_same_capacity_records_nothing(app, db_transaction, departure_id):
    for capacity, changed in ((14, True), (14, False)):
        with one_transaction(app) as db:
            assert actions.set_capacity(db, COORDINATOR, departure_id, capacity).changed is changed
    assert departure_row(db_transaction, departure_id).capacity == 14
    assert audit_log(app) == [
        (ACTOR, "departure.capacity", f"departure:{departure_id}", {"capacity": 14})
    ]


def test_cancelling_records_what_it_closed_once_and_a_second_cancel_changes_nothing(
    app, db_transaction, departure_id
):
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(2, 1))
        book(db_session, departure_id, party(1, 2))
    with one_transaction(app) as db:
        first = actions.cancel_departure(db, COORDINATOR, departure_id)
    assert (first.changed, first.bookings, len(first.message_ids)) == (True, 2, 2)
    assert departure_row(db_transaction, departure_id).status == CANCELLED
    with one_transaction(app) as db:
        again = actions.cancel_departure(db, COORDINATOR, departure_id)
    assert (again.changed, again.bookings, again.message_ids) == (False, 0, [])
    assert outbox_count(app) == 2
    assert audit_log(app) == [
        (ACTOR, "departure.cancel", f"departure:{departure_id}", {"bookings": 2, "emails": 2})
    ]


def test_a_cancel_rolled_back_leaves_the_walk_its_bookings_no_mail_and_no_record(
    app, db_transaction, departure_id
):
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(2, 1))
    with pytest.raises(RuntimeError), one_transaction(app) as db:
        assert actions.cancel_departure(db, COORDINATOR, departure_id).changed
        raise RuntimeError("the front door fails after the action")
    departure = departure_row(db_transaction, departure_id)
    assert (departure.status, departure.seats_taken) == (SCHEDULED, 2)
    assert outbox_count(app) == 0
    assert audit_log(app) == []
