"""Scheduling departures: wall time in the tour's zone, DST gaps, weekly series, listing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, func, select, update

from guides.models import GuideRecord
from guides.profiles import add_guide
from tests.booking_support import SLUG, store_tour, tour_document
from tours.booking.departures import (
    CurrentAndUpcoming,
    DepartureRequest,
    DepartureSnapshot,
    ScheduleError,
    cancel,
    current_and_upcoming,
    localize,
    published_versions,
    schedule,
    series_dates,
    upcoming,
    upcoming_by_tour,
)
from tours.booking.models import CANCELLED, Departure
from tours.db import reading
from tours.tour.domain import Tour
from tours.tour.store import save_tour

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


# Whatever a test did, seats taken equal confirmed party sizes afterwards.
pytestmark = pytest.mark.usefixtures("seat_invariant")


def _request(**changes) -> DepartureRequest:
    values = {
        "slug": SLUG,
        "local_start": datetime(2027, 3, 6, 11, 0),
        "language": "es",
        "capacity": 15,
    }
    values.update(changes)
    return DepartureRequest(**values)


def test_wall_time_is_read_in_the_tour_timezone(db_transaction):
    store_tour(db_transaction)
    with db_transaction() as db_session:
        (winter,) = schedule(db_session, _request(), now=NOW)
        (summer,) = schedule(db_session, _request(local_start=datetime(2027, 7, 3, 11, 0)), now=NOW)
    assert winter.starts_at == datetime(2027, 3, 6, 10, 0, tzinfo=UTC)  # CET, UTC+1
    assert summer.starts_at == datetime(2027, 7, 3, 9, 0, tzinfo=UTC)  # CEST, UTC+2
    with db_transaction() as db_session:
        stored = db_session.get(Departure, winter.id)
        assert stored.starts_at.astimezone(MADRID).hour == 11
        assert (stored.timezone, stored.language, stored.capacity) == ("Europe/Madrid", "es", 15)
        assert stored.meeting_stop_id == "plaza"  # the first stop by default
        assert stored.meeting_name["es"] == "Plaza de Zabalburu"
        assert (stored.meeting_lon, stored.meeting_lat) == (-2.93, 43.256)


def test_nonexistent_and_repeated_local_times_are_refused():
    with pytest.raises(ScheduleError, match="does not exist in Europe/Madrid"):
        localize(datetime(2027, 3, 28, 2, 30), MADRID)  # clocks jump 02:00 -> 03:00
    with pytest.raises(ScheduleError, match="happens twice"):
        localize(datetime(2027, 10, 31, 2, 30), MADRID)  # clocks go back 03:00 -> 02:00
    assert localize(datetime(2027, 3, 28, 3, 30), MADRID).utcoffset() == timedelta(hours=2)


def test_weekly_series_on_saturdays(db_transaction):
    store_tour(db_transaction)
    days = series_dates(date(2027, 3, 6), date(2027, 4, 3), ["saturday"])
    assert days == [date(2027, 3, d) for d in (6, 13, 20, 27)] + [date(2027, 4, 3)]
    with db_transaction() as db_session:
        created = schedule(db_session, _request(), dates=days, now=NOW)
    local_times = [d.starts_at.astimezone(MADRID) for d in created]
    assert {(t.hour, t.minute, t.weekday()) for t in local_times} == {(11, 0, 5)}
    # 11:00 stays 11:00 across the switch to summer time on 28 March.
    assert [t.utcoffset() for t in local_times[-2:]] == [timedelta(hours=1), timedelta(hours=2)]


def test_series_with_a_gap_time_writes_nothing(db_transaction):
    store_tour(db_transaction)
    days = series_dates(date(2027, 3, 20), date(2027, 4, 4), ["sunday"])
    with (
        pytest.raises(ScheduleError, match="2027-03-28 02:30 does not exist"),
        db_transaction() as db_session,
    ):
        schedule(
            db_session, _request(local_start=datetime(2027, 3, 21, 2, 30)), dates=days, now=NOW
        )
    with db_transaction() as db_session:
        assert db_session.scalar(select(func.count()).select_from(Departure)) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "nowhere"}, "No tour 'nowhere' is stored"),
        ({"capacity": 0}, "--capacity must be at least 1"),
        ({"language": "not a tag"}, "is not a BCP 47 language tag"),
        ({"meeting_stop_id": "bridge"}, "choose one of: plaza, mercado"),
        ({"local_start": datetime(2026, 1, 1, 11, 0)}, "is in the past"),
    ],
)
def test_bad_requests_say_what_to_fix(db_transaction, changes, message):
    store_tour(db_transaction)
    with pytest.raises(ScheduleError, match=message), db_transaction() as db_session:
        schedule(db_session, _request(**changes), now=NOW)


def test_series_validation():
    with pytest.raises(ScheduleError, match="use a weekday name"):
        series_dates(date(2027, 3, 6), date(2027, 4, 3), ["someday"])
    with pytest.raises(ScheduleError, match="is before the first session"):
        series_dates(date(2027, 3, 6), date(2027, 3, 1), ["saturday"])
    with pytest.raises(ScheduleError, match="at most 366"):
        series_dates(date(2027, 1, 1), date(2029, 1, 1), ["day"])
    assert len(series_dates(date(2027, 3, 1), date(2027, 3, 14), ["saturday", "Sunday"])) == 4


def test_upcoming_lists_future_scheduled_departures_soonest_first(db_transaction):
    store_tour(db_transaction)
    store_tour(db_transaction, "other-tour")
    with db_transaction() as db_session:
        late, early = schedule(
            db_session, _request(local_start=datetime(2027, 5, 1, 11, 0)), now=NOW
        ) + (schedule(db_session, _request(local_start=datetime(2027, 4, 1, 11, 0)), now=NOW))
        (other,) = schedule(db_session, _request(slug="other-tour"), now=NOW)
        (gone,) = schedule(db_session, _request(local_start=datetime(2027, 4, 2, 11, 0)), now=NOW)
    with db_transaction() as db_session:
        cancel(db_session, gone.id, now=NOW)
    with db_transaction() as db_session:
        assert [d.id for d in upcoming(db_session, slug=SLUG, now=NOW)] == [early.id, late.id]
        assert [d.id for d in upcoming(db_session, now=NOW)] == [other.id, early.id, late.id]
        with_cancelled = upcoming(db_session, slug=SLUG, now=NOW, include_cancelled=True)
        assert [d.status for d in with_cancelled][1] == CANCELLED
        later = upcoming(db_session, slug=SLUG, now=datetime(2027, 4, 15, tzinfo=UTC))
        assert [d.id for d in later] == [late.id]
        by_tour = upcoming_by_tour(db_session, now=NOW, per_tour=1)
        assert {k: [d.id for d in v] for k, v in by_tour.items()} == {
            SLUG: [early.id],
            "other-tour": [other.id],
        }
        # Of named tours only (a catalogue page's), each read through its own index range.
        named = upcoming_by_tour(db_session, now=NOW, per_tour=2, slugs=[SLUG, "unknown-tour"])
        assert {k: [d.id for d in v] for k, v in named.items()} == {SLUG: [early.id, late.id]}
        assert upcoming_by_tour(db_session, now=NOW, slugs=[]) == {}


def test_a_tours_next_departures_are_read_without_its_others(engine, db_transaction):
    """The catalogue's "next walks" of a tour with a year of departures read 3 rows, not
    every departure: SQLite's plan searches the (tour, status, start) index."""
    if engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan")
    store_tour(db_transaction)
    seen: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, params, *_args) -> None:
        seen.append((statement, params))

    with db_transaction() as db_session:
        schedule(
            db_session,
            _request(),
            dates=[date(2027, 3, 1) + timedelta(days=n) for n in range(300)],
            now=NOW,
        )
    event.listen(engine, "before_cursor_execute", remember)
    try:
        with db_transaction() as db_session:
            by_tour = upcoming_by_tour(db_session, now=NOW, per_tour=3, slugs=[SLUG])
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert [d.starts_at.date() for d in by_tour[SLUG]] == [date(2027, 3, n) for n in (1, 2, 3)]
    statement, params = next((st, p) for st, p in seen if "departures" in st)
    with engine.connect() as conn:
        plan = " | ".join(
            row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        )
    assert "INDEX ix_departures_tour_status_starts_at (tour_id=? AND status=?" in plan, plan
    assert "SCAN departures" not in plan, plan


def test_current_and_upcoming_reads_the_version_and_the_next_departures_of_one_tour(db_transaction):
    store_tour(db_transaction)
    store_tour(db_transaction, "other-tour")
    with db_transaction() as db_session:
        # A tour stored gets its departures version, 0 until a departure is written.
        assert current_and_upcoming(db_session, SLUG, now=NOW) == CurrentAndUpcoming(1, [], 0)
        late, early, gone, past = (
            schedule(db_session, _request(local_start=datetime(2027, 5, 1, 11, 0)), now=NOW)
            + schedule(db_session, _request(local_start=datetime(2027, 4, 1, 11, 0)), now=NOW)
            + schedule(db_session, _request(local_start=datetime(2027, 4, 2, 11, 0)), now=NOW)
            + schedule(db_session, _request(local_start=datetime(2027, 1, 11, 11, 0)), now=NOW)
        )
        (other,) = schedule(db_session, _request(slug="other-tour"), now=NOW)
    with db_transaction() as db_session:
        cancel(db_session, gone.id, now=NOW)
    with db_transaction() as db_session:  # a changed re-import: version 2 keeps the departures
        document = tour_document()
        document["features"][0]["properties"]["summary"] = {"es": "Otra versión."}
        save_tour(db_session, Tour.from_document(document), "test")
    with db_transaction() as db_session:
        found = current_and_upcoming(db_session, SLUG, now=NOW)
        assert found.version == 2
        assert [d.id for d in found.departures] == [past.id, early.id, late.id]
        later = current_and_upcoming(db_session, SLUG, now=datetime(2027, 2, 1, tzinfo=UTC))
        assert [d.id for d in later.departures] == [early.id, late.id]
        assert [
            d.id for d in current_and_upcoming(db_session, SLUG, now=NOW, limit=2).departures
        ] == [
            past.id,
            early.id,
        ]
        everything_after = current_and_upcoming(
            db_session, SLUG, now=datetime(2027, 6, 1, tzinfo=UTC)
        )
        assert everything_after == CurrentAndUpcoming(2, [], found.departures_version)
        assert found.departures_version > 0
        assert current_and_upcoming(db_session, "other-tour", now=NOW).departures[0].id == other.id
        assert current_and_upcoming(db_session, "no-such-tour", now=NOW) is None
        with pytest.raises(ValueError, match="at least 1"):
            current_and_upcoming(db_session, SLUG, now=NOW, limit=0)


def test_a_snapshot_says_what_the_departure_row_says(db_transaction, engine):
    store_tour(db_transaction)
    with db_transaction() as db_session:
        # The guide is a foreign key to a guide profile (issue 8), no longer free text.
        add_guide(db_session, "aminata", "Aminata", "es:native")
        (departure,) = schedule(db_session, _request(guide_id="aminata"), now=NOW)
    seen = []
    # Counters set by hand, back to 0 at the end: no bookings stand behind them.
    for taken, held in ((3, 2), (15, 0), (14, 1), (0, 15), (0, 0)):
        with db_transaction() as db_session:
            db_session.execute(
                update(Departure)
                .where(Departure.id == departure.id)
                .values(seats_taken=taken, seats_held=held)
            )
        with db_transaction() as db_session:
            row = db_session.get(Departure, departure.id)
            (snapshot,) = current_and_upcoming(db_session, SLUG, now=NOW).departures
            assert snapshot.seats_left == row.seats_left == 15 - taken - held
            for name in DepartureSnapshot.__dataclass_fields__:
                assert getattr(snapshot, name) == getattr(row, name), name
            seen.append(snapshot)
    # Snapshots are values: equal when read twice, told apart by their seats.
    assert len(set(seen)) == 5
    # Read without a session or a transaction, the same: aware UTC times, JSON as dicts.
    with reading(engine) as conn:
        (snapshot,) = current_and_upcoming(conn, SLUG, now=NOW).departures
    assert snapshot == seen[-1] and hash(snapshot) == hash(seen[-1])
    assert {snapshot: "block"}[seen[-1]] == "block"
    assert snapshot.starts_at == datetime(2027, 3, 6, 10, 0, tzinfo=UTC)
    assert snapshot.starts_at.utcoffset() == timedelta(0)
    assert snapshot.meeting_name["es"] == "Plaza de Zabalburu"
    assert (snapshot.guide_id, snapshot.status, snapshot.language) == ("aminata", "scheduled", "es")


def test_the_departures_version_changes_in_the_transaction_that_writes_a_departure(
    db_transaction, engine
):
    """Database triggers bump a tour's departures version whatever writes its departures
    (or renames a guide leading one), in the writer's transaction: committed with it,
    rolled back with it, and no other tour's."""
    store_tour(db_transaction)
    store_tour(db_transaction, "other-tour")

    def versions() -> tuple[int | None, int | None]:
        with reading(engine) as conn:
            found = [published_versions(conn, slug) for slug in (SLUG, "other-tour")]
        assert all(f is not None and f.version == 1 for f in found)
        return found[0].departures_version, found[1].departures_version

    assert versions() == (0, 0)
    with db_transaction() as db_session:
        add_guide(db_session, "ane", "Ane", "es:native")
        (departure,) = schedule(db_session, _request(), now=NOW)
        inside = published_versions(db_session, SLUG)
        assert inside is not None and inside.departures_version == 1
    assert versions() == (1, 0)
    with pytest.raises(RuntimeError), db_transaction() as db_session:
        db_session.execute(
            update(Departure).where(Departure.id == departure.id).values(capacity=20)
        )
        raise RuntimeError("rolled back")
    assert versions() == (1, 0)
    steps = [
        update(Departure).where(Departure.id == departure.id).values(seats_taken=3),
        update(Departure).where(Departure.id == departure.id).values(guide_id="ane"),
        update(GuideRecord).where(GuideRecord.id == "ane").values(display_name="Ane E."),
    ]
    for number, step in enumerate(steps, start=2):
        with db_transaction() as db_session:
            db_session.execute(step)
        assert versions() == (number, 0)
    # A guide's other changes, and the guide of no walk of a tour, leave it alone.
    with db_transaction() as db_session:
        db_session.execute(update(GuideRecord).where(GuideRecord.id == "ane").values(bio={}))
        add_guide(db_session, "mei", "Mei", "es:native")
    with db_transaction() as db_session:
        db_session.execute(
            update(GuideRecord).where(GuideRecord.id == "mei").values(display_name="Mei L.")
        )
    assert versions() == (4, 0)
    with db_transaction() as db_session:
        cancel(db_session, departure.id, now=NOW)
        db_session.execute(
            update(Departure).where(Departure.id == departure.id).values(seats_taken=0)
        )
    assert versions() == (6, 0)
    with db_transaction() as db_session:
        db_session.execute(delete(Departure).where(Departure.id == departure.id))
    assert versions() == (7, 0)
    with reading(engine) as conn:
        assert published_versions(conn, "no-such-tour") is None
