"""Who may do what in the console: anonymous, guide A, guide B, a facilitator and a
coordinator, each against every console URL and method the app has (read from its URL
map, so a new page cannot be forgotten)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from guides.availability import add_mark
from tests.webapp.console.contribution_support import (
    FACILITATOR,
    add_contribution,
    add_facilitator,
)
from tests.webapp.console.support import ADMIN, GUIDE_A, GUIDE_B, SLUG, build_world, log_in
from tests.webapp.groups.support import add_group_request
from webapp.common.database import get_db

# Reachable without logging in: the login page, set-password links and the offline shell.
PUBLIC = {"console.login", "console.set_password", "console.service_worker", "console.manifest"}


# Residents' stories: coordinators and facilitators (a guide gets 403).
CONTRIBUTIONS = {
    "console.contributions",
    "console.contribution",
    "console.contribution_new",
    "console.consent_form",
}
# What a facilitator may reach: the console's first page, logging out and the stories;
# every other page of the console answers 403.
FACILITATORS = {"console.index", "console.logout", *CONTRIBUTIONS}

# Pages of a guide's own (availability, giving a walk back): a coordinator has none (403).
GUIDES_OWN = {
    "console.edit_script",
    "console.availability",
    "console.availability_remove",
    "console.withdraw",
}


def guide_a_mark(app) -> int:
    """An availability mark of guide A (Youssef), for the URLs that name one."""
    with get_db(app).transaction(write_lock=True) as db_session:
        day = date.today() + timedelta(days=20)
        mark = add_mark(db_session, "youssef", day, available=False, today=date.today())
        return mark.id


def a_contribution(app) -> int:
    """A pending resident's story, for the URLs that name one, and a facilitator."""
    with get_db(app).transaction(write_lock=True) as db_session:
        add_facilitator(db_session)
        return add_contribution(db_session).id


def console_requests(app, world, mark_id: int = 1) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every console rule, filled with guide A's walk."""
    values = {
        "mark_id": mark_id,
        "departure_id": world.walk_a,
        "guide_id": "youssef",
        "stop_id": "sf-01",
        "token": "not-a-real-token",
        "account_id": 1,
        "booking_id": world.booking_ids[0],
        # The tour editor works on a tour no walk of the world uses: withdrawing it (a
        # coordinator's POST) must not take guide A's walk off the site mid-test.
        "slug": "zabala-kitchens-and-workshops",
        "request_id": world.group_request,
        "contribution_id": world.contribution,
    }
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("console."):
                continue
            url = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url))
    return found


def expected(who: str, endpoint: str, method: str) -> set[int]:
    """The status codes allowed for ``who`` (on guide A's walk)."""
    if endpoint in PUBLIC:
        return {200, 302, 404} if endpoint == "console.set_password" else {200, 302}
    if who == "anonymous":
        return {302, 401}
    if who == "facilitator":
        # 422: the workshop form posted without its answers.
        return {200, 302, 400, 422} if endpoint in FACILITATORS else {403}
    if endpoint in CONTRIBUTIONS and who != "admin":
        return {403}
    admin_page = endpoint.split(".")[1].startswith("admin_")
    if who == "admin":
        # 409 and 422: a coordinator's form refused with its reason (an account form
        # posted without an email, disabling one's own account, a clash).
        return {200, 302, 400, 409, 422} if endpoint not in GUIDES_OWN else {403}
    if admin_page:
        return {403}
    if who == "guide_b" and endpoint in {
        "console.departure",
        "console.check_in",
        "console.edit_script",
        "console.departure_messages",
        "console.departure_debrief",
        "console.withdraw",
        "console.availability_remove",
    }:
        return {404}
    return {200, 302, 400, 422}


@pytest.mark.parametrize("who", ["anonymous", "guide_a", "guide_b", "facilitator", "admin"])
def test_every_console_url_and_method(app, client, who):
    world = build_world(app)
    mark_id = guide_a_mark(app)
    world.group_request = add_group_request(app)
    world.contribution = a_contribution(app)
    if who != "anonymous":
        accounts = {"guide_a": GUIDE_A, "guide_b": GUIDE_B, "facilitator": FACILITATOR}
        assert log_in(client, {**accounts, "admin": ADMIN}[who])
    checked = 0
    for endpoint, method, url in console_requests(app, world, mark_id):
        if endpoint == "console.logout":
            continue  # checked last: it ends the session
        data = {"booking_id": world.booking_ids[0], "state": "arrived", "key": f"key-{checked:04d}"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        allowed = expected(who, endpoint, method)
        assert response.status_code in allowed, (who, method, url, response.status_code)
        if who == "anonymous" and endpoint not in PUBLIC:
            assert "/console/login" in response.headers["Location"]
        checked += 1
    assert checked >= 25
    response = client.post("/console/logout")
    assert response.status_code == 302


def test_guide_b_cannot_see_guide_a_data(app, client):
    world = build_world(app)
    log_in(client, GUIDE_B)
    assert client.get(f"/console/departures/{world.walk_a}").status_code == 404
    own = client.get(f"/console/departures/{world.walk_b}")
    assert own.status_code == 200 and "Voix de San Francisco" in own.get_data(as_text=True)
    listing = client.get("/console/").get_data(as_text=True)
    assert f"/console/departures/{world.walk_a}" not in listing
    assert "Ane Visitor" not in listing
    assert client.get("/console/admin/departures").status_code == 403


def test_a_facilitator_sees_no_booker_script_account_or_schedule(app, client):
    world = build_world(app)
    world.contribution = a_contribution(app)
    assert log_in(client, FACILITATOR).status_code == 302
    for url in (
        f"/console/departures/{world.walk_a}",
        f"/console/departures/{world.walk_a}/stops/sf-01/script",
        "/console/admin/departures",
        "/console/admin/bookings",
        "/console/admin/accounts",
        "/console/impact",
        "/console/impact.csv",
        f"/console/tours/{SLUG}",
        "/console/admin/audit",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Ane Visitor" not in response.get_data(as_text=True)
    page = client.get(f"/console/contributions/{world.contribution}")
    assert page.status_code == 200 and "Ane Visitor" not in page.get_data(as_text=True)
