"""The mail worker: sends what the outbox holds, one message per step.

``bidean mail worker`` runs it as its own process (see docs/deployment.md);
``bidean serve`` runs it as a thread beside the development server.  Each step claims
one due message (``tours.booking.outbox.claim_next``), sends it and records the outcome:

- sent: marked ``sent`` in the same transaction that held the claim (PostgreSQL) or
  right after (SQLite), so a crash in between re-sends at most that one message, with
  the same ``Message-ID`` (it is part of the stored bytes) so clients can spot it; if
  only the database connection was lost (PostgreSQL restarting), the worker remembers
  the send and records it first thing when the database is back;
- a transient failure (connection refused, timeout, a 4xx answer): tried again later
  with a growing delay (``outbox.backoff``);
- a permanent failure (recipient refused with 5xx, unencodable, no SMTPUTF8 for a
  non-ASCII address): marked ``failed`` with the reason; the next message goes on.

Every ``PURGE_EVERY_S`` the worker also removes the console's import uploads left
unconfirmed past ``IMPORT_STAGING_MINUTES`` (:func:`purge_imports`).  It is here, not in
``bidean purge``, because the worker is the one process every deployment keeps running
(``bidean serve`` too, as a thread), so uploads go within a minute of expiring instead
of waiting for a cron job or the next upload; it shares the web processes' disk settings.

Features register tasks that run at the same pace (``register_periodic``): asking
walkers for feedback after their walk (``webapp.actions.feedback``) records its emails
there, and this worker sends them.  A failing task is logged and the mail goes on.
"""

from __future__ import annotations

import re
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from tours.booking import outbox
from tours.booking.models import OutboxMessage
from tours.content.workflows import staging
from webapp.common import privacy
from webapp.common.database import get_db
from webapp.mail import messages, transport

POLL_S = 2.0
PURGE_EVERY_S = 60.0
COMPOSE_BATCH = 16
SENT = "sent"
RETRY = "retry"
FAILED = "failed"
# Where ``wake`` finds the event of the worker thread ``bidean serve`` runs.
WAKE_EVENT = "bidean.mail.wake"
# From the start of a run only (the lookbehind): tried from each character of a long run
# without an "@", the expression scanned to its end every time (quadratic).
_ADDRESS = re.compile(r"(?<![^\s<>()\"',;:])[^\s<>()\"',;:]+@[^\s<>()\"',;:]+")


@dataclass(frozen=True)
class Outcome:
    message_id: int
    result: str  # sent, retry or failed
    error: str | None = None


def _describe(exc: BaseException) -> str:
    """The error for the log and the outbox row, with any address in it blanked."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = [
            f"{code} {text.decode(errors='replace')}" for code, text in exc.recipients.values()
        ]
        text = "recipient refused: " + "; ".join(answers)
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{type(exc).__name__}: {exc.smtp_code} {exc.smtp_error!r}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return _ADDRESS.sub("<address>", text)


def classify(exc: BaseException) -> str:
    """``retry`` for what may work later, ``failed`` for what never will."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return FAILED if codes and all(code >= 500 for code in codes) else RETRY
    if isinstance(exc, smtplib.SMTPResponseException):
        return FAILED if exc.smtp_code >= 500 else RETRY
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)):
        return RETRY
    # Unencodable text, SMTPUTF8 missing, anything unforeseen: retrying cannot help.
    return FAILED


def _attempt(app: Flask, message: OutboxMessage) -> tuple[str, str | None]:
    if not message.raw:
        return FAILED, message.last_error or "empty message"
    privacy.remember(message.recipient)
    try:
        transport.transmit(app, message.id, message.kind, message.recipient, message.raw)
    except Exception as exc:  # every failure is recorded; none may stop the worker
        return classify(exc), _describe(exc)
    finally:
        privacy.forget()
    return SENT, None


def _apply(message: OutboxMessage, result: str, error: str | None) -> None:
    if result == SENT:
        outbox.mark_sent(message)
    elif result == RETRY:
        outbox.mark_retry(message, error or "")
    else:
        outbox.mark_failed(message, error or "")


# Messages this process sent whose "sent" mark was lost with the database connection
# (a PostgreSQL restart between the send and the commit): recorded before anything else
# is sent, so the restart does not make them go out again.
_unrecorded: dict[int, set[int]] = {}
_unrecorded_lock = threading.Lock()


def _record_unrecorded(app: Flask) -> None:
    with _unrecorded_lock:
        pending = set(_unrecorded.get(id(app), ()))
    if not pending:
        return
    with get_db(app).transaction() as db_session:
        for message_id in pending:
            row = db_session.get(OutboxMessage, message_id, with_for_update=True)
            if row is not None and row.status != outbox.SENT:
                outbox.mark_sent(row)
    with _unrecorded_lock:
        _unrecorded[id(app)] -= pending


def has_unrecorded(app: Flask) -> bool:
    with _unrecorded_lock:
        return bool(_unrecorded.get(id(app)))


def send_next(app: Flask, ids: list[int] | None = None) -> Outcome | None:
    """Claim, send and record one due message; None when nothing is due."""
    db = get_db(app)
    _record_unrecorded(app)
    if db.engine.dialect.name == "postgresql":
        result, claimed_id = None, None
        try:
            with db.transaction() as db_session:
                message = outbox.claim_next(db_session, ids=ids)
                if message is None:
                    return None
                claimed_id = message.id  # readable after a rollback expired the row
                result, error = _attempt(app, message)
                _apply(message, result, error)
                outcome = Outcome(message.id, result, error)
        except Exception:
            if result == SENT and claimed_id is not None:  # sent, but the commit failed
                with _unrecorded_lock:
                    _unrecorded.setdefault(id(app), set()).add(claimed_id)
            raise
    else:
        with db.transaction(write_lock=True) as db_session:
            message = outbox.claim_next(db_session, ids=ids)
            if message is None:
                return None
            db_session.expunge(message)
        result, error = _attempt(app, message)
        with db.transaction(write_lock=True) as db_session:
            claimed = db_session.get(OutboxMessage, message.id)
            if claimed is not None and claimed.status == outbox.SENDING:
                _apply(claimed, result, error)
        outcome = Outcome(message.id, result, error)
    if error:
        app.logger.warning(
            "mail %s (%s) not sent (%s): %s", outcome.message_id, message.kind, result, error
        )
    return outcome


def compose_waiting(app: Flask, ids: list[int] | None = None) -> int:
    """Compose the messages recorded to compose later (``messages.record_later``); how many.

    Each batch is composed and stored in a transaction of its own, before any of it is
    sent, so a resend always sends the same bytes (and ``Message-ID``).  PostgreSQL
    workers skip each other's batches; on SQLite the batch is one message, so the write
    lock is held for one message's composing at a time.
    """
    db = get_db(app)
    size = COMPOSE_BATCH if db.engine.dialect.name == "postgresql" else 1
    composed = 0
    while True:
        with db.transaction(write_lock=True) as db_session:
            batch = outbox.to_compose(db_session, ids=ids, limit=size)
            for message in batch:
                privacy.remember(message.recipient)
                try:
                    messages.compose_recorded(app, db_session, message)
                finally:
                    privacy.forget()
        composed += len(batch)
        if len(batch) < size:
            return composed


def drain(
    app: Flask, ids: list[int] | None = None, *, stop: Callable[[], bool] = lambda: False
) -> list[Outcome]:
    """Compose and send every due message (of ``ids`` when given) until none is left.

    One SMTP connection serves the whole run (``transport._send_smtp`` reuses it while it
    answers well); it is closed at the end, so an idle worker holds none open.
    """
    outcomes: list[Outcome] = []
    try:
        compose_waiting(app, ids)
        while not stop():
            outcome = send_next(app, ids)
            if outcome is None:
                if compose_waiting(app, ids):  # recorded while these were being sent
                    continue
                break
            outcomes.append(outcome)
    finally:
        transport.close_smtp()
    return outcomes


def retry_all(app: Flask) -> list[Outcome]:
    """``bidean mail retry``: failed and waiting messages are due again, then sent."""
    with get_db(app).transaction(write_lock=True) as db_session:
        outbox.requeue(db_session)
    return drain(app)


def purge_imports(app: Flask) -> int:
    """Remove the console's import uploads older than their lifetime; how many."""
    root = Path(app.config["IMPORT_STAGING_DIR"])
    return staging.purge_expired(root, float(app.config["IMPORT_STAGING_MINUTES"]) * 60)


# Tasks a feature runs every ``PURGE_EVERY_S`` in the worker (they take the app).
PERIODIC: list[Callable[[Flask], None]] = []


def register_periodic(task: Callable[[Flask], None]) -> None:
    """Run ``task(app)`` every ``PURGE_EVERY_S`` in the mail worker (and ``--once``)."""
    if task not in PERIODIC:
        PERIODIC.append(task)


def run_periodic(app: Flask) -> None:
    """Run every registered task; one that fails is logged and skipped."""
    for task in PERIODIC:
        try:
            task(app)
        except Exception as exc:  # the database restarting, say: next time
            app.logger.warning("periodic task %s failed: %s", task.__name__, type(exc).__name__)


def _purge_imports_safely(app: Flask) -> None:
    try:
        purge_imports(app)
    except OSError as exc:  # a disk problem must not stop the mail
        app.logger.warning("import uploads not purged: %s", type(exc).__name__)


def run(app: Flask, stop: threading.Event, wake: threading.Event | None = None) -> None:
    """Send until ``stop`` is set, sleeping ``POLL_S`` (or until woken) when idle, and
    purge expired import uploads and run the periodic tasks every ``PURGE_EVERY_S``.

    A database that goes away only pauses the worker: it logs and tries again.
    """
    wake = wake or threading.Event()
    purged_at: float | None = None
    while not stop.is_set():
        if purged_at is None or time.monotonic() - purged_at >= PURGE_EVERY_S:
            _purge_imports_safely(app)
            run_periodic(app)
            purged_at = time.monotonic()
        try:
            drain(app, stop=stop.is_set)
        except Exception as exc:  # the database restarting, say: wait and carry on
            app.logger.warning("mail worker paused: %s", type(exc).__name__)
            # With a send to record, come back quickly: before another worker resends it.
            stop.wait(0.1 if has_unrecorded(app) else POLL_S)
            continue
        wake.wait(POLL_S)
        wake.clear()


def start_thread(app: Flask) -> threading.Event:
    """Run the worker in a daemon thread of this process (``bidean serve``); returns stop."""
    stop = threading.Event()
    wake = threading.Event()
    app.extensions[WAKE_EVENT] = wake
    thread = threading.Thread(target=run, args=(app, stop, wake), name="mail-worker", daemon=True)
    thread.start()
    return stop


def wake(app: Flask | None = None) -> None:
    """Tell an in-process mail worker (``bidean serve``) that messages are waiting."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    event = app.extensions.get(WAKE_EVENT)
    if isinstance(event, threading.Event):
        event.set()
