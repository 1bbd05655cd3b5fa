"""Who is asked for feedback after a walk, when, and only once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from guides.audit import Actor
from guides.models import AuditEntry
from tests.webapp.feedback.support import (
    asked_bookings,
    check_in,
    email_text,
    ended_walk,
    feedback_mails,
)
from tours.booking.models import Booking, Departure, WalkFeedback
from webapp.actions import feedback
from webapp.actions.booking import cancel_booking
from webapp.actions.departures import cancel_departure
from webapp.common.database import get_db
from webapp.mail import worker

ACTOR = Actor("test")
AFTER = timedelta(minutes=60)  # FEEDBACK_AFTER_MINUTES's default


def _ask(app, now):
    with app.app_context():
        return feedback.ask_due(app, ACTOR, now=now)


def test_checked_in_walkers_are_asked_once_in_their_language(app, db_transaction):
    walk = ended_walk(app, db_transaction, names=("Amaia", "Brahim", "Chloe"))
    check_in(db_transaction, walk.bookings["Amaia"], "arrived")
    check_in(db_transaction, walk.bookings["Brahim"], "arrived", "no_show")  # newest counts
    check_in(db_transaction, walk.bookings["Chloe"], "no_show", "arrived")
    ids = _ask(app, walk.ends_at + AFTER)
    assert len(ids) == 2
    assert asked_bookings(app) == {walk.bookings["Amaia"], walk.bookings["Chloe"]}
    mails = feedback_mails(app)
    assert sorted(m.recipient for m in mails) == ["amaia@example.org", "chloe@example.org"]
    assert all(m.departure_id == walk.departure_id for m in mails)
    text = email_text(mails[0].raw)
    assert "/feedback/" in text and "/opt-out" in text
    assert "Content-Language: fr" in mails[0].raw.decode()
    # Asked once: the command, the worker or a second run finds nobody new.
    assert _ask(app, walk.ends_at + AFTER + timedelta(hours=2)) == []
    assert len(feedback_mails(app)) == 2
    with get_db(app).transaction() as db_session:
        audit = db_session.scalars(select(AuditEntry)).all()
    assert [(a.action, a.target, a.details) for a in audit] == [
        ("feedback.ask", f"departure:{walk.departure_id}", {"asked": 2})
    ]


def test_nobody_is_asked_before_the_walk_has_ended_by_the_tours_duration(app, db_transaction):
    walk = ended_walk(app, db_transaction)
    check_in(db_transaction, walk.bookings["Amaia"], "arrived")
    # Started two hours ago, but the tour lasts 90 minutes and the delay is an hour.
    assert _ask(app, walk.starts_at + timedelta(hours=2)) == []
    assert _ask(app, walk.ends_at + AFTER - timedelta(minutes=1)) == []
    assert asked_bookings(app) == set()
    assert len(_ask(app, walk.ends_at + AFTER)) == 1
    # A walk that ended long ago is never asked about (switching the feature on).
    other = ended_walk(app, db_transaction, names=("Dora",), store=False, hour=15)
    check_in(db_transaction, other.bookings["Dora"], "arrived")
    assert _ask(app, other.ends_at + AFTER + feedback.ASK_WITHIN + timedelta(hours=1)) == []


def test_walks_without_check_ins_only_with_the_setting(app, db_transaction):
    walk = ended_walk(app, db_transaction)
    now = walk.ends_at + AFTER
    assert _ask(app, now) == []
    app.config["FEEDBACK_UNCHECKED"] = True
    assert len(_ask(app, now)) == 2
    assert asked_bookings(app) == set(walk.bookings.values())


def test_with_check_ins_the_unchecked_setting_still_skips_no_shows(app, db_transaction):
    app.config["FEEDBACK_UNCHECKED"] = True
    walk = ended_walk(app, db_transaction)
    check_in(db_transaction, walk.bookings["Amaia"], "arrived")
    assert len(_ask(app, walk.ends_at + AFTER)) == 1
    assert asked_bookings(app) == {walk.bookings["Amaia"]}


def test_cancelled_walks_and_cancelled_bookings_are_never_asked(app, db_transaction):
    walk = ended_walk(app, db_transaction, names=("Amaia", "Brahim"))
    for booking_id in walk.bookings.values():
        check_in(db_transaction, booking_id, "arrived")
    with db_transaction() as db_session:
        reference = db_session.get(Booking, walk.bookings["Brahim"]).reference
    with app.app_context(), get_db(app).transaction() as db_session:
        cancel_booking(db_session, ACTOR, reference)
    assert len(_ask(app, walk.ends_at + AFTER)) == 1
    assert asked_bookings(app) == {walk.bookings["Amaia"]}

    other = ended_walk(app, db_transaction, names=("Dora",), store=False, hour=15)
    check_in(db_transaction, other.bookings["Dora"], "arrived")
    with app.app_context(), get_db(app).transaction() as db_session:
        cancel_departure(db_session, ACTOR, other.departure_id)
    assert _ask(app, other.ends_at + AFTER) == []
    assert walk.bookings["Amaia"] in asked_bookings(app)
    assert other.bookings["Dora"] not in asked_bookings(app)


def test_the_setting_off_asks_nobody(app, db_transaction):
    app.config["FEEDBACK"] = False
    walk = ended_walk(app, db_transaction)
    check_in(db_transaction, walk.bookings["Amaia"], "arrived")
    assert _ask(app, walk.ends_at + AFTER) == []
    assert asked_bookings(app) == set() and feedback_mails(app) == []


def test_desk_bookings_without_consent_and_opted_out_addresses_are_not_asked(app, db_transaction):
    first = ended_walk(app, db_transaction, names=("Amaia",))
    check_in(db_transaction, first.bookings["Amaia"], "arrived")
    _ask(app, first.ends_at + AFTER)
    with db_transaction() as db_session:
        row = db_session.scalars(select(WalkFeedback)).one()
    with app.app_context(), get_db(app).transaction() as db_session:
        assert feedback.opt_out(db_session, ACTOR, row.id) is True
    # A later walk: Amaia again (opted out, another case), and a desk booking without consent.
    later = ended_walk(app, db_transaction, names=("AMAIA", "Eneko"), store=False, hour=15)
    with db_transaction() as db_session:
        desk = db_session.get(Booking, later.bookings["Eneko"])
        desk.source = "phone"
        desk.contact_consent = False
    for booking_id in later.bookings.values():
        check_in(db_transaction, booking_id, "arrived")
    assert _ask(app, later.ends_at + AFTER) == []
    with db_transaction() as db_session:
        db_session.get(Booking, later.bookings["Eneko"]).contact_consent = True
    assert len(_ask(app, later.ends_at + AFTER)) == 1
    assert later.bookings["AMAIA"] not in asked_bookings(app)


def test_the_command_asks_and_is_idempotent(app, db_transaction, runner, monkeypatch):
    walk = ended_walk(app, db_transaction)
    check_in(db_transaction, walk.bookings["Amaia"], "arrived")
    monkeypatch.setattr(feedback, "utcnow", lambda: walk.ends_at + AFTER)
    result = runner.invoke(args=["feedback", "ask"])
    assert result.exit_code == 0, result.output
    assert "1 booking asked for feedback" in result.output
    again = runner.invoke(args=["feedback", "ask"])
    assert "0 bookings asked" in again.output
    assert len(feedback_mails(app)) == 1


def test_the_mail_workers_periodic_task_asks_too(app, db_transaction, monkeypatch):
    walk = ended_walk(app, db_transaction)
    check_in(db_transaction, walk.bookings["Brahim"], "arrived")
    monkeypatch.setattr(feedback, "utcnow", lambda: walk.ends_at + AFTER)
    assert feedback._ask_from_worker in worker.PERIODIC
    worker.run_periodic(app)
    assert asked_bookings(app) == {walk.bookings["Brahim"]}


def test_private_walks_are_not_asked(app, db_transaction):
    walk = ended_walk(app, db_transaction)
    check_in(db_transaction, walk.bookings["Amaia"], "arrived")
    with db_transaction() as db_session:
        db_session.get(Departure, walk.departure_id).private = True
    assert _ask(app, walk.ends_at + AFTER) == []
    assert asked_bookings(app) == set()
