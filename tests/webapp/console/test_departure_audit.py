"""The console's departure pages call the departure actions: one audit record per change,
written with the change, naming the coordinator; none when nothing changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from guides import audit
from tests.webapp.actions.support import audit_log
from tests.webapp.console.support import ADMIN, SLUG, build_world, log_in
from tours.booking.models import CANCELLED, SCHEDULED, Departure, OutboxMessage
from webapp.common.database import get_db


def _departures(app) -> dict[int, tuple[str, str | None, int]]:
    """Every departure's (status, guide, capacity), by id."""
    with get_db(app).transaction() as db_session:
        rows = db_session.scalars(select(Departure))
        return {d.id: (d.status, d.guide_id, d.capacity) for d in rows}


def _outbox(app) -> int:
    with get_db(app).transaction() as db_session:
        return db_session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def _next_saturday() -> date:
    day = date.today() + timedelta(days=30)
    return day + timedelta(days=(5 - day.weekday()) % 7)


def _series(first: date) -> dict[str, str]:
    return {
        "tour": SLUG,
        "starts_at": f"{first.isoformat()}T11:00",
        "language": "es",
        "capacity": "10",
        "guide": "youssef",
        "every": "saturday",
        "until": (first + timedelta(days=14)).isoformat(),
    }


def test_scheduling_a_weekly_series_records_each_walk(app, client):
    build_world(app)
    log_in(client, ADMIN)
    before = set(_departures(app))
    page = client.post("/console/admin/departures", data=_series(_next_saturday()))
    assert page.status_code == 302
    added = sorted(set(_departures(app)) - before)
    assert len(added) == 3
    assert audit_log(app) == [
        (ADMIN, "departure.add", f"departure:{i}", {"guide": "youssef"}) for i in added
    ]


def test_a_schedule_whose_record_fails_leaves_no_walk(app, client, monkeypatch):
    build_world(app)
    log_in(client, ADMIN)
    before = _departures(app)

    def failing(*args, **kwargs):
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError):
        client.post("/console/admin/departures", data=_series(_next_saturday()))
    assert _departures(app) == before


def test_assigning_records_changes_only(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    url = f"/console/admin/departures/{world.walk_a}/guide"
    pages = [
        client.post(url, data={"guide": guide}, follow_redirects=True).get_data(as_text=True)
        for guide in ("youssef", "", "", "youssef")  # already Youssef's at first
    ]
    assert _departures(app)[world.walk_a][1] == "youssef"
    said = ["already had that guide" in page for page in pages]
    assert said == [True, False, True, False]
    assert ["Guide changed." in page for page in pages] == [False, True, False, True]
    target = f"departure:{world.walk_a}"
    assert audit_log(app) == [
        (ADMIN, "departure.assign", target, {"guide": None}),
        (ADMIN, "departure.assign", target, {"guide": "youssef"}),
    ]


def test_changing_the_seats_records_changes_only(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    url = f"/console/admin/departures/{world.walk_a}/capacity"
    pages = [
        client.post(url, data={"capacity": c}, follow_redirects=True).get_data(as_text=True)
        for c in ("12", "20", "20")  # 12 seats at first
    ]
    assert _departures(app)[world.walk_a][2] == 20
    said = ["already had that many seats" in page for page in pages]
    assert said == [True, False, True]
    assert ["Seats changed." in page for page in pages] == [False, True, False]
    assert audit_log(app) == [
        (ADMIN, "departure.capacity", f"departure:{world.walk_a}", {"capacity": 20})
    ]


def test_cancelling_records_once_and_a_second_cancel_says_it_changed_nothing(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    url = f"/console/admin/departures/{world.walk_a}/cancel"
    first = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "Walk cancelled; 2 emails are on their way." in first
    assert _departures(app)[world.walk_a][0] == CANCELLED
    again = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "This walk was already cancelled: nothing was changed or sent." in again
    assert "Walk cancelled;" not in again
    assert _outbox(app) == 2
    assert audit_log(app) == [
        (ADMIN, "departure.cancel", f"departure:{world.walk_a}", {"bookings": 2, "emails": 2})
    ]


def test_the_already_cancelled_message_is_translated(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    url = f"/console/admin/departures/{world.walk_a}/cancel"
    client.post(url)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    again = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "Este paseo ya estaba cancelado: no se ha cambiado ni enviado nada." in again


def test_a_cancel_whose_record_fails_leaves_the_walk_and_sends_nothing(app, client, monkeypatch):
    world = build_world(app)
    log_in(client, ADMIN)

    def failing(*args, **kwargs):
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError):
        client.post(f"/console/admin/departures/{world.walk_a}/cancel")
    assert _departures(app)[world.walk_a][0] == SCHEDULED
    assert _outbox(app) == 0
    assert audit_log(app) == []
