"""Walkers' feedback: asking each booking once after its walk, the answer, the opt-out.

Who is asked (``due_bookings``), once the walk has ended (its start plus the tour's
duration, ``guides.clashes.Durations``) and ``FEEDBACK_AFTER_MINUTES`` more, up to
``ASK_WITHIN`` after that end (switching the feature on never mails last year's walkers):

- confirmed bookings of scheduled public walks, with an address and not yet purged;
- whose newest check-in mark is "arrived", or, with ``FEEDBACK_UNCHECKED``, of a walk
  nobody was checked in on at all (the guide kept no roster);
- not taken at the desk without the person's agreement to be contacted;
- not of an address that opted out before (compared without case, over the bookings the
  purge has not emptied yet: Bidean keeps no list of addresses beyond that);
- never a second time: a ``WalkFeedback`` row (``asked_at``) means asked.

Private walks (a group's own) are not asked: their contact deals with a coordinator, who
asks the group in person.  ``ask_walk`` does one walk in one transaction, its row locked,
so the command and the mail worker running at once cannot ask the same booking twice.
Audit records name the walk or the feedback row and counts, never a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from guides.clashes import LONGEST_WALK, Durations
from guides.models import ARRIVED
from guides.roster import latest_states
from tours.booking import departures as deps
from tours.booking.models import (
    CONFIRMED,
    DESK_SOURCES,
    SCHEDULED,
    Booking,
    Departure,
    WalkFeedback,
)
from tours.db import utcnow
from webapp.actions.links import feedback_opt_out_token, feedback_token
from webapp.common.database import get_db
from webapp.common.departure_views import DepartureView, load_departure_view
from webapp.mail import messages as mail
from webapp.mail import worker

KIND = "feedback_request"
mail.register_subjects({KIND: lazy_gettext("How was your walk? %(tour)s")})

ASK_WITHIN = timedelta(days=14)  # walks that ended longer ago are never asked about
LEARNED_MAX = 2000  # characters of "what did you learn"
CREDITS = ("full", "first", "chosen", "anonymous")


class FeedbackClosed(Exception):
    """The answer cannot be taken: already answered (``answered``) or opted out."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Answer:
    rating: int
    recommend: bool
    learned: str | None
    followed_language: str
    quote_consent: bool
    credit: str | None  # one of CREDITS when quote_consent
    chosen_name: str | None  # when credit is "chosen"


def _opted_out_addresses(db_session: Session) -> set[str]:
    rows = db_session.scalars(
        select(func.lower(Booking.email))
        .join(WalkFeedback, WalkFeedback.booking_id == Booking.id)
        .where(WalkFeedback.opted_out_at.is_not(None), Booking.email.is_not(None))
    )
    return {address for address in rows if address}


def due_walks(db_session: Session, config: Mapping[str, Any], now: datetime) -> list[int]:
    """The walks whose end (plus the delay) has passed and whose bookers may be asked."""
    after = timedelta(minutes=int(config["FEEDBACK_AFTER_MINUTES"]))
    walks = db_session.scalars(
        select(Departure)
        .where(
            Departure.status == SCHEDULED,
            Departure.private.is_(False),
            Departure.starts_at <= now - after,
            Departure.starts_at >= now - after - ASK_WITHIN - LONGEST_WALK,
        )
        .order_by(Departure.starts_at, Departure.id)
    ).all()
    durations = Durations(db_session)
    due = []
    for walk in walks:
        ends_at = durations.span(walk).ends_at
        if ends_at + after <= now and ends_at + after + ASK_WITHIN >= now:
            due.append(walk.id)
    return due


def due_bookings(
    db_session: Session, departure_id: int, config: Mapping[str, Any]
) -> list[Booking]:
    """The bookings of one (due) walk to ask now, by the rules of this module's docstring."""
    bookings = db_session.scalars(
        select(Booking)
        .outerjoin(WalkFeedback, WalkFeedback.booking_id == Booking.id)
        .where(
            Booking.departure_id == departure_id,
            Booking.status == CONFIRMED,
            Booking.email.is_not(None),
            Booking.email != "",
            Booking.purged_at.is_(None),
            WalkFeedback.id.is_(None),
        )
        .order_by(Booking.id)
    ).all()
    bookings = [b for b in bookings if b.source not in DESK_SOURCES or b.contact_consent]
    if not bookings:
        return []
    states = latest_states(db_session, [b.id for b in bookings])
    walk_checked = bool(states) or _walk_has_check_ins(db_session, departure_id)
    opted_out = _opted_out_addresses(db_session)

    def wanted(booking: Booking) -> bool:
        if (booking.email or "").lower() in opted_out:
            return False
        if walk_checked:
            return states.get(booking.id) == ARRIVED
        return bool(config["FEEDBACK_UNCHECKED"])

    return [b for b in bookings if wanted(b)]


def _walk_has_check_ins(db_session: Session, departure_id: int) -> bool:
    """Whether any booking of the walk (asked already, say) has a check-in mark."""
    ids = list(db_session.scalars(select(Booking.id).where(Booking.departure_id == departure_id)))
    return bool(latest_states(db_session, ids))


def ask_walk(
    db_session: Session,
    actor: Actor,
    departure_id: int,
    config: Mapping[str, Any],
    now: datetime | None = None,
) -> list[int]:
    """Ask every due booking of one walk, in this transaction; the outbox ids recorded."""
    now = now or utcnow()
    departure = deps.get_departure(db_session, departure_id, lock=True)
    if departure.is_cancelled or departure.private:
        return []
    bookings = due_bookings(db_session, departure_id, config)
    views: dict[str, Any] = {}
    ids = []
    for booking in bookings:
        row = WalkFeedback(booking_id=booking.id, departure_id=departure_id, asked_at=now)
        db_session.add(row)
        db_session.flush()
        if booking.language not in views:
            views[booking.language] = load_departure_view(db_session, departure, booking.language)
        view = views[booking.language]
        context = {
            "booking": booking,
            "departure": view,
            "form_url": mail.external_url("feedback.form", token=feedback_token(row.id)),
            "opt_out_url": mail.external_url(
                "feedback.opt_out", token=feedback_opt_out_token(row.id)
            ),
            "subject_args": {"tour": view.title.text},
        }
        message = mail.compose(KIND, booking.email or "", booking.language, context)
        ids.append(mail.record(db_session, KIND, message, departure_id))
    if ids:
        audit.record(db_session, actor, "feedback.ask", f"departure:{departure_id}", asked=len(ids))
    return ids


def ask_due(app: Flask, actor: Actor, now: datetime | None = None) -> list[int]:
    """Ask every due booking, one transaction per walk; the outbox ids of the emails.
    Does nothing when ``FEEDBACK`` is off.  Needs an app context (the emails' templates)."""
    if not app.config["FEEDBACK"]:
        return []
    now = now or utcnow()
    db = get_db(app)
    with db.transaction() as db_session:
        walks = due_walks(db_session, app.config, now)
    asked: list[int] = []
    for departure_id in walks:
        with db.transaction(write_lock=True) as db_session:
            asked += ask_walk(db_session, actor, departure_id, app.config, now)
    return asked


def _ask_from_worker(app: Flask) -> None:
    """The mail worker's periodic task: the emails it records, it then sends."""
    with app.app_context():
        ask_due(app, Actor("worker:feedback"))


worker.register_periodic(_ask_from_worker)


@dataclass(frozen=True)
class FeedbackPage:
    """What the form's page shows: the walk, and whether the answer is still open."""

    feedback_id: int
    state: str  # open, answered, opted_out
    walk_language: str
    departure: DepartureView
    opted_out: bool


def load_feedback_page(db_session: Session, feedback_id: int, lang: str) -> FeedbackPage | None:
    """The page of a feedback row in language ``lang``; None when the row is gone."""
    row = db_session.get(WalkFeedback, feedback_id)
    if row is None:
        return None
    departure = deps.get_departure(db_session, row.departure_id)
    state = "answered" if row.answered_at else "opted_out" if row.opted_out_at else "open"
    view = load_departure_view(db_session, departure, lang)
    return FeedbackPage(row.id, state, departure.language, view, row.opted_out_at is not None)


def credit_name_for(answer: Answer, booking_name: str | None) -> str | None:
    """The name a quote is credited to, fixed now: the purge empties the booking's name."""
    if not answer.quote_consent:
        return None
    name = " ".join((booking_name or "").split())
    if answer.credit == "full":
        return name[:120] or None
    if answer.credit == "first":
        return name.split(" ")[0][:120] if name else None
    if answer.credit == "chosen":
        return (answer.chosen_name or "").strip()[:120] or None
    return None


def answer_feedback(
    db_session: Session, actor: Actor, feedback_id: int, answer: Answer, now: datetime | None = None
) -> WalkFeedback:
    """Store the one answer of a booking; ``FeedbackClosed`` when answered or opted out."""
    row = db_session.scalars(
        select(WalkFeedback).where(WalkFeedback.id == feedback_id).with_for_update()
    ).one()
    if row.answered_at is not None:
        raise FeedbackClosed("answered")
    if row.opted_out_at is not None:
        raise FeedbackClosed("opted_out")
    booking = db_session.get(Booking, row.booking_id)
    row.answered_at = now or utcnow()
    row.rating = answer.rating
    row.recommend = answer.recommend
    row.learned = (answer.learned or "").strip()[:LEARNED_MAX] or None
    row.followed_language = answer.followed_language
    row.quote_consent = answer.quote_consent
    row.credit = answer.credit if answer.quote_consent else None
    row.credit_name = credit_name_for(answer, booking.name if booking else None)
    audit.record(
        db_session,
        actor,
        "feedback.answer",
        f"feedback:{row.id}",
        departure=row.departure_id,
        quote_consent=row.quote_consent,
    )
    return row


def opt_out(
    db_session: Session, actor: Actor, feedback_id: int, now: datetime | None = None
) -> bool:
    """Never ask this booking (nor its address) again; False when it already had opted out."""
    row = db_session.scalars(
        select(WalkFeedback).where(WalkFeedback.id == feedback_id).with_for_update()
    ).one()
    if row.opted_out_at is not None:
        return False
    row.opted_out_at = now or utcnow()
    audit.record(
        db_session, actor, "feedback.opt_out", f"feedback:{row.id}", departure=row.departure_id
    )
    return True
