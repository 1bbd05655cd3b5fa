"""Accepting a group request makes a private walk: the group's seats held in the contact's
name, a free guide who speaks its language, a confirmation; and the walk is nowhere public
and bookable by nobody else.  Declining and proposing a date write to the contact."""

from __future__ import annotations

import email
import html
from datetime import UTC, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

from sqlalchemy import select

from guides.audit import Actor
from guides.models import AuditEntry
from tests.webapp.console.support import (
    ADMIN,
    GUIDE_A,
    app_with_csrf,
    build_world,
    form_token,
    log_in,
    log_in_with_token,
)
from tests.webapp.groups.support import SLUG, add_group_request, in_days
from tours.booking.bookings import invariant_problems
from tours.booking.groups import pending_group_requests
from tours.booking.models import Booking, Departure, GroupRequest, OutboxMessage
from tours.booking.purge import purge_personal_data
from webapp.actions.groups import decline_group_request
from webapp.common.database import get_db


def _accept(app, client, request_id: int, when) -> int:
    """Accept as the coordinator; the private walk's id."""
    assert log_in(client, ADMIN).status_code == 302
    response = client.post(
        f"/console/admin/groups/{request_id}/accept",
        data={"accept-starts_at": when.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with get_db(app).transaction() as db_session:
        return db_session.get(GroupRequest, request_id).departure_id


def _text(message: OutboxMessage) -> str:
    """The plain-text part of a recorded message, decoded."""
    parsed = email.message_from_bytes(message.raw, policy=policy.default)
    return parsed.get_body(("plain",)).get_content()


def _messages(app, kind: str) -> list[OutboxMessage]:
    with get_db(app).transaction() as db_session:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        return list(db_session.scalars(query))


def test_the_queue_lists_pending_requests_first(app, client):
    build_world(app)
    first = add_group_request(app, days=10)
    second = add_group_request(app, days=12)
    with app.test_request_context(), get_db(app).transaction(write_lock=True) as db_session:
        decline_group_request(db_session, Actor.account(ADMIN), first, "We are full that week.")
        assert pending_group_requests(db_session) == 1
    log_in(client, ADMIN)
    page = client.get("/console/admin/groups?lang=en").get_data(as_text=True)
    assert page.index(f'/console/admin/groups/{second}"') < page.index(
        f'/console/admin/groups/{first}"'
    )
    assert "Waiting for an answer" in page and "Declined" in page
    log_in(client, GUIDE_A)
    assert client.get("/console/admin/groups").status_code in (302, 403)


def test_accepting_makes_a_private_walk_with_the_groups_seats_and_a_free_guide(app, client):
    world = build_world(app)
    when = in_days(2, hour=10)
    request_id = add_group_request(app, size=24, language="es")
    departure_id = _accept(app, client, request_id, when)
    with get_db(app).transaction() as db_session:
        departure = db_session.get(Departure, departure_id)
        assert departure.private and departure.status == "scheduled"
        assert departure.capacity == 24 and departure.seats_taken == 24
        assert departure.language == "es"
        # Aminata and Youssef lead the tour and speak Spanish; both are free at 10:00.
        assert departure.guide_id == "aminata"
        (booking,) = db_session.scalars(select(Booking).where(Booking.departure_id == departure_id))
        assert (booking.name, booking.party_size, booking.language) == ("Ane Etxeberria", 24, "eu")
        found = db_session.get(GroupRequest, request_id)
        assert found.status == "accepted" and found.booking_id == booking.id
        actions = [a.action for a in db_session.scalars(select(AuditEntry))]
        assert "departure.add" in actions and "group_request.accept" in actions
        assert invariant_problems(db_session) == []
        assert pending_group_requests(db_session) == 0
    walks = client.get("/console/admin/departures?lang=en").get_data(as_text=True)
    assert "private: a group's own walk" in html.unescape(walks)  # the list escapes its '
    (confirmation,) = _messages(app, "group_accepted")
    assert confirmation.recipient == "ane@ies-miribilla.example.org"
    assert "http://localhost/bookings/" in _text(confirmation)  # the booking's manage link
    assert world.walk_a != departure_id


def test_the_guide_must_be_free(app, client):
    world = build_world(app)
    with get_db(app).transaction() as db_session:
        walk_b = db_session.get(Departure, world.walk_b)  # Aminata's walk
        local = walk_b.starts_at.astimezone(ZoneInfo(walk_b.timezone)).replace(tzinfo=None)
    busy_at = local + timedelta(minutes=30)
    request_id = add_group_request(app, language="es")
    departure_id = _accept(app, client, request_id, busy_at)
    with get_db(app).transaction() as db_session:
        assert db_session.get(Departure, departure_id).guide_id == "youssef"


def test_without_a_free_guide_the_walk_is_booked_and_the_coordinator_told(app, client):
    world = build_world(app)
    with get_db(app).transaction() as db_session:
        walk_b = db_session.get(Departure, world.walk_b)  # Aminata, the only French speaker
        local = walk_b.starts_at.astimezone(ZoneInfo(walk_b.timezone)).replace(tzinfo=None)
    request_id = add_group_request(app, language="fr")
    assert log_in(client, ADMIN).status_code == 302
    response = client.post(
        f"/console/admin/groups/{request_id}/accept?lang=en",
        data={"accept-starts_at": (local + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M")},
        follow_redirects=True,
    )
    assert "no guide who speaks its language is free" in response.get_data(as_text=True)
    with get_db(app).transaction() as db_session:
        departure_id = db_session.get(GroupRequest, request_id).departure_id
        departure = db_session.get(Departure, departure_id)
        assert departure.private and departure.guide_id is None and departure.seats_taken == 24


def test_the_private_walk_is_nowhere_public(app, client):
    build_world(app)
    when = in_days(1, hour=9)  # before every public walk: it would be listed first
    departure_id = _accept(app, client, add_group_request(app), when)
    client.post("/console/logout")
    marker = f"session={departure_id}"
    catalogue = client.get("/?lang=en").get_data(as_text=True)
    tour_page = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    booking_form = client.get(f"/tours/{SLUG}/book?lang=en").get_data(as_text=True)
    for page in (catalogue, tour_page, booking_form):
        assert marker not in page and f'value="{departure_id}"' not in page
    listed = client.get("/api/sessions").get_json()
    assert departure_id not in [item["id"] for item in listed] and listed
    of_tour = client.get(f"/api/sessions?tour={SLUG}").get_json()
    assert departure_id not in [item["id"] for item in of_tour]
    assert client.get(f"/api/sessions/{departure_id}").status_code == 404
    guide_page = client.get("/guides/aminata?lang=en").get_data(as_text=True)
    assert marker not in guide_page


def test_nobody_else_can_book_or_wait_for_the_private_walk(app, client):
    build_world(app)
    departure_id = _accept(app, client, add_group_request(app, size=10), in_days(2))
    with get_db(app).transaction(write_lock=True) as db_session:
        # Seats free up (say the group shrinks): still nobody else may book them.
        db_session.get(Departure, departure_id).capacity = 30
    client.post("/console/logout")
    body = {"name": "Someone", "email": "someone@example.org", "party_size": 2}
    booked = client.post(f"/api/sessions/{departure_id}/bookings", json=body)
    assert booked.status_code == 404
    waited = client.post(f"/api/sessions/{departure_id}/waitlist", json=body)
    assert waited.status_code == 404
    form = client.post(
        f"/tours/{SLUG}/book?lang=en",
        data={
            "session": str(departure_id),
            "party_size": "2",
            "name": "Someone",
            "email": "someone@example.org",
            "language": "en",
            "privacy": "y",
        },
    )
    assert form.status_code == 422
    with get_db(app).transaction() as db_session:
        query = select(Booking).where(Booking.departure_id == departure_id)
        assert [b.name for b in db_session.scalars(query)] == ["Ane Etxeberria"]
        assert db_session.get(Departure, departure_id).seats_taken == 10


def test_decline_and_propose_write_to_the_contact(app, client):
    build_world(app)
    declined = add_group_request(app)
    proposed = add_group_request(app)
    log_in(client, ADMIN)
    response = client.post(
        f"/console/admin/groups/{declined}/decline",
        data={"decline-message": "Our guides are all away that week."},
    )
    assert response.status_code == 302
    new_date = in_days(20, hour=11)
    response = client.post(
        f"/console/admin/groups/{proposed}/propose",
        data={
            "propose-starts_at": new_date.strftime("%Y-%m-%dT%H:%M"),
            "propose-message": "Would 11:00 do?",
        },
    )
    assert response.status_code == 302
    (decline_mail,) = _messages(app, "group_declined")
    (propose_mail,) = _messages(app, "group_proposed")
    assert "Our guides are all away that week." in _text(decline_mail)
    assert new_date.strftime("%Y-%m-%d %H:%M") in _text(propose_mail)
    assert "Content-Language: eu" in propose_mail.raw.decode()
    with get_db(app).transaction() as db_session:
        assert db_session.get(GroupRequest, declined).status == "declined"
        assert db_session.get(GroupRequest, proposed).status == "proposed"
        assert pending_group_requests(db_session) == 0
    # A proposed date stays open: the accept form starts on it.
    page = client.get(f"/console/admin/groups/{proposed}?lang=en").get_data(as_text=True)
    assert new_date.strftime("%Y-%m-%dT%H:%M") in page
    # A declined request cannot be answered again.
    again = client.post(f"/console/admin/groups/{declined}/accept", data={"accept-starts_at": ""})
    assert again.status_code == 400
    again = client.post(
        f"/console/admin/groups/{declined}/accept",
        data={"accept-starts_at": in_days(5).strftime("%Y-%m-%dT%H:%M")},
    )
    assert again.status_code == 302
    with get_db(app).transaction() as db_session:
        assert db_session.get(GroupRequest, declined).departure_id is None


def test_an_empty_message_or_a_past_date_is_refused_beside_the_field(app, client):
    build_world(app)
    request_id = add_group_request(app)
    log_in(client, ADMIN)
    response = client.post(
        f"/console/admin/groups/{request_id}/decline", data={"decline-message": " "}
    )
    assert response.status_code == 400
    assert 'id="decline-message-error" role="alert"' in response.get_data(as_text=True)
    past = in_days(-3).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/console/admin/groups/{request_id}/accept", data={"accept-starts_at": past}
    )
    assert response.status_code == 400
    assert 'id="accept-starts_at-error" role="alert"' in response.get_data(as_text=True)
    response = client.post(
        f"/console/admin/groups/{request_id}/propose",
        data={"propose-starts_at": past, "propose-message": "Hi"},
    )
    assert response.status_code == 400
    with get_db(app).transaction() as db_session:
        assert db_session.get(GroupRequest, request_id).status == "pending"
        assert not db_session.scalars(select(Departure).where(Departure.private)).all()
    assert _messages(app, "group_declined") == [] and _messages(app, "group_proposed") == []


def test_the_answers_work_with_csrf_on_as_in_production(database_url, tmp_path):
    app = app_with_csrf(database_url, tmp_path)
    try:
        build_world(app)
        request_id = add_group_request(app)
        client = app.test_client()
        assert log_in_with_token(client, ADMIN).status_code == 302
        url = f"/console/admin/groups/{request_id}"
        token = form_token(client, url)
        when = in_days(4).strftime("%Y-%m-%dT%H:%M")
        refused = client.post(f"{url}/accept", data={"accept-starts_at": when})
        assert refused.status_code == 400  # no token: refused before the action
        accepted = client.post(
            f"{url}/accept", data={"accept-starts_at": when, "csrf_token": token}
        )
        assert accepted.status_code == 302
        assert "/console/admin/departures/" in accepted.headers["Location"]
    finally:
        app.extensions["bidean.db"].engine.dispose()


def test_the_purge_forgets_old_group_requests_and_their_mail(app, client):
    build_world(app)
    old, recent, walked = (add_group_request(app) for _ in range(3))
    _accept(app, client, walked, in_days(2))
    made = datetime.now(UTC) - timedelta(days=120)
    with get_db(app).transaction(write_lock=True) as db_session:
        db_session.get(GroupRequest, old).created_at = made
        (receipt,) = db_session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "group_received").limit(1)
        )
        receipt.created_at = made  # the old request's receipt (the first message)

    def purge(now: datetime) -> tuple[int, set[int], list[str]]:
        with get_db(app).transaction(write_lock=True) as db_session:
            result = purge_personal_data(db_session, timedelta(days=90), now=now)
        with get_db(app).transaction() as db_session:
            left = set(db_session.scalars(select(GroupRequest.id)))
            kinds = sorted(db_session.scalars(select(OutboxMessage.kind)))
        return result.group_requests, left, kinds

    # Today: only the request made 120 days ago goes, with its receipt.
    assert purge(datetime.now(UTC)) == (
        1,
        {recent, walked},
        ["group_accepted", "group_received", "group_received"],
    )
    # 95 days on, the accepted group's walk is 93 days past: it goes with its mail (and
    # the other request, made 95 days before).
    assert purge(datetime.now(UTC) + timedelta(days=95)) == (2, set(), [])


def test_the_command_line_lists_the_private_walk_as_such(app, client, runner):
    build_world(app)
    departure_id = _accept(app, client, add_group_request(app, size=12), in_days(2))
    listed = runner.invoke(args=["sessions", "list"]).output
    (line,) = [row for row in listed.splitlines() if row.split()[0] == str(departure_id)]
    assert "12/12 seats" in line and line.endswith("private (a group's)")
