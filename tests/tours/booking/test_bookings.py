"""Taking seats: atomic under real concurrency, idempotent, cancellable, never oversold."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tests.booking_support import add_departure, departure_row, party, store_tour
from tours.booking import bookings as bookings_module
from tours.booking.bookings import (
    REFERENCE_ALPHABET,
    REFERENCES,
    BookingNotFound,
    BookingRefused,
    DepartureSeats,
    Party,
    book,
    get_booking,
    invariant_problems,
    new_reference,
    normalize_reference,
    reference_number,
)
from tours.booking.cancellation import cancel_booking
from tours.booking.departures import DepartureNotFound, cancel
from tours.booking.idempotency import request_fingerprint
from tours.booking.models import CANCELLED, CONFIRMED, Booking, Departure, OutboxMessage
from tours.booking.purge import parse_age, purge_personal_data


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=20)


# Whatever a test did, seats taken equal confirmed party sizes afterwards.
pytestmark = pytest.mark.usefixtures("seat_invariant")


def test_booking_takes_seats_and_stores_the_party(db_transaction, departure_id):
    with db_transaction(write_lock=True) as db_session:
        result = book(db_session, departure_id, party(3, language="eu"))
    assert result.departure.seats_taken == 3
    assert result.departure.seats_left == 17
    with db_transaction() as db_session:
        # What the seats' UPDATE handed back is the departure as stored.
        row = db_session.get(Departure, departure_id)
        assert result.departure == DepartureSeats.of(row)
        assert result.departure.seats_left == row.seats_left
        stored = get_booking(db_session, result.booking.reference)
        assert (stored.party_size, stored.status, stored.language) == (3, CONFIRMED, "eu")
        assert stored.email == "visitor0@example.org"


def test_references_avoid_ambiguous_characters():
    references = {new_reference() for _ in range(2000)}
    assert len(references) == 2000
    assert all(len(r) == 8 and set(r) <= set(REFERENCE_ALPHABET) for r in references)
    assert not set("".join(references)) & set("01OIL")
    assert normalize_reference(" abcd-2345 ") == "ABCD2345"


def test_a_reference_is_one_uniform_draw_over_every_reference(monkeypatch):
    asked = []

    def randbelow(bound: int) -> int:
        asked.append(bound)
        return 31 * 31 + 5

    monkeypatch.setattr(bookings_module.secrets, "randbelow", randbelow)
    assert new_reference() == "72322222"  # digits 5, 0, 1, then zeros: least first
    assert asked == [len(REFERENCE_ALPHABET) ** 8] == [REFERENCES]
    # Each number its own reference, and every reference a number's.
    assert reference_number(0) == "22222222"
    assert reference_number(REFERENCES - 1) == "ZZZZZZZZ"
    numbers = [0, 1, 30, 31, 12345678, REFERENCES // 2, REFERENCES - 2, REFERENCES - 1]
    made = [reference_number(n) for n in numbers]
    assert len(set(made)) == len(numbers)
    alphabet = {ch: i for i, ch in enumerate(REFERENCE_ALPHABET)}
    for number, reference in zip(numbers, made, strict=True):
        assert sum(alphabet[ch] * 31**i for i, ch in enumerate(reference)) == number


def test_a_full_departure_refuses_with_seats_left(db_transaction, departure_id):
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(8))
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(8))
    with pytest.raises(BookingRefused) as refused, db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(5))
    assert (refused.value.reason, refused.value.seats_left) == ("full", 4)
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(4))
    assert departure_row(db_transaction, departure_id).seats_left == 0


def test_party_above_the_per_booking_maximum_is_refused(db_transaction, departure_id):
    with pytest.raises(BookingRefused) as refused, db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(9))
    assert refused.value.reason == "party_too_large"
    assert refused.value.max_party == 8
    assert departure_row(db_transaction, departure_id).seats_taken == 0


def test_cancelled_and_started_departures_refuse(db_transaction, departure_id):
    with db_transaction(write_lock=True) as db_session:
        later = datetime.now(UTC) + timedelta(days=30)
        with pytest.raises(BookingRefused) as refused:
            book(db_session, departure_id, party(1), now=later)
        assert refused.value.reason == "started"
    with db_transaction(write_lock=True) as db_session:
        cancel(db_session, departure_id)
    with pytest.raises(BookingRefused) as refused, db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(1))
    assert refused.value.reason == "cancelled"
    with pytest.raises(DepartureNotFound), db_transaction(write_lock=True) as db_session:
        book(db_session, 999_999, party(1))


def test_same_idempotency_key_makes_one_booking(db_transaction, departure_id):
    with db_transaction(write_lock=True) as db_session:
        first = book(db_session, departure_id, party(2), idempotency_key="form-abc")
    with db_transaction(write_lock=True) as db_session:
        again = book(db_session, departure_id, party(2), idempotency_key="form-abc")
    assert again.replayed and not first.replayed
    assert again.booking.reference == first.booking.reference
    assert departure_row(db_transaction, departure_id).seats_taken == 2


@pytest.mark.parametrize("key", ["api:mail-1", None])
def test_a_booking_records_its_message_only_when_it_is_made(db_transaction, departure_id, key):
    """With a key on PostgreSQL the outbox row is written by the booking's own INSERT;
    either way it exists exactly when a new booking does."""
    with db_transaction(write_lock=True) as db_session:
        made = book(
            db_session, departure_id, party(2), idempotency_key=key, mail_kind="confirmation"
        )
    with db_transaction(write_lock=True) as db_session:  # a replay records nothing
        book(db_session, departure_id, party(2), idempotency_key=key or "other", mail_kind="x")
    with pytest.raises(BookingRefused), db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(19), idempotency_key="api:mail-2", mail_kind="x")
    with db_transaction() as db_session:
        rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        stored = db_session.scalars(select(Booking).order_by(Booking.id)).all()
    kinds = ["confirmation"] if key else ["confirmation", "x"]  # no key: "other" was new
    assert [row.kind for row in rows] == kinds
    first = rows[0]
    assert (first.booking_id, first.departure_id) == (made.booking.id, departure_id)
    assert (first.recipient, first.subject, first.raw) == ("visitor0@example.org", "", b"")
    assert (first.status, first.attempts) == ("pending", 0)
    assert "api:mail-2" not in [booking.idempotency_key for booking in stored]  # refused


def test_cancel_returns_seats_at_once_and_only_once(db_transaction, departure_id):
    with db_transaction(write_lock=True) as db_session:
        made = book(db_session, departure_id, party(5))
    with db_transaction(write_lock=True) as db_session:
        result = cancel_booking(db_session, made.booking.reference.lower())
    assert result.changed and result.departure.seats_taken == 0
    with db_transaction(write_lock=True) as db_session:
        assert not cancel_booking(db_session, made.booking.reference).changed
    with db_transaction() as db_session:
        assert get_booking(db_session, made.booking.reference).status == CANCELLED
    assert departure_row(db_transaction, departure_id).seats_taken == 0
    with pytest.raises(BookingNotFound), db_transaction(write_lock=True) as db_session:
        cancel_booking(db_session, "NOPE2345")


def test_cancelling_a_departure_closes_its_bookings(db_transaction, departure_id):
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(2, 1))
        book(db_session, departure_id, party(3, 2))
    with db_transaction(write_lock=True) as db_session:
        closed = cancel(db_session, departure_id)
    assert sorted(b.party_size for b in closed.bookings) == [2, 3]
    with db_transaction() as db_session:
        statuses = db_session.scalars(select(Booking.status)).all()
    assert statuses == [CANCELLED, CANCELLED]
    with db_transaction(write_lock=True) as db_session:
        assert cancel(db_session, departure_id).bookings == []


def test_database_refuses_an_oversold_row(db_transaction, departure_id):
    """The check constraint is a second line of defence behind the conditional update."""
    with pytest.raises(IntegrityError), db_transaction() as db_session:
        db_session.execute(
            update(Departure).where(Departure.id == departure_id).values(seats_taken=21)
        )


def test_invariant_check_notices_a_drifted_counter(db_transaction, departure_id):
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(2))
        db_session.execute(
            update(Departure).where(Departure.id == departure_id).values(seats_taken=5)
        )
        assert invariant_problems(db_session) == [f"session {departure_id}: seats_taken 5 != 2"]
        db_session.rollback()


def test_purge_forgets_people_but_keeps_counts(db_transaction, departure_id):
    with db_transaction(write_lock=True) as db_session:
        kept = book(db_session, departure_id, party(3, 1))
        book(db_session, departure_id, party(2, 2))
    now = datetime.now(UTC)
    with db_transaction() as db_session:
        assert purge_personal_data(db_session, timedelta(days=90), now=now).bookings == 0
    with db_transaction() as db_session:
        result = purge_personal_data(db_session, timedelta(days=90), now=now + timedelta(days=101))
    assert (result.departures, result.bookings) == (1, 2)
    with db_transaction() as db_session:
        rows = db_session.scalars(select(Booking).order_by(Booking.id)).all()
        assert [(b.name, b.email, b.phone, b.notes) for b in rows] == [(None,) * 4] * 2
        assert [b.party_size for b in rows] == [3, 2]
        assert rows[0].reference == kept.booking.reference
        assert all(b.purged_at is not None for b in rows)
    assert departure_row(db_transaction, departure_id).seats_taken == 5


def test_parse_age():
    assert parse_age("90d") == timedelta(days=90)
    assert parse_age("2w") == timedelta(weeks=2)
    with pytest.raises(ValueError, match="for example 90d"):
        parse_age("ninety")


def test_two_hundred_racing_threads_sell_exactly_twenty_seats(db_transaction, departure_id):
    """200 attempts for 20 seats, each in its own transaction, released together."""
    attempts = 200
    barrier = threading.Barrier(attempts, timeout=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            with db_transaction(write_lock=True) as db_session:
                book(db_session, departure_id, party(1, n))
            outcome = "booked"
        except BookingRefused as refused:
            outcome = refused.reason
        except Exception as exc:  # anything else is a bug the test must show
            outcome = f"error: {exc!r}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(outcomes) == {"booked": 20, "full": 180}
    with db_transaction() as db_session:
        confirmed = db_session.scalars(select(Booking).where(Booking.status == CONFIRMED)).all()
        assert len(confirmed) == 20
        assert len({b.reference for b in confirmed}) == 20
    assert departure_row(db_transaction, departure_id).seats_taken == 20


def test_a_request_fingerprint_is_the_one_stored_keys_were_given():
    """Keys already stored carry the fingerprint of their request: the same request must
    give the same hash (this one was computed with ``dataclasses.asdict``)."""
    asked = Party("Ane", "ane@example.org", 2, "eu", "+34 600 123 456", None)
    assert request_fingerprint("api.booking", 7, asked) == (
        "c7f4f87616bdc16aac9933a6c8658eda82d653568d25dbec3d888aec4ccb458e"
    )
    assert request_fingerprint("api.booking", 8, asked) != request_fingerprint(
        "api.booking", 7, asked
    )
    # Escapes and non-ASCII text as ``json.dumps`` wrote them (computed before its
    # encoder was kept between calls).
    other = Party("\u00e9\u4e2d", "x@y.org", 1, "ar", None, 'notes "q" \\ \n')
    assert request_fingerprint("form.booking.phone.1", 2**31 - 1, other) == (
        "66900ff54975ed6909bc4b16280592d74a0665934ecb105b1589f4a7a160efd4"
    )


def test_a_booking_is_built_in_a_process_that_has_run_no_query_yet():
    """A gunicorn worker's first request may be a booking: the booking handed back is
    built before any query or constructor has set the mappers up (it answered 500)."""
    code = (
        "from datetime import UTC, datetime\n"
        "from tours.booking import bookings\n"
        "values = bookings._booking_values(\n"
        "    1, bookings.Party('Ane', 'ane@example.org', 2, 'eu'), 'k', 'h', datetime.now(UTC))\n"
        "booking = bookings._written_booking(5, values)\n"
        "print(booking.id, booking.party_size, booking.email)\n"
    )
    repo = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["5", "2", "ane@example.org"]
