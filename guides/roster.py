"""What a guide sees of their departures: the list, the roster and the check-ins.

A guide only ever reaches their own departures: ``departure_for`` answers
``DepartureNotFound`` for anyone else's, exactly as for one that does not exist.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guides.models import CHECK_IN_STATES, CheckIn
from tours.booking.agenda import WalkFilter, WalkKey, WalkPage, walks_page
from tours.booking.departures import DepartureNotFound, get_departure, tour_zone
from tours.booking.models import CONFIRMED, Booking, Departure
from tours.db import utcnow
from tours.errors import BideanError
from tours.text import spreadsheet_cell

# A walk stays on the guide's list this long after it started (it is "today's").
STILL_LISTED = timedelta(hours=12)
# A phone keeps a walk's roster for offline use through this many days after the walk's day.
ROSTER_KEPT_DAYS = 1


class CheckInRejected(BideanError):
    """A check-in that cannot be recorded (unknown state, or a booking of another walk)."""


def walks_for(
    db_session: Session,
    guide_id: str,
    *,
    limit: int,
    after: WalkKey | None = None,
    before: WalkKey | None = None,
    now: datetime | None = None,
) -> WalkPage:
    """A page of the guide's walks from today on (those started ``STILL_LISTED`` ago
    too), soonest first, cancelled ones included; paged as ``agenda.walks_page``."""
    since = (now or utcnow()) - STILL_LISTED
    chosen = WalkFilter(guide_id=guide_id)
    return walks_page(db_session, since, chosen, limit=limit, after=after, before=before)


def departure_for(db_session: Session, departure_id: int, guide_id: str | None) -> Departure:
    """The departure, if ``guide_id`` leads it (``None``: a coordinator, who sees all)."""
    departure = get_departure(db_session, departure_id)
    if guide_id is not None and departure.guide_id != guide_id:
        raise DepartureNotFound(departure_id)
    return departure


def roster_kept_until(departure: Departure) -> datetime:
    """When a copy of this departure's roster kept on a phone must go (aware, UTC): at the
    end of the ``ROSTER_KEPT_DAYS``-th day after the walk's day, in the walk's timezone."""
    zone = tour_zone(departure.timezone)
    day = departure.starts_at.astimezone(zone).date() + timedelta(days=ROSTER_KEPT_DAYS + 1)
    return datetime.combine(day, time(), zone).astimezone(UTC)


@dataclass(frozen=True)
class RosterLine:
    booking_id: int
    reference: str
    name: str
    party_size: int
    phone: str | None
    email: str | None
    notes: str | None
    language: str
    state: str | None  # arrived, no_show, or None before check-in


@dataclass(frozen=True)
class Roster:
    lines: list[RosterLine]

    @property
    def expected(self) -> int:
        return sum(line.party_size for line in self.lines)

    @property
    def arrived(self) -> int:
        return sum(line.party_size for line in self.lines if line.state == "arrived")

    @property
    def no_show(self) -> int:
        return sum(line.party_size for line in self.lines if line.state == "no_show")


ROSTER_CSV_HEADER = (
    "reference", "name", "party_size", "phone", "email", "language", "notes", "check_in",
)  # fmt: skip


def roster_csv(listed: Roster) -> bytes:
    """The roster as a CSV file for a spreadsheet: UTF-8 with a byte order mark (without
    one Excel reads it in the machine's code page and mangles accents), no formulas."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ROSTER_CSV_HEADER)
    for line in listed.lines:
        writer.writerow(
            spreadsheet_cell(value)
            for value in (
                line.reference,
                line.name,
                line.party_size,
                line.phone,
                line.email,
                line.language,
                line.notes,
                line.state or "",
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def latest_states(db_session: Session, booking_ids: list[int]) -> dict[int, str]:
    if not booking_ids:
        return {}
    newest = (
        select(CheckIn.booking_id, func.max(CheckIn.id).label("id"))
        .where(CheckIn.booking_id.in_(booking_ids))
        .group_by(CheckIn.booking_id)
        .subquery()
    )
    rows = db_session.execute(
        select(CheckIn.booking_id, CheckIn.state).join(newest, CheckIn.id == newest.c.id)
    )
    return {booking_id: state for booking_id, state in rows}


def roster(db_session: Session, departure_id: int) -> Roster:
    """The confirmed bookings of a departure, by name, with their check-in state."""
    bookings = list(
        db_session.scalars(
            select(Booking)
            .where(Booking.departure_id == departure_id, Booking.status == CONFIRMED)
            .order_by(Booking.name, Booking.id)
        )
    )
    states = latest_states(db_session, [b.id for b in bookings])
    return Roster(
        [
            RosterLine(
                booking_id=b.id,
                reference=b.reference,
                name=b.name or "—",
                party_size=b.party_size,
                phone=b.phone,
                email=b.email,
                notes=b.notes,
                language=b.language,
                state=states.get(b.id),
            )
            for b in bookings
        ]
    )


def _by_key(db_session: Session, key: str) -> CheckIn | None:
    return db_session.scalars(select(CheckIn).where(CheckIn.idempotency_key == key)).one_or_none()


def record_check_in(
    db_session: Session,
    departure_id: int,
    booking_id: int,
    state: str,
    idempotency_key: str,
    user_id: int | None,
) -> tuple[CheckIn, bool]:
    """Record a mark; returns it and whether it is new (False: this key was seen before)."""
    if state not in CHECK_IN_STATES:
        raise CheckInRejected(f"A check-in is one of {', '.join(CHECK_IN_STATES)}.")
    key = (idempotency_key or "").strip()
    if not 8 <= len(key) <= 80:
        raise CheckInRejected("Each check-in needs an idempotency key of 8 to 80 characters.")
    if (earlier := _by_key(db_session, key)) is not None:
        return earlier, False
    booking = db_session.get(Booking, booking_id)
    if booking is None or booking.departure_id != departure_id or booking.status != CONFIRMED:
        raise CheckInRejected(f"Booking {booking_id} is not on this walk's roster.")
    mark = CheckIn(booking_id=booking_id, state=state, idempotency_key=key, user_id=user_id)
    try:
        with db_session.begin_nested():
            db_session.add(mark)
            db_session.flush()
    except IntegrityError:
        # A twin with the same key committed first: that one is the mark.
        if (earlier := _by_key(db_session, key)) is not None:
            return earlier, False
        raise
    return mark, True
