"""The public group request form: what it stores, what it refuses and how it says so."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from guides.models import AuditEntry
from tests.webapp.console.support import build_world
from tests.webapp.groups.support import SLUG, form_data, in_days
from tours.booking.groups import pending_group_requests
from tours.booking.models import GroupRequest, OutboxMessage
from webapp import create_app
from webapp.common.database import get_db


def _count(app, model) -> int:
    with get_db(app).transaction() as db_session:
        return db_session.scalar(select(func.count()).select_from(model)) or 0


def test_a_school_request_is_stored_with_a_receipt_in_its_language(app, client):
    build_world(app)
    response = client.post(f"/tours/{SLUG}/groups?lang=eu", data=form_data())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/groups/received")
    with get_db(app).transaction() as db_session:
        (stored,) = db_session.scalars(select(GroupRequest))
        assert (stored.organisation, stored.kind, stored.group_size) == (
            "IES Miribilla",
            "school",
            24,
        )
        assert stored.walk_language == "es" and stored.language == "eu"
        assert stored.status == "pending" and len(stored.preferred) == 2
        assert stored.accessibility == "One pupil uses a wheelchair."
        (receipt,) = db_session.scalars(select(OutboxMessage))
        assert receipt.kind == "group_received" and receipt.recipient == stored.email
        assert "Content-Language: eu" in receipt.raw.decode()
        audit = db_session.scalars(select(AuditEntry)).all()
        assert [(a.action, a.target) for a in audit] == [
            ("group_request.add", f"group_request:{stored.id}")
        ]
        assert "Ane" not in str(audit[0].details)  # no contact data in the audit log
        assert pending_group_requests(db_session) == 1
    page = client.get("/groups/received?lang=en").get_data(as_text=True)
    assert 'role="status"' in page


def test_the_form_is_linked_from_each_tour_page_and_preselects_its_tour(app, client):
    build_world(app)
    tour_page = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert f"/tours/{SLUG}/groups" in tour_page
    form = client.get(f"/tours/{SLUG}/groups?lang=en").get_data(as_text=True)
    assert f'<option selected value="{SLUG}">' in form
    # Walk languages: the tour's and those its guides speak, named in the visitor's language.
    assert '<option value="fr">French</option>' in form
    assert client.get("/tours/no-such-tour/groups").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"organisation": ""}, "organisation", "Enter the name of your school"),
        ({"organisation": "x" * 201}, "organisation", "at most 200 characters"),
        ({"kind": "party"}, "kind", "Choose one of the types in the list."),
        ({"group_size": "many"}, "group_size", "as a whole number"),
        ({"group_size": "1"}, "group_size", "for 2 to 100 people"),
        ({"group_size": "101"}, "group_size", "for 2 to 100 people"),
        ({"preferred_1": ""}, "preferred_1", "Enter the date and time you would like."),
        ({"preferred_1": "next tuesday"}, "preferred_1", "Enter a date and a time"),
        ({"preferred_2": in_days(-2).strftime("%Y-%m-%dT%H:%M")}, "preferred_2", "in the future"),
        ({"walk_language": "tlh"}, "walk_language", "Choose one of the languages"),
        ({"accessibility": "a" * 1001}, "accessibility", "at most 1000 characters"),
        ({"email": "not-an-address"}, "email", "like name@example.org"),
        ({"email": "josé@example.org"}, "email", "before the @"),
        ({"phone": ""}, "phone", "Enter a phone number"),
        ({"phone": "call me"}, "phone", "digits only"),
        ({"tour": "no-such-tour"}, "tour", "Choose one of the tours in the list."),
    ],
)
def test_each_mistake_is_named_beside_its_field_and_nothing_is_stored(
    app, client, changes, field, message
):
    build_world(app)
    response = client.post("/groups?lang=en", data=form_data(**changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<p class="field-error" id="{field}-error">' in page
    beside = page.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in beside
    assert 'class="error-summary" role="alert"' in page
    assert _count(app, GroupRequest) == 0 and _count(app, OutboxMessage) == 0


def test_errors_are_in_the_visitors_language(app, client):
    build_world(app)
    page = client.post("/groups?lang=es", data=form_data(group_size="1")).get_data(as_text=True)
    beside = page.split('id="group_size-error">', 1)[1].split("</p>", 1)[0]
    assert "personas" in beside and "people" not in beside


def test_a_filled_honeypot_is_thanked_and_stored_nowhere(app, client):
    build_world(app)
    response = client.post("/groups?lang=en", data=form_data(website="http://spam.example"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/received")
    assert _count(app, GroupRequest) == 0 and _count(app, OutboxMessage) == 0
    form = client.get("/groups?lang=en").get_data(as_text=True)
    assert 'class="hp-field"' in form and 'name="website"' in form


def test_a_request_without_its_csrf_token_is_refused(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "RATELIMIT_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    try:
        build_world(app)
        client = app.test_client()
        refused = client.post("/groups?lang=en", data=form_data())
        assert refused.status_code == 422
        assert "security check expired" in refused.get_data(as_text=True)
        assert _count(app, GroupRequest) == 0
        form = client.get("/groups?lang=en").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]
        sent = client.post("/groups?lang=en", data={**form_data(), "csrf_token": token})
        assert sent.status_code == 303 and _count(app, GroupRequest) == 1
    finally:
        app.extensions["bidean.db"].engine.dispose()


def test_requests_are_rate_limited_per_client(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "limits",
            "RATELIMIT_ENABLED": True,
            "WTF_CSRF_ENABLED": False,
            "GROUP_REQUEST_RATE_LIMIT": "2 per hour",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    octets = uuid.uuid4().bytes
    me, other = (f"10.{octets[0]}.{octets[1]}.{octets[2] ^ n}" for n in (0, 1))
    try:
        build_world(app)
        client = app.test_client()

        def post(address: str, url: str = "/groups?lang=en"):
            return client.post(url, data=form_data(), environ_overrides={"REMOTE_ADDR": address})

        statuses = [post(me).status_code, post(me, f"/tours/{SLUG}/groups").status_code]
        assert statuses == [303, 303]
        limited = post(me)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
        assert client.get("/groups", environ_overrides={"REMOTE_ADDR": me}).status_code == 200
        assert post(other).status_code == 303  # another client has its own allowance
        assert _count(app, GroupRequest) == 3
    finally:
        app.extensions["bidean.db"].engine.dispose()
