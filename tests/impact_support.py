"""A year of walks for the impact report's tests: walks, bookings, check-ins, waiting lists,
feedback and debriefs inserted as rows (the sample tours and guides stored first), and the
same rows kept as plain Python so tests count them their own way."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from guides.accounts import create_account
from guides.models import ARRIVED, NO_SHOW, CheckIn, Debrief
from tours.booking.models import (
    CANCELLED,
    CLAIMED,
    CONFIRMED,
    DECLINED,
    EXPIRED,
    SCHEDULED,
    WAITING,
    Booking,
    Departure,
    WaitlistEntry,
    WalkFeedback,
)
from tours.tour.models import TourRecord
from webapp.commands.samples import load_sample_guides, load_sample_routes
from webapp.common.database import get_db

PASSWORD = "a walk by the river at noon"
COORDINATOR = "coordinator@example.org"
GUIDE_EMAIL = "guide-a@example.org"
YEAR = 2025
#: The report's "now": walks after it in December are not held yet.
NOW = datetime(YEAR, 12, 20, tzinfo=UTC)
DISTRICTS = {
    "bilbao-la-vieja-crossings": "Bilbao La Vieja",
    "san-francisco-voices": "San Francisco",
    "zabala-kitchens-and-workshops": "Zabala",
}
GUIDES = ("youssef", "aminata", "mariela", "ionela", None)
WALK_LANGUAGES = ("es", "eu", "en", "fr")
BOOKER_LANGUAGES = ("es", "eu", "en", "fr", "ar")


@dataclass
class Year:
    walks: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    check_ins: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    debriefs: list[dict[str, Any]] = field(default_factory=list)
    slugs: dict[int, str] = field(default_factory=dict)  # tour id -> slug


def build_year(app, walks_per_month: int = 12, seed: int = 25) -> Year:
    """The sample tours and guides, then ``insert_year``."""
    load_sample_routes(app)
    load_sample_guides(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        return insert_year(db_session, walks_per_month, seed)


def insert_year(db_session: Session, walks_per_month: int = 12, seed: int = 25) -> Year:
    """About 150 walks from December of the year before to January after, a coordinator
    and a guide account (Youssef's); the sample tours and guides must be stored."""
    rng = random.Random(seed)
    year = Year()
    create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
    create_account(db_session, GUIDE_EMAIL, "guide", guide_id="youssef", password=PASSWORD)
    year.slugs = dict(db_session.execute(select(TourRecord.id, TourRecord.slug)).all())
    tour_ids = sorted(year.slugs)
    months = [(YEAR - 1, 12)] + [(YEAR, m) for m in range(1, 13)] + [(YEAR + 1, 1)]
    walk_id = booking_id = 0
    for y, m in months:
        for n in range(walks_per_month):
            walk_id += 1
            capacity = rng.choice((8, 10, 12))
            walk = {
                "id": walk_id,
                "tour_id": tour_ids[n % len(tour_ids)],
                # the first walk of a month at 00:30 UTC on the 1st: month edges
                "starts_at": datetime(y, m, 1 + (n * 2) % 28, 0 if n == 0 else 10, 30, tzinfo=UTC),
                "timezone": "Europe/Madrid",
                "language": WALK_LANGUAGES[rng.randrange(4)],
                "capacity": capacity,
                "guide_id": GUIDES[rng.randrange(5)],
                "status": CANCELLED if rng.random() < 0.08 else SCHEDULED,
                "private": rng.random() < 0.1,
                "meeting_name": {"es": "Plaza"},
                "meeting_lon": -2.93,
                "meeting_lat": 43.25,
                "seats_held": 0,
            }
            seats = 0
            for _ in range(rng.randrange(0, 5)):
                size = rng.randint(1, 4)
                booking_id += 1
                status = CONFIRMED
                if seats + size > capacity or rng.random() < 0.1:
                    status = CANCELLED
                else:
                    seats += size
                booking = {
                    "id": booking_id,
                    "reference": f"R{booking_id:06d}",
                    "departure_id": walk_id,
                    "party_size": size,
                    "status": status,
                    "language": BOOKER_LANGUAGES[rng.randrange(5)],
                    "name": f"Walker {booking_id}",
                    "email": f"walker{booking_id}@example.org",
                }
                year.bookings.append(booking)
                _marks(rng, year, booking)
                _feedback(rng, year, booking)
            if rng.random() < 0.2:  # a full walk with people waiting
                booking_id += 1
                rest = capacity - seats
                if rest:
                    year.bookings.append(
                        {
                            "id": booking_id,
                            "reference": f"R{booking_id:06d}",
                            "departure_id": walk_id,
                            "party_size": rest,
                            "status": CONFIRMED,
                            "language": "es",
                            "name": "Full party",
                            "email": "full@example.org",
                        }
                    )
                    _marks(rng, year, year.bookings[-1])
                    seats = capacity
                for status in (WAITING, EXPIRED, DECLINED, CLAIMED):
                    year.waiting.append(
                        {
                            "departure_id": walk_id,
                            "party_size": rng.randint(1, 3),
                            "status": status,
                            "language": "en",
                            "name": "Waiting",
                            "booking_id": None,
                        }
                    )
            walk["seats_taken"] = seats
            year.walks.append(walk)
            if walk["status"] == SCHEDULED and rng.random() < 0.6:
                year.debriefs.append(
                    {
                        "departure_id": walk_id,
                        "guide_id": walk["guide_id"],
                        "headcount": rng.randint(0, 12),
                        "rating": rng.randint(1, 5),
                        "notes": "Fine",
                        "incidents": "Rain" if rng.random() < 0.2 else "",
                        "route_change_needed": rng.random() < 0.15,
                        "route_change": "",
                    }
                )
    db_session.execute(insert(Departure), year.walks)
    db_session.execute(insert(Booking), year.bookings)
    db_session.execute(insert(CheckIn), year.check_ins)
    db_session.execute(insert(WaitlistEntry), year.waiting)
    db_session.execute(insert(WalkFeedback), year.feedback)
    db_session.execute(insert(Debrief), year.debriefs)
    return year


def _marks(rng: random.Random, year: Year, booking: dict[str, Any]) -> None:
    """No mark, one, or a mistake corrected (the newest counts)."""
    choice = rng.random()
    states = (
        []
        if choice < 0.2
        else [ARRIVED]
        if choice < 0.7
        else [NO_SHOW]
        if choice < 0.85
        else [NO_SHOW, ARRIVED]
    )
    for state in states:
        year.check_ins.append(
            {
                "booking_id": booking["id"],
                "state": state,
                "idempotency_key": f"k{len(year.check_ins)}",
            }
        )


def _feedback(rng: random.Random, year: Year, booking: dict[str, Any]) -> None:
    if rng.random() < 0.3:
        return
    answered = rng.random() < 0.6
    consent = answered and rng.random() < 0.5
    year.feedback.append(
        {
            "booking_id": booking["id"],
            "departure_id": booking["departure_id"],
            "answered_at": datetime(YEAR, 6, 1, tzinfo=UTC) + timedelta(minutes=booking["id"])
            if answered
            else None,
            "rating": rng.randint(1, 5) if answered else None,
            "recommend": rng.choice((True, True, False, None)) if answered else None,
            "learned": f"I learned thing {booking['id']}" if answered else None,
            "followed_language": "es",
            "quote_consent": consent,
            "credit": rng.choice(("full", "first", "chosen", "anonymous")) if consent else None,
            "credit_name": f"Credit {booking['id']}" if consent else None,
        }
    )
