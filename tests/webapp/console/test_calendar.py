"""The coordinator's calendar: month and week views, filters, navigation, cancelled walks."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from guides.assignment import schedule_with_guide
from tests.webapp.console.support import ADMIN, GUIDE_A, SLUG, build_world, log_in
from tours.booking.departures import DepartureRequest, cancel, get_departure
from webapp.common.database import get_db

OTHER = "zabala-kitchens-and-workshops"


def walks_shown(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'class="calendar-walk[^"]*" data-walk="(\d+)"', page)}


def day_of(app, walk_id: int) -> date:
    with get_db(app).transaction() as db_session:
        found = get_departure(db_session, walk_id)
        return found.starts_at.astimezone(ZoneInfo(found.timezone)).date()


def calendar(client, **args) -> tuple[int, str]:
    response = client.get("/console/admin/calendar", query_string=args)
    return response.status_code, response.get_data(as_text=True)


def test_month_and_week_show_the_walks_of_their_days(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    day = day_of(app, world.walk_a)
    status, page = calendar(client, view="month", day=day.isoformat())
    assert status == 200
    assert {world.walk_a} <= walks_shown(page)
    line = re.search(rf'data-walk="{world.walk_a}".*?</li>', page, re.S).group(0)
    assert f'href="/console/admin/departures/{world.walk_a}"' in line
    assert "3 of 12 seats booked" in line and "Youssef" in line
    assert f'data-day="{day.isoformat()}"' in page
    # The week of walk A holds it; the week before holds neither walk.
    status, page = calendar(client, view="week", day=day.isoformat())
    assert status == 200 and world.walk_a in walks_shown(page)
    assert page.count('" data-day="') == 7
    earlier = (day - timedelta(days=7)).isoformat()
    assert walks_shown(calendar(client, view="week", day=earlier)[1]) & {world.walk_a} == set()


def test_filters_by_tour_guide_and_language(app, client):
    world = build_world(app)
    start = datetime.now() + timedelta(days=3, hours=2)
    with get_db(app).transaction(write_lock=True) as db_session:
        (created,) = schedule_with_guide(db_session, DepartureRequest(OTHER, start, "es", 10))
        other = created.id
    log_in(client, ADMIN)
    day = day_of(app, world.walk_a).isoformat()
    everything = {world.walk_a, world.walk_b, other}
    # Walk B is the next day: a week view of A's day may end before it, so two weeks' views.
    week = walks_shown(calendar(client, view="week", day=day)[1])
    next_day = day_of(app, world.walk_b).isoformat()
    week |= walks_shown(calendar(client, view="week", day=next_day)[1])
    assert everything <= week

    def shown(**filters) -> set[int]:
        found = set()
        for walk in (world.walk_a, world.walk_b):
            when = day_of(app, walk).isoformat()
            status, page = calendar(client, view="week", day=when, **filters)
            assert status == 200
            found |= walks_shown(page)
        return found & everything

    assert shown(guide="youssef") == {world.walk_a}
    assert shown(language="fr") == {world.walk_b}
    assert shown(tour=OTHER) == {other}
    assert shown(tour=SLUG, language="es") == {world.walk_a}
    # The lists offer the choices, the chosen one selected.
    page = calendar(client, view="week", day=day, guide="youssef")[1]
    assert '<option value="youssef" selected>' in page
    assert f'<option value="{OTHER}">' in page and '<option value="fr">' in page


def test_previous_and_next_keep_the_filters(app, client):
    build_world(app)
    log_in(client, ADMIN)
    page = calendar(client, view="month", day="2027-03-15", language="es")[1]
    assert "2027-02-01" in page and "2027-04-01" in page  # previous and next month
    assert 'rel="prev"' in page and "language=es" in page
    page = calendar(client, view="week", day="2027-03-17")[1]
    assert "day=2027-03-10" in page and "day=2027-03-24" in page
    assert 'data-day="2027-03-15"' in page and 'data-day="2027-03-21"' in page  # Mon to Sun


def test_cancelled_walks_are_shown_as_such(app, client):
    world = build_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        cancel(db_session, world.walk_b)
    log_in(client, ADMIN)
    page = calendar(client, view="week", day=day_of(app, world.walk_b).isoformat())[1]
    line = re.search(rf'<li class="([^"]*)" data-walk="{world.walk_b}".*?</li>', page, re.S)
    assert "cancelled" in line.group(1) and ">cancelled</strong>" in line.group(0)


def test_wrong_filters_answer_400_beside_their_field(app, client):
    build_world(app)
    log_in(client, ADMIN)
    status, page = calendar(client, view="year", day="2027-13-40", guide="nobody")
    assert status == 400
    for name in ("view", "day", "guide"):
        assert f'id="filter-{name}-error" role="alert"' in page
    assert 'aria-invalid="true"' in page and 'class="flash error" role="alert"' in page
    assert "<script" not in calendar(client, tour="<script>")[1].split("</head>")[1]
    for far in ("0001-01-01", "9999-12-31"):  # the ends of the calendar: refused, no 500
        status, page = calendar(client, day=far)
        assert status == 400 and 'id="filter-day-error"' in page


def test_only_coordinators(app, client):
    build_world(app)
    log_in(client, GUIDE_A)
    assert client.get("/console/admin/calendar").status_code == 403
