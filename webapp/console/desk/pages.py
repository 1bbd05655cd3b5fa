"""View models of the booking desk: bookings with their walk, walks as list choices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import ngettext
from sqlalchemy.orm import Session

from tours.booking.models import Booking, Departure
from webapp.common.departure_views import (
    DepartureView,
    departure_date,
    departure_time,
    load_departure_views,
)
from webapp.common.i18n import language_name


@dataclass(frozen=True)
class BookingLine:
    """A booking as the desk shows it: the person, the party, and the walk."""

    id: int
    reference: str
    name: str
    email: str
    phone: str
    party_size: int
    status: str
    source: str
    contact_consent: bool
    language: str
    notes: str
    created_at: datetime
    walk: DepartureView


def _views(
    db_session: Session, departures: Iterable[Departure], lang: str
) -> dict[int, DepartureView]:
    unique = {departure.id: departure for departure in departures}
    return {view.id: view for view in load_departure_views(db_session, unique.values(), lang)}


def booking_lines(db_session: Session, bookings: list[Booking], lang: str) -> list[BookingLine]:
    """Each booking with its walk in ``lang`` (one read of the walks' tours for them all)."""
    walks = _views(db_session, (b.departure for b in bookings), lang)
    return [
        BookingLine(
            id=b.id,
            reference=b.reference,
            name=b.name or "",
            email=b.email or "",
            phone=b.phone or "",
            party_size=b.party_size,
            status=b.status,
            source=b.source,
            contact_consent=b.contact_consent,
            language=b.language,
            notes=b.notes or "",
            created_at=b.created_at,
            walk=walks[b.departure_id],
        )
        for b in bookings
    ]


def walk_label(view: DepartureView) -> str:
    """A walk in a list: its tour, date, time, language and the seats left."""
    when = ngettext(
        "%(date)s, %(time)s · %(language)s · %(num)d seat left",
        "%(date)s, %(time)s · %(language)s · %(num)d seats left",
        view.seats_left,
        date=departure_date(view.starts_at),
        time=departure_time(view.starts_at),
        language=language_name(view.language),
    )
    return f"{view.title.text} — {when}"


def walk_choices(
    db_session: Session, departures: Iterable[Departure], lang: str
) -> list[tuple[int, str]]:
    """``(id, label)`` for each walk, soonest first."""
    return [(view.id, walk_label(view)) for view in _views(db_session, departures, lang).values()]
