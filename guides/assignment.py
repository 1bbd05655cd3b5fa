"""Giving departures their guide: only a guide who speaks the departure's language.

The command line and the coordinator pages both schedule and assign through these
functions, so the rule holds whichever way a departure is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from guides.models import GuideRecord
from guides.profiles import GuideError, GuideProfile, get_guide, profile_of
from tours.booking import departures as deps
from tours.booking.models import Departure
from tours.i18n import normalize_tag


def check_speaks(guide: GuideProfile, language: str) -> None:
    if not guide.speaks(language):
        spoken = ", ".join(guide.language_tags)
        raise GuideError(
            f"{guide.display_name} ({guide.id}) does not guide in {language!r} (only in "
            f"{spoken}); choose a guide who speaks the session's language."
        )


def schedule_with_guide(
    db_session: Session,
    request: deps.DepartureRequest,
    *,
    dates: Sequence[date] | None = None,
    now: datetime | None = None,
) -> list[Departure]:
    """``tours.booking.departures.schedule``, refusing a guide who does not speak the language."""
    if request.guide_id:
        check_speaks(get_guide(db_session, request.guide_id), request.language)
    return deps.schedule(db_session, request, dates=dates, now=now)


def assign_guide(db_session: Session, departure_id: int, guide_id: str | None) -> Departure:
    """Give a departure its guide (or none with ``None``)."""
    departure = deps.get_departure(db_session, departure_id, lock=True)
    if guide_id:
        check_speaks(get_guide(db_session, guide_id), departure.language)
    departure.guide_id = guide_id or None
    db_session.flush()
    return departure


def guides_for_language(db_session: Session, language: str) -> list[GuideProfile]:
    """Every guide who speaks ``language``, by name: the choices a coordinator is offered."""
    normalize_tag(language)
    records = db_session.scalars(select(GuideRecord).order_by(GuideRecord.display_name))
    return [guide for guide in map(profile_of, records) if guide.speaks(language)]
