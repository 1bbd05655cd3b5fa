"""Tours: publishing and withdrawing, the editor's saves and restores, translation files,
declaring a language to offer it, and forks.

The coordinator pages and the ``bidean`` commands call the same functions.  Each runs
in the caller's transaction, which must be opened with ``write_lock`` (the tour's row is
locked while it is checked and changed), and writes its audit record there; none when
nothing changed (a version already published, a tour already withdrawn, a form or a
translation file that changes no text).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from guides.translations import TranslationImport, declare_language, import_translations
from tours.content.checking.pipeline import ValidationOptions
from tours.content.workflows import drafts, editing
from tours.content.workflows.drafts import PublishOutcome
from tours.content.workflows.editing import Change, SavedEdit
from tours.content.workflows.fork import ForkResult
from tours.content.workflows.fork import fork_tour as store_fork
from tours.stories.consent import USE_KITS
from tours.stories.uses import document_for_use
from tours.tour.store import WITHDRAWN, tour_record


def _target(slug: str) -> str:
    return f"tour:{slug}"


def publish_tour(
    db_session: Session,
    actor: Actor,
    slug: str,
    *,
    options: ValidationOptions | None = None,
    based_on: int | None = None,
) -> PublishOutcome:
    """Publish the newest version if nothing is left to do (``tour.publish``).

    A refused draft gets its to-do list brought up to date and no record; so does a
    version that was published already.  Raises ``TourNotFound`` and ``StaleVersion``
    (``based_on`` is no longer the newest version).
    """
    outcome = drafts.publish(db_session, slug, options, based_on)
    if outcome.ok and not outcome.unchanged:
        audit.record(db_session, actor, "tour.publish", _target(slug), version=outcome.version)
    return outcome


def withdraw_tour(db_session: Session, actor: Actor, slug: str) -> bool:
    """Take a tour off the public site (``tour.withdraw``, naming the version that was
    current); False when it was withdrawn already.  Raises ``TourNotFound``."""
    record = tour_record(db_session, slug)
    if record.status == WITHDRAWN:
        return False
    version = record.current_version
    drafts.withdraw(db_session, slug)
    audit.record(db_session, actor, "tour.withdraw", _target(slug), version=version)
    return True


def save_tour_edit(
    db_session: Session,
    actor: Actor,
    slug: str,
    based_on: int,
    change: Change,
    *,
    options: ValidationOptions | None = None,
) -> SavedEdit:
    """Store the editor's change as a new draft version (``tour.edit``); a form that
    changes nothing stores nothing.  Raises ``StaleVersion``, ``EditRefused``, ``EditError``."""
    saved = editing.save_edit(
        db_session, slug, based_on, change, editor=actor.name, options=options
    )
    if not saved.unchanged:
        audit.record(db_session, actor, "tour.edit", _target(slug), version=saved.version)
    return saved


def restore_tour_version(
    db_session: Session,
    actor: Actor,
    slug: str,
    version: int,
    based_on: int,
    *,
    options: ValidationOptions | None = None,
) -> SavedEdit:
    """Store an earlier version again as the newest (``tour.restore``).

    Raises ``StaleVersion``, ``EditRefused`` and ``TourNotFound``.
    """
    saved = editing.restore(db_session, slug, version, based_on, editor=actor.name, options=options)
    audit.record(
        db_session, actor, "tour.restore", _target(slug), version=saved.version, restored=version
    )
    return saved


def import_tour_translations(
    db_session: Session,
    actor: Actor,
    slug: str,
    data: bytes,
    options: ValidationOptions | None = None,
) -> TranslationImport:
    """Check a translation CSV and store its texts as a new version (``tour.translations``);
    a refused file or one that changes no text stores nothing.  Raises ``TourNotFound``."""
    outcome = import_translations(db_session, slug, data, options)
    if outcome.ok and outcome.version is not None:
        audit.record(
            db_session,
            actor,
            "tour.translations",
            _target(slug),
            language=outcome.language,
            version=outcome.version,
            changed=outcome.changed,
        )
    return outcome


def declare_tour_language(
    db_session: Session,
    actor: Actor,
    slug: str,
    language: str,
    options: ValidationOptions | None = None,
) -> TranslationImport:
    """Offer a language to visitors: store a version that declares it
    (``tour.language.declare``); none when it was declared already or the check refused
    the new version.  Raises ``TourNotFound`` and ``TranslationError``."""
    outcome = declare_language(db_session, slug, language, options)
    if outcome.ok and outcome.version is not None:
        audit.record(
            db_session,
            actor,
            "tour.language.declare",
            _target(slug),
            language=outcome.language,
            version=outcome.version,
        )
    return outcome


def fork_tour(
    db_session: Session,
    actor: Actor,
    slug: str,
    city: str,
    new_slug: str | None = None,
    *,
    with_scripts: bool = False,
) -> ForkResult:
    """Store a copy of the tour for another city as a draft (``tour.fork``, on the copy),
    holding residents' contributions only as their consent allows kits and exports.

    Raises ``TourNotFound`` and ``ForkError`` (a bad city or slug).
    """

    def shown(document: dict[str, Any]) -> dict[str, Any]:
        return document_for_use(db_session, document, USE_KITS)[0]

    result = store_fork(db_session, slug, city, new_slug, with_scripts=with_scripts, shown=shown)
    audit.record(
        db_session,
        actor,
        "tour.fork",
        _target(result.slug),
        source=slug,
        source_version=result.source_version,
        scripts=with_scripts,
    )
    return result
