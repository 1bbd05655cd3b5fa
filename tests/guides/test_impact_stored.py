"""The figures stored per walk for the impact report: used when current, and never once a
booking, check-in or feedback of the walk changed, whatever wrote the change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, text, update

from guides.impact import impact_report, store_walk_figures
from guides.models import ARRIVED, NO_SHOW, CheckIn, WalkBookingFigures
from tests.impact_support import NOW, YEAR, build_year
from tours.booking.impact import ImpactQuery
from tours.booking.models import (
    CANCELLED,
    CONFIRMED,
    SCHEDULED,
    Booking,
    Departure,
    DepartureVersion,
    WalkFeedback,
    WalkRatingFigures,
)
from webapp.actions.impact import store_due_figures
from webapp.common.database import get_db
from webapp.mail import worker

QUERY = ImpactQuery.for_year(YEAR)


def _report(app):
    with get_db(app).transaction() as db_session:
        return impact_report(db_session, QUERY, now=NOW)


def _counted(app):
    """The report counted from the bookings alone: the stored figures set aside, undone."""
    session = get_db(app).sessions()
    try:
        session.execute(update(Departure).values(figures_rolled=None))
        return impact_report(session, QUERY, now=NOW)
    finally:
        session.rollback()
        session.close()


def _versions(app):
    with get_db(app).transaction() as db_session:
        return dict(db_session.execute(select(Departure.id, Departure.figures_version)).all())


def _held_in_the_year(walk):
    return (
        walk["status"] == SCHEDULED and walk["starts_at"].year == YEAR and walk["starts_at"] < NOW
    )


def _a_booking_that_came(year):
    """A confirmed booking on a walk held in the year whose newest check-in says it came."""
    held = {w["id"] for w in year.walks if _held_in_the_year(w)}
    newest = {mark["booking_id"]: mark["state"] for mark in year.check_ins}
    for booking in year.bookings:
        if (
            booking["departure_id"] in held
            and booking["status"] == CONFIRMED
            and newest.get(booking["id"]) == ARRIVED
        ):
            return booking
    raise AssertionError("the year has no such booking")


def test_the_report_sums_the_stored_figures_when_current(app):
    build_year(app)
    counted = _report(app)
    assert store_due_figures(app) > 100
    assert store_due_figures(app) == 0  # nothing stale is left
    with get_db(app).transaction() as db_session:
        assert db_session.scalar(select(func.count(WalkBookingFigures.id))) > 100
        assert db_session.scalar(select(func.count(WalkRatingFigures.id))) > 100
        stale = db_session.scalar(
            select(func.count(Departure.id)).where(
                Departure.status == SCHEDULED,
                (Departure.figures_rolled.is_(None))
                | (Departure.figures_rolled != Departure.figures_version),
            )
        )
        assert stale == 0
    assert _report(app) == counted
    # The report reads them: a stored row changed behind its back shows (no trigger on it).
    with get_db(app).transaction(write_lock=True) as db_session:
        db_session.execute(update(WalkBookingFigures).values(people=WalkBookingFigures.people + 1))
        rows = db_session.scalar(select(func.count(WalkBookingFigures.id)))
        db_session.execute(update(WalkRatingFigures).values(asked=WalkRatingFigures.asked + 1))
        rating_rows = db_session.scalar(select(func.count(WalkRatingFigures.id)))
    tampered = _report(app)
    # (a walk of December 2025 after NOW is stored too, but not held in the report)
    assert 0 < tampered.total.booked - counted.total.booked <= rows
    assert 0 < tampered.feedback.asked - counted.feedback.asked <= rating_rows


def test_every_change_to_a_walk_over_is_counted_after_its_figures_were_stored(app):
    year = build_year(app)
    store_due_figures(app)
    booking = _a_booking_that_came(year)
    walk = booking["departure_id"]
    other = next(w["id"] for w in year.walks if w["id"] != walk and _held_in_the_year(w))
    changes = [
        ("a check-in marked later", insert(CheckIn).values(
            booking_id=booking["id"], state=NO_SHOW, idempotency_key="late-1")),
        ("a check-in corrected", insert(CheckIn).values(
            booking_id=booking["id"], state=ARRIVED, idempotency_key="late-2")),
        ("a party grown", update(Booking).where(Booking.id == booking["id"]).values(
            party_size=Booking.party_size + 3)),
        ("a booking moved", update(Booking).where(Booking.id == booking["id"]).values(
            departure_id=other)),
        ("a booking cancelled", update(Booking).where(Booking.id == booking["id"]).values(
            status=CANCELLED)),
        ("feedback answered", update(WalkFeedback).where(WalkFeedback.departure_id == walk)
            .values(answered_at=NOW, rating=5, recommend=True)),
        ("feedback removed", delete(WalkFeedback).where(WalkFeedback.departure_id == walk)),
        ("a booking removed", delete(Booking).where(Booking.departure_id == walk)),
    ]  # fmt: skip
    for name, statement in changes:
        before = _versions(app)
        stored = _report(app)
        with get_db(app).transaction(write_lock=True) as db_session:
            db_session.execute(statement)
        after = _versions(app)
        assert {w for w in after if after[w] != before[w]} <= {walk, other}, name
        assert after[walk] != before[walk] or after[other] != before[other], name
        changed = _report(app)
        assert changed == _counted(app), name
        assert changed != stored, name  # the change shows
        store_due_figures(app)
        assert _report(app) == changed, name  # stored again, the same figures


def test_a_change_to_a_walk_not_started_bumps_nothing(app):
    build_year(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        future = db_session.scalar(
            select(Departure.id).where(Departure.starts_at > datetime.now(UTC)).limit(1)
        )
        if future is None:  # the sample year is in the past: schedule one walk ahead
            first = db_session.get(Departure, 1)
            future = 10_000
            db_session.execute(
                insert(Departure).values(
                    id=future,
                    tour_id=first.tour_id,
                    starts_at=datetime.now(UTC) + timedelta(days=30),
                    timezone="Europe/Madrid",
                    language="es",
                    capacity=10,
                    meeting_name={"es": "Plaza"},
                    meeting_lon=-2.93,
                    meeting_lat=43.25,
                )
            )
    with get_db(app).transaction(write_lock=True) as db_session:
        db_session.execute(
            insert(Booking).values(
                id=100_000, reference="FUTURE1", departure_id=future, party_size=2,
                status=CONFIRMED, language="es", name="Ahead", email="ahead@example.org",
            )
        )  # fmt: skip
        assert db_session.get(Departure, future).figures_version == 0


def test_the_purge_emptying_contact_data_keeps_the_figures(app):
    build_year(app)
    store_due_figures(app)
    before = _versions(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        db_session.execute(update(Booking).values(name="", email=None))
    assert _versions(app) == before


def test_the_mail_worker_stores_them(app):
    build_year(app)
    with app.app_context():
        worker.run_periodic(app)
    with get_db(app).transaction() as db_session:
        assert store_walk_figures(db_session) == 0
        assert db_session.scalar(select(func.count(WalkBookingFigures.id))) > 100


def test_stored_figures_go_with_their_walk(app):
    build_year(app)
    store_due_figures(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        walk = db_session.scalar(select(WalkBookingFigures.departure_id).limit(1))
        db_session.execute(text("DELETE FROM bookings WHERE departure_id = :walk"), {"walk": walk})
        db_session.execute(delete(Departure).where(Departure.id == walk))
    with get_db(app).transaction() as db_session:
        assert not db_session.scalar(
            select(func.count(WalkBookingFigures.id)).where(WalkBookingFigures.departure_id == walk)
        )


def test_storing_figures_or_bumping_them_leaves_the_tour_pages_walks_alone(app):
    build_year(app)

    def page_versions():
        with get_db(app).transaction() as db_session:
            rows = select(DepartureVersion.tour_id, DepartureVersion.version)
            return dict(db_session.execute(rows).all())

    before = page_versions()
    assert store_due_figures(app) > 100
    with get_db(app).transaction(write_lock=True) as db_session:
        booking = db_session.scalar(select(Booking.id).order_by(Booking.id).limit(1))
        db_session.execute(
            insert(CheckIn).values(booking_id=booking, state=NO_SHOW, idempotency_key="k-page")
        )
    assert page_versions() == before
    with get_db(app).transaction(write_lock=True) as db_session:  # a real change still does
        db_session.execute(update(Departure).where(Departure.id == 1).values(capacity=30))
    assert page_versions() != before
