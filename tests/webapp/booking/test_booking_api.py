"""The departures JSON API: fields, booking, refusals, idempotency, rate limits, no data leaks."""

from __future__ import annotations

import socket
import uuid
from datetime import datetime

import pytest
from sqlalchemy import select

from guides.models import AuditEntry
from tests.booking_support import SLUG, add_departure, departure_row, store_tour
from tours.booking.models import Booking, WaitlistEntry
from webapp import create_app

SESSION_FIELDS = {"id", "tour", "starts_at", "language", "capacity", "seats_left", "guide"}


# Whatever a test did, seats taken equal confirmed party sizes afterwards.
pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10, max_party=6, language="eu")


def booking_body(**changes) -> dict:
    body = {"name": "Jon", "email": "jon@example.org", "party_size": 2, "language": "eu"}
    body.update(changes)
    return body


def stored_bookings(db_session) -> list[Booking]:
    with db_session() as s:
        return list(s.scalars(select(Booking).order_by(Booking.id)))


def test_list_and_read_departures(client, db_transaction, departure_id):
    store_tour(db_transaction, "other-tour")
    other = add_departure(db_transaction, slug="other-tour", days_ahead=3)
    everything = client.get("/api/sessions").get_json()
    assert [s["id"] for s in everything] == [other, departure_id]  # soonest first
    (item,) = client.get(f"/api/sessions?tour={SLUG}").get_json()
    assert set(item) >= SESSION_FIELDS
    assert (item["id"], item["tour"], item["language"]) == (departure_id, SLUG, "eu")
    assert (item["capacity"], item["seats_left"], item["guide"]) == (10, 10, None)
    start = datetime.fromisoformat(item["starts_at"])
    assert (start.hour, start.minute) == (11, 0) and start.utcoffset() is not None
    assert item["meeting_point"]["position"] == [-2.93, 43.256]
    single = client.get(f"/api/sessions/{departure_id}")
    assert single.get_json() == item
    assert single.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_tour_or_departure_is_a_json_404(client, departure_id):
    missing = client.get("/api/sessions?tour=nowhere")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not-found"
    assert client.get("/api/sessions/9999").status_code == 404
    bad = client.get("/api/sessions?tour=Not%20A%20Slug&lang=en")
    assert bad.status_code == 400 and "slug" in bad.get_json()["error"]


def test_booking_returns_201_and_updates_seats(client, db_transaction, departure_id):
    response = client.post(f"/api/sessions/{departure_id}/bookings", json=booking_body())
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"reference", "session", "party_size", "status", "manage_url"}
    assert (body["session"], body["party_size"], body["status"]) == (departure_id, 2, "confirmed")
    (stored,) = stored_bookings(db_transaction)
    assert stored.reference == body["reference"] and stored.language == "eu"
    assert client.get(f"/api/sessions/{departure_id}").get_json()["seats_left"] == 8
    manage = client.get(body["manage_url"].removeprefix("http://localhost") + "?lang=en")
    assert manage.status_code == 200 and body["reference"] in manage.get_data(as_text=True)


def test_no_seats_is_a_clean_409_offering_the_waiting_list(client, db_transaction, departure_id):
    client.post(f"/api/sessions/{departure_id}/bookings", json=booking_body(party_size=6))
    client.post(f"/api/sessions/{departure_id}/bookings", json=booking_body(party_size=3))
    refused = client.post(
        f"/api/sessions/{departure_id}/bookings?lang=es", json=booking_body(party_size=2)
    )
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["code"] == "full" and body["seats_left"] == 1
    assert body["error"].startswith("Solo queda 1 plaza en esta salida.")
    assert body["waitlist"].endswith(f"/api/sessions/{departure_id}/waitlist")
    joined = client.post(body["waitlist"].removeprefix("http://localhost"), json=booking_body())
    assert joined.status_code == 201
    assert joined.get_json() == {
        "session": departure_id,
        "party_size": 2,
        "status": "waiting",
        "position": 1,
    }
    with db_transaction() as db_session:
        assert [e.email for e in db_session.scalars(select(WaitlistEntry))] == ["jon@example.org"]
    assert [b.party_size for b in stored_bookings(db_transaction)] == [6, 3]
    with db_transaction() as db_session:  # the public's bookings and waiting are not audited
        assert list(db_session.scalars(select(AuditEntry))) == []


def test_waitlist_refuses_when_the_group_fits(client, departure_id):
    response = client.post(f"/api/sessions/{departure_id}/waitlist?lang=en", json=booking_body())
    assert response.status_code == 409
    assert response.get_json()["code"] == "seats-available"


def test_bad_input_gets_per_field_errors(client, db_transaction, departure_id):
    response = client.post(
        f"/api/sessions/{departure_id}/bookings?lang=fr",
        json={"email": "nope", "party_size": "2", "language": "xx", "phone": "?", "extra": 1},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"name", "email", "party_size", "language", "phone", "extra"}
    assert body["fields"]["email"] == "Saisissez une adresse e-mail comme nom@example.org."
    too_many = client.post(
        f"/api/sessions/{departure_id}/bookings?lang=en", json=booking_body(party_size=7)
    )
    assert too_many.status_code == 422
    assert too_many.get_json()["fields"]["party_size"].startswith("At most 6 people")
    for raw in (b"not json", b"[1, 2]"):
        not_json = client.post(
            f"/api/sessions/{departure_id}/bookings", data=raw, content_type="application/json"
        )
        assert not_json.status_code == 400 and "body" in not_json.get_json()["fields"]
    assert stored_bookings(db_transaction) == []


def test_idempotency_key_returns_the_same_booking(client, db_transaction, departure_id):
    headers = {"Idempotency-Key": "retry-" + uuid.uuid4().hex}
    first = client.post(
        f"/api/sessions/{departure_id}/bookings", json=booking_body(), headers=headers
    )
    again = client.post(
        f"/api/sessions/{departure_id}/bookings", json=booking_body(), headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert first.get_json()["reference"] == again.get_json()["reference"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(stored_bookings(db_transaction)) == 1
    assert departure_row(db_transaction, departure_id).seats_taken == 2
    bad = client.post(
        f"/api/sessions/{departure_id}/bookings",
        json=booking_body(),
        headers={"Idempotency-Key": "x"},
    )
    assert bad.status_code == 400


@pytest.mark.parametrize("length", [76, 77, 80])
def test_the_longest_keys_are_stored_and_replayed(client, db_transaction, departure_id, length):
    """An 80-character key (the longest allowed) and its "api:" prefix did not fit the
    80-character column: PostgreSQL refused the row and the booking answered 500."""
    key = (uuid.uuid4().hex * 3)[:length]
    url = f"/api/sessions/{departure_id}/bookings"
    first = client.post(url, json=booking_body(), headers={"Idempotency-Key": key})
    again = client.post(url, json=booking_body(), headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(url, json=booking_body(), headers={"Idempotency-Key": key[:-1] + "-"})
    assert (
        other.status_code == 201 and other.get_json()["reference"] != first.get_json()["reference"]
    )
    assert len(stored_bookings(db_transaction)) == 2


def test_cancelled_departure_refuses_with_409(client, db_transaction, departure_id):
    from tours.booking.departures import cancel

    with db_transaction() as db_session:
        cancel(db_session, departure_id)
    response = client.post(f"/api/sessions/{departure_id}/bookings", json=booking_body())
    assert response.status_code == 409 and response.get_json()["code"] == "cancelled"
    assert client.post("/api/sessions/4242/bookings", json=booking_body()).status_code == 404


def test_no_endpoint_lists_or_reads_bookings(app, client, departure_id):
    client.post(f"/api/sessions/{departure_id}/bookings", json=booking_body())
    for path in ("/api/sessions", f"/api/sessions/{departure_id}", f"/api/sessions?tour={SLUG}"):
        text = client.get(path).get_data(as_text=True)
        assert "jon@example.org" not in text and "Jon" not in text
    methods = {
        rule.rule: rule.methods
        for rule in app.url_map.iter_rules()
        if "bookings" in rule.rule and rule.rule.startswith("/api")
    }
    assert methods == {"/api/sessions/<int:departure_id>/bookings": {"POST", "OPTIONS"}}


def test_openapi_documents_the_sessions_api(client):
    document = client.get("/api/openapi.json").get_json()
    post = document["paths"]["/api/sessions/{departure_id}/bookings"]["post"]
    assert set(post["responses"]) >= {"201", "409", "422", "429"}
    assert "Session" in document["components"]["schemas"]


def test_openapi_lists_every_message_language_the_api_accepts(client, departure_id):
    document = client.get("/api/openapi.json").get_json()
    schema = document["components"]["schemas"]["BookingRequest"]["properties"]["language"]
    assert schema["enum"] == ["es", "eu", "en", "fr", "ar", "pl", "de", "pt", "it"]
    # Each documented language is one the API takes; one it does not take is refused.
    for language in schema["enum"]:
        response = client.post(
            f"/api/sessions/{departure_id}/bookings",
            json=booking_body(language=language, party_size=1, email=f"{language}@example.org"),
        )
        assert response.status_code == 201, (language, response.get_json())
    refused = client.post(
        f"/api/sessions/{departure_id}/bookings", json=booking_body(language="tr")
    )
    assert refused.status_code == 422 and set(refused.get_json()["fields"]) == {"language"}


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_bookings_are_rate_limited_per_client(database_url, tmp_path, db_transaction, storage):
    if storage == "redis" and not _redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    store_tour(db_transaction)
    departure = add_departure(db_transaction, capacity=50)
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "limits",
        "RATELIMIT_ENABLED": True,
        "BOOKING_RATE_LIMIT": "3 per minute",
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    if storage == "redis":
        config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    app = create_app(config)
    # Client addresses of their own: Redis keeps counts between test runs.
    octets = uuid.uuid4().bytes
    me, other = (f"10.{octets[0]}.{octets[1]}.{octets[2] ^ n}" for n in (0, 1))

    def post(address: str):
        return client.post(
            f"/api/sessions/{departure}/bookings?lang=en",
            json=booking_body(),
            environ_overrides={"REMOTE_ADDR": address},
        )

    try:
        assert app.config["RATELIMIT_STORAGE_URI"].startswith(storage)
        client = app.test_client()
        assert [post(me).status_code for _ in range(4)] == [201, 201, 201, 429]
        limited = post(me)
        assert limited.get_json()["code"] == "too-many-requests"
        assert "Retry-After" in limited.headers
        assert post(other).status_code == 201  # another client has its own allowance
    finally:
        app.extensions["bidean.db"].engine.dispose()


def test_an_unreachable_redis_does_not_break_booking(database_url, tmp_path, db_transaction):
    store_tour(db_transaction)
    departure = add_departure(db_transaction, capacity=5)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "limits",
            "RATELIMIT_ENABLED": True,
            "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    try:
        response = app.test_client().post(
            f"/api/sessions/{departure}/bookings", json=booking_body(party_size=1)
        )
        assert response.status_code == 201
    finally:
        app.extensions["bidean.db"].engine.dispose()
