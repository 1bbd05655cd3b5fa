"""Moderating residents' contributions: accepted into a draft, edited, declined.

- ``accept_into_draft``: a coordinator puts a pending contribution into a tour as a new
  **draft** version (a new stop at its pin, its story or a translation on an existing
  stop, or a new draft tour).  The stored document marks the texts, photos and recording
  that are the contribution's (``tours.stories.document``); photos and the recording go in
  only when the consent allows them.  A published tour keeps what the public sees until a
  coordinator publishes the new version.
- ``edit_contribution``: every edit is kept (``ContributionEdit``); an accepted
  contribution's draft follows the edit; the teller, when they left an email, is told
  what will be published (mail ``contribution_edited``, in their interface language).
- ``decline_contribution``: with a reason, mailed when possible (``contribution_declined``);
  its photos and recording are deleted (rows now, files once committed).

Each runs in the caller's transaction (opened with ``write_lock``) and writes its audit
record there (``contribution.accept|edit|decline`` on ``contribution:<id>``); the
details name tours, stops, versions and which fields changed, never the story's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext
from sqlalchemy import event
from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from tours.content.checking.pipeline import ValidationOptions
from tours.content.workflows import editing
from tours.content.workflows.editing import EditError, EditRefused
from tours.content.workflows.fork import ForkError, check_city
from tours.db import utcnow
from tours.errors import BideanError, TourNotFound
from tours.i18n import is_valid_tag, normalize_tag
from tours.stories import contributions as stories
from tours.stories import placing
from tours.stories.models import (
    ACCEPTED,
    DECLINED,
    PENDING,
    WITHDRAWN,
    Contribution,
    ContributionEdit,
)
from tours.stories.placing import AcceptRefused
from tours.stories.withdrawal import FileKeys, drop_media
from tours.text import SLUG_MAX, SLUG_PATTERN, single_line, slugify, unstorable
from tours.tour.store import newest_version, save_document, tour_record
from webapp.actions.contributions.receipts import withdrawal_link
from webapp.actions.withdrawal import MediaStores, delete_files
from webapp.common import privacy
from webapp.common.i18n import interface_for
from webapp.mail import messages as mail

CONTRIBUTION_SUBJECTS = {
    "contribution_edited": lazy_gettext("Your story, as it will be published"),
    "contribution_declined": lazy_gettext("About the story you proposed"),
}
mail.register_subjects(CONTRIBUTION_SUBJECTS)

MAX_REASON = 2000  # characters of a decline's reason
MAX_TITLE = 200  # the title column
INTO_NEW_STOP, INTO_STOP, INTO_NEW_TOUR = "new_stop", "stop", "new_tour"


def target(contribution_id: int) -> str:
    """How the audit log names a contribution."""
    return f"contribution:{contribution_id}"


class ContributionClosed(BideanError):
    """A decision on a contribution that is no longer pending (or an edit of one that was
    declined or withdrawn); ``status`` says what it is."""

    def __init__(self, contribution: Contribution) -> None:
        super().__init__(f"Contribution {contribution.id} is {contribution.status}.")
        self.status = contribution.status


# -- accepting into a draft ---------------------------------------------------------------


@dataclass(frozen=True)
class NewStop:
    """A new stop of ``slug`` at the contribution's pin."""

    slug: str


@dataclass(frozen=True)
class ExistingStop:
    """The story (or a translation) on a stop of ``slug``."""

    slug: str
    stop_id: str


@dataclass(frozen=True)
class NewTour:
    """A new draft tour with the contribution as its first stop."""

    city: str
    slug: str = ""  # "" : made from the title
    district: str = ""  # the neighbourhood an anonymous teller is credited from
    timezone: str = ""  # "" : left on the to-do list


Destination = NewStop | ExistingStop | NewTour


@dataclass(frozen=True)
class Accepted:
    contribution: Contribution
    slug: str
    stop_id: str
    version: int
    todo: list[dict[str, Any]] = field(default_factory=list)


def _open(found: Contribution) -> Contribution:
    if found.status != PENDING:
        raise ContributionClosed(found)
    return found


def accept_into_draft(
    db_session: Session,
    actor: Actor,
    ident: int | str,
    destination: Destination,
    *,
    options: ValidationOptions | None = None,
) -> Accepted:
    """Put a pending contribution into ``destination`` as a new draft version and mark it
    accepted (``contribution.accept``).

    Raises ``ContributionNotFound``, ``ContributionClosed``, ``TourNotFound``,
    ``AcceptRefused``, and the editor's ``EditError`` / ``EditRefused``.
    """
    found = _open(stories.get(db_session, ident))
    if isinstance(destination, NewTour):
        slug, stop_id, version, todo = _into_new_tour(
            db_session, actor, found, destination, options
        )
        into = INTO_NEW_TOUR
    else:
        slug = destination.slug
        row = newest_version(db_session, slug)
        new_stop = isinstance(destination, NewStop)
        stop_id = (
            editing.new_stop_id(row.document) if new_stop else destination.stop_id  # type: ignore[union-attr]
        )
        change = partial(placing.placed, found, stop_id, new_stop, placing.district(row.document))
        saved = editing.save_edit(
            db_session, slug, row.version, change, editor=actor.name, options=options
        )
        version, todo = saved.version, saved.todo
        into = INTO_NEW_STOP if new_stop else INTO_STOP
    found.status = ACCEPTED
    found.accepted_tour, found.accepted_stop = slug, stop_id
    found.decided_at = utcnow()
    db_session.flush()
    items = placing.media_items(found)
    audit.record(
        db_session,
        actor,
        "contribution.accept",
        target(found.id),
        into=into,
        tour=slug,
        stop=stop_id,
        version=version,
        photos=sum(1 for m in items if m["type"] == "image"),
        audio=any(m["type"] == "audio" for m in items),
    )
    return Accepted(found, slug, stop_id, version, todo)


def _new_slug(db_session: Session, found: Contribution, asked: str) -> str:
    slug = asked.strip() or slugify(found.title or "") or f"story-{found.public_id[4:12]}"
    if len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug):
        raise AcceptRefused("slug", "slug", f"{slug!r} cannot be a tour's slug.")
    try:
        tour_record(db_session, slug, lock=False)
    except TourNotFound:
        return slug
    raise AcceptRefused("slug", "slug-taken", f"A tour {slug!r} exists already.")


def _into_new_tour(
    db_session: Session,
    actor: Actor,
    found: Contribution,
    destination: NewTour,
    options: ValidationOptions | None,
) -> tuple[str, str, int, list[dict[str, Any]]]:
    if found.lon is None or found.lat is None:
        raise AcceptRefused("target", "no-pin", "This contribution has no pin on the map.")
    try:
        city = check_city(destination.city)
    except ForkError as error:
        raise AcceptRefused("city", "city", str(error)) from error
    slug = _new_slug(db_session, found, destination.slug)
    stop_id = "stop-1"
    first = placing.first_document(found, slug, city, destination.district, destination.timezone)
    document = placing.placed(found, stop_id, True, destination.district.strip() or None, first)
    checked = editing.check_document(document, slug, options or ValidationOptions())
    if checked.refused:
        raise EditRefused(checked.refused)
    route = checked.document["features"][0]["properties"]
    version = save_document(
        db_session,
        checked.document,
        slug=slug,
        city=city,
        languages=list(route.get("languages") or ()),
        title=dict(route.get("title") or {}),
        source_name=f"a resident's story accepted by {actor.name}",
        todo=checked.todo,
        draft=True,
    )
    return slug, stop_id, version, checked.todo


# -- editing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edited:
    contribution: Contribution
    edit: ContributionEdit
    changed: list[str]  # "title", "story", "transcript.ar"...
    version: int | None  # the accepted tour's new draft version, when it changed
    mailed: bool


def clean_transcript(transcript: Mapping[str, str]) -> dict[str, str]:
    """``{tag: text}`` with canonical tags and no empty texts; ``EditError`` (field
    ``transcript``) for a tag that is no language tag or a text no column can store."""
    result: dict[str, str] = {}
    for tag, text in transcript.items():
        if not (text or "").strip():
            continue
        if not is_valid_tag(tag.strip()):
            raise EditError("transcript", f"{tag!r} is not a language tag such as es or pt-BR.")
        if unstorable(text):
            raise EditError(
                "transcript", "The transcript contains a character that cannot be stored."
            )
        result[normalize_tag(tag.strip())] = text.strip()
    return result


def _changes(found: Contribution, title: str, story: str, transcript: dict[str, str]) -> list[str]:
    changed = [
        name
        for name, old, new in (("title", found.title, title), ("story", found.story, story))
        if old != new
    ]
    before = found.transcript or {}
    changed += [
        f"transcript.{tag}"
        for tag in sorted(set(before) | set(transcript))
        if before.get(tag) != transcript.get(tag)
    ]
    return changed


def edit_contribution(
    db_session: Session,
    actor: Actor,
    ident: int | str,
    *,
    title: str,
    story: str,
    transcript: Mapping[str, str],
    options: ValidationOptions | None = None,
) -> Edited | None:
    """Change a contribution's title, story and transcript before it is published
    (``contribution.edit``, naming the fields changed); None when nothing changed.

    The text after the edit is kept as a ``ContributionEdit``.  An accepted contribution's
    tour gets a new draft version with the edited texts and transcript.  A teller who left
    an email is sent what will be published.  Raises ``ContributionNotFound``,
    ``ContributionClosed`` (declined or withdrawn), ``EditError`` and ``EditRefused``.
    """
    found = stories.get(db_session, ident)
    if found.status in (DECLINED, WITHDRAWN):
        raise ContributionClosed(found)
    title = single_line(title).strip()[:MAX_TITLE]
    story = story.strip()
    if unstorable(title) or unstorable(story):
        raise EditError("story", "The text contains a character that cannot be stored.")
    cleaned = clean_transcript(transcript)
    changed = _changes(found, title, story, cleaned)
    if not changed:
        return None
    found.title, found.story, found.transcript = title, story, cleaned
    edit = ContributionEdit(actor=actor.name, title=title, story=story, transcript=cleaned)
    found.edits.append(edit)
    db_session.flush()
    version = _follow_in_draft(db_session, actor, found, options)
    mailed = _mail_teller(db_session, "contribution_edited", found)
    audit.record(
        db_session,
        actor,
        "contribution.edit",
        target(found.id),
        changed=changed,
        version=version,
        mailed=mailed,
    )
    return Edited(found, edit, changed, version, mailed)


def _follow_in_draft(
    db_session: Session, actor: Actor, found: Contribution, options: ValidationOptions | None
) -> int | None:
    """The accepted tour's new draft version with the edit; None when nothing changed."""
    if found.status != ACCEPTED or not found.accepted_tour:
        return None
    try:
        row = newest_version(db_session, found.accepted_tour)
    except TourNotFound:
        return None
    saved = editing.save_edit(
        db_session,
        found.accepted_tour,
        row.version,
        partial(placing.edited_texts, found),
        editor=actor.name,
        options=options,
    )
    return None if saved.unchanged else saved.version


# -- declining ----------------------------------------------------------------------------


def decline_contribution(
    db_session: Session,
    actor: Actor,
    ident: int | str,
    reason: str,
    *,
    media_stores: MediaStores,
) -> Contribution:
    """Decline a pending contribution with a reason (``contribution.decline``), mailed to
    the teller in their language when they left an email.  Its photos and recording go:
    their rows in this transaction, their files from ``media_stores`` once it has
    committed (a key another contribution or a stored tour version still names stays).
    Raises ``ValueError`` for an empty or too long reason, ``ContributionNotFound`` and
    ``ContributionClosed``."""
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > MAX_REASON or unstorable(cleaned):
        raise ValueError(f"a reason of 1 to {MAX_REASON} characters")
    found = _open(stories.get(db_session, ident))
    found.status = DECLINED
    found.decline_reason = cleaned
    found.decided_at = utcnow()
    files = drop_media(db_session, found)
    mailed = _mail_teller(db_session, "contribution_declined", found)
    audit.record(db_session, actor, "contribution.decline", target(found.id), mailed=mailed)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    contribution_id = found.id
    event.listen(
        db_session,
        "after_commit",
        lambda _session: _delete_declined(app, contribution_id, files, media_stores),
        once=True,
    )
    return found


def _delete_declined(
    app: Flask, contribution_id: int, files: FileKeys, stores: MediaStores
) -> None:
    """After the commit: the declined contribution's files; a failing disk is logged, the
    decline stays."""
    try:
        list(delete_files(stores, files.image_keys, files.audio_keys))
    except Exception as exc:  # logged: the decline is committed whatever fails here
        app.logger.warning(
            "declined contribution %s: files not deleted: %s", contribution_id, type(exc).__name__
        )


# -- the teller's emails ------------------------------------------------------------------


def _mail_teller(db_session: Session, kind: str, found: Contribution) -> bool:
    """One message to the teller in their interface language; False without an email."""
    if not found.contact_email:
        return False
    privacy.remember(found.contact_email)
    language = interface_for(found.interface_language)
    context = {
        "contribution": found,
        "story_language": found.language,
        "transcript": sorted((found.transcript or {}).items()),
        "withdraw_url": withdrawal_link(found.public_id),
    }
    message = mail.compose(kind, found.contact_email, language, context)
    mail.record(db_session, kind, message, None)
    return True
