"""Group requests for tests: a valid form, and a request stored as the public form does."""

from __future__ import annotations

from datetime import datetime, timedelta

from guides.audit import Actor
from tours.booking.groups import GroupDetails
from webapp.actions.groups import submit_group_request
from webapp.common.database import get_db

SLUG = "san-francisco-voices"


def in_days(days: int, hour: int = 10) -> datetime:
    """A wall time ``days`` from now at ``hour``:00."""
    return (datetime.now() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def form_data(**changes: str) -> dict[str, str]:
    """What a school fills in on the group form."""
    data = {
        "tour": SLUG,
        "organisation": "IES Miribilla",
        "kind": "school",
        "group_size": "24",
        "preferred_1": in_days(10).strftime("%Y-%m-%dT%H:%M"),
        "preferred_2": in_days(11).strftime("%Y-%m-%dT%H:%M"),
        "walk_language": "es",
        "accessibility": "One pupil uses a wheelchair.",
        "contact_name": "Ane Etxeberria",
        "email": "ane@ies-miribilla.example.org",
        "phone": "+34 600 111 222",
        "website": "",
    }
    data.update(changes)
    return data


def add_group_request(app, *, size: int = 24, language: str = "es", days: int = 10) -> int:
    """A pending request stored through the action the form calls; its id."""
    details = GroupDetails(
        slug=SLUG,
        organisation="IES Miribilla",
        kind="school",
        group_size=size,
        preferred=[in_days(days)],
        walk_language=language,
        contact_name="Ane Etxeberria",
        email="ane@ies-miribilla.example.org",
        phone="+34 600 111 222",
        language="eu",
    )
    with app.test_request_context(), get_db(app).transaction(write_lock=True) as db_session:
        return submit_group_request(db_session, Actor.public(), details).id
