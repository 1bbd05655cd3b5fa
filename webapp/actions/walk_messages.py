"""Writing to a walk's group: one message to each booker, in their language, logged.

The console calls ``message_group`` in one transaction: the walk's log row, one outbox
row per booker and the audit record (``departure.message`` on ``departure:<id>``) are
stored together or not at all; the mail worker sends them.  Each message has a single
recipient, so nobody sees another booker's address.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from guides import audit
from guides import walk_messages as walk
from guides.audit import Actor
from guides.models import WalkMessage
from tours.booking import departures as deps
from tours.booking.models import Booking, Departure
from webapp.actions.departures import target
from webapp.actions.links import manage_token
from webapp.common.departure_views import DepartureView, load_departure_view
from webapp.mail import messages as mail

KIND = "walk_message"
# The sender's subject, then which walk it is about: a booker may have several.
mail.register_subjects({KIND: lazy_gettext("%(subject)s (%(tour)s, %(date)s)")})


@dataclass(frozen=True)
class GroupMessaged:
    message: WalkMessage
    outbox_ids: list[int]


def message_group(
    db_session: Session,
    actor: Actor,
    departure_id: int,
    subjects: Mapping[str, object],
    texts: Mapping[str, object],
    *,
    account_id: int | None = None,
    now: datetime | None = None,
) -> GroupMessaged:
    """Write to everyone booked on a walk; raises ``MessageRejected`` or ``MessageLimited``.

    ``subjects`` and ``texts`` are ``{language: text}``; the walk's language is required.
    """
    departure = deps.get_departure(db_session, departure_id, lock=True)
    draft = walk.check_draft(departure.language, subjects, texts)
    if departure.is_cancelled:
        raise walk.MessageRejected(walk.CANCELLED)
    bookers = walk.recipients(db_session, departure_id)
    if not bookers:
        raise walk.MessageRejected(walk.NOBODY)
    walk.check_rate(db_session, departure_id, account_id, draft, now=now)
    message = walk.store(
        db_session,
        departure,
        draft,
        sender=actor.name,
        account_id=account_id,
        recipient_count=len(bookers),
        now=now,
    )
    views: dict[str, DepartureView] = {}
    ids = [_record(db_session, departure, message, booking, views) for booking in bookers]
    audit.record(
        db_session,
        actor,
        "departure.message",
        target(departure_id),
        message=message.id,
        recipients=len(ids),
        languages=sorted(draft.texts),
    )
    return GroupMessaged(message, ids)


def _record(
    db_session: Session,
    departure: Departure,
    message: WalkMessage,
    booking: Booking,
    views: dict[str, DepartureView],
) -> int:
    """Compose the message to one booker in their language and put it in the outbox."""
    language = booking.language
    if language not in views:
        views[language] = load_departure_view(db_session, departure, language)
    view = views[language]
    letter = walk.letter(message.subjects, message.texts, message.language, language)
    context = {
        "booking": booking,
        "departure": view,
        "letter": letter,
        "tour_url": mail.external_url("public.tour_page", slug=view.slug),
        "manage_url": mail.external_url("booking.manage", token=manage_token(booking, departure)),
        "subject_args": {"subject": letter.subject, "tour": view.title.text},
    }
    composed = mail.compose(KIND, booking.email or "", language, context)
    return mail.record(db_session, KIND, composed, departure.id)
