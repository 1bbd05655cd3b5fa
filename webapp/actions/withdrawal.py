"""Withdrawing a contribution, from its teller's personal link or by a coordinator on the
teller's request (``bidean contributions withdraw``): the same action.

``withdraw_contribution`` runs in the caller's transaction (opened with ``write_lock``):
the withdrawal itself (``tours.stories.withdrawal``: every tour version, the row, the
emails about it), its audit entries emptied of any of its words, the audit record
``contribution.withdraw`` (ids, versions and counts, no content), and the confirmation
to the teller's address in their interface language, after which the address is gone
from the row (the outbox keeps it until the mail has left and ``bidean purge`` runs).

Once that transaction commits, and only then (a rolled-back withdrawal deletes
nothing), the same process: deletes the photos and the recording from disk, and the
development ``.eml`` copies of the deleted emails; empties its in-memory caches (built
tours, pages, maps, GeoJSON: ``TourCache.forget_all``); vacuums the tables it changed,
so the old row versions go too (on SQLite the whole file, and its write-ahead log); and
wakes an in-process mail worker.  Other workers learn of it as of any new version: each
request asks the database for a tour's current version, and a version they have not
built yet drops the older ones' entries (pages, GeoJSON, maps) as it is built; ETags are
made from the content, so they change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from babel.dates import format_date
from flask import Flask, current_app
from flask_babel import lazy_gettext
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor, AuditEntry
from tours.booking.purge import vacuum_tables
from tours.stories import withdrawal as stories
from tours.stories.traces import (
    OWN_RECORDS,
    WITHDRAWN_MESSAGE,
    ContactPurge,
    purge_contacts,
    scrub,
)
from tours.stories.withdrawal import PLACEHOLDER, TourChange, Withdrawal
from webapp.actions.links import LinkInvalid, read_withdrawal_token
from webapp.common.database import get_db
from webapp.common.i18n import babel_locale, default_language, supported
from webapp.common.tourcache import tour_cache
from webapp.mail import messages as mail
from webapp.mail import transport, worker

KIND = WITHDRAWN_MESSAGE
mail.register_subjects({KIND: lazy_gettext("Your story has been withdrawn")})

#: The tables a withdrawal changes, vacuumed after it.
TABLES = (
    "contributions",
    "contribution_consents",
    "contribution_media",
    "contribution_edits",
    "tour_versions",
    "tour_catalogue",
    "outbox_messages",
    "audit_log",
)
_LINK = re.compile(r"/share/withdraw/([A-Za-z0-9_.\-]+)")


class Deletes(Protocol):
    """A store of files by key: the media store's images, the audio store's recordings."""

    def delete(self, key: str) -> bool: ...


@dataclass(frozen=True)
class MediaStores:
    """Where a contribution's photos and its recording are kept on disk."""

    images: Deletes
    audio: Deletes


@dataclass
class WithdrawalResult:
    """What a withdrawal did; ``already`` when it had been withdrawn before (nothing
    done).  The counts of files deleted are known once the transaction has committed."""

    contribution_id: int
    public_id: str
    already: bool
    withdrawn_at: datetime | None
    tours: list[TourChange] = field(default_factory=list)
    image_keys: list[str] = field(default_factory=list)
    audio_keys: list[str] = field(default_factory=list)
    kept_keys: list[str] = field(default_factory=list)
    messages_deleted: int = 0
    confirmation: int | None = None  # the outbox id of the teller's confirmation
    files_deleted: int = 0  # after the commit
    committed: bool = False


def links_to(text: str, public_id: str) -> bool:
    """``text`` holds a withdrawal link to ``public_id`` (a receipt does)."""
    for token in _LINK.findall(text):
        try:
            if read_withdrawal_token(token) == public_id:
                return True
        except LinkInvalid:
            continue
    return False


def withdraw_contribution(
    db_session: Session, actor: Actor, ident: int | str, *, media_stores: MediaStores
) -> WithdrawalResult:
    """Withdraw a contribution everywhere (``contribution.withdraw``); files, caches and the
    vacuum follow the commit.  Raises ``ContributionNotFound``.  Needs an app context (the
    confirmation's templates)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    done = stories.withdraw(db_session, ident, about=links_to)
    result = WithdrawalResult(
        done.contribution_id,
        done.public_id,
        done.already,
        done.withdrawn_at,
        tours=done.tours,
        image_keys=done.image_keys,
        audio_keys=done.audio_keys,
        kept_keys=done.kept_keys,
        messages_deleted=len(done.messages),
    )
    if done.already:
        return result
    target = f"contribution:{done.contribution_id}"
    _scrub_audit(db_session, target, done)
    audit.record(
        db_session,
        actor,
        "contribution.withdraw",
        target,
        public_id=done.public_id,
        tours={change.slug: _tour_details(change) for change in done.tours},
        photos=len(done.image_keys),
        recordings=len(done.audio_keys),
        kept_files=len(done.kept_keys),
        messages_deleted=len(done.messages),
        confirmation=done.contact_email is not None,
    )
    if done.contact_email:
        result.confirmation = _confirm(db_session, done, done.contact_email)
    event.listen(
        db_session,
        "after_commit",
        lambda _session: _after_commit(app, result, done, media_stores),
        once=True,
    )
    return result


def _tour_details(change: TourChange) -> dict[str, Any]:
    return {
        "rewritten": change.rewritten,
        "published": change.published,
        "draft": change.draft,
        "emptied_stops": change.emptied_stops,
        "removed_stops": change.removed_stops,
        "unpublished": change.unpublished,
    }


def _scrub_audit(db_session: Session, target: str, done: Withdrawal) -> None:
    """Its earlier audit entries (accepted, edited, declined…) keep what happened, not
    any of its words, names or address."""
    if done.needles is None:
        return
    for entry in db_session.scalars(select(AuditEntry).where(AuditEntry.target == target)):
        details = scrub(entry.details or {}, done.needles, PLACEHOLDER, OWN_RECORDS)
        if details != entry.details:
            entry.details = details


def _confirm(db_session: Session, done: Withdrawal, address: str) -> int:
    language = supported(done.interface_language) or default_language()
    context = {
        "reference": done.public_id,
        "sent_on": format_date(done.created_at, "long", locale=babel_locale(language)),
    }
    message = mail.compose(KIND, address, language, context)
    return mail.record(db_session, KIND, message, None)


def _after_commit(
    app: Flask, result: WithdrawalResult, done: Withdrawal, stores: MediaStores
) -> None:
    """What follows the commit; each step on its own, so one failing (a disk, the
    database's vacuum) neither undoes the withdrawal nor skips the others."""
    result.committed = True
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("files", lambda: _delete_files(result, stores)),
        ("outbox files", lambda: transport.forget_files(app, done.messages)),
        ("caches", tour_cache(app).forget_all),
        ("vacuum", lambda: vacuum_tables(get_db(app).engine, TABLES)),
        ("mail", lambda: worker.wake(app)),
    ]
    for name, step in steps:
        try:
            step()
        except Exception as exc:  # logged: the withdrawal is committed whatever fails here
            app.logger.warning(
                "withdrawal of contribution %s: %s not done: %s",
                result.contribution_id,
                name,
                type(exc).__name__,
            )


def _delete_files(result: WithdrawalResult, stores: MediaStores) -> None:
    for deleted in delete_files(stores, result.image_keys, result.audio_keys):
        result.files_deleted += deleted


def delete_files(
    stores: MediaStores, image_keys: Iterable[str], audio_keys: Iterable[str]
) -> Iterator[bool]:
    """Delete each photo, then each recording, from its store: whether each was on disk
    (a failing disk raises at that file).  Only after the commit that let them go."""
    for key in image_keys:
        yield bool(stores.images.delete(key))
    for key in audio_keys:
        yield bool(stores.audio.delete(key))


def purge_contacts_now(app: Flask) -> ContactPurge:
    """One transaction of the purge rule, then the ``.eml`` copies and the vacuum."""
    with get_db(app).transaction(write_lock=True) as db_session:
        purged = purge_contacts(db_session)
    transport.forget_files(app, purged.message_files)
    vacuum_tables(get_db(app).engine, purged.touched_tables())
    return purged


def _purge_from_worker(app: Flask) -> None:
    """The mail worker's periodic task: an address goes soon after its last mail left."""
    with app.app_context():
        purge_contacts_now(app)


worker.register_periodic(_purge_from_worker)
