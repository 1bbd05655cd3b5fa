"""Helpers shared by the booking tests: a small real tour, departures, the invariant."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tours.booking.bookings import Party, invariant_problems
from tours.booking.departures import DepartureRequest, schedule
from tours.booking.models import Departure
from tours.tour.domain import Tour
from tours.tour.store import save_tour
from webapp.actions import links
from webapp.mail import worker

SessionFactory = Callable[..., AbstractContextManager[Session]]

SLUG = "zabala-test"


def tour_document(slug: str = SLUG) -> dict[str, Any]:
    """A two-stop tour in Bilbao, in the profile's normalised form."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[-2.9300, 43.2560], [-2.9280, 43.2550], [-2.9260, 43.2540]],
                },
                "properties": {
                    "profile": "bidean-tour/1",
                    "slug": slug,
                    "title": {
                        "es": "Paseo por Zabala",
                        "eu": "Zabalako ibilbidea",
                        "en": "Zabala walk",
                    },
                    "summary": {"es": "Historias del barrio.", "en": "Stories of the district."},
                    "city": "Bilbao",
                    "timezone": "Europe/Madrid",
                    "districts": ["Zabala"],
                    "languages": ["es", "eu", "en"],
                    "duration_minutes": 90,
                    "licence": "CC-BY-SA-4.0",
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-2.9300, 43.2560]},
                "properties": {
                    "id": "plaza",
                    "name": {
                        "es": "Plaza de Zabalburu",
                        "eu": "Zabalburu plaza",
                        "en": "Zabalburu Square",
                    },
                    "story": {"es": "Aquí empieza.", "en": "It starts here."},
                    "order": 1,
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-2.9260, 43.2540]},
                "properties": {
                    "id": "mercado",
                    "name": {"es": "Mercado", "en": "Market"},
                    "story": {"es": "Aquí acaba.", "en": "It ends here."},
                    "order": 2,
                },
            },
        ],
    }


def store_tour(db_transaction: SessionFactory, slug: str = SLUG) -> None:
    with db_transaction() as db_session:
        save_tour(db_session, Tour.from_document(tour_document(slug)), "test")


def add_departure(
    db_transaction: SessionFactory,
    *,
    slug: str = SLUG,
    capacity: int = 15,
    days_ahead: int = 10,
    hour: int = 11,
    language: str = "es",
    max_party: int = 8,
) -> int:
    """Schedule one departure ``days_ahead`` days from now at ``hour``:00 Bilbao time."""
    day = (datetime.now(UTC) + timedelta(days=days_ahead)).date()
    request = DepartureRequest(
        slug=slug,
        local_start=datetime(day.year, day.month, day.day, hour, 0),
        language=language,
        capacity=capacity,
        max_party=max_party,
    )
    with db_transaction() as db_session:
        (departure,) = schedule(db_session, request)
        return departure.id


def party(size: int = 1, n: int = 0, language: str = "es") -> Party:
    return Party(
        name=f"Visitor {n}", email=f"visitor{n}@example.org", party_size=size, language=language
    )


def assert_invariant(db_transaction: SessionFactory) -> None:
    with db_transaction() as db_session:
        problems = invariant_problems(db_session)
    assert problems == [], problems


def departure_row(db_transaction: SessionFactory, departure_id: int) -> Departure:
    with db_transaction() as db_session:
        departure = db_session.get(Departure, departure_id)
        assert departure is not None
        return departure


def drain_mail(app: Any) -> list[worker.Outcome]:
    """Run the mail worker until the outbox has nothing due (requests only queue mail)."""
    return worker.drain(app)


# --- signed links ------------------------------------------------------------------------
# A signed link carries the second it was signed in: two links to the same booking, signed
# on either side of a second's turn, differ.  Tests compare what links stand for.


def manage_reference(app: Any, url: str) -> str:
    """The booking reference a manage (or confirmation) link stands for."""
    found = re.search(r"/bookings/([^/?#\s]+)", url)
    assert found, url
    with app.app_context():
        return links.read_manage_token(found.group(1))


def leave_entry(app: Any, url: str) -> int:
    """The waiting-list entry a leave link stands for."""
    found = re.search(r"/waitlist/([^/?#\s]+)/leave", url)
    assert found, url
    with app.app_context():
        return links.read_leave_token(found.group(1))
