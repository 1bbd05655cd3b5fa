"""Shared fixtures: a fresh real database per test (SQLite always, PostgreSQL when
``BIDEAN_TEST_POSTGRES_URL`` is set), the app, its test client and CLI runner."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from tests.booking_support import assert_invariant
from tours.db import Base, make_engine, make_sessionmaker, transaction
from webapp import create_app
from webapp.common.database import upgrade
from webapp.common.i18n import TRANSLATION_DIRECTORIES, ensure_compiled

REPO = Path(__file__).resolve().parent.parent
SHARED_INTEROP = REPO.parent / "shared" / "interop"
POSTGRES_URL = os.environ.get("BIDEAN_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """The ``.mo`` catalogues are build products; compile them once when stale."""
    root = REPO / "webapp"
    ensure_compiled([root / TRANSLATION_DIRECTORIES])


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A database of its own for this test run on the PostgreSQL server, dropped at the end."""
    if not POSTGRES_URL:
        yield None
        return
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"bidean_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend in turn."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bidean.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    url = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine):
    """A factory for one-transaction units of work: ``with db_session() as s: ...``."""
    factory = make_sessionmaker(engine)
    return lambda **kw: transaction(factory, **kw)


@pytest.fixture
def seat_invariant(db_session):
    """After the test, seats taken equal confirmed party sizes on every departure.

    Booking test modules apply it with ``pytestmark = pytest.mark.usefixtures(...)``.
    """
    yield
    assert_invariant(db_session)


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            # The test client's host: links in mail and API answers come from PUBLIC_URL.
            "PUBLIC_URL": "http://localhost",
        }
    )
    yield app
    app.extensions["bidean.db"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def sample_routes() -> list[Path]:
    return sorted((REPO / "data" / "routes").glob("*.geojson"))


@pytest.fixture
def interop() -> Path:
    """The shared interop corpus; tests using it skip when ``../shared`` is absent."""
    if not SHARED_INTEROP.is_dir():
        pytest.skip("../shared/interop is not beside this checkout")
    return SHARED_INTEROP
