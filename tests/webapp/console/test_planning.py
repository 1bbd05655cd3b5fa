"""The planning pages: clashes refused with the other walk named, the schedule form kept
after a refusal, errors that look like errors, guides' availability and withdrawals."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from guides.availability import add_mark
from guides.models import AuditEntry, AvailabilityMark
from tests.webapp.console.support import ADMIN, GUIDE_A, GUIDE_B, SLUG, build_world, log_in
from tours.booking.departures import get_departure
from tours.booking.models import Departure
from webapp.common.database import get_db

ALERT = re.compile(r'<div class="flash error" role="alert">(.*?)</div>', re.S)
WARNING = re.compile(r'<div class="flash warning" role="status">(.*?)</div>', re.S)
SUCCESS = re.compile(r'<div class="flash success" role="status">(.*?)</div>', re.S)


def _local_start(app, departure_id: int) -> datetime:
    with get_db(app).transaction() as db_session:
        departure = get_departure(db_session, departure_id)
        return departure.starts_at.astimezone(ZoneInfo(departure.timezone)).replace(tzinfo=None)


def _count(app) -> int:
    with get_db(app).transaction() as db_session:
        return db_session.scalar(select(func.count()).select_from(Departure))


def _form(start: datetime, **more: str) -> dict[str, str]:
    return {
        "tour": SLUG,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "language": "es",
        "capacity": "14",
        "guide": "youssef",
        "step": "schedule",
        **more,
    }


def test_the_schedule_form_chooses_tours_languages_and_guides_from_lists(app, client):
    build_world(app)
    log_in(client, ADMIN)
    page = client.get("/console/admin/departures").get_data(as_text=True)
    for name in ("tour", "language", "guide", "every"):
        assert re.search(rf'<select[^>]*id="{name}"', page), name
    assert '<option value="san-francisco-voices">Voices of San Francisco</option>' in page
    assert '<option value="eu">Basque</option>' in page


def test_an_overlapping_walk_is_refused_naming_the_other_and_keeping_every_field(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    start = _local_start(app, world.walk_a) + timedelta(minutes=30)
    before = _count(app)
    response = client.post("/console/admin/departures", data=_form(start))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    (alert,) = ALERT.findall(page)
    assert "Youssef" in alert and "Voices of San Francisco" in alert
    assert start.strftime("%-d") in alert and "11:00" in alert  # the other walk's day and time
    assert _count(app) == before
    # Every field as it was sent.
    assert f'value="{start.strftime("%Y-%m-%dT%H:%M")}"' in page
    assert 'value="14"' in page
    for name, value in (("tour", SLUG), ("language", "es"), ("guide", "youssef")):
        select_ = re.search(rf'<select[^>]*id="{name}".*?</select>', page, re.S)[0]
        assert re.search(rf'<option selected value="{value}"', select_), name


def test_a_walk_meeting_where_another_meets_within_30_minutes_is_scheduled_with_a_warning(
    app, client
):
    world = build_world(app)
    log_in(client, ADMIN)
    start = _local_start(app, world.walk_a) + timedelta(minutes=20)
    response = client.post("/console/admin/departures", data=_form(start, guide=""))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    (warning,) = WARNING.findall(page)
    assert "Voices of San Francisco" in warning and "30 minutes" in warning
    assert "1 walk scheduled." in SUCCESS.findall(page)[0]
    assert not ALERT.findall(page)


def test_only_guides_free_and_available_then_are_offered(app, client):
    world = build_world(app)
    start = _local_start(app, world.walk_a)
    with get_db(app).transaction(write_lock=True) as db_session:
        add_mark(db_session, "aminata", start.date(), available=False, today=date.today())
    log_in(client, ADMIN)
    data = _form(start + timedelta(minutes=30), guide="", step="guides")
    page = client.post("/console/admin/departures", data=data).get_data(as_text=True)
    guide_select = re.search(r'<select[^>]*id="guide".*?</select>', page, re.S)[0]
    offered = re.findall(r'<option[^>]*value="([^"]*)"', guide_select)
    # Youssef leads walk A then, Aminata cannot that day; the others speak Spanish but lead
    # other tours (offered apart, with a warning if chosen).
    assert offered == ["", "ionela", "mariela", "mei"]
    assert 'label="Outside their tours"' in guide_select
    assert not ALERT.findall(page)


def test_assigning_an_unavailable_guide_is_refused_with_the_reason(app, client):
    world = build_world(app)
    start = _local_start(app, world.walk_a)
    with get_db(app).transaction(write_lock=True) as db_session:
        add_mark(
            db_session, "aminata", start.date(), available=False, note="exams", today=date.today()
        )
    log_in(client, ADMIN)
    walk_page = client.get(f"/console/admin/departures/{world.walk_a}").get_data(as_text=True)
    assert 'value="aminata"' not in walk_page  # not offered
    assert 'value="mariela"' in walk_page  # speaks Spanish, free and available
    client.post(f"/console/admin/departures/{world.walk_a}/guide", data={"guide": "aminata"})
    page = client.get(f"/console/admin/departures/{world.walk_a}").get_data(as_text=True)
    (alert,) = ALERT.findall(page)
    assert "Aminata is not available" in alert and "exams" in alert
    with get_db(app).transaction() as db_session:
        assert get_departure(db_session, world.walk_a).guide_id == "youssef"


def test_assigning_a_busy_guide_names_the_other_walk(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    start = _local_start(app, world.walk_a) + timedelta(hours=1)
    client.post("/console/admin/departures", data=_form(start, guide=""))
    with get_db(app).transaction() as db_session:
        new = db_session.scalar(select(func.max(Departure.id)))
    client.post(f"/console/admin/departures/{new}/guide", data={"guide": "youssef"})
    page = client.get(f"/console/admin/departures/{new}").get_data(as_text=True)
    (alert,) = ALERT.findall(page)
    assert "Youssef already leads “Voices of San Francisco”" in alert and "11:00" in alert
    with get_db(app).transaction() as db_session:
        assert get_departure(db_session, new).guide_id is None


def test_assigning_a_guide_outside_their_tours_warns_but_assigns(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    response = client.post(f"/console/admin/departures/{world.walk_a}/guide", data={"guide": "mei"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    (warning,) = WARNING.findall(page)
    assert "Mei" in warning and "does not lead this tour" in warning
    assert "Guide changed." in SUCCESS.findall(page)[0]
    with get_db(app).transaction() as db_session:
        assert get_departure(db_session, world.walk_a).guide_id == "mei"


def test_errors_of_other_console_forms_are_errors_too(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    client.post(f"/console/admin/departures/{world.walk_a}/capacity", data={"capacity": "0"})
    page = client.get(f"/console/admin/departures/{world.walk_a}").get_data(as_text=True)
    (alert,) = ALERT.findall(page)
    assert "whole number" in alert and not SUCCESS.findall(page)


# --- availability -----------------------------------------------------------------------


def _marks(app) -> list[tuple[str, date, bool]]:
    with get_db(app).transaction() as db_session:
        rows = db_session.scalars(select(AvailabilityMark).order_by(AvailabilityMark.id))
        return [(m.guide_id, m.first_day, m.available) for m in rows]


def test_a_guide_marks_a_day_and_removes_the_mark(app, client):
    build_world(app)
    log_in(client, GUIDE_A)
    assert "/console/availability" in client.get("/console/").get_data(as_text=True)
    day = date.today() + timedelta(days=9)
    response = client.post(
        "/console/availability",
        data={"available": "no", "first_day": day.isoformat(), "note": "exams"},
    )
    assert response.status_code == 302
    assert _marks(app) == [("youssef", day, False)]
    page = client.get("/console/availability").get_data(as_text=True)
    assert "exams" in page and "Cannot guide" in page
    (mark_id,) = re.findall(r'data-mark="(\d+)"', page)
    client.post(f"/console/availability/{mark_id}/remove")
    assert _marks(app) == []
    with get_db(app).transaction() as db_session:
        actions = list(db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["availability.add", "availability.remove"]


def test_a_broken_mark_is_refused_beside_its_field(app, client):
    build_world(app)
    log_in(client, GUIDE_A)
    day = date.today() + timedelta(days=9)
    data = {
        "available": "no",
        "first_day": day.isoformat(),
        "from_time": "14:00",
        "until_time": "10:00",
    }
    response = client.post("/console/availability", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="until_time-error"' in page and "must end after it starts" in page
    assert 'aria-invalid="true"' in page and ALERT.findall(page)
    assert _marks(app) == []


def test_a_guide_cannot_remove_another_guides_mark_and_coordinators_have_no_availability(
    app, client
):
    build_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        day = date.today() + timedelta(days=9)
        mark = add_mark(db_session, "youssef", day, available=False, today=date.today()).id
    log_in(client, GUIDE_B)
    assert client.post(f"/console/availability/{mark}/remove").status_code == 404
    assert "exams" not in client.get("/console/availability").get_data(as_text=True)
    assert len(_marks(app)) == 1
    client.post("/console/logout")
    log_in(client, ADMIN)
    assert client.get("/console/availability").status_code == 403


# --- withdrawing ------------------------------------------------------------------------


def test_a_guide_gives_back_a_walk_with_a_reason(app, client):
    world = build_world(app)
    log_in(client, GUIDE_A)
    walk_page = client.get(f"/console/departures/{world.walk_a}").get_data(as_text=True)
    assert f'action="/console/departures/{world.walk_a}/withdraw"' in walk_page
    empty = client.post(f"/console/departures/{world.walk_a}/withdraw", data={"reason": " "})
    assert empty.status_code == 400 and ALERT.findall(empty.get_data(as_text=True))
    response = client.post(
        f"/console/departures/{world.walk_a}/withdraw", data={"reason": "I broke my ankle"}
    )
    assert response.status_code == 302
    with get_db(app).transaction() as db_session:
        assert get_departure(db_session, world.walk_a).guide_id is None
        entry = db_session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.actor, entry.action, entry.target, entry.details) == (
        GUIDE_A,
        "departure.withdraw",
        f"departure:{world.walk_a}",
        {"guide": "youssef", "reason": "I broke my ankle"},
    )
    # It is no longer theirs: its page answers 404 like any other guide's walk.
    assert client.get(f"/console/departures/{world.walk_a}").status_code == 404


def test_another_guide_cannot_give_back_a_walk(app, client):
    world = build_world(app)
    log_in(client, GUIDE_B)
    response = client.post(f"/console/departures/{world.walk_a}/withdraw", data={"reason": "x"})
    assert response.status_code == 404
    with get_db(app).transaction() as db_session:
        assert get_departure(db_session, world.walk_a).guide_id == "youssef"


# --- the command line ---------------------------------------------------------------------


def _add(runner, at: str, guide: str | None = None):
    args = ["departures", "add", SLUG, "--at", at, "--language", "es", "--capacity", "10"]
    return runner.invoke(args=args + (["--guide", guide] if guide else []))


def test_the_command_line_refuses_a_clash_and_warns_of_a_shared_meeting_point(app, runner):
    build_world(app)
    assert _add(runner, "2031-03-06T11:00", "youssef").exit_code == 0
    clash = _add(runner, "2031-03-06T12:00", "youssef")
    assert clash.exit_code != 0
    assert "already leads 'san-francisco-voices' on 2031-03-06 at 11:00" in clash.output
    near = _add(runner, "2031-03-06T11:20")
    assert near.exit_code == 0
    assert "Warning:" in near.output and "within 30 minutes" in near.output
    outside = _add(runner, "2031-03-07T11:00", "mei")
    assert outside.exit_code == 0 and "mei does not lead this tour" in outside.output


def test_a_coordinator_reads_a_guides_marks_without_changing_them(app, client):
    build_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        day = date.today() + timedelta(days=9)
        add_mark(db_session, "youssef", day, available=False, note="exams", today=date.today())
    log_in(client, ADMIN)
    profile = client.get("/console/admin/guides/youssef").get_data(as_text=True)
    assert 'href="/console/admin/guides/youssef/availability"' in profile
    page = client.get("/console/admin/guides/youssef/availability").get_data(as_text=True)
    assert "exams" in page and "Cannot guide" in page and "/remove" not in page
    assert client.get("/console/admin/guides/nobody/availability").status_code == 404
    client.post("/console/logout")
    log_in(client, GUIDE_A)
    assert client.get("/console/admin/guides/youssef/availability").status_code == 403


def test_scheduling_refusals_are_in_interface_words_not_command_line_options(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    # World's walk A has 3 people booked: the capacity cannot go below that.
    client.post(f"/console/admin/departures/{world.walk_a}/capacity", data={"capacity": "2"})
    page = client.get(f"/console/admin/departures/{world.walk_a}").get_data(as_text=True)
    (alert,) = ALERT.findall(page)
    assert "3 seats are already booked or offered" in alert
    assert "Session" not in alert and "--" not in alert
    # A walk in the past, in Spanish: the sentence is the interface's, no option named.
    past = datetime.now() - timedelta(days=2)
    response = client.post(
        "/console/admin/departures?lang=es",
        data=_form(past, guide=""),
        headers={"Accept-Language": "es"},
    )
    (alert,) = ALERT.findall(response.get_data(as_text=True))
    assert "en el pasado" in alert and "--" not in alert and "sessions" not in alert
