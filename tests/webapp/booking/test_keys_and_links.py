"""Idempotency keys bound to their request; links only ever on PUBLIC_URL."""

from __future__ import annotations

import email
import logging
import re
import uuid
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.booking_support import (
    add_departure,
    drain_mail,
    manage_reference,
    store_tour,
)
from tours.booking.models import Booking, WaitlistEntry
from webapp import create_app
from webapp.commands.serve import served_url
from webapp.common.urls import PublicUrlMissing, record_served_address

pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10)


def body(**changes) -> dict:
    return {"name": "Amaia", "email": "amaia@example.org", "party_size": 2, **changes}


def count(db_session, model) -> int:
    with db_session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_reused_key_with_another_body_is_422_and_leaks_nothing(
    client, db_transaction, departure_id
):
    key = {"Idempotency-Key": "k-" + uuid.uuid4().hex}
    url = f"/api/sessions/{departure_id}/bookings?lang=en"
    first = client.post(url, json=body(), headers=key)
    assert first.status_code == 201
    again = client.post(url, json=body(), headers=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["reference"] == first.get_json()["reference"]

    other = client.post(url, json=body(name="Mallory", email="m@example.org"), headers=key)
    assert other.status_code == 422
    answer = other.get_json()
    assert answer["code"] == "idempotency-key-reused"
    assert "already used for a different request" in answer["error"]
    text = other.get_data(as_text=True)
    assert first.get_json()["reference"] not in text and "/bookings/" not in text
    assert count(db_transaction, Booking) == 1


def test_a_reused_key_on_another_departure_is_422(client, db_transaction, departure_id):
    second = add_departure(db_transaction, capacity=10, days_ahead=12)
    key = {"Idempotency-Key": "k-" + uuid.uuid4().hex}
    made = client.post(f"/api/sessions/{departure_id}/bookings", json=body(), headers=key)
    assert made.status_code == 201
    elsewhere = client.post(f"/api/sessions/{second}/bookings", json=body(), headers=key)
    assert elsewhere.status_code == 422
    assert made.get_json()["reference"] not in elsewhere.get_data(as_text=True)
    assert count(db_transaction, Booking) == 1


def test_a_reused_key_on_the_waiting_list_is_422(client, db_transaction):
    store_tour(db_transaction)
    full = add_departure(db_transaction, capacity=3)
    assert client.post(f"/api/sessions/{full}/bookings", json=body(party_size=3)).status_code == 201
    key = {"Idempotency-Key": "w-" + uuid.uuid4().hex}
    url = f"/api/sessions/{full}/waitlist"
    assert client.post(url, json=body(), headers=key).status_code == 201
    assert client.post(url, json=body(), headers=key).status_code == 201
    assert client.post(url, json=body(name="Mallory"), headers=key).status_code == 422
    assert count(db_transaction, WaitlistEntry) == 1


@pytest.mark.usefixtures("signatures_a_second_apart")
def test_the_form_token_is_bound_to_what_it_booked(app, client, db_transaction, departure_id):
    token = "form-token-" + uuid.uuid4().hex
    data = {
        "session": str(departure_id),
        "name": "Amaia",
        "email": "amaia@example.org",
        "party_size": "2",
        "language": "es",
        "privacy": "y",
        "idempotency_key": token,
    }
    first = client.post("/tours/zabala-test/book", data=data)
    assert first.status_code == 303
    replay = client.post("/tours/zabala-test/book", data=data)
    # The same booking's page: the replay's link is signed anew, a second later.
    assert replay.headers["Location"] != first.headers["Location"]
    assert manage_reference(app, replay.headers["Location"]) == manage_reference(
        app, first.headers["Location"]
    )
    stolen = client.post("/tours/zabala-test/book?lang=en", data={**data, "name": "Mallory"})
    assert stolen.status_code == 422
    page = stolen.get_data(as_text=True)
    assert "This form was already sent with other details" in page
    assert first.headers["Location"] not in page and token not in page  # a fresh token
    assert count(db_transaction, Booking) == 1


def test_mail_links_ignore_the_host_header(app, client, departure_id):
    app.config["PUBLIC_URL"] = "https://tours.example.org"
    made = client.post(
        f"/api/sessions/{departure_id}/bookings",
        json=body(),
        headers={"Host": "attacker.example"},
    )
    assert made.get_json()["manage_url"].startswith("https://tours.example.org/bookings/")
    drain_mail(app)
    (eml,) = Path(app.instance_path, "outbox").glob("*.eml")
    raw = eml.read_text(errors="replace")
    assert "attacker.example" not in raw
    assert (
        "https://tours.example.org/bookings/"
        in email.message_from_string(raw, policy=policy.default).get_body(("plain",)).get_content()
    )


def test_production_refuses_to_start_without_public_url(tmp_path, database_url):
    config = {"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path), "ENV": "production"}
    # Where a development `bidean serve` ran is no address for production.
    (tmp_path / "served-at").write_text("http://127.0.0.1:5201\n")
    with pytest.raises(PublicUrlMissing, match="BIDEAN_PUBLIC_URL"):
        create_app(config)
    with pytest.raises(PublicUrlMissing, match="absolute"):
        create_app({**config, "PUBLIC_URL": "tours.example.org"})
    app = create_app({**config, "PUBLIC_URL": "https://tours.example.org"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["bidean.db"].engine.dispose()


def test_development_warns_once_and_says_how_to_set_it(app, client, departure_id, caplog):
    app.config["PUBLIC_URL"] = None
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        first = client.post(f"/api/sessions/{departure_id}/bookings", json=body(party_size=1))
        client.post(f"/api/sessions/{departure_id}/bookings", json=body(party_size=1))
    assert first.get_json()["manage_url"].startswith("http://localhost:5000/bookings/")
    warnings = [r.getMessage() for r in caplog.records if "BIDEAN_PUBLIC_URL" in r.getMessage()]
    assert len(warnings) == 1
    assert "export BIDEAN_PUBLIC_URL=https://" in warnings[0]


@pytest.mark.parametrize(
    ("public_url", "served_on"),
    [(None, None), (None, 5201), ("https://tours.example.org/bilbao", 5201)],
)
def test_mail_sent_from_the_command_line_links_to_public_url(
    app, client, runner, db_transaction, departure_id, caplog, public_url, served_on
):
    """Issue #11 (a): `bidean sessions cancel` mails links on BIDEAN_PUBLIC_URL.

    Issue #19: without it, on the address `bidean serve` (`make run PORT=5201`) recorded,
    and the command says which."""
    for n in range(2):
        client.post(f"/api/sessions/{departure_id}/bookings", json=body(email=f"p{n}@example.org"))
    drain_mail(app)
    app.config["PUBLIC_URL"] = public_url
    if served_on:
        record_served_address(app, served_url("0.0.0.0", served_on))
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        result = runner.invoke(args=["sessions", "cancel", str(departure_id)])
    assert result.exit_code == 0, result.output
    assert "2 emails sent" in result.output
    folder = Path(app.instance_path, "outbox")
    cancelled = [p for p in folder.glob("*-departure_cancelled.eml")]
    assert len(cancelled) == 2
    base = public_url or (f"http://127.0.0.1:{served_on}" if served_on else "http://localhost:5000")
    for path in cancelled:
        text = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        plain = text.get_body(("plain",)).get_content()
        ours = [u for u in re.findall(r"https?://\S+", plain) if "openstreetmap" not in u]
        assert ours and all(link.startswith(base + "/") for link in ours)
    warned = [r.getMessage() for r in caplog.records if "BIDEAN_PUBLIC_URL" in r.getMessage()]
    assert len(warned) == (0 if public_url else 1)
    if warned:
        assert f"use {base}," in warned[0]
        assert ("where `bidean serve` last ran" in warned[0]) == bool(served_on)


def test_openapi_says_the_api_writes_and_documents_key_reuse(client):
    """Issue #11 (b): the description no longer calls the API read-only."""
    document = client.get("/api/openapi.json").get_json()
    assert "read-only" not in document["info"]["description"]
    post = document["paths"]["/api/sessions/{departure_id}/bookings"]["post"]
    assert "idempotency-key-reused" in post["responses"]["422"]["description"]
    (key,) = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert "422" in key["description"]
    schema = document["components"]["schemas"]["InvalidBooking"]
    assert "idempotency-key-reused" in schema["properties"]["code"]["enum"]
