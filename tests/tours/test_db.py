from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, select, text
from sqlalchemy.exc import OperationalError, StatementError

from tours.db import (
    Base,
    fetch_first,
    make_engine,
    make_sessionmaker,
    reading,
    transaction,
)
from tours.tour.models import TourRecord


def test_write_lock_takes_sqlite_write_lock_at_begin(tmp_path):
    """A second locking transaction cannot even begin while the first holds the lock."""
    url = f"sqlite:///{tmp_path / 'lock.sqlite3'}"
    holder = make_sessionmaker(make_engine(url))
    impatient = make_sessionmaker(make_engine(url, connect_args={"timeout": 0.1}))
    with transaction(holder, write_lock=True) as held:
        held.execute(text("SELECT 1"))
        with transaction(impatient) as reader:  # a plain reader is not blocked
            assert reader.execute(text("SELECT 2")).scalar() == 2
        with (
            pytest.raises(OperationalError, match="locked"),
            transaction(impatient, write_lock=True) as blocked,
        ):
            blocked.execute(text("SELECT 3"))


def test_datetimes_come_back_aware_in_utc(db_transaction):
    madrid = timezone(timedelta(hours=1))
    with db_transaction() as db_session:
        db_session.add(
            TourRecord(
                slug="t",
                city="Bilbao",
                current_version=1,
                created_at=datetime(2027, 3, 6, 11, tzinfo=madrid),
            )
        )
    with db_transaction() as db_session:
        created = db_session.query(TourRecord).one().created_at
    assert created == datetime(2027, 3, 6, 10, tzinfo=UTC)
    assert created.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db_transaction):
    with pytest.raises(StatementError, match="naive datetimes"), db_transaction() as db_session:
        db_session.add(
            TourRecord(slug="t", city="Bilbao", current_version=1, created_at=datetime(2027, 3, 6))
        )
        db_session.flush()


def statements_of(engine) -> list[str]:
    """Every statement ``engine`` sends from now on (BEGIN and COMMIT included on SQLite)."""
    sent: list[str] = []
    event.listen(
        engine, "before_cursor_execute", lambda conn, cur, sql, *rest: sent.append(sql.strip())
    )
    return sent


def test_reading_sends_only_the_reads(engine):
    sent = statements_of(engine)
    with reading(engine) as conn:
        assert conn.execute(select(TourRecord.slug)).all() == []
        assert conn.execute(text("SELECT 2")).scalar() == 2
    assert [sql.split()[0].upper() for sql in sent] == ["SELECT", "SELECT"]


def test_write_transactions_still_begin_after_a_read_on_the_same_connection(tmp_path, database_url):
    """One pooled connection, used for reading and then for writing: the write transaction
    still begins (``BEGIN IMMEDIATE`` on SQLite) and an error still undoes all of it."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        factory = make_sessionmaker(engine)
        sent = statements_of(engine)
        with reading(engine) as conn:
            conn.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError), transaction(factory, write_lock=True) as db_session:
            db_session.add(TourRecord(slug="half", city="Bilbao", current_version=1))
            db_session.flush()
            raise RuntimeError("stop before the end")
        with transaction(factory) as db_session:
            assert db_session.scalars(select(TourRecord.slug)).all() == []
        if engine.dialect.name == "sqlite":
            assert "BEGIN IMMEDIATE" in sent and sent.count("BEGIN") == 1
    finally:
        engine.dispose()


def test_reading_sees_what_was_committed_while_a_writer_holds_the_lock(tmp_path):
    url = f"sqlite:///{tmp_path / 'read.sqlite3'}"
    writing = make_engine(url)
    reader = make_engine(url, connect_args={"timeout": 0.1})
    try:
        Base.metadata.create_all(writing)
        writer = make_sessionmaker(writing)
        with transaction(writer) as db_session:
            db_session.add(TourRecord(slug="first", city="Bilbao", current_version=1))
        with transaction(writer, write_lock=True) as held:
            held.add(TourRecord(slug="uncommitted", city="Bilbao", current_version=1))
            held.flush()
            with reading(reader) as conn:  # WAL: not blocked, sees only what was committed
                assert conn.execute(select(TourRecord.slug)).scalars().all() == ["first"]
        with reading(reader) as conn:
            assert sorted(conn.execute(select(TourRecord.slug)).scalars()) == [
                "first",
                "uncommitted",
            ]
    finally:
        reader.dispose()
        writing.dispose()


def test_fetch_first_reads_what_was_committed_around_sqlalchemy(engine, db_transaction):
    """The quick read of the public pages: the first row as committed, None for none, the
    connection back in the pool and out of any transaction, and the same row as
    SQLAlchemy's execution gives."""
    by_slug = select(TourRecord.slug, TourRecord.current_version, TourRecord.status).where(
        TourRecord.slug == bindparam("slug"), TourRecord.status == "published"
    )
    with db_transaction() as db_session:
        db_session.add(TourRecord(slug="first", city="Bilbao", current_version=3))
    assert fetch_first(engine, by_slug, {"slug": "first"}) == ("first", 3, "published")
    with reading(engine) as conn:
        assert tuple(conn.execute(by_slug, {"slug": "first"}).one()) == ("first", 3, "published")
    assert fetch_first(engine, by_slug, {"slug": "none"}) is None
    with db_transaction(write_lock=True) as db_session:
        db_session.add(TourRecord(slug="later", city="Bilbao", current_version=1))
        db_session.flush()
        assert fetch_first(engine, by_slug, {"slug": "later"}) is None  # not committed yet
    assert fetch_first(engine, by_slug, {"slug": "later"}) == ("later", 1, "published")
    assert engine.pool.checkedout() == 0
    with engine.connect() as conn:  # the pooled connection is not left in a transaction
        assert not conn.in_transaction()
        conn.execute(text("SELECT 1"))
