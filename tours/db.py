"""Database plumbing shared by every model: the declarative base, engines, transactions.

No Flask here: the web layer and the CLI both open sessions through these functions,
so a command-line import and a web request follow the same one-transaction rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    InvalidatePoolError,
    OperationalError,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

# An execution option: a connection that only reads, one statement at a time (see ``reading``).
READ_ONLY = "bidean_read_only"

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class unicode_lower(FunctionElement[str]):
    """A text column in lower case for comparing without case, the same on both backends.

    PostgreSQL's ``lower`` knows every alphabet; SQLite's knows ASCII only (``Élodie``
    would never match ``élodie``), so SQLite connections get Python's ``str.lower`` as
    ``bidean_lower`` (``make_engine``).  Compare with ``needle.lower()``.
    """

    type = String()
    name = "unicode_lower"
    inherit_cache = True


@compiles(unicode_lower)
def _lower(element: unicode_lower, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "sqlite")
def _lower_sqlite(element: unicode_lower, compiler: SQLCompiler, **kw: Any) -> str:
    return f"bidean_lower({compiler.process(element.clauses, **kw)})"


def _python_lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime,
    }


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, a busy timeout and WAL.

    SQL parameters are kept out of error messages (``hide_parameters``): they hold
    bookers' names and addresses, and error messages end up in logs.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's implicit BEGIN is disabled so that ``begin_immediate`` below
            # controls locking; without it two writers could both read a stale count.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            dbapi_conn.create_function("bidean_lower", 1, _python_lower, deterministic=True)
            if ":memory:" not in url and url != "sqlite://":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            options = conn.get_execution_options()
            if options.get(READ_ONLY, False):
                return  # autocommit: each statement reads one consistent snapshot
            immediate = options.get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # A ping before each checkout (one round trip): after a restart every pooled
    # connection is dead, and reads (``reading``) are not run again as transactions are,
    # so without it the first requests after a restart answered 500.  ``run_transaction``
    # runs its work again on a connection that dies before or during a statement, so its
    # checkouts skip the ping (``_PING``): that is one round trip of every booking.
    # ``pool_recycle`` retires idle connections before a firewall can cut them silently.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_engine(url, **kwargs)
    _ping_on_checkout(engine)
    return engine


# False while ``run_transaction`` runs its work: its checkouts are not pinged.
_PING: ContextVar[bool] = ContextVar("bidean_ping_on_checkout", default=True)
_FRESH = "bidean_fresh"


def _ping_on_checkout(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, skipped inside ``run_transaction`` (``_PING``).

    A connection found dead invalidates the whole pool (after a restart every pooled
    connection is), and the pool hands out a new one, as ``pool_pre_ping`` does.  A
    connection just opened is not pinged.
    """

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_conn: Any, record: Any) -> None:
        record.info[_FRESH] = True

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if record.info.pop(_FRESH, False) or not _PING.get():
            return
        dialect = engine.dialect
        try:
            alive = dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_conn, None):
                raise
            alive = False
        if not alive:
            raise InvalidatePoolError()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session], *, write_lock: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close.

    ``write_lock`` makes SQLite take its write lock at BEGIN (``BEGIN IMMEDIATE``) so a
    check-then-write such as taking seats cannot interleave with another writer;
    PostgreSQL code takes row locks (``SELECT ... FOR UPDATE``) instead.
    """
    db_session = factory()
    if write_lock and db_session.get_bind().dialect.name == "sqlite":
        db_session.connection(execution_options={"sqlite_immediate": True})
    try:
        yield db_session
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    finally:
        db_session.close()


T = TypeVar("T")
# Attempts of ``run_transaction``: a stale connection needs one more, a clash a few.
ATTEMPTS = 8


# SQLSTATE 23503 (PostgreSQL); SQLite names the constraint in its extended error code.
_FOREIGN_KEY_VIOLATION = ("23503", "SQLITE_CONSTRAINT_FOREIGNKEY")


def foreign_key_violated(error: IntegrityError) -> bool:
    """True when ``error`` is a foreign key naming a row that does not exist."""
    driver_error = error.orig
    code = getattr(driver_error, "sqlstate", None)
    code = code or getattr(driver_error, "sqlite_errorname", None)
    return code in _FOREIGN_KEY_VIOLATION


class TryAgain(Exception):
    """Raised inside ``run_transaction`` work: roll back and run the work again.

    For a clash only a new transaction can resolve without a savepoint (a booking
    reference drawn twice, a concurrent twin with the same idempotency key).
    """


class CommitLost(Exception):
    """The COMMIT of ``run_transaction`` failed on a connection error: the database may
    have committed and its reply been lost (a dropped connection, a restart), or not.

    Only the caller can tell which, by looking for what the work wrote (a booking by its
    idempotency key) on a new connection.  ``error`` is the driver's error.
    """

    def __init__(self, error: DBAPIError) -> None:
        self.error = error
        super().__init__(str(error))


def run_transaction(
    factory: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    write_lock: bool = False,
    attempts: int = ATTEMPTS,
) -> T:
    """``work(session)`` in one transaction, run again from scratch when that is safe.

    Again when ``work`` raised ``TryAgain``, or when a statement inside it found the
    connection dead (the database restarted since the connection was pooled): nothing
    was committed then, so running the work again cannot do anything twice.  A failed
    COMMIT is never run again here (it may have committed): a connection error then
    raises ``CommitLost``, any other error propagates as before.  So its connections
    are not pinged when they leave the pool: a dead one costs this retry, not a 500.
    """
    for attempt in range(attempts):
        last = attempt == attempts - 1
        stage = "begin"
        unpinged = _PING.set(False)  # a dead connection fails in "work": run again
        try:
            with transaction(factory, write_lock=write_lock) as db_session:
                stage = "work"
                result = work(db_session)
                stage = "commit"
            return result
        except TryAgain:
            if last:
                raise
        except DBAPIError as exc:
            # The classes of a connection refused, dropped or closed under the driver
            # (``webapp.common.errors`` answers them 503).
            if stage == "commit" and isinstance(exc, (OperationalError, InterfaceError)):
                raise CommitLost(exc) from exc
            if last or stage != "work" or not exc.connection_invalidated:
                raise
        finally:
            _PING.reset(unpinged)
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads that need no transaction around them, in autocommit mode.

    Each statement sees one consistent snapshot of its own, so a read that needs several
    statements to agree must be one statement (a join) or use ``transaction``.  Nothing
    may be written through it: writes go through ``transaction``.  Skipping BEGIN and
    COMMIT saves two statements (and on PostgreSQL two round trips) per read; the
    hot public pages read this way.
    """
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name != "sqlite":
        options["isolation_level"] = "AUTOCOMMIT"
    with engine.connect() as conn:
        conn.execution_options(**options)
        yield conn


def fetch_first(
    engine: Engine, statement: ClauseElement, params: Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """The first row of a small read outside any transaction, as ``reading`` would give
    it, straight through a pooled DBAPI connection (autocommit on PostgreSQL).

    For the hottest read of the public pages (a tour's versions): SQLAlchemy's connection
    and execution cost eight times what SQLite takes to answer.  So: no type processing
    of parameters or columns (plain text and integers only) and no execution events;
    the driver's errors are raised as SQLAlchemy's, as any other statement's (a dropped
    connection is thrown away, and the error pages say the database is unavailable).
    """
    sql, names, defaults = _compiled(engine.dialect, statement)
    values = {**defaults, **params}
    args: Any = tuple(values[name] for name in names) if names is not None else values
    dbapi_error = engine.dialect.loaded_dbapi.Error
    postgresql = engine.dialect.name == "postgresql"
    try:
        raw = engine.raw_connection()
    except dbapi_error as error:  # no connection to be had: the database is down
        raise DBAPIError.instance(
            None, None, error, dbapi_error, hide_parameters=True, dialect=engine.dialect
        ) from error
    try:
        cursor = raw.cursor()
        try:
            if postgresql:
                raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            cursor.execute(sql, args)
            row = cursor.fetchone()
        except dbapi_error as error:
            dropped = engine.dialect.is_disconnect(error, raw.dbapi_connection, cursor)
            if dropped:
                raw.invalidate(error)
            raise DBAPIError.instance(
                sql,
                None,
                error,
                dbapi_error,
                hide_parameters=True,
                connection_invalidated=dropped,
                dialect=engine.dialect,
            ) from error
        finally:
            if postgresql and raw.dbapi_connection is not None:
                raw.driver_connection.autocommit = False  # type: ignore[union-attr]
            cursor.close()
    finally:
        raw.close()
    return tuple(row) if row is not None else None


@lru_cache(maxsize=64)
def _compiled(
    dialect: Dialect, statement: ClauseElement
) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """``statement``'s SQL for ``dialect``, its parameters' order (positional styles) and
    their values bound in the statement itself."""
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ()) if compiled.positional else None
    return compiled.string, names, dict(compiled.construct_params(_check=False))
