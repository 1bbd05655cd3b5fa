"""The database as the web layer sees it: one engine per app, one transaction per action."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from tours.db import make_engine, make_sessionmaker, transaction

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self, *, write_lock: bool = False) -> Iterator[Session]:
        with transaction(self.sessions, write_lock=write_lock) as db_session:
            yield db_session


def init_app(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    app.extensions["bidean.db"] = Database(engine, make_sessionmaker(engine))


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["bidean.db"]


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to date with the Alembic migrations."""
    command.upgrade(alembic_config(engine), revision)


@lru_cache(maxsize=1)
def newest_revisions() -> frozenset[str]:
    """The heads of the migrations this code carries (read once per process)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def schema_is_current(engine: Engine) -> bool:
    """True when the database's schema is the newest migration's; False when it has no
    tables or older ones (``bidean init-db`` upgrades it).  Raises SQLAlchemy's
    ``OperationalError`` when the database cannot be reached."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return frozenset(current) == newest_revisions()


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("tours")
