"""What the tests of the actions share: one transaction of the app's database, the audit
log as data, and a transaction that fails right after an action wrote its record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from guides.models import AuditEntry
from tests.webapp.console.support import log_in
from tours.booking.models import OutboxMessage
from webapp.common.database import get_db

COORDINATOR = Actor.account("coordinator@example.org")
CLI = Actor.command_line().name  # what the command line is called in the audit log
Entry = tuple[str, str, str, dict[str, Any]]


def entries_in(db_session: Session) -> list[Entry]:
    """Every audit entry as (actor, action, target, details), oldest first."""
    rows = db_session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.actor, e.action, e.target, e.details) for e in rows]


def audit_log(app) -> list[Entry]:
    """The app's audit log, oldest first."""
    with get_db(app).transaction() as db_session:
        return entries_in(db_session)


class AfterRecord(RuntimeError):
    """A failure after the change and its audit record, before the transaction commits."""


def fail_after_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every audit record is written, then its transaction fails: a front door that writes
    the change and its record in one transaction then keeps neither."""
    real = audit.record

    def record(*args: Any, **details: Any) -> None:
        real(*args, **details)
        raise AfterRecord("the transaction fails after the audit record")

    monkeypatch.setattr(audit, "record", record)


def log_in_in_english(client, email: str) -> None:
    """Log in to the console, which then speaks English (the site's default is Spanish)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert log_in(client, email).status_code == 302


@contextmanager
def one_transaction(app) -> Iterator[Session]:
    """The app's context and ONE write transaction, as a front door opens them."""
    with app.app_context(), get_db(app).transaction(write_lock=True) as db_session:
        yield db_session


def outbox_count(app) -> int:
    with app.app_context(), get_db(app).transaction() as db_session:
        return db_session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
