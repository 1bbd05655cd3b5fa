"""What the coordinator's dashboard and calendar read from the guide side: who arrived
on walks that have started, and the guides to filter by.  One statement each."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guides.models import ARRIVED, CheckIn, GuideRecord
from tours.booking.models import CONFIRMED, Booking


def arrived_counts(db_session: Session, departure_ids: Iterable[int]) -> dict[int, int]:
    """``{departure id: people checked in as arrived}`` (a booking's newest mark counts),
    summed in SQL; walks nobody arrived on are absent."""
    wanted = sorted(set(departure_ids))
    if not wanted:
        return {}
    newest = (
        select(func.max(CheckIn.id).label("id"))
        .join(Booking, Booking.id == CheckIn.booking_id)
        .where(Booking.departure_id.in_(wanted))
        .group_by(CheckIn.booking_id)
        .subquery()
    )
    rows = db_session.execute(
        select(Booking.departure_id, func.sum(Booking.party_size))
        .join(CheckIn, CheckIn.booking_id == Booking.id)
        .where(
            CheckIn.id.in_(select(newest.c.id)),
            CheckIn.state == ARRIVED,
            Booking.status == CONFIRMED,
        )
        .group_by(Booking.departure_id)
    )
    return {departure_id: int(people) for departure_id, people in rows}


def guide_roll(db_session: Session) -> list[tuple[str, str]]:
    """Every guide's id and name, by name (no photo or biography is read)."""
    rows = db_session.execute(
        select(GuideRecord.id, GuideRecord.display_name).order_by(
            GuideRecord.display_name, GuideRecord.id
        )
    )
    return [(guide_id, name) for guide_id, name in rows]
