"""The guide's debrief after a walk, saved with its audit record.

``file_debrief`` stores the walk's one debrief (or replaces its answers) and records
``departure.debrief`` on ``departure:<id>`` naming the fields that changed, in the
caller's transaction; saving the same answers again changes nothing and records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from guides import audit, debriefs
from guides.audit import Actor
from guides.models import Debrief
from tours.booking import departures as deps
from webapp.actions.departures import target


def file_debrief(
    db_session: Session,
    actor: Actor,
    departure_id: int,
    written: Mapping[str, object],
    *,
    account_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Debrief, list[str]]:
    """Check and save the walk's debrief; returns it and the fields that changed.

    Raises ``DebriefRejected`` (the fields that were wrong, or why the walk takes none)
    and ``DepartureNotFound``."""
    departure = deps.get_departure(db_session, departure_id, lock=True)
    reason = debriefs.why_not(departure, now)
    if reason:
        raise debriefs.DebriefRejected(walk=reason)
    answers = debriefs.check_answers(written)
    found, changed = debriefs.save(db_session, departure, answers, account_id=account_id, now=now)
    if changed:
        audit.record(
            db_session,
            actor,
            "departure.debrief",
            target(departure_id),
            fields=changed,
            route_change_needed=found.route_change_needed,
        )
    return found, changed
