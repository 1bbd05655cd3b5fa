"""The coordinator's dashboard at /console/: each line checked against the database."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from guides.assignment import schedule_with_guide
from guides.roster import record_check_in
from tests.webapp.console.support import ADMIN, GUIDE_A, SLUG, build_world, log_in
from tests.webapp.groups.support import add_group_request
from tours.booking import outbox
from tours.booking.bookings import Party, book
from tours.booking.departures import DepartureRequest, cancel
from tours.booking.models import WAITING, Departure, WaitlistEntry
from tours.content.workflows.readiness import drafts_ready, texts_missing
from tours.tour.models import TourRecord, TourVersionRecord
from webapp.common.database import get_db

MADRID = ZoneInfo("Europe/Madrid")
OTHER = "zabala-kitchens-and-workshops"


def section(page: str, name: str) -> str:
    """The HTML of the dashboard section ``name`` ('' when it is not shown)."""
    found = re.search(rf'<section[^>]*id="{name}".*?</section>', page, re.S)
    return found.group(0) if found else ""


def walk_line(page: str, walk_id: int) -> str:
    found = re.search(rf'<li[^>]*data-walk="{walk_id}".*?</li>', page, re.S)
    return found.group(0) if found else ""


def schedule(app, when: datetime, language: str = "en", guide: str | None = None, **kw) -> int:
    with get_db(app).transaction(write_lock=True) as db_session:
        (walk,) = schedule_with_guide(
            db_session, DepartureRequest(SLUG, when, language, 12, guide_id=guide), **kw
        )
        return walk.id


def test_a_walk_without_a_guide_appears_then_goes_once_assigned(app, client):
    build_world(app)
    walk = schedule(app, datetime.now() + timedelta(days=5), "es")
    log_in(client, ADMIN)
    page = client.get("/console/").get_data(as_text=True)
    unguided = section(page, "without-guide")
    assert f'href="/console/admin/departures/{walk}"' in unguided
    assert "(1)" in unguided  # the count beside the heading

    response = client.post(f"/console/admin/departures/{walk}/guide", data={"guide": "youssef"})
    assert response.status_code == 302
    with get_db(app).transaction() as db_session:
        assert db_session.get(Departure, walk).guide_id == "youssef"
    page = client.get("/console/").get_data(as_text=True)
    assert section(page, "without-guide") == ""
    assert f"/console/admin/departures/{walk}" in section(page, "this-week")


def test_seats_booked_and_checked_in_counts(app, client):
    world = build_world(app)
    # A walk that started a minute ago today, with two parties: 4 people, 3 arrived.
    started = datetime.now(MADRID).replace(tzinfo=None, second=0, microsecond=0)
    started -= timedelta(minutes=1)
    before = datetime.now(UTC) - timedelta(hours=1)
    walk = schedule(app, started, "es", guide="youssef", now=before)
    with get_db(app).transaction(write_lock=True) as db_session:
        first = book(db_session, walk, Party("Ane", "a@example.org", 3, "es"), now=before)
        book(db_session, walk, Party("Bea", "b@example.org", 1, "es"), now=before)
        record_check_in(db_session, walk, first.booking.id, "no_show", "key-first-0", None)
        record_check_in(db_session, walk, first.booking.id, "arrived", "key-first-1", None)
    log_in(client, ADMIN)
    page = client.get("/console/").get_data(as_text=True)
    today = walk_line(section(page, "today"), walk)
    assert "4 of 12 seats booked" in today
    assert "3 checked in" in today  # the newest mark counts
    # Walk A (3 of 12 in build_world), in three days: booked, not yet started.
    ahead = walk_line(section(page, "this-week"), world.walk_a)
    assert "3 of 12 seats booked" in ahead and "checked in" not in ahead


def test_failed_mail_and_waiting_lists_appear(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    page = client.get("/console/").get_data(as_text=True)
    assert section(page, "failed-mail") == "" and section(page, "waiting-lists") == ""
    with get_db(app).transaction(write_lock=True) as db_session:
        outbox.record(
            db_session,
            kind="booking_confirmation",
            recipient="nobody@example.org",
            subject="Your walk <b>",
            raw=b"",
            departure_id=world.walk_b,
            error="550 no such mailbox",
        )
        db_session.add(
            WaitlistEntry(departure_id=world.walk_b, party_size=3, language="fr",
                          name="Fatou", email="f@example.org", status=WAITING)
        )  # fmt: skip
    page = client.get("/console/").get_data(as_text=True)
    failed = section(page, "failed-mail")
    assert f'href="/console/admin/departures/{world.walk_b}"' in failed
    assert "Your walk &lt;b&gt;" in failed and "550 no such mailbox" in failed
    waiting = walk_line(section(page, "waiting-lists"), world.walk_b)
    assert "3 people waiting" in waiting
    # A cancelled walk's waiting list is closed: it leaves the section.
    with get_db(app).transaction(write_lock=True) as db_session:
        cancel(db_session, world.walk_b)
    page = client.get("/console/").get_data(as_text=True)
    assert section(page, "waiting-lists") == ""


def _new_version(db_session, slug: str, *, languages: list[str], current: bool) -> None:
    """A copy of ``slug``'s current version declaring ``languages``, stored as its newest:
    current (published) or waiting as a draft with nothing left to do."""
    record = db_session.scalars(select(TourRecord).where(TourRecord.slug == slug)).one()
    row = db_session.scalars(
        select(TourVersionRecord).where(
            TourVersionRecord.tour_id == record.id,
            TourVersionRecord.version == record.current_version,
        )
    ).one()
    document = copy.deepcopy(row.document)
    document["features"][0]["properties"]["languages"] = languages
    version = record.current_version + 1
    db_session.add(
        TourVersionRecord(tour_id=record.id, version=version, city=row.city,
                          languages=" ".join(languages), title=row.title, document=document,
                          todo=[])
    )  # fmt: skip
    if current:
        record.current_version = version


def test_drafts_ready_and_languages_lacking_texts(app, client):
    build_world(app)
    log_in(client, ADMIN)
    page = client.get("/console/").get_data(as_text=True)
    assert section(page, "drafts-ready") == "" and section(page, "texts-missing") == ""
    with get_db(app).transaction(write_lock=True) as db_session:
        # Polish declared with no stop translated; a newer draft of another tour.
        _new_version(db_session, SLUG, languages=["es", "pl"], current=True)
        _new_version(db_session, OTHER, languages=["es"], current=False)
    with get_db(app).transaction() as db_session:
        assert [m.tour.slug for m in texts_missing(db_session)] == [SLUG]
        assert [d.slug for d in drafts_ready(db_session)] == [OTHER]
    page = client.get("/console/").get_data(as_text=True)
    missing = section(page, "texts-missing")
    assert f'href="/console/tours/{SLUG}/translations"' in missing and "Polish" in missing
    assert f'href="/console/tours/{OTHER}"' in section(page, "drafts-ready")


def test_a_guide_keeps_their_own_list(app, client):
    world = build_world(app)
    log_in(client, GUIDE_A)
    page = client.get("/console/").get_data(as_text=True)
    assert f"/console/departures/{world.walk_a}" in page
    assert f"/console/departures/{world.walk_b}" not in page
    assert 'id="without-guide"' not in page and "Dashboard" not in page


def test_what_a_version_lacks_is_read_once(app):
    build_world(app)
    engine = get_db(app).engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with get_db(app).transaction() as db_session:
        texts_missing(db_session)  # may read the documents of versions not seen yet
    event.listen(engine, "before_cursor_execute", count)
    try:
        with get_db(app).transaction() as db_session:
            texts_missing(db_session)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1 and "document" not in reads[0]


def test_a_walk_its_guide_gave_back_appears_with_the_reason(app, client):
    world = build_world(app)
    log_in(client, GUIDE_A)
    reason = "I broke my ankle <b>"
    response = client.post(f"/console/departures/{world.walk_a}/withdraw", data={"reason": reason})
    assert response.status_code == 302
    client.post("/console/logout")
    log_in(client, ADMIN)
    page = client.get("/console/").get_data(as_text=True)
    gave_back = section(page, "withdrawals")
    line = walk_line(gave_back, world.walk_a)
    assert f'href="/console/admin/departures/{world.walk_a}"' in line
    assert "Youssef" in line and "It still has no guide." in line
    assert "I broke my ankle &lt;b&gt;" in line  # the guide's words, escaped
    assert "(1)" in gave_back
    # Once another guide takes it, the line says so (the coordinator still sees it happened).
    client.post(f"/console/admin/departures/{world.walk_a}/guide", data={"guide": "mariela"})
    with get_db(app).transaction() as db_session:
        assert db_session.get(Departure, world.walk_a).guide_id == "mariela"
    page = client.get("/console/").get_data(as_text=True)
    line = walk_line(section(page, "withdrawals"), world.walk_a)
    assert "It has a guide again." in line and "It still has no guide." not in line


def test_no_walk_given_back_no_section(app, client):
    build_world(app)
    log_in(client, ADMIN)
    assert section(client.get("/console/").get_data(as_text=True), "withdrawals") == ""


def test_groups_waiting_for_an_answer_link_to_the_queue(app, client):
    build_world(app)
    log_in(client, ADMIN)
    assert section(client.get("/console/").get_data(as_text=True), "group-requests") == ""
    first = add_group_request(app)
    add_group_request(app, days=12)
    waiting = section(client.get("/console/").get_data(as_text=True), "group-requests")
    assert 'href="/console/admin/groups"' in waiting
    assert "2 groups wait for an answer" in waiting
    # Declined, a request no longer waits.
    decline = client.post(
        f"/console/admin/groups/{first}/decline",
        data={"decline-message": "We are full that month."},
    )
    assert decline.status_code in (302, 303)
    waiting = section(client.get("/console/").get_data(as_text=True), "group-requests")
    assert "1 group waits for an answer" in waiting
