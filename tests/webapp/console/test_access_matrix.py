"""Who may do what in the console: anonymous, guide A, guide B and a coordinator, each
against every console URL and method the app has (read from its URL map, so a new page
cannot be forgotten)."""

from __future__ import annotations

import pytest

from tests.webapp.console.support import ADMIN, GUIDE_A, GUIDE_B, build_world, log_in

# Reachable without logging in: the login page, set-password links and the offline shell.
PUBLIC = {"console.login", "console.set_password", "console.service_worker", "console.manifest"}


def console_requests(app, world) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every console rule, filled with guide A's walk."""
    values = {
        "departure_id": world.walk_a,
        "guide_id": "youssef",
        "stop_id": "sf-01",
        "token": "not-a-real-token",
        "account_id": 1,
        "booking_id": world.booking_ids[0],
        # The tour editor works on a tour no walk of the world uses: withdrawing it (a
        # coordinator's POST) must not take guide A's walk off the site mid-test.
        "slug": "zabala-kitchens-and-workshops",
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
    admin_page = endpoint.split(".")[1].startswith("admin_")
    if who == "admin":
        return {200, 302, 400} if endpoint != "console.edit_script" else {403}
    if admin_page:
        return {403}
    if who == "guide_b" and endpoint in {
        "console.departure",
        "console.check_in",
        "console.edit_script",
    }:
        return {404}
    return {200, 302, 400}


@pytest.mark.parametrize("who", ["anonymous", "guide_a", "guide_b", "admin"])
def test_every_console_url_and_method(app, client, who):
    world = build_world(app)
    if who != "anonymous":
        assert log_in(client, {"guide_a": GUIDE_A, "guide_b": GUIDE_B, "admin": ADMIN}[who])
    checked = 0
    for endpoint, method, url in console_requests(app, world):
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
