"""The audit log: who changed what, and when.  Written in the transaction of the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guides.models import AuditEntry


def record(db: Session, actor: str, action: str, target: str, /, **details: Any) -> None:
    """Add one entry in the caller's transaction; ``details`` must be JSON values."""
    db.add(AuditEntry(actor=actor[:254], action=action[:64], target=target[:128], details=details))
    db.flush()


def recent(session: Session, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(session.scalars(query))
