"""Guides: their profiles and photos (the coordinator pages, ``bidean guides``), and what a
guide does on a walk (check-ins, their own version of a stop's script).

Each action writes its audit record in the caller's transaction, and none when it
changed nothing (the same values again, a repeated check-in, the same script).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy.orm import Session

from guides import audit, availability, profiles
from guides.audit import Actor
from guides.models import AvailabilityMark, CheckIn
from guides.profiles import GuideProfile
from guides.roster import record_check_in
from guides.scripts import own_script, save_own_script
from tours.tour.domain import Stop

# The fields of a profile a coordinator changes; the audit record names those that changed.
PROFILE_FIELDS = ("display_name", "languages", "origin", "bio", "tours")


@dataclass(frozen=True)
class GuideUpdate:
    """The profile after an update, and the fields that changed (none: nothing stored)."""

    guide: GuideProfile
    changed: tuple[str, ...]


def add_guide(
    db_session: Session,
    actor: Actor,
    guide_id: str,
    display_name: str,
    languages: str | Iterable[Any],
    *,
    origin: Mapping[str, Any] | None = None,
    bio: Mapping[str, Any] | None = None,
    tours: Iterable[str] = (),
) -> GuideProfile:
    """Create a guide's profile (``guide.add``); raises ``GuideError`` for a broken rule."""
    guide = profiles.add_guide(
        db_session, guide_id, display_name, languages, origin=origin, bio=bio, tours=tours
    )
    audit.record(db_session, actor, "guide.add", f"guide:{guide.id}")
    return guide


def update_guide(
    db_session: Session,
    actor: Actor,
    guide_id: str,
    *,
    display_name: str | None = None,
    languages: str | Iterable[Any] | None = None,
    origin: Mapping[str, Any] | None = None,
    bio: Mapping[str, Any] | None = None,
    tours: Iterable[str] | None = None,
) -> GuideUpdate:
    """Change the given fields of a profile (``guide.update`` naming the fields changed)."""
    before = profiles.get_guide(db_session, guide_id)
    after = profiles.update_guide(
        db_session,
        guide_id,
        display_name=display_name,
        languages=languages,
        origin=origin,
        bio=bio,
        tours=tours,
    )
    changed = tuple(f for f in PROFILE_FIELDS if getattr(before, f) != getattr(after, f))
    if changed:
        audit.record(db_session, actor, "guide.update", f"guide:{guide_id}", fields=list(changed))
    return GuideUpdate(after, changed)


def remove_guide(db_session: Session, actor: Actor, guide_id: str) -> None:
    """Delete a profile (``guide.remove``); refused while a departure names the guide."""
    profiles.remove_guide(db_session, guide_id)
    audit.record(db_session, actor, "guide.remove", f"guide:{guide_id}")


def set_guide_photo(db_session: Session, actor: Actor, guide_id: str, jpeg: bytes) -> bool:
    """Give a guide this (already re-encoded) photo (``guide.photo``); False when it was
    their photo already.  Raises ``GuideNotFound``."""
    current = profiles.get_photo(db_session, guide_id)
    if current is not None and current[0] == jpeg:
        return False
    profiles.set_photo(db_session, guide_id, jpeg)
    audit.record(db_session, actor, "guide.photo", f"guide:{guide_id}")
    return True


def check_in(
    db_session: Session,
    actor: Actor,
    departure_id: int,
    booking_id: int,
    state: str,
    key: str,
    account_id: int | None,
) -> tuple[CheckIn, bool]:
    """Mark a booking arrived or no-show (``checkin``); a repeated key records nothing.

    Returns the mark and whether it is new.  Raises ``CheckInRejected``.
    """
    mark, new = record_check_in(db_session, departure_id, booking_id, state, key, account_id)
    if new:
        audit.record(
            db_session,
            actor,
            "checkin",
            f"booking:{booking_id}",
            state=mark.state,
            departure=departure_id,
        )
    return mark, new


def save_script(
    db_session: Session,
    actor: Actor,
    guide_id: str,
    slug: str,
    stop: Stop,
    language: str,
    text: str,
    based_on: str,
    *,
    departure_id: int,
) -> bool:
    """Store the guide's own version of a stop's script (``script.save``; an empty text
    goes back to the shared one); False when it was stored like this already.

    Raises ``ScriptConflict`` when the shared script changed since ``based_on``, and
    ``ScriptRejected`` for a text that is too long.
    """
    kept = own_script(db_session, guide_id, slug, stop.id, language)
    before = None if kept is None else (kept.text, kept.based_on)
    saved = save_own_script(db_session, guide_id, slug, stop, language, text, based_on)
    after = None if saved is None else (saved.text, saved.based_on)
    if after == before:
        return False
    audit.record(
        db_session,
        actor,
        "script.save",
        f"stop:{stop.id}",
        departure=departure_id,
        language=language,
    )
    return True


# --- availability -----------------------------------------------------------------------


def add_availability(
    db_session: Session,
    actor: Actor,
    guide_id: str,
    first_day: date,
    *,
    available: bool,
    last_day: date | None = None,
    from_time: time | None = None,
    until_time: time | None = None,
    note: str = "",
    today: date,
) -> AvailabilityMark:
    """A guide marks days or hours they can or cannot guide (``availability.add``)."""
    mark = availability.add_mark(
        db_session,
        guide_id,
        first_day,
        available=available,
        last_day=last_day,
        from_time=from_time,
        until_time=until_time,
        note=note,
        today=today,
    )
    audit.record(db_session, actor, "availability.add", f"guide:{guide_id}", **_mark_details(mark))
    return mark


def remove_availability(
    db_session: Session, actor: Actor, guide_id: str, mark_id: int
) -> AvailabilityMark:
    """A guide removes one of their marks (``availability.remove``); ``MarkNotFound`` for
    a mark that is not theirs."""
    mark = availability.remove_mark(db_session, guide_id, mark_id)
    audit.record(
        db_session, actor, "availability.remove", f"guide:{guide_id}", **_mark_details(mark)
    )
    return mark


def _mark_details(mark: AvailabilityMark) -> dict[str, Any]:
    return {
        "mark": mark.id,
        "available": mark.available,
        "first_day": mark.first_day.isoformat(),
        "last_day": mark.last_day.isoformat(),
        "from": mark.from_time.strftime("%H:%M") if mark.from_time else None,
        "until": mark.until_time.strftime("%H:%M") if mark.until_time else None,
    }
