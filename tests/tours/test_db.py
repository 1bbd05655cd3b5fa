from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, StatementError

from tours.db import make_engine, make_sessionmaker, transaction
from tours.models import TourRecord


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


def test_datetimes_come_back_aware_in_utc(db_session):
    madrid = timezone(timedelta(hours=1))
    with db_session() as s:
        s.add(
            TourRecord(
                slug="t",
                city="Bilbao",
                current_version=1,
                created_at=datetime(2027, 3, 6, 11, tzinfo=madrid),
            )
        )
    with db_session() as s:
        created = s.query(TourRecord).one().created_at
    assert created == datetime(2027, 3, 6, 10, tzinfo=UTC)
    assert created.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db_session):
    with pytest.raises(StatementError, match="naive datetimes"), db_session() as s:
        s.add(
            TourRecord(slug="t", city="Bilbao", current_version=1, created_at=datetime(2027, 3, 6))
        )
        s.flush()
