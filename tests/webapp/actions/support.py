"""What the action tests share: one transaction of the app's database, and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from tours.booking.models import OutboxMessage
from webapp.common.database import get_db

COORDINATOR = Actor.account("coordinator@example.org")


@contextmanager
def one_transaction(app) -> Iterator[Session]:
    """The app's context and ONE write transaction, as a front door opens them."""
    with app.app_context(), get_db(app).transaction(write_lock=True) as db_session:
        yield db_session


def audit_rows(app) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every audit record, oldest first: (actor, action, target, details)."""
    with app.app_context(), get_db(app).transaction() as db_session:
        return [
            (e.actor, e.action, e.target, e.details) for e in reversed(audit.recent(db_session))
        ]


def outbox_count(app) -> int:
    with app.app_context(), get_db(app).transaction() as db_session:
        return db_session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
