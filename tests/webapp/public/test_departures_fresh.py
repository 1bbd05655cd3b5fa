"""The tour page's upcoming walks are kept between views under the tour's departures version
(``webapp.common.tourcache``), and every change to what they show is on the page at the
next view: whatever wrote it, on both backends.

The page is viewed through a second app on the same database, as another gunicorn worker
would serve it, so nothing the writing side does in-process can refresh it: only the
database's departures version can.  Each test views the page twice first (the second view
comes from the caches), makes one change through the real action, then views it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

import webapp
from guides.profiles import add_guide
from tests.booking_support import SLUG, add_departure, departure_row, party, store_tour
from tests.webapp.actions.support import COORDINATOR, one_transaction
from tests.webapp.pages_support import Page
from tours.booking import departures as deps
from tours.booking.groups import GroupDetails
from tours.booking.models import Departure
from webapp.actions import booking as booking_actions
from webapp.actions import booking_desk, groups
from webapp.actions import departures as departure_actions
from webapp.actions import guides as guide_actions
from webapp.common import tourcache
from webapp.common.database import get_db

pytestmark = pytest.mark.usefixtures("seat_invariant")
SESSION = re.compile(r"[?&]session=(\d+)")

Listing = list[tuple[int, str, str]]


@pytest.fixture
def walks(db_transaction) -> tuple[int, int]:
    """Two walks of the test tour: 10 seats in 10 days, 6 seats in 20 days, no guide yet."""
    store_tour(db_transaction)
    with db_transaction() as db_session:
        add_guide(db_session, "ane", "Ane", "es:native")
    first = add_departure(db_transaction, capacity=10, days_ahead=10)
    second = add_departure(db_transaction, capacity=6, days_ahead=20)
    return first, second


@pytest.fixture
def worker(app: Flask) -> Iterator[FlaskClient]:
    """Another worker of the same site: its own caches, the same database."""
    other = webapp.create_app(dict(app.config))
    yield other.test_client()
    get_db(other).engine.dispose()


def listed(worker: FlaskClient) -> Listing:
    """(walk id, seats, guide) of each walk the tour page lists, in order."""
    response = worker.get(f"/tours/{SLUG}?lang=en")
    assert response.status_code == 200
    section = Page(response.get_data(as_text=True)).root.find("section", "tour-sessions")
    found = []
    for item in section.find_all("li"):
        link = item.find("a", "session-action")
        walk = SESSION.search(link.attrs["href"])
        assert walk is not None, link.attrs["href"]
        seats = item.find("span", "session-seats").text
        found.append((int(walk.group(1)), seats, item.find("span", "session-guide").text))
    return found


def seen_twice(worker: FlaskClient) -> Listing:
    """The listing, viewed twice (the second from the caches), the same both times."""
    first = listed(worker)
    assert listed(worker) == first
    return first


def book(app: Flask, walk: int, size: int, n: int = 0) -> str:
    with one_transaction(app) as db_session:
        placed = booking_actions.place_booking(db_session, COORDINATOR, walk, party(size, n), None)
        return placed.booking.reference


TBC = "Guide to be confirmed"


def test_a_booking_shows_its_seats_taken(app, client, worker, walks):
    first, second = walks
    assert seen_twice(worker) == [(first, "10 seats left", TBC), (second, "6 seats left", TBC)]
    response = client.post(
        f"/api/sessions/{first}/bookings",
        json={"name": "Visitor", "email": "v@example.org", "party_size": 3},
    )
    assert response.status_code == 201
    assert listed(worker) == [(first, "7 seats left", TBC), (second, "6 seats left", TBC)]
    book(app, second, 6)
    assert listed(worker) == [(first, "7 seats left", TBC), (second, "Full", TBC)]


def test_a_cancelled_booking_gives_its_seats_back(app, worker, walks):
    first, _ = walks
    reference = book(app, first, 4)
    assert seen_twice(worker)[0] == (first, "6 seats left", TBC)
    with one_transaction(app) as db_session:
        assert booking_actions.cancel_booking(db_session, COORDINATOR, reference).changed
    assert listed(worker)[0] == (first, "10 seats left", TBC)


def test_a_resized_booking_changes_the_seats_left(app, worker, walks):
    first, _ = walks
    reference = book(app, first, 2)
    assert seen_twice(worker)[0] == (first, "8 seats left", TBC)
    with one_transaction(app) as db_session:
        booking_desk.resize_booking(db_session, COORDINATOR, reference, 5)
    assert listed(worker)[0] == (first, "5 seats left", TBC)
    with one_transaction(app) as db_session:
        booking_desk.resize_booking(db_session, COORDINATOR, reference, 1)
    assert listed(worker)[0] == (first, "9 seats left", TBC)


def test_a_moved_booking_moves_its_seats(app, worker, walks):
    first, second = walks
    reference = book(app, first, 5)
    assert seen_twice(worker) == [(first, "5 seats left", TBC), (second, "6 seats left", TBC)]
    with one_transaction(app) as db_session:
        booking_desk.move_booking(db_session, COORDINATOR, reference, second)
    assert listed(worker) == [(first, "10 seats left", TBC), (second, "1 seat left", TBC)]


def test_seats_held_for_the_waiting_list_are_not_free(app, db_transaction, worker, walks):
    _, second = walks
    reference = book(app, second, 6)
    with one_transaction(app) as db_session:
        booking_actions.join_waitlist(db_session, COORDINATOR, second, party(2, 9), None)
    assert seen_twice(worker)[1] == (second, "Full", TBC)
    # The booking's 6 seats come back; 2 are held for the waiting party's offer.
    with one_transaction(app) as db_session:
        booking_actions.cancel_booking(db_session, COORDINATOR, reference)
    assert departure_row(db_transaction, second).seats_held == 2
    assert listed(worker)[1] == (second, "4 seats left", TBC)


def test_a_scheduled_walk_is_listed_and_a_group_walk_is_not(app, worker, walks):
    first, second = walks
    assert [walk for walk, _, _ in seen_twice(worker)] == [first, second]
    day = (datetime.now() + timedelta(days=15)).date()
    with one_transaction(app) as db_session:
        request = deps.DepartureRequest(SLUG, datetime(day.year, day.month, day.day, 18), "es", 12)
        (added,) = departure_actions.schedule_departures(db_session, COORDINATOR, request)
        added_id = added.id
    assert listed(worker) == [
        (first, "10 seats left", TBC),
        (added_id, "12 seats left", TBC),
        (second, "6 seats left", TBC),
    ]
    # A group's own walk, accepted from its request: booked in full, never listed.
    details = GroupDetails(
        slug=SLUG,
        organisation="School",
        kind="school",
        group_size=20,
        preferred=[datetime(day.year, day.month, day.day, 9)],
        walk_language="es",
        contact_name="Teacher",
        email="teacher@example.org",
        phone="+34 600 000 000",
        language="es",
    )
    with one_transaction(app) as db_session:
        found = groups.submit_group_request(db_session, COORDINATOR, details)
        groups.accept_group_request(db_session, COORDINATOR, found.id, details.preferred[0])
    assert [walk for walk, _, _ in listed(worker)] == [first, added_id, second]


def test_a_cancelled_walk_leaves_the_page(app, worker, walks):
    first, second = walks
    book(app, first, 2)
    assert [walk for walk, _, _ in seen_twice(worker)] == [first, second]
    with one_transaction(app) as db_session:
        departure_actions.cancel_departure(db_session, COORDINATOR, first)
    assert listed(worker) == [(second, "6 seats left", TBC)]


def test_a_new_capacity_changes_the_seats_left(app, worker, walks):
    first, _ = walks
    book(app, first, 2)
    assert seen_twice(worker)[0] == (first, "8 seats left", TBC)
    with one_transaction(app) as db_session:
        departure_actions.set_capacity(db_session, COORDINATOR, first, 4)
    assert listed(worker)[0] == (first, "2 seats left", TBC)


def test_a_guide_given_withdrawn_and_renamed_shows_at_once(app, worker, walks):
    first, second = walks
    assert seen_twice(worker)[0] == (first, "10 seats left", TBC)
    with one_transaction(app) as db_session:
        departure_actions.assign_guide(db_session, COORDINATOR, first, "ane")
    assert listed(worker)[0] == (first, "10 seats left", "Guide: Ane")
    with one_transaction(app) as db_session:
        guide_actions.update_guide(db_session, COORDINATOR, "ane", display_name="Ane Etxeberria")
    assert listed(worker)[0] == (first, "10 seats left", "Guide: Ane Etxeberria")
    with one_transaction(app) as db_session:
        departure_actions.withdraw_guide(db_session, COORDINATOR, first, "ane", "ill")
    assert listed(worker) == [(first, "10 seats left", TBC), (second, "6 seats left", TBC)]


def test_a_walk_moved_to_another_time_is_listed_at_that_time(app, db_transaction, worker, walks):
    """Any write of a departure row counts, even one no action makes yet (a new time)."""
    first, second = walks
    assert [walk for walk, _, _ in seen_twice(worker)] == [first, second]
    later = departure_row(db_transaction, second).starts_at + timedelta(days=1)
    with one_transaction(app) as db_session:
        db_session.execute(update(Departure).where(Departure.id == first).values(starts_at=later))
    assert [walk for walk, _, _ in listed(worker)] == [second, first]


def test_a_walk_that_has_started_leaves_the_page(db_transaction, worker, walks, monkeypatch):
    """Nothing is written when a walk starts: the kept list ends at its first walk's start."""
    first, second = walks
    assert [walk for walk, _, _ in seen_twice(worker)] == [first, second]
    starts = departure_row(db_transaction, first).starts_at
    monkeypatch.setattr(tourcache, "utcnow", lambda: starts + timedelta(minutes=1))
    assert [walk for walk, _, _ in listed(worker)] == [second]
