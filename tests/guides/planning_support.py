"""A small world for the planning rules: two tours in two timezones, three guides."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

from guides.assignment import schedule_with_guide
from guides.profiles import add_guide
from tests.booking_support import SLUG, SessionFactory, store_tour, tour_document
from tours.booking.departures import DepartureRequest
from tours.tour.domain import Tour
from tours.tour.store import save_tour

# A tour in London with no duration of its own: its walks last the default two hours.
LONDON = "london-test"


def london_document() -> dict:
    document = copy.deepcopy(tour_document(LONDON))
    props = document["features"][0]["properties"]
    del props["duration_minutes"]
    props["timezone"] = "Europe/London"
    props["city"] = "London"
    return document


def build(db_transaction: SessionFactory) -> None:
    """The Bilbao test tour (90 minutes), the London one, and Ana, Bea and Carmen.

    Ana and Bea lead the Bilbao tour; Carmen speaks Spanish but leads no tour; Bea also
    speaks English."""
    store_tour(db_transaction)
    with db_transaction() as db_session:
        save_tour(db_session, Tour.from_document(london_document()), "test")
        add_guide(db_session, "ana", "Ana", "es:native", tours=[SLUG, LONDON])
        add_guide(db_session, "bea", "Bea", "es:native,en:fluent", tours=[SLUG])
        add_guide(db_session, "carmen", "Carmen", "es:fluent")


def day(ahead: int = 40) -> date:
    return (datetime.now(UTC) + timedelta(days=ahead)).date()


def walk(
    db_transaction: SessionFactory,
    at: datetime,
    *,
    guide: str | None = None,
    slug: str = SLUG,
    language: str = "es",
) -> int:
    """Schedule one walk at ``at`` (wall time in the tour's zone); its id."""
    with db_transaction() as db_session:
        (departure,) = schedule_with_guide(
            db_session, DepartureRequest(slug, at, language, 10, guide_id=guide)
        )
        return departure.id


def at(hour: int, minute: int = 0, ahead: int = 40) -> datetime:
    return datetime.combine(day(ahead), datetime.min.time()).replace(hour=hour, minute=minute)
