"""Forgetting people: personal data of past departures is removed, counts stay.

Bookings and waiting-list entries keep their party size, status and reference (so
attendance figures survive); names, email addresses, phone numbers and notes are
emptied and the messages sent to those people are deleted.  Group requests (their
contact's details) go whole: an accepted one once its walk is that old, any other once
it was made that long ago, with the messages to their contacts.  ``message_files`` lists the
deleted messages so the caller can remove their development ``.eml`` copies after the
commit, and ``vacuum_purged`` then has the database forget the old values too.

Walkers' feedback keeps its rating, recommendation, language and dates (the impact
report's figures); what they wrote (``learned``) and the name to credit go with the
booking's personal data, unless they allowed quoting: then both stay, as they agreed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from tours.booking.models import (
    ACCEPTED,
    Booking,
    Departure,
    GroupRequest,
    OutboxMessage,
    WaitlistEntry,
    WalkFeedback,
)
from tours.db import utcnow

# The kinds of message sent to a group request's contact (``webapp.actions.groups``).
GROUP_MESSAGES = ("group_received", "group_accepted", "group_declined", "group_proposed")


@dataclass(frozen=True)
class PurgeResult:
    departures: int
    bookings: int
    waitlist_entries: int
    messages: int
    message_files: list[tuple[int, str]] = field(default_factory=list)  # (id, kind)
    group_requests: int = 0
    feedback: int = 0  # answers whose free text and credit name were emptied

    def touched_tables(self) -> list[str]:
        """The tables whose rows the purge changed or deleted."""
        changed = {
            Booking.__tablename__: self.bookings,
            WaitlistEntry.__tablename__: self.waitlist_entries,
            OutboxMessage.__tablename__: self.messages,
            GroupRequest.__tablename__: self.group_requests,
            WalkFeedback.__tablename__: self.feedback,
        }
        return [table for table, rows in changed.items() if rows]


def parse_age(text: str) -> timedelta:
    """``90d``, ``12w`` or ``36h`` as a timedelta; ValueError with a hint otherwise."""
    units = {"d": "days", "w": "weeks", "h": "hours"}
    raw = text.strip().lower()
    number, unit = raw[:-1], raw[-1:]
    if unit not in units or not number.isdigit():
        raise ValueError(
            f"{text!r} is not an age: write a whole number followed by d (days), "
            "w (weeks) or h (hours), for example 90d."
        )
    return timedelta(**{units[unit]: int(number)})


def purge_personal_data(
    db_session: Session, older_than: timedelta, *, now: datetime | None = None
) -> PurgeResult:
    """Empty personal fields of departures that started more than ``older_than`` ago."""
    cutoff = (now or utcnow()) - older_than
    stamp = now or utcnow()
    past = select(Departure.id).where(Departure.starts_at < cutoff)
    departures = len(db_session.scalars(past).all())
    bookings = db_session.execute(
        update(Booking)
        .where(Booking.departure_id.in_(past), Booking.purged_at.is_(None))
        .values(name=None, email=None, phone=None, notes=None, purged_at=stamp)
        .execution_options(synchronize_session=False)
    ).rowcount
    entries = db_session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.departure_id.in_(past), WaitlistEntry.purged_at.is_(None))
        .values(name=None, email=None, phone=None, purged_at=stamp)
        .execution_options(synchronize_session=False)
    ).rowcount
    # Messages about a group request that no walk holds (its receipt, a decline, a date
    # proposed) are as old as the request they answer, or older.
    to_contacts = and_(
        OutboxMessage.departure_id.is_(None),
        OutboxMessage.kind.in_(GROUP_MESSAGES),
        OutboxMessage.created_at < cutoff,
    )
    forgotten = or_(OutboxMessage.departure_id.in_(past), to_contacts)
    doomed = [
        (message_id, kind)
        for message_id, kind in db_session.execute(
            select(OutboxMessage.id, OutboxMessage.kind).where(forgotten)
        )
    ]
    messages = db_session.execute(
        delete(OutboxMessage).where(forgotten).execution_options(synchronize_session=False)
    ).rowcount
    groups = db_session.execute(
        delete(GroupRequest)
        .where(
            or_(
                and_(GroupRequest.status == ACCEPTED, GroupRequest.departure_id.in_(past)),
                and_(GroupRequest.status != ACCEPTED, GroupRequest.created_at < cutoff),
            )
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    feedback = db_session.execute(
        update(WalkFeedback)
        .where(
            WalkFeedback.departure_id.in_(past),
            WalkFeedback.quote_consent.is_(False),
            or_(WalkFeedback.learned.is_not(None), WalkFeedback.credit_name.is_not(None)),
        )
        .values(learned=None, credit_name=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return PurgeResult(departures, bookings, entries, messages, doomed, groups, feedback)


def vacuum_purged(engine: Engine, result: PurgeResult) -> list[str]:
    """Vacuum the tables the committed purge touched (``vacuum_tables``).

    An UPDATE leaves the old row version, email and all, in the table's files until a
    vacuum reclaims it, and ANALYZE's column statistics (``pg_stats``: common values,
    histograms) keep sampled addresses until the next analyze.  VACUUM cannot run inside
    a transaction, hence the autocommit connection.  Returns the tables vacuumed.
    """
    return vacuum_tables(engine, result.touched_tables())


def vacuum_tables(engine: Engine, tables: Iterable[str]) -> list[str]:
    """Have the database forget the old values of these tables, after the commit that
    changed them; returns the tables vacuumed.  A withdrawn story uses it too.

    PostgreSQL: ``VACUUM (ANALYZE)`` them, outside any transaction.  SQLite keeps deleted
    and overwritten rows readable in its file's free space and in its write-ahead log
    until they are reused, and vacuums only the whole file: ``VACUUM`` it, then copy the
    log into the file and empty it (``wal_checkpoint(TRUNCATE)``).
    """
    tables = list(tables)
    if not tables:
        return []
    if engine.dialect.name == "sqlite":
        _vacuum_sqlite(engine)
        return tables
    if engine.dialect.name != "postgresql":
        return []
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) " + ", ".join(quote(table) for table in tables))
    return tables


def _vacuum_sqlite(engine: Engine) -> None:
    # The DB-API connection itself: make_engine's connections run statements outside a
    # transaction unless SQLAlchemy's begins one, and VACUUM refuses to run inside one.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("VACUUM")
        # Waits for readers (the busy timeout); should one still hold the log, its old
        # frames stay until a later checkpoint resets it.
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        cursor.close()
    finally:
        raw.close()
