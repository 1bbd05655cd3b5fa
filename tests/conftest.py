"""Shared fixtures: a fresh real database per test (SQLite always, PostgreSQL when
``BIDEAN_TEST_POSTGRES_URL`` is set), the app, its test client and CLI runner.

The schema is migrated once per run and backend: each SQLite test gets a copy of a
migrated file, and the run's PostgreSQL database is emptied between tests.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from itsdangerous.timed import TimestampSigner
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

import webapp.migrations.env_models  # noqa: F401  (every table in Base.metadata)
from guides import accounts
from tests.booking_support import assert_invariant
from tours.db import Base, make_engine, make_sessionmaker, transaction
from webapp import create_app
from webapp.common.database import upgrade
from webapp.common.i18n import TRANSLATION_DIRECTORIES, ensure_compiled
from webapp.media.store import MediaStore, StoredImage, content_key

REPO = Path(__file__).resolve().parent.parent
SHARED_INTEROP = REPO.parent / "shared" / "interop"
POSTGRES_URL = os.environ.get("BIDEAN_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """The ``.mo`` catalogues are build products; compile them once when stale."""
    root = REPO / "webapp"
    ensure_compiled([root / TRANSLATION_DIRECTORIES])


# argon2 at its production cost (RFC 9106's second choice: 64 MiB, 3 passes, 4 lanes)
# takes about 0.25 s of CPU for each hash and each check; the console tests create and
# log in hundreds of accounts.  They get the cheapest argon2id instead: the same code
# paths and hash format.  Processes the tests start (``bidean serve``) keep the real cost,
# and tests/webapp/console/test_accounts.py checks the production parameters.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", TEST_HASHER)
        patch.setattr(accounts, "_DUMMY_HASH", TEST_HASHER.hash(uuid.uuid4().hex))
        yield


class SharedBytecode(BytecodeCache):
    """Compiled templates shared by every app of the run (Jinja checks each source's hash).

    Each test builds its own app, and each app's Jinja environment would otherwise
    compile every template it renders again.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def shared_template_bytecode() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        options = {**Flask.jinja_options, "bytecode_cache": SharedBytecode()}
        patch.setattr(Flask, "jinja_options", options)
        yield


@pytest.fixture(scope="session", autouse=True)
def encoded_images_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each image is re-encoded once per run, not once per test's media store.

    The store is content-addressed (the folder's name is the hash of the original) and
    encoding is deterministic, so a store that lacks an image the run has already
    encoded gets a copy of that folder: the same files ``add`` would write.  Loading the
    sample tours re-encoded their photos in every test that loaded them.
    """
    done = tmp_path_factory.mktemp("encoded-images")
    encode = MediaStore.add

    def add(store: MediaStore, data: bytes, name: str) -> StoredImage:
        key = content_key(data)
        if (done / key).is_dir() and store.get(key) is None:
            store.root.mkdir(parents=True, exist_ok=True)
            shutil.copytree(done / key, store.root / key)
        stored = encode(store, data, name)
        if not (done / key).is_dir():
            shutil.copytree(store.root / key, done / key)
        return stored

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MediaStore, "add", add)
        yield


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


@pytest.fixture(scope="session")
def empty_postgres(postgres_database: str) -> Iterator[Callable[[], None]]:
    """Empties the run's PostgreSQL database: every table, and sequences back to 1.

    ``DELETE`` (children first) rather than ``TRUNCATE``, which replaces and syncs every
    table's files: on tables of a test's size that is far slower than deleting a few
    rows, and so is ``CREATE DATABASE ... TEMPLATE`` with its ``DROP``.
    """
    # make_engine pings pooled connections: a test may terminate every other connection.
    engine = make_engine(postgres_database)
    with engine.connect() as conn:
        sequences = conn.execute(text("SELECT sequencename FROM pg_sequences")).scalars().all()
    statements = [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
    statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
    script = ";\n".join(statements)

    def empty() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(script)

    yield empty
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "bidean.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    # Closing the last connection checkpoints the write-ahead log into the file itself.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "bidean.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    request.getfixturevalue("empty_postgres")()
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_transaction(engine: Engine):
    """A factory for one-transaction units of work: ``with db_transaction() as db_session:``."""
    factory = make_sessionmaker(engine)
    return lambda **kw: transaction(factory, **kw)


@pytest.fixture
def signatures_a_second_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every signature is dated one second after the one before: what a test meets when
    the clock's second turns between two links, made certain."""
    # From ten minutes ago: a signature dated in the future would read as expired.
    seconds = itertools.count(int(datetime.now(UTC).timestamp()) - 600)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: next(seconds))


@pytest.fixture
def seat_invariant(db_transaction):
    """After the test, seats taken equal confirmed party sizes on every departure.

    Booking test modules apply it with ``pytestmark = pytest.mark.usefixtures(...)``.
    """
    yield
    assert_invariant(db_transaction)


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
