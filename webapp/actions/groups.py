"""Group request actions: a group asks for a walk of its own; a coordinator accepts it into
a private departure with the group's seats held, declines it, or proposes another date.

Each runs in the caller's one transaction, records its email to the contact in the
outbox (composed now, in the language the contact wrote in) and writes its audit record
(``group_request.add``, ``.accept``, ``.decline``, ``.propose`` on the target
``group_request:<id>``; the details name sizes, tours and walks, never the contact).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from guides import audit
from guides.assignment import offered_guides, planned_spans
from guides.audit import Actor
from tours.booking import bookings as core
from tours.booking import departures as deps
from tours.booking import groups
from tours.booking.bookings import BookingResult, Party
from tours.booking.groups import GroupDetails
from tours.booking.models import Departure, GroupRequest
from tours.errors import TourNotFound
from tours.text import single_line
from webapp.actions import departures as departure_actions
from webapp.actions.links import manage_token
from webapp.common import privacy
from webapp.common.departure_views import load_departure_view
from webapp.common.tourcache import tour_cache
from webapp.mail import messages as mail

GROUP_SUBJECTS = {
    "group_received": lazy_gettext("We received your group request: %(tour)s"),
    "group_accepted": lazy_gettext("Your group's walk is confirmed: %(tour)s on %(date)s"),
    "group_declined": lazy_gettext("About your group request: %(tour)s"),
    "group_proposed": lazy_gettext("Another date for your group: %(tour)s"),
}
mail.register_subjects(GROUP_SUBJECTS)

MAX_REPLY = 2000  # characters of a coordinator's message to the contact


def target(request_id: int) -> str:
    """How the audit log names a group request."""
    return f"group_request:{request_id}"


def submit_group_request(db_session: Session, actor: Actor, details: GroupDetails) -> GroupRequest:
    """Store a group's request and send the contact a receipt."""
    privacy.remember(details.contact_name, details.email, details.phone)
    found = groups.add_request(db_session, details)
    _mail(db_session, "group_received", found)
    audit.record(
        db_session,
        actor,
        "group_request.add",
        target(found.id),
        tour=details.slug,
        group_size=details.group_size,
    )
    return found


def choose_guide(
    db_session: Session, slug: str, language: str, local_start: datetime
) -> str | None:
    """The guide for a group's walk: one the schedule form would offer (speaks
    ``language``, no other walk then, not marked unavailable); those who lead the tour
    first, then by name.  None when nobody is free."""
    spans, zone = planned_spans(db_session, slug, local_start)
    offers = offered_guides(db_session, slug, language, spans, zone)
    offers.sort(key=lambda offer: not offer.leads_tour)  # stable: by name within each
    return offers[0].guide.id if offers else None


@dataclass(frozen=True)
class GroupAccepted:
    group_request: GroupRequest
    departure: Departure
    booking: BookingResult
    guide_id: str | None  # None when no guide who speaks the language was free


def accept_group_request(
    db_session: Session, actor: Actor, request_id: int, local_start: datetime
) -> GroupAccepted:
    """Make the group's private walk at ``local_start`` (wall time in the tour's zone) with
    a free guide who speaks its language, hold its seats with a booking in the contact's
    name, and send the confirmation with the booking's manage link.

    Raises ``GroupRequestNotFound``, ``GroupRequestClosed`` or ``ScheduleError`` (a time
    in the past or one the clocks skip).
    """
    found = groups.open_request(db_session, request_id)
    slug = found.tour.slug
    guide_id = choose_guide(db_session, slug, found.walk_language, local_start)
    request = deps.DepartureRequest(
        slug=slug,
        local_start=local_start,
        language=found.walk_language,
        capacity=found.group_size,
        guide_id=guide_id,
        max_party=found.group_size,
        private=True,
    )
    (departure,) = departure_actions.schedule_departures(db_session, actor, request)
    party = Party(
        name=found.contact_name,
        email=found.email,
        party_size=found.group_size,
        language=found.language,
        phone=found.phone,
        notes=found.accessibility,
    )
    booked = core.book(db_session, departure.id, party, private=True)
    groups.mark_accepted(found, departure.id, booked.booking.id)
    db_session.flush()
    token = manage_token(booked.booking, booked.departure)
    _mail(
        db_session,
        "group_accepted",
        found,
        departure=load_departure_view(db_session, departure, found.language, slug),
        booking=booked.booking,
        manage_url=mail.external_url("booking.manage", token=token),
    )
    audit.record(
        db_session,
        actor,
        "group_request.accept",
        target(found.id),
        departure=departure.id,
        booking=booked.booking.reference,
        guide=guide_id,
    )
    return GroupAccepted(found, departure, booked, guide_id)


def decline_group_request(
    db_session: Session, actor: Actor, request_id: int, reply: str
) -> GroupRequest:
    """Decline a request with a message to the contact."""
    found = groups.open_request(db_session, request_id)
    groups.mark_declined(found, _reply(reply))
    _mail(db_session, "group_declined", found)
    audit.record(db_session, actor, "group_request.decline", target(found.id))
    return found


def propose_group_date(
    db_session: Session, actor: Actor, request_id: int, local_start: datetime, reply: str
) -> GroupRequest:
    """Propose another date and time to the contact, with a message; the request stays open
    (a coordinator accepts it once the group agrees).  ``ScheduleError`` for a time in the
    past or one the clocks skip."""
    found = groups.open_request(db_session, request_id)
    zone = deps.tour_zone(tour_cache().get(db_session, found.tour.slug).tour.timezone)
    if deps.localize(local_start, zone) <= datetime.now(UTC):
        raise deps.ScheduleError("A proposed date must be in the future.")
    groups.mark_proposed(found, local_start, _reply(reply))
    _mail(db_session, "group_proposed", found, proposed=local_start)
    audit.record(
        db_session,
        actor,
        "group_request.propose",
        target(found.id),
        proposed=local_start.strftime(groups.WALL_TIME),
    )
    return found


def _reply(text: str) -> str:
    cleaned = text.strip()
    if not cleaned or len(cleaned) > MAX_REPLY:
        raise ValueError(f"a message of 1 to {MAX_REPLY} characters")
    return cleaned


def _mail(db_session: Session, kind: str, found: GroupRequest, **extra: Any) -> int:
    """Compose and record one message to the request's contact, in their language."""
    slug = found.tour.slug
    try:
        title = tour_cache().get(db_session, slug).summary.title_in(found.language).text
    except TourNotFound:  # withdrawn since the group asked: its slug is all there is
        title = slug
    context: dict[str, Any] = {
        "group": found,
        "tour_title": title,
        "preferred": groups.preferred_times(found),
        "tour_url": mail.external_url("public.tour_page", slug=slug),
        "subject_args": {"tour": single_line(title)},
        **extra,
    }
    message = mail.compose(kind, found.email, found.language, context)
    return mail.record(db_session, kind, message, found.departure_id)
