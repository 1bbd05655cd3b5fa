"""A small world for console tests: the sample tours and guides, walks, bookings, accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from guides.accounts import create_account
from guides.assignment import schedule_with_guide
from tours.booking.bookings import Party, book
from tours.booking.departures import DepartureRequest
from webapp import create_app
from webapp.commands.samples import load_sample_guides, load_sample_routes
from webapp.common.database import get_db

PASSWORD = "a walk by the river at noon"
GUIDE_A = "guide-a@example.org"
GUIDE_B = "guide-b@example.org"
ADMIN = "coordinator@example.org"
SLUG = "san-francisco-voices"


@dataclass
class World:
    walk_a: int  # Youssef's walk in Spanish, with two bookings
    walk_b: int  # Aminata's walk in French
    booking_ids: list[int]
    group_request: int = 0  # a pending group request, when a test adds one
    contribution: int = 0  # a pending resident's story, when a test adds one


def build_world(app) -> World:
    load_sample_routes(app)
    load_sample_guides(app)
    db = get_db(app)
    start = datetime.now() + timedelta(days=3)
    start = start.replace(hour=11, minute=0, second=0, microsecond=0)
    with db.transaction(write_lock=True) as db_session:
        (walk_a,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, start, "es", 12, guide_id="youssef")
        )
        (walk_b,) = schedule_with_guide(
            db_session,
            DepartureRequest(SLUG, start + timedelta(days=1), "fr", 12, guide_id="aminata"),
        )
        create_account(db_session, GUIDE_A, "guide", guide_id="youssef", password=PASSWORD)
        create_account(db_session, GUIDE_B, "guide", guide_id="aminata", password=PASSWORD)
        create_account(db_session, ADMIN, "coordinator", password=PASSWORD)
        ids = (walk_a.id, walk_b.id)
    bookings = []
    for name, size, phone in (("Ane Visitor", 2, "+34 600 000 001"), ("=HYPERLINK(1)", 1, None)):
        with db.transaction(write_lock=True) as db_session:
            result = book(
                db_session,
                ids[0],
                Party(name, "visitor@example.org", size, "es", phone=phone, notes="Wheelchair"),
            )
            bookings.append(result.booking.id)
    return World(ids[0], ids[1], bookings)


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/console/login", data={"email": email, "password": password})


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def app_with_csrf(database_url: str, tmp_path):
    """An app with CSRF protection on, as in production (the ``app`` fixture turns it off)."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "RATELIMIT_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path),
        }
    )


def form_token(client, url: str) -> str:
    """The CSRF token of the form ``url`` shows."""
    return CSRF_FIELD.search(client.get(url).get_data(as_text=True))[1]


def log_in_with_token(client, email: str, password: str = PASSWORD):
    """Log in through the login form, its CSRF token included."""
    token = form_token(client, "/console/login")
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/console/login", data=data)
