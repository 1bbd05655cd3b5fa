"""Giving departures their guide: only a guide who speaks the departure's language, is
free (``guides.clashes``) and available (``guides.availability``); and a guide giving a
walk back (withdrawing from it).

The command line and the coordinator pages both schedule and assign through these
functions, so the rules hold whichever way a departure is made.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from guides.availability import refuse_unavailable, unavailability
from guides.clashes import Durations, Span, guide_clashes, refuse_clashes
from guides.models import AuditEntry, GuideRecord
from guides.profiles import GuideError, GuideProfile, get_guide, profile_of
from tours.booking import departures as deps
from tours.booking.models import Departure
from tours.db import utcnow
from tours.i18n import normalize_tag
from tours.tour.models import TourRecord
from tours.tour.store import get_tour

# The audit action of a guide withdrawing from a walk (``webapp.actions.departures``).
WITHDRAW_ACTION = "departure.withdraw"


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
    """``tours.booking.departures.schedule``, refusing a guide who does not speak the
    language (``GuideError``), leads another walk then (``GuideClash``) or said they cannot
    guide then (``GuideUnavailable``); nothing is scheduled when one walk is refused."""
    guide = get_guide(db_session, request.guide_id) if request.guide_id else None
    if guide is not None:
        check_speaks(guide, request.language)
    created = deps.schedule(db_session, request, dates=dates, now=now)
    if guide is not None:
        try:
            refuse_conflicts(db_session, guide, created)
        except GuideError:
            for departure in created:
                db_session.delete(departure)
            db_session.flush()
            raise
    return created


def refuse_conflicts(db_session: Session, guide: GuideProfile, departures: Sequence[Departure]):
    """Raise ``GuideClash`` or ``GuideUnavailable`` when ``guide`` cannot lead one of these."""
    # The guide's row is locked (PostgreSQL; SQLite's write lock already serialises writers)
    # so that two coordinators giving the same guide two overlapping walks at the same
    # moment cannot both pass the check: the second waits, then sees the first's walk.
    db_session.execute(
        select(GuideRecord.id).where(GuideRecord.id == guide.id).with_for_update()
    ).all()
    durations = Durations(db_session)
    refuse_clashes(db_session, guide, departures, durations)
    for departure in departures:
        zone = deps.tour_zone(departure.timezone)
        refuse_unavailable(db_session, guide, [durations.span(departure)], zone)


def assign_guide(db_session: Session, departure_id: int, guide_id: str | None) -> Departure:
    """Give a departure its guide (or none with ``None``), refused as ``schedule_with_guide``
    refuses; giving it the guide it has changes nothing and is never refused."""
    departure = deps.get_departure(db_session, departure_id, lock=True)
    if guide_id:
        guide = get_guide(db_session, guide_id)
        check_speaks(guide, departure.language)
        if guide_id != departure.guide_id:
            refuse_conflicts(db_session, guide, [departure])
    departure.guide_id = guide_id or None
    db_session.flush()
    return departure


def leads_tour(db_session: Session, guide_id: str, tour_id: int) -> bool:
    """True when the tour is one of those the guide's profile says they lead."""
    slug = db_session.scalar(select(TourRecord.slug).where(TourRecord.id == tour_id))
    return slug in get_guide(db_session, guide_id).tours


def guides_for_language(db_session: Session, language: str) -> list[GuideProfile]:
    """Every guide who speaks ``language``, by name: the choices a coordinator is offered."""
    normalize_tag(language)
    records = db_session.scalars(select(GuideRecord).order_by(GuideRecord.display_name))
    return [guide for guide in map(profile_of, records) if guide.speaks(language)]


@dataclass(frozen=True)
class Offer:
    """A guide who could lead a walk: speaks its language, is free and available then."""

    guide: GuideProfile
    leads_tour: bool  # False: the tour is not among theirs (allowed, with a warning)


def offered_guides(
    db_session: Session,
    slug: str,
    language: str,
    spans: Sequence[Span],
    zone: ZoneInfo,
    *,
    ignore: Collection[int] = (),
) -> list[Offer]:
    """The guides a coordinator is offered for walks of ``slug`` at ``spans``, by name."""
    durations = Durations(db_session)
    offers = []
    for guide in guides_for_language(db_session, language):
        if any(unavailability(db_session, guide.id, span, zone) for span in spans):
            continue
        if any(
            guide_clashes(db_session, guide.id, span, ignore=ignore, durations=durations)
            for span in spans
        ):
            continue
        offers.append(Offer(guide, slug in guide.tours))
    return offers


def offers_for_departure(db_session: Session, departure: Departure) -> list[Offer]:
    """The guides who could lead ``departure`` instead of its own (who is never offered)."""
    span = Durations(db_session).span(departure)
    slug = db_session.scalar(select(TourRecord.slug).where(TourRecord.id == departure.tour_id))
    offers = offered_guides(
        db_session,
        slug or "",
        departure.language,
        [span],
        deps.tour_zone(departure.timezone),
        ignore={departure.id},
    )
    return [offer for offer in offers if offer.guide.id != departure.guide_id]


def planned_spans(
    db_session: Session, slug: str, local_start: datetime, dates: Sequence[date] | None = None
) -> tuple[list[Span], ZoneInfo]:
    """When walks of ``slug`` at ``local_start`` (or at that time on ``dates``) would happen,
    before they are scheduled: for the choices of the schedule form."""
    tour = get_tour(db_session, slug).tour
    zone = deps.tour_zone(tour.timezone)
    minutes = tour.duration_minutes
    length = Durations.length(minutes)
    days = list(dates) if dates is not None else [local_start.date()]
    starts = [deps.localize(datetime.combine(day, local_start.time()), zone) for day in days]
    return [Span(start, start + length) for start in starts], zone


# --- withdrawing ------------------------------------------------------------------------


class WithdrawalRefused(GuideError):
    """A walk that cannot be given back now: ``reason`` is ``cancelled`` or ``started``."""

    def __init__(self, reason: str) -> None:
        # GuideError keeps ``reason`` too: set it there, or its default would replace it.
        super().__init__(f"This walk cannot be given back: it has {reason}.", reason)


def withdraw(
    db_session: Session, departure_id: int, guide_id: str, *, now: datetime | None = None
) -> Departure:
    """``guide_id`` gives back a walk they lead: it has no guide any more.

    A walk they do not lead is ``DepartureNotFound``, as if it did not exist.
    """
    departure = deps.get_departure(db_session, departure_id, lock=True)
    if departure.guide_id != guide_id:
        raise deps.DepartureNotFound(departure_id)
    if departure.is_cancelled:
        raise WithdrawalRefused("cancelled")
    if departure.starts_at <= (now or utcnow()):
        raise WithdrawalRefused("started")
    departure.guide_id = None
    db_session.flush()
    return departure


@dataclass(frozen=True)
class Withdrawal:
    """A guide gave back a walk: who, when, why, and whether it still has no guide."""

    departure_id: int
    guide_id: str
    guide_name: str
    reason: str
    at: datetime
    starts_at: datetime  # the walk's start, aware, in its own zone
    slug: str
    guideless: bool
    cancelled: bool


def recent_withdrawals(db_session: Session, since: datetime) -> list[Withdrawal]:
    """Guides' withdrawals recorded at or after ``since``, newest first (for the dashboard)."""
    entries = list(
        db_session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == WITHDRAW_ACTION, AuditEntry.at >= since)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )
    ids = {int(entry.target.partition(":")[2]) for entry in entries}
    walks = {
        departure.id: (departure, slug)
        for departure, slug in db_session.execute(
            select(Departure, TourRecord.slug)
            .join(TourRecord, Departure.tour_id == TourRecord.id)
            .where(Departure.id.in_(ids))
        )
    }
    names = dict(db_session.execute(select(GuideRecord.id, GuideRecord.display_name)).all())
    found = []
    for entry in entries:
        walk = walks.get(int(entry.target.partition(":")[2]))
        if walk is None:
            continue
        departure, slug = walk
        guide_id = str(entry.details.get("guide", ""))
        found.append(
            Withdrawal(
                departure_id=departure.id,
                guide_id=guide_id,
                guide_name=names.get(guide_id, guide_id),
                reason=str(entry.details.get("reason", "")),
                at=entry.at,
                starts_at=departure.starts_at.astimezone(deps.tour_zone(departure.timezone)),
                slug=slug,
                guideless=departure.guide_id is None,
                cancelled=departure.is_cancelled,
            )
        )
    return found
