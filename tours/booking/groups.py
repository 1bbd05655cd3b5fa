"""Group requests: a group asks for a walk of its own; a coordinator accepts it into a
private departure, declines it, or proposes another date.

Plain functions over the ``group_requests`` table; the actions (``webapp.actions.groups``)
add the emails and the audit records, and make the private departure and its booking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from tours.booking.models import (
    ACCEPTED,
    GROUP_DECLINED,
    PENDING,
    PROPOSED,
    GroupRequest,
)
from tours.db import utcnow
from tours.errors import BideanError, NotFound
from tours.i18n import normalize_tag
from tours.tour.models import TourRecord

KINDS = ("school", "association", "company", "delegation")
MIN_GROUP = 2
MAX_GROUP = 100
MAX_PREFERRED = 3
WALL_TIME = "%Y-%m-%dT%H:%M"  # how preferred and proposed times are stored
OPEN = (PENDING, PROPOSED)  # requests still waiting for a decision


class GroupRequestNotFound(NotFound):
    def __init__(self, request_id: int) -> None:
        self.request_id = request_id
        super().__init__(f"No group request {request_id} exists.")


class GroupRequestClosed(BideanError):
    """The request was accepted or declined already: it cannot be decided again."""

    def __init__(self, group_request: GroupRequest) -> None:
        self.status = group_request.status
        super().__init__(f"Group request {group_request.id} is {group_request.status} already.")


@dataclass(frozen=True)
class GroupDetails:
    """What a group asks for, checked by the form that took it."""

    slug: str
    organisation: str
    kind: str
    group_size: int
    preferred: Sequence[datetime]  # naive wall times in the tour's zone, first choice first
    walk_language: str
    contact_name: str
    email: str
    phone: str
    language: str  # the interface language the contact wrote in
    accessibility: str | None = None


def add_request(db_session: Session, details: GroupDetails) -> GroupRequest:
    """Store a new pending request; ``NotFound`` when its tour is not stored."""
    if details.kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if not MIN_GROUP <= details.group_size <= MAX_GROUP:
        raise ValueError(f"group_size must be {MIN_GROUP} to {MAX_GROUP}")
    if not 1 <= len(details.preferred) <= MAX_PREFERRED:
        raise ValueError(f"one to {MAX_PREFERRED} preferred times")
    tour_id = db_session.scalar(select(TourRecord.id).where(TourRecord.slug == details.slug))
    if tour_id is None:
        raise NotFound(f"No tour {details.slug!r} is stored.")
    row = GroupRequest(
        tour_id=tour_id,
        organisation=details.organisation,
        kind=details.kind,
        group_size=details.group_size,
        preferred=[moment.strftime(WALL_TIME) for moment in details.preferred],
        walk_language=normalize_tag(details.walk_language),
        accessibility=details.accessibility or None,
        contact_name=details.contact_name,
        email=details.email,
        phone=details.phone,
        language=details.language,
        status=PENDING,
        created_at=utcnow(),
    )
    db_session.add(row)
    db_session.flush()
    return row


def get_request(db_session: Session, request_id: int, *, lock: bool = False) -> GroupRequest:
    query = (
        select(GroupRequest)
        .where(GroupRequest.id == request_id)
        .options(joinedload(GroupRequest.tour))
    )
    if lock:
        query = query.with_for_update(of=GroupRequest)
    found = db_session.scalars(query).one_or_none()
    if found is None:
        raise GroupRequestNotFound(request_id)
    return found


def open_request(db_session: Session, request_id: int) -> GroupRequest:
    """The request, locked, while it is still pending or has a date proposed."""
    found = get_request(db_session, request_id, lock=True)
    if found.status not in OPEN:
        raise GroupRequestClosed(found)
    return found


def list_requests(db_session: Session, *, limit: int = 200) -> list[GroupRequest]:
    """Requests for the coordinators' queue: pending first, then proposed, then decided;
    the oldest first among the open ones (first asked, first answered), newest first
    among the decided."""
    order = case({PENDING: 0, PROPOSED: 1}, value=GroupRequest.status, else_=2)
    open_first = case((GroupRequest.status.in_(OPEN), GroupRequest.id), else_=-GroupRequest.id)
    query = (
        select(GroupRequest)
        .options(joinedload(GroupRequest.tour))
        .order_by(order, open_first)
        .limit(limit)
    )
    return list(db_session.scalars(query))


def pending_group_requests(db_session: Session) -> int:
    """How many group requests wait for a coordinator's first answer (the dashboard's line)."""
    query = select(func.count()).select_from(GroupRequest).where(GroupRequest.status == PENDING)
    return db_session.scalar(query) or 0


def mark_accepted(group_request: GroupRequest, departure_id: int, booking_id: int) -> None:
    group_request.status = ACCEPTED
    group_request.departure_id = departure_id
    group_request.booking_id = booking_id
    group_request.decided_at = utcnow()


def mark_declined(group_request: GroupRequest, reply: str) -> None:
    group_request.status = GROUP_DECLINED
    group_request.reply = reply
    group_request.decided_at = utcnow()


def mark_proposed(group_request: GroupRequest, moment: datetime, reply: str) -> None:
    """Another date offered; the request stays open until the group answers by mail."""
    group_request.status = PROPOSED
    group_request.proposed = moment.strftime(WALL_TIME)
    group_request.reply = reply


def wall_time(text: str) -> datetime:
    """A stored wall time (``WALL_TIME``) as a naive datetime."""
    return datetime.strptime(text, WALL_TIME)


def preferred_times(group_request: GroupRequest) -> list[datetime]:
    """The group's preferred wall times, first choice first."""
    return [wall_time(text) for text in group_request.preferred]
