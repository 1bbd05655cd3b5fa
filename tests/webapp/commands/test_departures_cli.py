"""``bidean sessions`` (alias ``departures``) and ``bidean purge`` on a real database."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from guides import audit
from guides.models import AuditEntry
from tests.booking_support import SLUG, add_departure, assert_invariant, party, store_tour
from tours.booking.bookings import book
from tours.booking.cancellation import cancel_booking
from tours.booking.models import Booking, Departure, OutboxMessage, WaitlistEntry
from tours.booking.waitlist import join

MADRID = ZoneInfo("Europe/Madrid")
NEXT_YEAR = datetime.now(UTC).year + 1


@pytest.fixture(autouse=True)
def _invariant_after_each_test(db_transaction):
    yield
    assert_invariant(db_transaction)


@pytest.fixture
def tour(db_transaction) -> str:
    store_tour(db_transaction)
    return SLUG


def departures(db_session) -> list[Departure]:
    with db_session() as s:
        return list(s.scalars(select(Departure).order_by(Departure.starts_at)))


def test_add_one_departure_in_the_tour_timezone(runner, db_transaction, tour):
    # A departure's guide is a guide profile now (issue 8): create it first.
    added = runner.invoke(
        args=["guides", "add", "g-7", "--name", "Gia", "--languages", "es:native"]
    )
    assert added.exit_code == 0, added.output
    result = runner.invoke(
        args=["sessions", "add", tour, "--at", f"{NEXT_YEAR}-03-06T11:00", "--language", "es",
              "--capacity", "15", "--guide", "g-7"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 session scheduled." in result.output
    (departure,) = departures(db_transaction)
    assert departure.starts_at == datetime(NEXT_YEAR, 3, 6, 10, 0, tzinfo=UTC)
    assert (departure.capacity, departure.language, departure.guide_id) == (15, "es", "g-7")
    assert f"{NEXT_YEAR}-03-06 11:00 CET" in result.output


def test_add_a_weekly_series(runner, db_transaction, tour):
    result = runner.invoke(
        args=["sessions", "add", tour, "--at", f"{NEXT_YEAR}-06-05T18:30", "--language", "ar",
              "--capacity", "12", "--every", "saturday", "--until", f"{NEXT_YEAR}-06-30"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    local = [d.starts_at.astimezone(MADRID) for d in departures(db_transaction)]
    assert len(local) == 4
    assert {(t.weekday(), t.hour, t.minute) for t in local} == {(5, 18, 30)}
    assert "4 sessions scheduled." in result.output


AT = ["--at", f"{NEXT_YEAR}-03-06T11:00"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", f"{NEXT_YEAR}-03-28T02:30"], "does not exist in Europe/Madrid"),
        (["--at", "tomorrow"], "is not a date and time: write it like 2027-03-06T11:00"),
        ([*AT, "--every", "saturday"], "--every and --until go together"),
        ([*AT, "--every", "caturday", "--until", f"{NEXT_YEAR}-04-01"], "use a weekday name"),
        ([*AT, "--capacity", "0"], "--capacity must be at least 1"),
    ],
)
def test_add_refuses_bad_input_clearly_and_writes_nothing(
    runner, db_transaction, tour, args, message
):
    base = ["sessions", "add", tour, "--language", "es"]
    if "--capacity" not in args:
        base += ["--capacity", "10"]
    result = runner.invoke(args=base + args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert departures(db_transaction) == []


def test_add_for_an_unknown_tour(runner, db_transaction):
    result = runner.invoke(
        args=["sessions", "add", "nowhere", "--at", f"{NEXT_YEAR}-03-06T11:00", "--language",
              "es", "--capacity", "5"],
    )  # fmt: skip
    assert result.exit_code == 1 and "No tour 'nowhere' is stored" in result.output


def test_list_shows_upcoming_departures_with_seats(runner, db_transaction, tour):
    first = add_departure(db_transaction, days_ahead=5, capacity=8)
    second = add_departure(db_transaction, days_ahead=9, capacity=4, language="eu")
    with db_transaction(write_lock=True) as db_session:
        book(db_session, first, party(3))
    lines = runner.invoke(args=["sessions", "list"]).output.splitlines()
    assert lines[0].split()[0] == str(first) and "3/8 seats" in lines[0]
    assert lines[1].split()[0] == str(second) and "eu" in lines[1] and "0/4 seats" in lines[1]
    runner.invoke(args=["sessions", "cancel", str(second)])
    assert len(runner.invoke(args=["sessions", "list"]).output.splitlines()) == 1
    assert "cancelled" in runner.invoke(args=["sessions", "list", "--all"]).output


def test_departures_is_the_same_group_as_sessions(runner, db_transaction, tour):
    """``bidean departures`` (the code's word) is an alias of ``bidean sessions``."""
    added = runner.invoke(
        args=["departures", "add", tour, "--at", f"{NEXT_YEAR}-05-02T10:00", "--language", "eu",
              "--capacity", "9"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    (departure,) = departures(db_transaction)
    listed = runner.invoke(args=["departures", "list"]).output
    assert listed == runner.invoke(args=["sessions", "list"]).output
    assert listed.split()[0] == str(departure.id) and "eu" in listed
    assert runner.invoke(args=["departures", "cancel", str(departure.id)]).exit_code == 0
    assert departures(db_transaction)[0].status == "cancelled"


def test_cancel_an_unknown_departure(runner, db_transaction):
    result = runner.invoke(args=["sessions", "cancel", "404"])
    assert result.exit_code == 1 and "No session 404 exists." in result.output


def test_purge_removes_personal_data_of_old_departures_only(runner, db_transaction, tour):
    old = add_departure(db_transaction, days_ahead=2)
    recent = add_departure(db_transaction, days_ahead=3)
    with db_transaction(write_lock=True) as db_session:
        book(db_session, old, party(2, 1))
        book(db_session, recent, party(1, 2))
    with db_transaction() as db_session:  # the first walk took place 100 days ago
        db_session.execute(
            update(Departure)
            .where(Departure.id == old)
            .values(starts_at=datetime.now(UTC) - timedelta(days=100))
        )
    assert "not an age" in runner.invoke(args=["purge", "--older-than", "soon"]).output
    result = runner.invoke(args=["purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 booking and" in result.output
    with db_transaction() as db_session:
        rows = {b.departure_id: b for b in db_session.scalars(select(Booking))}
    assert (rows[old].name, rows[old].email, rows[old].party_size) == (None, None, 2)
    assert rows[recent].email == "visitor2@example.org"


def test_purge_vacuums_and_analyzes_the_tables_it_touched_on_postgresql(
    runner, db_transaction, tour, engine
):
    """Purged emails would stay in old row versions and column statistics until then."""
    if engine.dialect.name != "postgresql":
        pytest.skip("VACUUM and pg_stat_user_tables are PostgreSQL's")
    old = add_departure(db_transaction, days_ahead=2, capacity=2)
    with db_transaction(write_lock=True) as db_session:
        book(db_session, old, party(2, 1))
        join(db_session, old, party(1, 2))  # the walk is full
        db_session.add(
            OutboxMessage(
                kind="confirmation",
                recipient="visitor1@example.org",
                subject="",
                raw=b"",
                departure_id=old,
            )
        )
        db_session.execute(
            update(Departure)
            .where(Departure.id == old)
            .values(starts_at=datetime.now(UTC) - timedelta(days=100))
        )
    with engine.connect() as conn:
        before = conn.execute(select(func.now())).scalar_one()
    result = runner.invoke(args=["purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        stats = conn.exec_driver_sql(
            "SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables "
            "WHERE relname IN ('bookings', 'waitlist_entries', 'outbox_messages')"
        ).all()
    assert {row.relname for row in stats} == {"bookings", "waitlist_entries", "outbox_messages"}
    for row in stats:
        assert row.last_vacuum is not None and row.last_vacuum >= before, row
        assert row.last_analyze is not None and row.last_analyze >= before, row


def test_expire_offers_command_passes_lapsed_offers_on(runner, db_transaction, tour):
    departure_id = add_departure(db_transaction, capacity=2)
    with db_transaction(write_lock=True) as db_session:
        reference = book(db_session, departure_id, party(2)).booking.reference
    with db_transaction(write_lock=True) as db_session:
        first = join(db_session, departure_id, party(2, 7)).entry.id
        second = join(db_session, departure_id, party(2, 8)).entry.id
    with db_transaction(write_lock=True) as db_session:
        cancel_booking(db_session, reference)
    assert runner.invoke(args=["sessions", "expire-offers"]).output == "0 new offers made.\n"
    with db_transaction() as db_session:  # the offer's hold ran out
        db_session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == first)
            .values(offer_expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    result = runner.invoke(args=["sessions", "expire-offers"])
    assert result.output == "1 new offer made.\n"
    with db_transaction() as db_session:
        statuses = dict(db_session.execute(select(WaitlistEntry.id, WaitlistEntry.status)).all())
        assert db_session.scalar(select(func.count()).select_from(Booking)) == 1
    assert statuses == {first: "expired", second: "offered"}


def test_cancelling_a_cancelled_departure_says_so_and_fails(runner, db_transaction, tour):
    departure_id = add_departure(db_transaction)
    assert runner.invoke(args=["sessions", "cancel", str(departure_id)]).exit_code == 0
    again = runner.invoke(args=["sessions", "cancel", str(departure_id)])
    assert again.exit_code != 0
    assert f"Session {departure_id} was already cancelled" in again.output


def test_listing_an_unknown_tour_names_it_and_fails(runner, db_transaction, tour):
    add_departure(db_transaction)
    result = runner.invoke(args=["sessions", "list", "--tour", "nope"])
    assert result.exit_code != 0
    assert "There is no tour 'nope'" in result.output
    known = runner.invoke(args=["sessions", "list", "--tour", tour])
    assert known.exit_code == 0 and tour in known.output


# --- audit: the departure actions write one record per change, named after the OS user ---

CLI_ACTOR = f"cli:{getpass.getuser()}"


def audit_rows(db_session) -> list[tuple[str, str, str, dict]]:
    with db_session() as s:
        return [(e.actor, e.action, e.target, e.details) for e in reversed(audit.recent(s))]


def test_add_records_each_scheduled_session(runner, db_transaction, tour):
    result = runner.invoke(
        args=["sessions", "add", tour, "--at", f"{NEXT_YEAR}-06-05T18:30", "--language", "ar",
              "--capacity", "12", "--every", "saturday", "--until", f"{NEXT_YEAR}-06-30"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ids = [d.id for d in departures(db_transaction)]
    assert len(ids) == 4
    assert audit_rows(db_transaction) == [
        (CLI_ACTOR, "departure.add", f"departure:{i}", {"guide": None}) for i in ids
    ]


def test_assign_records_changes_only(runner, db_transaction, tour):
    departure_id = add_departure(db_transaction)
    guide = ["guides", "add", "g-7", "--name", "Gia", "--languages", "es:native"]
    assert runner.invoke(args=guide).exit_code == 0
    for flags in (["--guide", "g-7"], ["--guide", "g-7"], ["--none"]):
        result = runner.invoke(args=["sessions", "assign", str(departure_id), *flags])
        assert result.exit_code == 0, result.output
    target = f"departure:{departure_id}"
    rows = [row for row in audit_rows(db_transaction) if row[1].startswith("departure.")]
    assert rows == [
        (CLI_ACTOR, "departure.assign", target, {"guide": "g-7"}),
        (CLI_ACTOR, "departure.assign", target, {"guide": None}),
    ]


def test_cancel_writes_one_record_and_a_second_cancel_none(runner, db_transaction, tour):
    departure_id = add_departure(db_transaction)
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(2, 1))
    first = runner.invoke(args=["sessions", "cancel", str(departure_id)])
    assert first.exit_code == 0, first.output
    assert runner.invoke(args=["sessions", "cancel", str(departure_id)]).exit_code != 0
    assert audit_rows(db_transaction) == [
        (CLI_ACTOR, "departure.cancel", f"departure:{departure_id}", {"bookings": 1, "emails": 1})
    ]


def test_a_cancel_whose_record_fails_changes_nothing(runner, db_transaction, tour, monkeypatch):
    departure_id = add_departure(db_transaction)
    with db_transaction(write_lock=True) as db_session:
        book(db_session, departure_id, party(2, 1))

    def failing(*args, **kwargs):
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(audit, "record", failing)
    result = runner.invoke(args=["sessions", "cancel", str(departure_id)])
    assert isinstance(result.exception, RuntimeError)
    (departure,) = departures(db_transaction)
    assert (departure.status, departure.seats_taken) == ("scheduled", 2)
    with db_transaction() as db_session:
        assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == 0
