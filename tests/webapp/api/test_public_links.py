"""Links in API answers are built on PUBLIC_URL, never on the Host header a client sends."""

from __future__ import annotations

import re

import pytest

from webapp.commands.samples import load_samples_if_empty
from webapp.common.urls import public_url_for

PUBLIC = "https://tours.example.org/bilbao"
NEXT = re.compile(r'^<([^>]+)>; rel="next"$')


@pytest.fixture
def spoofed(app, client):
    """Samples loaded, PUBLIC_URL (with a path prefix) unlike the Host header sent."""
    load_samples_if_empty(app)
    app.config["PUBLIC_URL"] = PUBLIC

    def get(url: str):
        response = client.get(url, headers={"Host": "attacker.example"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    return get


def links_in(value) -> list[str]:
    """Every absolute URL anywhere in a JSON answer."""
    if isinstance(value, dict):
        return [u for v in value.values() for u in links_in(v)]
    if isinstance(value, list):
        return [u for v in value for u in links_in(v)]
    return [value] if isinstance(value, str) and "://" in value else []


@pytest.mark.parametrize("path", ["/api/sessions", "/api/tours", "/api/guides"])
def test_list_answers_link_only_to_public_url(spoofed, path):
    answer = spoofed(f"{path}?limit=1")
    found = links_in(answer.get_json())
    if path != "/api/sessions":  # sessions carry no links of their own
        assert found
    assert all(url.startswith(PUBLIC + "/") for url in found), found


@pytest.mark.parametrize("path", ["/api/sessions", "/api/tours"])
def test_next_page_link_is_on_public_url(spoofed, path):
    link = spoofed(f"{path}?limit=1").headers["Link"]
    url = NEXT.match(link).group(1)
    assert url.startswith(f"{PUBLIC}{path}?") and "attacker.example" not in url
    assert "cursor=" in url and "limit=1" in url
    second = spoofed(url.removeprefix(PUBLIC))
    assert len(second.get_json()) == 1


def test_tour_and_guide_details_link_only_to_public_url(spoofed):
    slug = spoofed("/api/tours").get_json()[0]["slug"]
    guide = spoofed("/api/guides").get_json()[0]["id"]
    for path in (f"/api/tours/{slug}", f"/api/guides/{guide}"):
        found = links_in(spoofed(path).get_json())
        assert found and all(url.startswith(PUBLIC + "/") for url in found), found


def test_links_follow_public_url_when_it_changes(app):
    """Each base gets URLs of its own (the bound URL map is kept per base)."""
    with app.test_request_context("/", base_url="http://attacker.example"):
        app.config["PUBLIC_URL"] = PUBLIC
        first = public_url_for("booking.manage", token="abc")
        app.config["PUBLIC_URL"] = "http://other.example.net:8080"
        second = public_url_for("booking.manage", token="abc")
        app.config["PUBLIC_URL"] = PUBLIC
        again = public_url_for("booking.manage", token="a/b c")
    assert first == PUBLIC + "/bookings/abc"
    assert second == "http://other.example.net:8080/bookings/abc"
    assert again == PUBLIC + "/bookings/a/b%20c"
