"""The database as the web layer sees it: one engine per app, one transaction per action.

Every command that writes first brings the schema up to date (``upgrade``).  Alembic's
environment (its own import, the revision modules, every model) costs most of a second,
so the check that the schema is already the newest is one query against
``alembic_version`` and a read of the revision files' text (``newest_revisions``);
Alembic is imported only when there is something to migrate (issue #21: ``bidean
import`` of a 1 KB file took 2.8 s).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from tours.db import make_engine, make_sessionmaker, transaction

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
#: ``revision = "0013"`` and ``down_revision = "0012"`` (or a tuple, or None) in a
#: revision file, as Alembic's template writes them (a type annotation allowed).
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)


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
    # Late import, only for the CLI's start-up: Alembic is needed only to migrate.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to date with the Alembic migrations (to ``revision``); a
    schema already at the newest costs two small queries, not Alembic's environment."""
    if revision == "head" and schema_is_current(engine):
        return
    # Late import, only for the CLI's start-up: see the module's docstring.
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


@lru_cache(maxsize=1)
def newest_revisions() -> frozenset[str]:
    """The heads of the migrations this code carries: the revisions no other one revises.

    Read from the revision files' text (once per process), without importing them or
    Alembic; ``tests/webapp/test_migrations.py`` keeps it equal to Alembic's heads.
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values = dict(
            (name, ast.literal_eval(value))
            for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8"))
        )
        if "revision" not in values:
            continue
        revisions.add(values["revision"])
        down = values.get("down_revision")
        revised.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - revised)


def current_revisions(engine: Engine) -> frozenset[str]:
    """The revisions the database's schema is at (none before the first migration).
    Raises SQLAlchemy's ``OperationalError`` when the database cannot be reached."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return frozenset()
        rows = connection.execute(text("SELECT version_num FROM alembic_version"))
        return frozenset(row[0] for row in rows)


def schema_is_current(engine: Engine) -> bool:
    """True when the database's schema is the newest migration's; False when it has no
    tables or older ones (``bidean init-db`` upgrades it).  Raises SQLAlchemy's
    ``OperationalError`` when the database cannot be reached."""
    return current_revisions(engine) == newest_revisions()


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("tours")
