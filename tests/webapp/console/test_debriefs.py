"""The guide's debrief after a walk: prefilled from check-ins, checked beside each field,
one per walk (saving again updates it, audited), the walk's guide and coordinators only,
and a route change asked for reaches the coordinators' dashboard."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from guides.models import AuditEntry, Debrief, UserAccount
from guides.roster import record_check_in
from tests.webapp.console.support import ADMIN, GUIDE_A, GUIDE_B, SLUG, build_world, log_in
from tours.booking.bookings import Party, book
from tours.booking.models import Booking, Departure
from tours.db import utcnow
from webapp.common.database import get_db

GOOD = {
    "headcount": "4",
    "rating": "4",
    "notes": "Lovely group.\r\nThey asked about the market.",
    "incidents": "",
    "route_change_needed": "1",
    "route_change": "The bridge on Calle Zabala is closed: go round by the square.",
}


def started(app, walk_id: int, hours_ago: int = 3) -> None:
    """Move the walk into the past: it has started."""
    with get_db(app).transaction(write_lock=True) as db_session:
        db_session.get(Departure, walk_id).starts_at = utcnow() - timedelta(hours=hours_ago)


def mark(app, walk_id: int, booking_id: int, state: str, key: str) -> None:
    with get_db(app).transaction(write_lock=True) as db_session:
        record_check_in(db_session, walk_id, booking_id, state, key, None)


def debriefs(app) -> list[Debrief]:
    with get_db(app).transaction() as db_session:
        rows = list(db_session.scalars(select(Debrief).order_by(Debrief.id)))
        db_session.expunge_all()
        return rows


def audit_entries(app) -> list[AuditEntry]:
    with get_db(app).transaction() as db_session:
        rows = list(
            db_session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "departure.debrief")
                .order_by(AuditEntry.id)
            )
        )
        db_session.expunge_all()
        return rows


def url(walk_id: int) -> str:
    return f"/console/departures/{walk_id}/debrief"


def headcount_value(page: str) -> str:
    start = page.index('id="headcount"')
    value = page.index('value="', start) + len('value="')
    return page[value : page.index('"', value)]


def test_headcount_is_prefilled_from_the_newest_check_in_marks(app, client):
    world = build_world(app)
    first, second = world.booking_ids  # 2 people and 1 person
    with get_db(app).transaction(write_lock=True) as db_session:
        third = book(db_session, world.walk_a, Party("Late", "late@example.org", 3, "es"))
        third_id = third.booking.id
    started(app, world.walk_a)
    mark(app, world.walk_a, first, "no_show", "mark-0001")
    mark(app, world.walk_a, first, "arrived", "mark-0002")  # the newest mark counts: arrived
    mark(app, world.walk_a, second, "arrived", "mark-0003")
    mark(app, world.walk_a, second, "no_show", "mark-0004")  # newest: no-show, not counted
    mark(app, world.walk_a, third_id, "arrived", "mark-0005")
    with get_db(app).transaction(write_lock=True) as db_session:
        db_session.get(Booking, third_id).status = "cancelled"  # cancelled: not counted
    log_in(client, GUIDE_A)
    page = client.get(url(world.walk_a)).get_data(as_text=True)
    assert headcount_value(page) == "2"
    assert "2 people checked in as arrived." in page
    assert debriefs(app) == []  # reading the form stores nothing


def test_guide_files_a_debrief_then_updates_it_audited(app, client):
    world = build_world(app)
    started(app, world.walk_a)
    log_in(client, GUIDE_A)
    response = client.post(url(world.walk_a), data=GOOD)
    assert response.status_code == 302
    (saved,) = debriefs(app)
    assert (saved.departure_id, saved.headcount, saved.rating) == (world.walk_a, 4, 4)
    assert saved.notes == "Lovely group.\nThey asked about the market."
    assert saved.route_change_needed and saved.route_change.startswith("The bridge")
    assert saved.guide_id == "youssef"
    with get_db(app).transaction() as db_session:
        account = db_session.scalar(select(UserAccount).where(UserAccount.email == GUIDE_A))
        assert saved.account_id == account.id
    (entry,) = audit_entries(app)
    assert entry.actor == GUIDE_A and entry.target == f"departure:{world.walk_a}"
    assert "Debrief saved." in client.get(url(world.walk_a)).get_data(as_text=True)

    changed = {**GOOD, "headcount": "5", "route_change_needed": "", "route_change": "ignored"}
    assert client.post(url(world.walk_a), data=changed).status_code == 302
    (again,) = debriefs(app)  # still one per walk
    assert again.id == saved.id and again.headcount == 5
    assert not again.route_change_needed and again.route_change == ""
    assert again.filed_at == saved.filed_at and again.updated_at >= saved.updated_at
    entries = audit_entries(app)
    assert len(entries) == 2
    assert entries[1].details["fields"] == ["headcount", "route_change_needed", "route_change"]
    # The form shows what was saved, and the same answers again change nothing.
    page = client.get(url(world.walk_a)).get_data(as_text=True)
    assert headcount_value(page) == "5"
    client.post(url(world.walk_a), data=changed)
    assert len(audit_entries(app)) == 2
    walk_page = client.get(f"/console/departures/{world.walk_a}").get_data(as_text=True)
    assert 'class="debrief-headcount">5<' in walk_page and "Change the debrief" in walk_page


def test_errors_are_shown_beside_their_fields_and_nothing_is_saved(app, client):
    world = build_world(app)
    started(app, world.walk_a)
    log_in(client, GUIDE_A)
    bad = {"headcount": "lots", "rating": "9", "notes": "x" * 5001, "route_change_needed": "1"}
    response = client.post(url(world.walk_a), data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="flash error" role="alert"' in page
    for field, text in (
        ("headcount", "Write the number of people as a whole number."),
        ("rating", "Choose how the walk went, from 1 to 5."),
        ("notes", "Write at most 5000 characters here."),
        ("route_change", "Say what should change on the route."),
    ):
        assert f'<p class="field-error" id="{field}-error">{text}</p>' in page
        assert f'aria-describedby="{field}-error"' in page
    assert 'id="incidents-error"' not in page
    assert 'value="lots"' in page  # what was written stays in the form
    response = client.post(url(world.walk_a), data={**GOOD, "route_change": "y" * 2001})
    assert "Write at most 2000 characters here." in response.get_data(as_text=True)
    response = client.post(url(world.walk_a), data={**GOOD, "headcount": "-2"})
    assert "The number of people must be between 0 and 999." in response.get_data(as_text=True)
    assert client.post(url(world.walk_a), data={**GOOD, "headcount": ""}).status_code == 422
    assert debriefs(app) == [] and audit_entries(app) == []


def test_errors_are_in_the_users_language(app, client):
    world = build_world(app)
    started(app, world.walk_a)
    log_in(client, GUIDE_A)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    response = client.post(url(world.walk_a), data={**GOOD, "rating": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="rating-error"' in page
    assert "Choose how the walk went" not in page


def test_no_debrief_before_the_walk_starts_nor_for_a_cancelled_walk(app, client):
    world = build_world(app)  # walk A starts in three days
    log_in(client, GUIDE_A)
    page = client.get(url(world.walk_a)).get_data(as_text=True)
    assert (
        "The debrief opens once the walk has started." in page and 'id="debrief-form"' not in page
    )
    assert "Write the debrief" not in client.get(f"/console/departures/{world.walk_a}").get_data(
        as_text=True
    )
    response = client.post(url(world.walk_a), data=GOOD)
    assert response.status_code == 400 and debriefs(app) == []
    started(app, world.walk_a)
    with get_db(app).transaction(write_lock=True) as db_session:
        db_session.get(Departure, world.walk_a).status = "cancelled"
    response = client.post(url(world.walk_a), data=GOOD)
    assert response.status_code == 400
    assert "This walk was cancelled: it has no debrief." in response.get_data(as_text=True)
    assert debriefs(app) == []


def test_another_guide_gets_404(app, client):
    world = build_world(app)
    started(app, world.walk_a)
    log_in(client, GUIDE_B)
    assert client.get(url(world.walk_a)).status_code == 404
    assert client.post(url(world.walk_a), data=GOOD).status_code == 404
    assert debriefs(app) == []
    assert client.get(url(10**6)).status_code == 404


def test_coordinator_sees_the_debrief_and_the_dashboard_line(app, client):
    world = build_world(app)
    started(app, world.walk_a)
    log_in(client, GUIDE_A)
    client.post(url(world.walk_a), data={**GOOD, "incidents": "<script>alert(1)</script>"})
    client.post("/console/logout")
    log_in(client, ADMIN)
    page = client.get(f"/console/admin/departures/{world.walk_a}").get_data(as_text=True)
    assert 'id="debrief"' in page and 'class="debrief-headcount">4<' in page
    assert "4 of 5" in page and "The bridge on Calle Zabala is closed" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    dashboard = client.get("/console/").get_data(as_text=True)
    section = dashboard[dashboard.index('id="route-changes"') :]
    section = section[: section.index("</section>")]
    assert f'href="/console/admin/departures/{world.walk_a}"' in section
    assert f'href="/console/tours/{SLUG}"' in section
    assert "The bridge on Calle Zabala is closed" in section
    assert "(1)" in section
    # The tour's editor lists it too; another tour's editor does not.
    editor = client.get(f"/console/tours/{SLUG}").get_data(as_text=True)
    assert 'id="route-changes"' in editor and "The bridge on Calle Zabala is closed" in editor
    other = client.get("/console/tours/zabala-kitchens-and-workshops").get_data(as_text=True)
    assert 'id="route-changes"' not in other
    # A coordinator may correct the debrief too; without a route change the line goes.
    response = client.post(url(world.walk_a), data={**GOOD, "route_change_needed": ""})
    assert response.status_code == 302
    assert 'id="route-changes"' not in client.get("/console/").get_data(as_text=True)
    assert audit_entries(app)[-1].actor == ADMIN


def test_dashboard_leaves_out_old_asks(app, client):
    world = build_world(app)
    started(app, world.walk_a)
    log_in(client, GUIDE_A)
    client.post(url(world.walk_a), data=GOOD)
    with get_db(app).transaction(write_lock=True) as db_session:
        found = db_session.scalar(select(Debrief))
        found.updated_at = utcnow() - timedelta(days=61)
    client.post("/console/logout")
    log_in(client, ADMIN)
    assert 'id="route-changes"' not in client.get("/console/").get_data(as_text=True)
    page = client.get(f"/console/admin/departures/{world.walk_a}").get_data(as_text=True)
    assert "The bridge on Calle Zabala is closed" in page  # still on the walk's page
