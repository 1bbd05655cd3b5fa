"""The audit log: who changed what, and when.  Written in the transaction of the change."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tours.db import Base, utcnow


class AuditEntry(Base):
    """Who changed what, when: every change made from the console or the command line."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]]


@dataclass(frozen=True)
class Actor:
    """Who asked for an action, as the audit log names them."""

    name: str

    @classmethod
    def account(cls, email: str) -> Actor:
        """A console account (coordinator or guide), by its email."""
        return cls(email)

    @classmethod
    def command_line(cls) -> Actor:
        """The ``bidean`` command line, with the operating-system user who ran it."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            user = "unknown"
        return cls(f"cli:{user}")

    @classmethod
    def public(cls) -> Actor:
        """Anyone on the public site or API (a booker, a visitor)."""
        return cls("public")


def record(
    db_session: Session, actor: Actor | str, action: str, target: str, /, **details: Any
) -> None:
    """Add one entry in the caller's transaction; ``details`` must be JSON values."""
    name = actor.name if isinstance(actor, Actor) else actor
    db_session.add(
        AuditEntry(actor=name[:254], action=action[:64], target=target[:128], details=details)
    )
    db_session.flush()


def recent(db_session: Session, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(db_session.scalars(query))
