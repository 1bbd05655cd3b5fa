"""The console's paged lists of walks: the coordinator's upcoming walks and a guide's own.

50 walks a page; "Later walks" and "Earlier walks" carry a keyset cursor and the filters;
following them shows every walk once, in order, and back the same pages."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from tests.webapp.console.support import ADMIN, GUIDE_A, SLUG, build_world, log_in
from tours.booking.models import Departure
from tours.db import utcnow
from tours.tour.models import TourRecord
from webapp.common.database import get_db
from webapp.console.walk_lists import PAGE_SIZE, format_key, parse_key

LIST = "/console/admin/departures"
WALK = re.compile(r'<a class="walk-link" href="/console/(?:admin/)?departures/(\d+)"')
LATER = re.compile(r'<a class="button secondary" href="([^"]+)" rel="next">Later walks</a>')
EARLIER = re.compile(r'<a class="button secondary" href="([^"]+)" rel="prev">Earlier walks</a>')
GUIDES = ("youssef", "aminata", None)


def add_walks(app, count: int) -> None:
    """``count`` walks from tomorrow, two at each start time, guides and languages in turn,
    one in five cancelled, one in seven private; and five that started an hour ago."""
    now = utcnow()
    with get_db(app).transaction(write_lock=True) as db_session:
        tour_id = db_session.scalar(select(TourRecord.id).where(TourRecord.slug == SLUG))
        starts = [now + timedelta(days=1, hours=n // 2) for n in range(count)]
        starts += [now - timedelta(hours=1)] * 5
        rows = [
            {
                "tour_id": tour_id, "starts_at": start, "timezone": "Europe/Madrid",
                "language": ("es", "fr")[n % 2], "capacity": 12, "max_party": 6,
                "guide_id": GUIDES[n % 3], "meeting_lon": -2.93, "meeting_lat": 43.25,
                "meeting_name": {"es": "Plaza"},
                "status": "cancelled" if n % 5 == 0 else "scheduled", "private": n % 7 == 0,
            }
            for n, start in enumerate(starts)
        ]  # fmt: skip
        db_session.execute(insert(Departure), rows)


def expected(app, *, since_hours: float = 0, **where) -> list[int]:
    """The ids a list should show, in its order: walks after now (minus ``since_hours``)."""
    since = utcnow() - timedelta(hours=since_hours)
    with get_db(app).transaction() as db_session:
        query = select(Departure.id).where(Departure.starts_at > since)
        for column, value in where.items():
            query = query.where(getattr(Departure, column) == value)
        return list(db_session.scalars(query.order_by(Departure.starts_at, Departure.id)))


def page(client, url: str, status: int = 200) -> tuple[list[int], str | None, str | None]:
    response = client.get(url)
    assert response.status_code == status, url
    body = response.get_data(as_text=True)
    later, earlier = LATER.search(body), EARLIER.search(body)
    return (
        [int(n) for n in WALK.findall(body)],
        html.unescape(later.group(1)) if later else None,
        html.unescape(earlier.group(1)) if earlier else None,
    )


def walk_through(client, url: str) -> list[list[int]]:
    """Every page from ``url`` on by "Later walks", then back by "Earlier walks"; the
    pages forwards, checked to be the same as those backwards."""
    forwards, links = [], []
    while url is not None:
        shown, later, earlier = page(client, url)
        assert (earlier is None) == (not forwards), url  # only the first page has none
        forwards.append(shown)
        links.append((later, earlier))
        url = later
        assert len(forwards) < 20, "paging never ends"
    backwards = [forwards[-1]]
    url = links[-1][1]
    while url is not None:
        shown, _later, url = page(client, url)
        backwards.append(shown)
    assert backwards[::-1] == forwards
    return forwards


def test_the_coordinators_list_pages_every_upcoming_walk_once(app, client):
    build_world(app)
    add_walks(app, 2 * PAGE_SIZE + 7)
    log_in(client, ADMIN)
    pages = walk_through(client, LIST)
    assert [len(p) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 9]  # the world's two walks too
    assert [walk for p in pages for walk in p] == expected(app)
    body = client.get(LIST).get_data(as_text=True)
    assert "cancelled" in body and "private: a group&#39;s own walk" in body
    assert "no guide" in body and "Youssef" in body


def test_filters_are_kept_on_every_page(app, client):
    build_world(app)
    add_walks(app, 7 * PAGE_SIZE)  # one in six is Aminata's in French
    log_in(client, ADMIN)
    first = f"{LIST}?guide=aminata&language=fr"
    pages = walk_through(client, first)
    assert len(pages) > 1
    assert [w for p in pages for w in p] == expected(app, guide_id="aminata", language="fr")
    _shown, later, _earlier = page(client, first)
    assert "guide=aminata" in later and "language=fr" in later
    # The form shows the filters chosen.
    body = client.get(later).get_data(as_text=True)
    assert '<option value="aminata" selected>' in body and '<option value="fr" selected>' in body


def test_a_wrong_filter_or_cursor_shows_the_first_page_unfiltered(app, client):
    build_world(app)
    add_walks(app, PAGE_SIZE + 1)
    log_in(client, ADMIN)
    everything = expected(app)[:PAGE_SIZE]
    shown, later, _ = page(client, f"{LIST}?language=xx", status=400)
    assert shown == everything and "language=xx" not in later
    assert "this is the list without them" in client.get(f"{LIST}?language=xx").get_data(
        as_text=True
    )
    for cursor in ("yesterday", "2027-03-06T10:00:00Z,abc", "2027-03-06T10:00:00,5",
                   "2027-03-06T10:00:00Z,99999999999", "x" * 100):  # fmt: skip
        shown, _later, earlier = page(client, f"{LIST}?after={cursor}", status=400)
        assert shown == everything and earlier is None, cursor
    both = f"{LIST}?after=2027-03-06T10:00:00Z,5&before=2027-03-06T10:00:00Z,5"
    assert page(client, both, status=400)[0] == everything


def test_a_guide_pages_through_their_own_walks_only(app, client):
    world = build_world(app)
    add_walks(app, 4 * PAGE_SIZE)
    log_in(client, GUIDE_A)  # Youssef
    pages = walk_through(client, "/console/")
    assert len(pages) > 1
    # Their walks that started in the last 12 hours are still listed ("today's").
    mine = expected(app, since_hours=12, guide_id="youssef")
    assert [w for p in pages for w in p] == mine and world.walk_a in mine
    # A query string does not widen a guide's list to another guide's walks.
    shown, _later, _earlier = page(client, "/console/?guide=aminata")
    assert set(shown) <= set(mine)


@pytest.mark.parametrize(
    "key", ["2027-03-06T10:00:00Z,1", "2027-03-06T10:00:00.250000Z,2147483647"]
)
def test_a_cursor_reads_back_as_the_key_it_was_written_from(key):
    assert format_key(parse_key(key)) == key
