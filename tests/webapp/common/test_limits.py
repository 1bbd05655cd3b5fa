"""Limits on every input, cookie flags, HSTS, no-store, one rate budget per client."""

from __future__ import annotations

import logging
import uuid

import pytest
from flask import session
from sqlalchemy import func, select

from tests.booking_support import add_departure, store_tour
from tours.booking.models import Booking
from webapp import create_app

pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10)


def body(**changes) -> dict:
    return {"name": "Amaia", "email": "amaia@example.org", "party_size": 1, **changes}


def bookings(db_session) -> int:
    with db_session() as s:
        return s.scalar(select(func.count()).select_from(Booking))


def test_a_huge_body_is_a_clear_413(app, client, departure_id):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    big = {**body(), "notes": "x" * 200_000}
    answer = client.post(f"/api/sessions/{departure_id}/bookings?lang=en", json=big)
    assert answer.status_code == 413
    assert answer.get_json() == {
        "error": "What you sent is too large. Send something smaller.",
        "code": "too-large",
    }
    page = client.post("/tours/zabala-test/book?lang=en", data={"name": "x" * 200_000})
    assert page.status_code == 413 and "Too large" in page.get_data(as_text=True)


@pytest.mark.parametrize("size", [2**31, 2**63, -(2**31), 10**30])
def test_huge_and_negative_party_sizes_are_422(client, db_transaction, departure_id, size):
    answer = client.post(f"/api/sessions/{departure_id}/bookings", json=body(party_size=size))
    assert answer.status_code == 422
    assert "party_size" in answer.get_json()["fields"]
    form = client.post(
        "/tours/zabala-test/book",
        data={"session": str(departure_id), "name": "A", "email": "a@example.org",
              "party_size": str(size), "language": "es", "privacy": "y"},
    )  # fmt: skip
    assert form.status_code == 422
    assert bookings(db_transaction) == 0


@pytest.mark.parametrize("number", [2**31, 2**64, 10**40])
def test_ids_beyond_any_column_are_404(client, number):
    assert client.get(f"/api/sessions/{number}").status_code == 404
    assert client.post(f"/api/sessions/{number}/bookings", json=body()).status_code == 404
    assert client.get(f"/api/sessions/{2**31 - 1}").status_code == 404  # in range, unknown


@pytest.mark.parametrize("bad", ["Ama\x00ia", "Ama\ud800ia", "\udfff"])
def test_nul_and_lone_surrogates_are_refused(client, db_transaction, departure_id, bad):
    answer = client.post(f"/api/sessions/{departure_id}/bookings?lang=en", json=body(name=bad))
    assert answer.status_code == 400
    assert "cannot be used" in answer.get_json()["error"]
    assert client.post(f"/api/sessions/{departure_id}/bookings", json={bad: 1}).status_code == 400
    assert bookings(db_transaction) == 0


def test_nul_in_paths_query_and_forms_is_400(client, departure_id):
    assert client.get("/tours/zabala%00test").status_code == 400
    assert client.get("/api/sessions?tour=a%00b").status_code == 400
    form = client.post("/tours/zabala-test/book", data={"name": "a\x00b"})
    assert form.status_code == 400 and "<html" in form.get_data(as_text=True)


def test_deeply_nested_json_is_400(client, departure_id):
    deep = "[" * 100_000 + "]" * 100_000
    answer = client.post(
        f"/api/sessions/{departure_id}/bookings?lang=en",
        data=deep,
        content_type="application/json",
    )
    assert answer.status_code == 400 and "nested too deeply" in answer.get_json()["error"]


def test_a_body_of_escaped_quotes_that_froze_a_worker_is_a_clear_400(client, departure_id):
    """Issue 22's freeze: 256 kB of escaped quotes in a string that never closes held a
    worker for 30 s in the depth check (a quadratic regular expression). The linear scan
    is proved by step counts in tests/tours/content/reading/test_input_limits.py and
    timed against json.loads in bench/; here the API answers it as the bad JSON it is."""
    body = b'{"name":"' + b'\\"' * 131_072
    assert len(body) >= 256 * 1024
    answer = client.post(
        f"/api/sessions/{departure_id}/bookings?lang=en", data=body, content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.get_json()["fields"] == {
        "body": "Send a JSON object with name, email and party_size."
    }
    form = client.post(
        "/tours/zabala-test/book?lang=en",
        data={"session": str(departure_id), "name": body.decode()},
    )
    assert form.status_code in (400, 422) and "Traceback" not in form.get_data(as_text=True)


def test_non_ascii_local_parts_are_refused_in_the_visitor_language(
    client, db_transaction, departure_id
):
    answer = client.post(
        f"/api/sessions/{departure_id}/bookings?lang=es", json=body(email="josé@correo.es")
    )
    assert answer.status_code == 422
    assert "antes de la @" in answer.get_json()["fields"]["email"]
    form = client.post(
        "/tours/zabala-test/book?lang=eu",
        data={"session": str(departure_id), "name": "A", "email": "josé@correo.es",
              "party_size": "1", "language": "eu", "privacy": "y"},
    )  # fmt: skip
    assert form.status_code == 422 and "@" in form.get_data(as_text=True)
    assert bookings(db_transaction) == 0
    # An international domain is fine: stored and sent in its ASCII (IDNA) form.
    made = client.post(
        f"/api/sessions/{departure_id}/bookings", json=body(email="ana@correo.españa.es")
    )
    assert made.status_code == 201
    with db_transaction() as db_session:
        assert db_session.scalars(select(Booking.email)).one() == "ana@correo.xn--espaa-rta.es"


def test_cookies_are_httponly_samesite_and_secure_outside_development(
    app, client, database_url, tmp_path, departure_id
):
    app.config["WTF_CSRF_ENABLED"] = True
    client.get("/tours/zabala-test/book")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure  # development over http://localhost
    production = create_app(
        {
            "DATABASE_URL": database_url,
            "ENV": "production",
            "PUBLIC_URL": "https://tours.example.org",
            "INSTANCE_PATH": str(tmp_path / "prod"),
            "RATELIMIT_ENABLED": False,
        }
    )
    try:
        secure = production.test_client()
        secure.get("/tours/zabala-test/book", base_url="https://tours.example.org")
        assert secure.get_cookie("session", domain="tours.example.org").secure
    finally:
        production.extensions["bidean.db"].engine.dispose()


def test_the_session_cookie_is_set_read_and_cleared_only_when_used(app, client):
    """A request without a session cookie that writes nothing gets none; written, it is
    signed, read back on the next request, ignored when tampered with, deleted when
    emptied; ``Vary: Cookie`` throughout (Flask-Login looks into every session)."""

    @app.get("/t/session/look")
    def look():
        return {"seen": session.get("seen")}

    @app.get("/t/session/write")
    def write():
        session["seen"] = "yes"
        return {}

    @app.get("/t/session/clear")
    def clear():
        session.clear()
        return {}

    @app.get("/t/session/untouched")
    def untouched():
        return {}

    for quiet in (client.get("/t/session/untouched"), client.post("/api/sessions/1/bookings")):
        assert "Set-Cookie" not in quiet.headers and "cookie" in vary(quiet)
    looked = client.get("/t/session/look")
    assert looked.get_json() == {"seen": None} and "Set-Cookie" not in looked.headers
    assert "cookie" in vary(looked)
    written = client.get("/t/session/write")
    assert "session=" in written.headers["Set-Cookie"] and "cookie" in vary(written)
    assert client.get("/t/session/look").get_json() == {"seen": "yes"}
    value = client.get_cookie("session").value
    client.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert client.get("/t/session/look").get_json() == {"seen": None}  # a bad signature
    client.set_cookie("session", value)
    cleared = client.get("/t/session/clear")
    assert "session=;" in cleared.headers["Set-Cookie"] and "cookie" in vary(cleared)
    assert client.get_cookie("session") is None
    assert client.get("/t/session/look").get_json() == {"seen": None}


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    over_tls = client.get("/", base_url="https://localhost")
    assert over_tls.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_proxy_fix_trusts_one_proxy_for_https(database_url, tmp_path):
    app = create_app(
        {"DATABASE_URL": database_url, "PROXY_FIX": 1, "INSTANCE_PATH": str(tmp_path),
         "PUBLIC_URL": "https://tours.example.org"}
    )  # fmt: skip
    try:
        answer = app.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in answer.headers
    finally:
        app.extensions["bidean.db"].engine.dispose()


def test_pages_with_a_booking_are_not_cached(client, departure_id):
    made = client.post(f"/api/sessions/{departure_id}/bookings", json=body())
    assert made.headers["Cache-Control"] == "no-store"
    manage = made.get_json()["manage_url"].removeprefix("http://localhost")
    for path in (manage, manage + "/confirmed", "/tours/zabala-test/book", "/waitlist/offers/x"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/tours/zabala-test").headers.get("Cache-Control", "")


def _limited_app(database_url, tmp_path, **config):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "limits",
            "RATELIMIT_ENABLED": True,
            "WTF_CSRF_ENABLED": False,
            "BOOKING_RATE_LIMIT": "3 per minute",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PUBLIC_URL": "http://localhost",
            **config,
        }
    )


def test_form_and_api_share_one_booking_budget(database_url, tmp_path, departure_id):
    app = _limited_app(database_url, tmp_path)
    me = {"REMOTE_ADDR": f"10.9.{uuid.uuid4().bytes[0]}.7"}
    client = app.test_client()
    form = {"session": str(departure_id), "name": "A", "email": "a@example.org",
            "party_size": "1", "language": "es", "privacy": "y"}  # fmt: skip
    try:
        api = f"/api/sessions/{departure_id}/bookings"
        statuses = [
            client.post(api, json=body(), environ_overrides=me).status_code,
            client.post("/tours/zabala-test/book", data=form, environ_overrides=me).status_code,
            client.post(api, json=body(), environ_overrides=me).status_code,
            client.post("/tours/zabala-test/book", data=form, environ_overrides=me).status_code,
            client.post(api, json=body(), environ_overrides=me).status_code,
        ]
        assert statuses == [201, 303, 201, 429, 429]
    finally:
        app.extensions["bidean.db"].engine.dispose()


def test_redis_down_logs_it_and_keeps_a_conservative_limit(
    database_url, tmp_path, departure_id, caplog
):
    app = _limited_app(
        database_url, tmp_path, REDIS_URL="redis://127.0.0.1:1/0", BOOKING_RATE_LIMIT="50/minute"
    )
    client = app.test_client()
    try:
        with caplog.at_level(logging.WARNING):
            statuses = [
                client.post(f"/api/sessions/{departure_id}/bookings", json=body()).status_code
                for _ in range(5)
            ]
        assert statuses == [201, 201, 201, 429, 429]  # FALLBACK_BOOKING_LIMIT: 3 per minute
        assert "Rate limit storage unreachable" in caplog.text
    finally:
        app.extensions["bidean.db"].engine.dispose()


def test_command_line_numbers_have_ranges(runner, db_transaction):
    store_tour(db_transaction)
    at = ["sessions", "add", "zabala-test", "--at", "2030-03-06T11:00", "--language", "es"]
    result = runner.invoke(args=[*at, "--capacity", str(2**31)])
    assert result.exit_code == 2 and "10000" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(args=["sessions", "cancel", str(2**31)])
    assert result.exit_code == 2 and "Traceback" not in result.output
