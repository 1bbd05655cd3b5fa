"""Imports: storing a tour from files, from the console's import (an upload confirmed after
its preview) or from ``bidean import`` (each file or assembly in its own transaction).

Both write ``tour.import`` in the transaction that stores the version, naming the files;
an import equal to the published version stores nothing and records nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from tours.content.workflows.intake import Intake, store_intake
from tours.content.workflows.uploads import ImportPlan, StoredImport, store_plan


def confirm_upload(
    db_session: Session, actor: Actor, plan: ImportPlan, *, publish: bool, files: list[str]
) -> StoredImport:
    """Store a previewed upload: published when complete and ``publish`` asks, else a draft."""
    stored = store_plan(db_session, plan, publish=publish)
    if not stored.unchanged:
        _record(db_session, actor, stored.slug, stored.version, stored.status, files)
    return stored


def store_import(db_session: Session, actor: Actor, intake: Intake) -> None:
    """Store one file (or assembly) of ``bidean import`` and set the intake's version."""
    store_intake(db_session, intake)
    if not intake.unchanged:
        assert intake.slug is not None and intake.version is not None
        _record(db_session, actor, intake.slug, intake.version, intake.status, intake.files)


def _record(
    db_session: Session, actor: Actor, slug: str, version: int, status: str | None, files: list[str]
) -> None:
    audit.record(
        db_session,
        actor,
        "tour.import",
        f"tour:{slug}",
        version=version,
        status=status,
        files=files,
    )
