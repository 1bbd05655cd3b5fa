"""Private departures (a group's own walk) in the booking core: listed by no public query,
booked only by the group's own booking, never waited for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.booking_support import SLUG, add_departure, party, store_tour
from tours.booking import departures as deps
from tours.booking.bookings import book, invariant_problems
from tours.booking.models import Departure
from tours.booking.waitlist import join


@pytest.fixture
def walks(db_transaction) -> tuple[int, int]:
    """A public walk, and a private one a day earlier (it would be listed first)."""
    store_tour(db_transaction)
    public = add_departure(db_transaction, days_ahead=10)
    private = add_departure(db_transaction, days_ahead=9, capacity=20, max_party=20)
    with db_transaction() as db_session:
        db_session.execute(update(Departure).where(Departure.id == private).values(private=True))
    return public, private


def test_no_public_listing_holds_a_private_walk(db_transaction, walks):
    public, private = walks
    with db_transaction() as db_session:
        assert [d.id for d in deps.upcoming(db_session)] == [public]
        assert [d.id for d in deps.upcoming(db_session, slug=SLUG)] == [public]
        everything = deps.upcoming(db_session, include_private=True)
        assert [d.id for d in everything] == [private, public]
        for slugs in (None, [SLUG]):
            by_tour = deps.upcoming_by_tour(db_session, slugs=slugs)
            assert [d.id for d in by_tour[SLUG]] == [public]
        page = deps.current_and_upcoming(db_session, SLUG)
        assert page is not None and [d.id for d in page.departures] == [public]
        with pytest.raises(deps.DepartureNotFound):
            deps.get_public_departure(db_session, private)
        assert deps.get_public_departure(db_session, public).id == public


def test_only_the_groups_own_booking_takes_its_seats(db_transaction, walks):
    _public, private = walks
    # The refusal rolls back its transaction (the booking's INSERT with it).
    with pytest.raises(deps.DepartureNotFound), db_transaction() as db_session:
        book(db_session, private, party(2))
    with db_transaction() as db_session:
        result = book(db_session, private, party(20, n=1), private=True)
        assert result.departure.seats_taken == 20
    # Full now; still "not found" to anyone else rather than "full".
    with pytest.raises(deps.DepartureNotFound), db_transaction() as db_session:
        book(db_session, private, party(1, n=2))
    with db_transaction() as db_session:
        assert invariant_problems(db_session) == []


def test_nobody_joins_a_private_walks_waiting_list(db_transaction, walks):
    _public, private = walks
    with pytest.raises(deps.DepartureNotFound), db_transaction() as db_session:
        join(db_session, private, party(2), now=datetime.now(UTC) - timedelta(minutes=1))
