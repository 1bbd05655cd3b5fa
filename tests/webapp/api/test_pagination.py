"""Listings at scale: a constant number of SQL statements, pages with keyset cursors, and
clear 400s for bad paging parameters."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from tests.webapp.pages_support import store_document, walk_document
from tours.booking.departures import DepartureRequest, schedule
from tours.tour.store import save_tour
from webapp.common.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, encode_cursor
from webapp.common.database import get_db
from webapp.public.views import CATALOGUE_PAGE_SIZE

NEXT = re.compile(r'^<([^>]+)>; rel="next"$')


def store_walks(app, count: int, start: int = 0) -> list[str]:
    """``count`` copies of the test walk under their own slugs, in two cities."""
    first = store_document(app, walk_document("walk-template")).tour
    slugs = []
    with get_db(app).transaction(write_lock=True) as db_session:
        for n in range(start, start + count):
            slug = f"walk-{n:03d}"
            city = "Bilbao" if n % 2 else "Donostia"
            tour = replace(first, slug=slug, city=city)
            save_tour(db_session, tour, source_name="test")
            slugs.append(slug)
    return slugs


def statements(app, client, url: str) -> int:
    """SQL statements one (warm) request of ``url`` issues."""
    return len(statement_texts(app, client, url))


def statement_texts(app, client, url: str) -> list[str]:
    """The SQL statements one (warm) request of ``url`` issues."""
    assert client.get(url).status_code == 200
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_listings_issue_as_many_statements_for_30_tours_as_for_3(app, client):
    store_walks(app, 3)
    few = {url: statements(app, client, url) for url in ("/", "/?page=1", "/api/tours")}
    store_walks(app, 27, start=3)
    many = {url: statements(app, client, url) for url in few}
    assert many == few
    assert all(count <= 4 for count in few.values()), few


def test_a_cold_catalogue_reads_the_stored_facts_in_one_statement(app, client):
    store_walks(app, 30)
    app.extensions["bidean.bytecache"].clear()
    # current versions, catalogue facts, next dates: no tour document is read.
    assert statements(app, client, "/api/tours") <= 3
    app.extensions["bidean.bytecache"].clear()
    catalogue = client.get("/")
    assert catalogue.status_code == 200
    assert 'href="/tours/walk-0' in catalogue.get_data(as_text=True)  # the stored walks
    assert app.extensions["bidean.tourcache"].cache.count("tour") == 0


def walk_pages(client, url: str) -> tuple[list, int]:
    items, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        items += response.get_json()
        pages += 1
        link = response.headers.get("Link")
        url = NEXT.match(link).group(1) if link else None
    return items, pages


def test_tour_list_pages_follow_the_next_link_through_every_tour_once(app, client):
    slugs = store_walks(app, 25)
    everything, pages = walk_pages(client, "/api/tours?limit=10&lang=en")
    assert pages == 3
    listed = [item["slug"] for item in everything]
    assert sorted(listed) == sorted([*slugs, "walk-template"])
    cities = [item["city"] for item in everything]
    assert cities == sorted(cities)  # by city, then slug
    assert {item["language"] for item in everything} == {"en"}


def test_tour_list_first_page_has_the_default_limit_and_no_link_at_the_end(app, client):
    store_walks(app, DEFAULT_LIMIT + 1)
    first = client.get("/api/tours")
    assert len(first.get_json()) == DEFAULT_LIMIT
    assert "cursor=" in first.headers["Link"]
    last = client.get(NEXT.match(first.headers["Link"]).group(1))
    assert len(last.get_json()) == 2 and "Link" not in last.headers


def test_a_cursor_stays_valid_when_tours_are_added_before_it(app, client):
    store_walks(app, 6)
    first = client.get("/api/tours?limit=3")
    seen = [item["slug"] for item in first.get_json()]
    store_walks(app, 2, start=50)  # new tours sort into pages already read
    rest, _ = walk_pages(client, NEXT.match(first.headers["Link"]).group(1))
    assert not set(seen) & {item["slug"] for item in rest}


@pytest.mark.parametrize(
    "query",
    ["limit=0", f"limit={MAX_LIMIT + 1}", "limit=ten", "limit=-1", "limit=%C2%B2", "limit="],
)
def test_a_bad_limit_is_a_400_saying_what_to_send(client, query):
    for path in ("/api/tours", "/api/sessions"):
        response = client.get(f"{path}?{query}&lang=en")
        assert response.status_code == 400
        assert response.get_json()["code"] == "bad-request"
        assert f"from 1 to {MAX_LIMIT}" in response.get_json()["error"]


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense!",
        "bm90IGpzb24",  # base64 of "not json"
        encode_cursor(["only one"]),
        encode_cursor([1, 2]),
        "A" * 1000,
    ],
)
def test_a_bad_cursor_is_a_400_saying_what_to_do(client, cursor):
    for path in ("/api/tours", "/api/sessions"):
        response = client.get(f"{path}?cursor={cursor}&lang=en")
        assert response.status_code == 400, (path, response.get_data(as_text=True))
        assert "next link" in response.get_json()["error"]


def test_a_departures_cursor_with_a_time_that_is_not_one_is_a_400(client):
    response = client.get(f"/api/sessions?cursor={encode_cursor(['yesterday', 3])}&lang=en")
    assert response.status_code == 400


def test_departure_list_pages_through_every_departure_once_soonest_first(app, client):
    store_document(app, walk_document())
    start = date.today() + timedelta(days=2)
    with get_db(app).transaction(write_lock=True) as db_session:
        request = DepartureRequest("hidden-walk", datetime(2030, 1, 1, 10, 0), "es", 10)
        made = schedule(db_session, request, dates=[start + timedelta(days=n) for n in range(23)])
        ids = [d.id for d in made]
    everything, pages = walk_pages(client, "/api/sessions?tour=hidden-walk&limit=10")
    assert pages == 3
    assert [item["id"] for item in everything] == ids
    starts = [item["starts_at"] for item in everything]
    assert starts == sorted(starts)
    link = client.get("/api/sessions?tour=hidden-walk&limit=10").headers["Link"]
    assert "tour=hidden-walk" in link and "limit=10" in link


def test_one_tours_departures_are_read_without_reading_every_tour(app, client):
    """``/api/sessions?tour=`` asks for that tour's version only: with 1,000 tours, reading
    every tour's version was most of the answer's time."""
    store_walks(app, 30)
    start = date.today() + timedelta(days=2)
    with get_db(app).transaction(write_lock=True) as db_session:
        request = DepartureRequest("walk-007", datetime(2030, 1, 1, 10, 0), "es", 10)
        schedule(db_session, request, dates=[start + timedelta(days=n) for n in range(12)])
    url = "/api/sessions?tour=walk-007&limit=5"
    seen = statement_texts(app, client, url)
    assert len(client.get(url).get_json()) == 5
    reads_of_tours = [text for text in seen if re.search(r"\bFROM tours\b", text)]
    assert reads_of_tours and all("tours.slug IN" in text for text in reads_of_tours), seen
    assert len(seen) <= 3, seen  # (BEGIN,) the tour's version, its departures


def test_catalogue_pages_show_every_tour_once(app, client):
    slugs = store_walks(app, CATALOGUE_PAGE_SIZE + 4)
    html = client.get("/?lang=en").get_data(as_text=True)
    first = set(re.findall(r'id="tour-(walk-[\w-]+)"', html))
    assert len(first) == CATALOGUE_PAGE_SIZE
    next_url = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "lang=en" in next_url and "page=2" in next_url
    second_html = client.get(next_url).get_data(as_text=True)
    second = set(re.findall(r'id="tour-(walk-[\w-]+)"', second_html))
    assert first | second == {*slugs, "walk-template"} and not first & second
    assert 'rel="next"' not in second_html and 'rel="prev"' in second_html


@pytest.mark.parametrize("page", ["3", "0", "abc", "-1", "%C2%B2", "9999999"])
def test_a_catalogue_page_that_does_not_exist_is_a_404(app, client, page):
    store_walks(app, CATALOGUE_PAGE_SIZE + 4)
    assert client.get(f"/?page={page}").status_code == 404
