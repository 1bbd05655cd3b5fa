"""A database restart costs no error; a database that cannot be reached answers 503.

Pooled connections are pinged before use, so the first requests after a PostgreSQL
restart get fresh connections instead of 500s; while the database is down, pages and
the API answer 503 with ``Retry-After`` (a page in the visitor's language, JSON under
``/api/``), logged in one line each, without a traceback.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import webapp
from tests.conftest import POSTGRES_URL
from tests.webapp.pages_support import Page
from tours.db import make_engine
from webapp.common.database import get_db, upgrade

# Pages and API lists that read the database on every request (no cache in front).
READING_URLS = ["/", "/api/tours", "/api/sessions", "/?lang=eu", "/api/guides"]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port bound by no listener: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # held, never listening, so no one else takes it
        yield sock.getsockname()[1]


@pytest.fixture
def unreachable_app(tmp_path, closed_port):
    """An app configured as in production whose PostgreSQL server is down."""
    app = webapp.create_app(
        {
            "DATABASE_URL": f"postgresql+psycopg://bidean@127.0.0.1:{closed_port}/bidean",
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "RATELIMIT_ENABLED": False,
        }
    )
    yield app
    get_db(app).engine.dispose()


def test_pooled_connections_the_database_dropped_cost_no_error(app, client, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("terminating another session's connection is PostgreSQL's")
    app_engine = get_db(app).engine
    held = [app_engine.connect() for _ in range(3)]  # three connections in the pool
    for conn in held:
        conn.close()
    for url in READING_URLS:
        assert client.get(url).status_code == 200, url
    with engine.connect() as conn:  # what a restart does to every pooled connection
        terminated = conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar_one()
    assert terminated >= 3
    statuses = [client.get(url).status_code for _ in range(12) for url in READING_URLS]
    assert statuses == [200] * len(statuses)


def test_an_unreachable_database_answers_503_pages_in_the_visitor_language(unreachable_app):
    client = unreachable_app.test_client()
    page = client.get("/", headers={"Accept-Language": "eu"})
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert int(page.headers["Retry-After"]) > 0
    html = Page(page.get_data(as_text=True))
    assert html.html_element().attrs["lang"] == "eu"
    assert html.root.find("h1").text == "Zerbitzua ez dago erabilgarri une honetan"
    english = client.get("/tours/any-walk?lang=en")
    assert english.status_code == 503 and int(english.headers["Retry-After"]) > 0
    assert Page(english.get_data(as_text=True)).root.find("h1").text == ("Temporarily unavailable")
    assert "Traceback" not in english.get_data(as_text=True)


def test_an_unreachable_database_answers_503_json_under_api(unreachable_app):
    client = unreachable_app.test_client()
    for url in ("/api/tours", "/api/sessions"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert int(response.headers["Retry-After"]) > 0
        assert response.get_json()["code"] == "unavailable"
        assert "127.0.0.1" not in response.get_data(as_text=True)  # no driver detail


def test_an_outage_is_logged_one_line_a_request_without_traceback(unreachable_app, caplog):
    client = unreachable_app.test_client()
    with caplog.at_level(logging.WARNING):
        for url in ("/", "/api/tours", "/?lang=fr"):
            assert client.get(url).status_code == 503
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 3, [r.getMessage() for r in records]
    assert all(r.exc_info is None and "database" in r.getMessage() for r in records)
    assert all("\n" not in r.getMessage() for r in records)


@pytest.fixture
def app_without_schema(tmp_path):
    """What gunicorn serves when nobody ran `bidean init-db`: an empty SQLite file."""
    (tmp_path / "empty.sqlite3").touch()
    app = webapp.create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "RATELIMIT_ENABLED": False,
            "PUBLIC_URL": "http://localhost",
        }
    )
    yield app
    get_db(app).engine.dispose()


def test_a_database_without_the_schema_answers_503_saying_to_run_init_db(
    app_without_schema, caplog
):
    """Issue #19: every page was a bare 500 ("no such table") under gunicorn."""
    client = app_without_schema.test_client()
    with caplog.at_level(logging.WARNING):
        page = client.get("/?lang=en")
        api = client.get("/api/tours")
        again = client.get("/tours/any-walk?lang=fr")
    assert page.status_code == api.status_code == again.status_code == 503
    assert int(page.headers["Retry-After"]) > 0
    message = Page(page.get_data(as_text=True)).root.find("p", "error-message").text
    assert "run `bidean init-db`" in message
    assert "`bidean init-db`" in api.get_json()["error"]
    assert "`bidean init-db`" in again.get_data(as_text=True)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert logged == [
        "the database has no tables, or older ones than this code needs: run `bidean init-db`"
        " (every page answers 503 until then)"
    ]
    upgrade(get_db(app_without_schema).engine)
    assert client.get("/api/tours").status_code == 200


def test_a_postgresql_database_without_the_schema_answers_503(tmp_path):
    if not POSTGRES_URL:
        pytest.skip("BIDEAN_TEST_POSTGRES_URL is not set")
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"bidean_test_empty_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    app = webapp.create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "RATELIMIT_ENABLED": False,
        }
    )
    try:
        # PostgreSQL's missing table is a ProgrammingError, SQLite's an OperationalError.
        response = app.test_client().get("/api/tours")
        assert response.status_code == 503
        assert "`bidean init-db`" in response.get_json()["error"]
    finally:
        get_db(app).engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
