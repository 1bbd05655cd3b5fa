"""Stop scripts: what a guide says at a stop, per language; a guide's own version wins.

The shared script travels in the tour file (``script`` on each stop) and is never
public.  A guide may keep their own version of a stop's script in a language; it
overrides the shared one on their departures.  Saving an own version carries the
shared text it was based on: if the shared script changed since, the save is refused
with ``ScriptConflict`` instead of silently hiding the coordinator's change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from guides.models import GuideScript
from tours.content.workflows.editing import EditError, set_stop_text
from tours.db import utcnow
from tours.errors import BideanError
from tours.i18n import base_language
from tours.tour.domain import Stop

SCRIPT_MAX = 8000


class ScriptConflict(BideanError):
    """The shared script changed while the guide was editing their own version."""

    def __init__(self, current_shared: str) -> None:
        self.current_shared = current_shared
        super().__init__("The shared script of this stop changed while you were editing.")


class ScriptRejected(BideanError):
    """An own script that is empty or too long."""


@dataclass(frozen=True)
class ScriptView:
    """The script a guide reads at a stop in the departure's language."""

    text: str
    language: str  # the language ``text`` is in
    requested: str
    own: bool  # the guide's own version
    shared: str  # the shared script in the requested language ("" when none)

    @property
    def is_fallback(self) -> bool:
        return bool(self.text) and base_language(self.language) != base_language(self.requested)


def own_scripts(db_session: Session, guide_id: str | None, slug: str) -> dict[tuple[str, str], str]:
    """``{(stop id, language): text}`` of the guide's own versions for one tour."""
    if not guide_id:
        return {}
    rows = db_session.execute(
        select(GuideScript.stop_id, GuideScript.language, GuideScript.text).where(
            GuideScript.guide_id == guide_id, GuideScript.tour_slug == slug
        )
    )
    return {(stop_id, language): text for stop_id, language, text in rows}


def shared_script(stop: Stop, language: str) -> str:
    """The shared script in exactly ``language`` (its base language counts), else ""."""
    for tag in stop.script:
        if base_language(tag) == base_language(language):
            return stop.script[tag]
    return ""


def script_for(
    stop: Stop, language: str, default: str, own: dict[tuple[str, str], str]
) -> ScriptView:
    """The guide's own version, else the shared script with the tour's fallback chain."""
    shared = shared_script(stop, language)
    for (stop_id, tag), text in own.items():
        if stop_id == stop.id and base_language(tag) == base_language(language):
            return ScriptView(text, tag, language, True, shared)
    resolved = stop.script.resolve(language, default)
    if resolved is None:
        return ScriptView("", language, language, False, "")
    return ScriptView(resolved.text, resolved.language, language, False, shared)


def own_script(
    db_session: Session, guide_id: str, slug: str, stop_id: str, language: str
) -> GuideScript | None:
    """The guide's own version of one stop's script in one language, if they keep one."""
    return db_session.scalars(
        select(GuideScript).where(
            GuideScript.guide_id == guide_id,
            GuideScript.tour_slug == slug,
            GuideScript.stop_id == stop_id,
            GuideScript.language == language,
        )
    ).one_or_none()


def save_own_script(
    db_session: Session,
    guide_id: str,
    slug: str,
    stop: Stop,
    language: str,
    text: str,
    based_on: str,
) -> GuideScript | None:
    """Store the guide's version (an empty text deletes it, going back to the shared one)."""
    current = shared_script(stop, language)
    if based_on.strip() != current.strip():
        raise ScriptConflict(current)
    if len(text) > SCRIPT_MAX:
        raise ScriptRejected(f"A script may have at most {SCRIPT_MAX} characters.")
    row = own_script(db_session, guide_id, slug, stop.id, language)
    if not text.strip():
        if row is not None:
            db_session.delete(row)
            db_session.flush()
        return None
    if row is not None and (row.text, row.based_on) == (text.strip(), current):
        return row  # the same text on the same shared script: nothing to store
    if row is None:
        row = GuideScript(guide_id=guide_id, tour_slug=slug, stop_id=stop.id, language=language)
        db_session.add(row)
    row.text = text.strip()
    row.based_on = current
    row.updated_at = utcnow()
    db_session.flush()
    return row


def set_shared_script(document: dict, stop_id: str, language: str, text: str) -> dict:
    """The tour document with the shared script of ``stop_id`` in ``language`` set (an
    empty text removes it).  Scripts stay in the stored document only: every public
    form of a tour (page, map, API, GeoJSON) is built without them."""
    if len(text) > SCRIPT_MAX:
        raise EditError(
            f"stop-{stop_id}-script", f"A script may have at most {SCRIPT_MAX} characters."
        )
    return set_stop_text(document, stop_id, "script", language, text)
