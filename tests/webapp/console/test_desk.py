"""The booking desk: search across walks, a booking taken by phone, moved, resized and
cancelled, a walk's waiting list offered its seats: database state, audit and outbox."""

from __future__ import annotations

import email
import re
from email import policy
from zoneinfo import ZoneInfo

import icalendar
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from guides.models import AuditEntry
from tests.webapp.console.support import ADMIN, GUIDE_A, build_world, log_in
from tours.booking import changes
from tours.booking.bookings import Party, book
from tours.booking.cancellation import cancel_booking
from tours.booking.changes import ChangeRefused
from tours.booking.departures import (
    DepartureNotFound,
    DepartureRequest,
    get_departure,
    schedule,
    set_capacity,
)
from tours.booking.models import OFFERED, Booking, OutboxMessage, WaitlistEntry
from tours.booking.search import search_bookings
from tours.booking.waitlist import join
from webapp.common.database import get_db
from webapp.common.departure_views import departure_date
from webapp.mail import worker

pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def world(app, client):
    made = build_world(app)
    log_in(client, ADMIN)
    return made


def _db(app):
    return get_db(app).transaction


def _seats(app, departure_id: int) -> tuple[int, int]:
    with _db(app)() as db_session:
        found = get_departure(db_session, departure_id)
        return found.seats_taken, found.seats_held


def _outbox(app) -> list[OutboxMessage]:
    with _db(app)() as db_session:
        return list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _audit(app, action: str) -> list[AuditEntry]:
    with _db(app)() as db_session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(db_session.scalars(query))


def _booking(app, booking_id: int) -> Booking:
    with _db(app)() as db_session:
        found = db_session.get(Booking, booking_id)
        assert found is not None
        db_session.expunge(found)
        return found


def _add_booking(app, departure_id: int, name: str, mail: str, phone: str | None = None) -> int:
    with _db(app)(write_lock=True) as db_session:
        return book(db_session, departure_id, Party(name, mail, 1, "es", phone=phone)).booking.id


def _found(client, text: str, **more) -> str:
    response = client.post("/console/admin/bookings", data={"q": text, **more})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _take(client, departure_id: int, **fields) -> object:
    data = {
        "departure": departure_id,
        "source": "phone",
        "name": "Élodie Mbaye",
        "party_size": 3,
        "email": "elodie@example.org",
        "phone": "+34 611 222 333",
        "language": "fr",
        "contact_consent": "y",
        "key": "desk-key-0000000000001",
        **fields,
    }
    return client.post("/console/admin/bookings/new", data=data)


# --- search -----------------------------------------------------------------------------


def test_search_finds_by_each_field_case_blind_and_never_another(app, client, world):
    other = _add_booking(
        app, world.walk_b, "Élodie Mbaye", "Elodie.M@Example.org", "(+34) 699-12-34-56"
    )
    with _db(app)() as db_session:
        reference = db_session.get(Booking, other).reference
    for text in ("élodie", "ÉLODIE MBAYE", "elodie.m@example", "699 12 34 56", "699123456",
                 reference.lower(), f"{reference[:4]}-{reference[4:]}"):  # fmt: skip
        page = _found(client, text)
        assert f"/console/admin/bookings/{other}" in page, text
        assert "Ane Visitor" not in page, text  # the walk-A bookings match none of these
    page = _found(client, "ane visitor")
    assert f"/console/admin/bookings/{world.booking_ids[0]}" in page
    assert f"/console/admin/bookings/{other}" not in page
    # Results show the walk, the party and the status.
    assert "San Francisco" in page and "2 people" in page and "Confirmed" in page
    assert "No booking matches." in _found(client, "nobody-by-this-name")
    # A LIKE wildcard typed is a character, not "anything".
    assert "No booking matches." in _found(client, "%%")
    short = client.post("/console/admin/bookings", data={"q": "a"})
    assert short.status_code == 400 and 'role="alert"' in short.get_data(as_text=True)
    assert client.post("/console/admin/bookings", data={"q": "6" * 101}).status_code == 400


def test_search_skips_purged_bookings_and_pages_by_keyset(app, client, world):
    with _db(app)(write_lock=True) as db_session:
        set_capacity(db_session, world.walk_b, 40)
    ids = [
        _add_booking(app, world.walk_b, f"Pagina {n:02d}", f"p{n}@example.org") for n in range(30)
    ]
    with _db(app)(write_lock=True) as db_session:
        purged = db_session.get(Booking, ids[0])
        purged.purged_at = purged.created_at
    first = _found(client, "pagina")
    listed = [int(x) for x in re.findall(r"/console/admin/bookings/(\d+)\"", first)]
    assert listed == sorted(ids[1:], reverse=True)[:25]
    before = re.search(r'name="before" value="(\d+)"', first)[1]
    assert before == str(listed[-1])  # the next page starts before this one's last
    second = _found(client, "pagina", before=before)
    rest = [int(x) for x in re.findall(r"/console/admin/bookings/(\d+)\"", second)]
    assert rest == sorted(ids[1:], reverse=True)[25:]  # the 29 found once each, purged never
    with _db(app)() as db_session:
        assert (
            search_bookings(db_session, "pagina", limit=500).bookings.__len__() == 29
        )  # capped: 50


def test_search_results_are_escaped(app, client, world):
    _add_booking(app, world.walk_a, "<script>Évil()</script>", "evil@example.org")
    page = _found(client, "évil")
    assert "&lt;script&gt;Évil()&lt;/script&gt;" in page and "<script>Évil" not in page


def test_guides_cannot_search(app, client):
    build_world(app)
    log_in(client, GUIDE_A)
    assert client.get("/console/admin/bookings").status_code == 403
    assert client.post("/console/admin/bookings", data={"q": "ane"}).status_code == 403
    assert client.get("/console/admin/bookings/new").status_code == 403


# --- taking a booking -------------------------------------------------------------------


def test_phone_booking_is_recorded_audited_and_confirmed_once(app, client, world):
    before = _seats(app, world.walk_a)
    response = _take(client, world.walk_a)
    assert response.status_code == 302
    booking_id = int(response.headers["Location"].rsplit("/", 1)[1])
    again = _take(client, world.walk_a)  # a double submit of the same form
    assert again.status_code == 302 and again.headers["Location"] == response.headers["Location"]
    booking = _booking(app, booking_id)
    assert (booking.source, booking.contact_consent, booking.party_size) == ("phone", True, 3)
    assert (booking.name, booking.email, booking.language) == (
        "Élodie Mbaye",
        "elodie@example.org",
        "fr",
    )
    assert _seats(app, world.walk_a) == (before[0] + 3, 0)
    (entry,) = _audit(app, "booking.add")
    assert entry.actor == ADMIN and entry.target == f"booking:{booking.reference}"
    assert entry.details["source"] == "phone" and entry.details["contact_consent"] is True
    assert "Élodie" not in str(entry.details)  # the audit log names no booker
    assert [(m.kind, m.booking_id, m.recipient) for m in _outbox(app)] == [
        ("confirmation", booking_id, "elodie@example.org")
    ]
    page = client.get(f"/console/admin/bookings/{booking_id}").get_data(as_text=True)
    assert "By phone" in page and "Élodie Mbaye" in page


def test_a_booking_without_email_is_taken_and_nothing_is_sent(app, client, world):
    response = _take(client, world.walk_a, email="", source="in_person", contact_consent="")
    booking = _booking(app, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert (booking.source, booking.contact_consent) == ("in_person", False)
    assert _outbox(app) == []


def test_take_refuses_clearly_when_full_and_on_bad_input(app, client, world):
    with _db(app)(write_lock=True) as db_session:
        set_capacity(db_session, world.walk_b, 4)
        book(db_session, world.walk_b, Party("Early", "early@example.org", 2, "fr"))
    response = _take(client, world.walk_b)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This walk is full: 2 seats are left, not enough for 3 people." in page
    assert 'class="field-error"' in page and 'role="alert"' in page
    assert "Élodie Mbaye" in page  # the form keeps what was typed
    bad = _take(client, world.walk_a, name="", email="not-an-address", party_size="many")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Enter the name" in text and "name@example.org" in text and "whole number" in text
    neither = _take(client, world.walk_a, email="", phone="")
    assert neither.status_code == 400
    assert "Enter an email address or a phone number." in neither.get_data(as_text=True)
    assert _seats(app, world.walk_b) == (2, 0) and _outbox(app) == []
    assert _audit(app, "booking.add") == []


def test_a_full_walk_takes_the_caller_onto_its_waiting_list(app, client, world):
    with _db(app)(write_lock=True) as db_session:
        set_capacity(db_session, world.walk_b, 4)
        book(db_session, world.walk_b, Party("Early", "early@example.org", 2, "fr"))
    refused = _take(client, world.walk_b)
    assert refused.status_code == 409 and 'id="join-waitlist"' in refused.get_data(as_text=True)
    no_address = _take(client, world.walk_b, email="", waitlist="1")
    assert no_address.status_code == 400
    assert "offers seats by email" in no_address.get_data(as_text=True)
    joined = _take(client, world.walk_b, waitlist="1")
    assert joined.status_code == 302
    assert joined.headers["Location"].endswith(f"/console/admin/departures/{world.walk_b}/waitlist")
    assert _take(client, world.walk_b, waitlist="1").status_code == 302  # a double submit
    with _db(app)() as db_session:
        (entry,) = db_session.scalars(select(WaitlistEntry)).all()
        assert (entry.name, entry.party_size, entry.status) == ("Élodie Mbaye", 3, "waiting")
    assert [m.kind for m in _outbox(app)] == ["waitlist_joined"]
    (record,) = _audit(app, "waitlist.join")
    assert record.actor == ADMIN and record.target == f"waitlist:{entry.id}"
    page = client.get(joined.headers["Location"]).get_data(as_text=True)
    assert "Élodie Mbaye" in page and "3 people" in page
    assert _seats(app, world.walk_b) == (2, 0)
    seats_free = _take(client, world.walk_a, waitlist="1", key="desk-key-0000000000002")
    assert seats_free.status_code == 409
    assert "take the booking instead" in seats_free.get_data(as_text=True)


# --- move, resize, cancel ---------------------------------------------------------------


def test_move_takes_and_gives_back_seats_and_sends_one_email_with_the_new_date(app, client, world):
    booking_id = world.booking_ids[0]  # two people on walk A
    reference = _booking(app, booking_id).reference
    url = f"/console/admin/bookings/{booking_id}/move"
    response = client.post(url, data={"departure": world.walk_b})
    assert response.status_code == 302
    assert _booking(app, booking_id).departure_id == world.walk_b
    assert _seats(app, world.walk_a) == (1, 0) and _seats(app, world.walk_b) == (2, 0)
    (entry,) = _audit(app, "booking.move")
    assert entry.target == f"booking:{reference}"
    assert (entry.details["departure"], entry.details["to_departure"]) == (
        world.walk_a,
        world.walk_b,
    )
    # A second submit finds it moved already: nothing more written or sent.
    assert client.post(url, data={"departure": world.walk_b}).status_code == 302
    assert len(_audit(app, "booking.move")) == 1
    (message,) = _outbox(app)
    assert (message.kind, message.booking_id) == ("moved", booking_id)

    worker.compose_waiting(app)
    (message,) = _outbox(app)
    mail = email.message_from_bytes(message.raw, policy=policy.default)
    with _db(app)() as db_session:
        new_start = get_departure(db_session, world.walk_b).starts_at
    text = mail.get_body(("plain",)).get_content()
    with app.test_request_context(), force_locale("es"):  # the booker's language
        new_date = departure_date(new_start.astimezone(ZoneInfo("Europe/Madrid")))
    assert reference in mail["Subject"] and new_date in text
    assert mail["To"] == "visitor@example.org" and mail["Content-Language"] == "es"
    (part,) = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "PUBLISH"
    assert event.decoded("DTSTART") == new_start
    assert int(event["SEQUENCE"]) == 1  # outranks the confirmation's event of the same UID
    assert str(event["UID"]).startswith(f"booking-{reference}@")


def test_move_refused_when_full_or_to_another_tour_changes_nothing(app, client, world):
    with _db(app)(write_lock=True) as db_session:
        set_capacity(db_session, world.walk_b, 3)
        book(db_session, world.walk_b, Party("Early", "early@example.org", 2, "fr"))
    booking_id = world.booking_ids[0]
    response = client.post(
        f"/console/admin/bookings/{booking_id}/move", data={"departure": world.walk_b}
    )
    assert response.status_code == 409
    assert "This walk is full: 1 seat is left, not enough for 2 people." in response.get_data(
        as_text=True
    )
    assert _booking(app, booking_id).departure_id == world.walk_a
    assert _seats(app, world.walk_a) == (3, 0) and _seats(app, world.walk_b) == (2, 0)
    assert _outbox(app) == [] and _audit(app, "booking.move") == []
    with _db(app)(write_lock=True) as db_session:
        start = get_departure(db_session, world.walk_a).starts_at.replace(tzinfo=None)
        (elsewhere,) = schedule(
            db_session, DepartureRequest("zabala-kitchens-and-workshops", start, "es", 10)
        )
        other_tour = elsewhere.id
    form = client.post(f"/console/admin/bookings/{booking_id}/move", data={"departure": other_tour})
    assert form.status_code == 400  # not among the walks offered
    with _db(app)(write_lock=True) as db_session, pytest.raises(ChangeRefused):
        changes.move_booking(db_session, _booking(app, booking_id).reference, other_tour)
    assert _seats(app, other_tour) == (0, 0)


def test_party_size_follows_the_seat_rule_and_gives_seats_to_the_waiting_list(app, client, world):
    booking_id = world.booking_ids[0]
    url = f"/console/admin/bookings/{booking_id}/party"
    assert client.post(url, data={"party_size": 5}).status_code == 302
    assert _booking(app, booking_id).party_size == 5 and _seats(app, world.walk_a) == (6, 0)
    (entry,) = _audit(app, "booking.resize")
    assert (entry.details["party_size"], entry.details["was"]) == (5, 2)
    assert [m.kind for m in _outbox(app)] == ["confirmation"]
    too_many = client.post(url, data={"party_size": 9})  # above the walk's 8 per booking
    assert too_many.status_code == 409
    assert "At most 8 people can book together" in too_many.get_data(as_text=True)
    # Fill the walk, put a party of 3 on its waiting list, then make the booking smaller.
    with _db(app)(write_lock=True) as db_session:
        book(db_session, world.walk_a, Party("Filler", "f@example.org", 6, "es"))
        entry_id = join(
            db_session, world.walk_a, Party("Waiter", "w@example.org", 3, "es")
        ).entry.id
    assert client.post(url, data={"party_size": 2}).status_code == 302
    with _db(app)() as db_session:
        assert db_session.get(WaitlistEntry, entry_id).status == OFFERED
    assert _seats(app, world.walk_a) == (9, 3)
    assert [m.kind for m in _outbox(app)] == ["confirmation", "confirmation", "offer"]


def test_cancel_gives_the_seats_back_with_the_online_email(app, client, world):
    booking_id = world.booking_ids[0]
    url = f"/console/admin/bookings/{booking_id}/cancel"
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # twice: nothing more
    assert _booking(app, booking_id).status == "cancelled"
    assert _booking(app, booking_id).cancel_reason == "coordinator"
    assert _seats(app, world.walk_a) == (1, 0)
    assert len(_audit(app, "booking.cancel")) == 1
    assert [(m.kind, m.booking_id) for m in _outbox(app)] == [("cancelled", booking_id)]
    page = client.get(f"/console/admin/bookings/{booking_id}").get_data(as_text=True)
    assert "move-form" not in page and "Cancelled" in page


# --- waiting list -----------------------------------------------------------------------


def test_waiting_list_offers_free_seats_now(app, client, world):
    with _db(app)(write_lock=True) as db_session:
        set_capacity(db_session, world.walk_b, 4)
        book(db_session, world.walk_b, Party("First", "first@example.org", 4, "fr"))
        first = join(db_session, world.walk_b, Party("Kadi", "kadi@example.org", 2, "fr")).entry.id
        second = join(db_session, world.walk_b, Party("Luis", "luis@example.org", 4, "fr")).entry.id
    page = client.get(f"/console/admin/departures/{world.walk_b}/waitlist").get_data(as_text=True)
    assert page.index("Kadi") < page.index("Luis")
    url = f"/console/admin/departures/{world.walk_b}/waitlist/offer"
    assert client.post(url).status_code == 302  # nothing free yet: nothing offered
    assert _audit(app, "waitlist.offer") == []
    with _db(app)(write_lock=True) as db_session:
        set_capacity(db_session, world.walk_b, 7)
    assert client.post(url).status_code == 302
    with _db(app)() as db_session:
        assert db_session.get(WaitlistEntry, first).status == OFFERED
        assert db_session.get(WaitlistEntry, second).status == "waiting"  # 4 > 1 left
    assert _seats(app, world.walk_b) == (4, 2)
    (entry,) = _audit(app, "waitlist.offer")
    assert entry.details == {"offers": 1, "seats": 2}
    assert [(m.kind, m.recipient) for m in _outbox(app)] == [("offer", "kadi@example.org")]


def test_domain_move_refuses_a_cancelled_booking(app, world):
    with _db(app)(write_lock=True) as db_session:
        reference = db_session.get(Booking, world.booking_ids[1]).reference
    with _db(app)(write_lock=True) as db_session:
        changes.move_booking(db_session, reference, world.walk_b)
    with _db(app)(write_lock=True) as db_session:
        cancel_booking(db_session, reference)
    with _db(app)(write_lock=True) as db_session, pytest.raises(ChangeRefused):
        changes.resize_booking(db_session, reference, 2)
    with _db(app)(write_lock=True) as db_session, pytest.raises(DepartureNotFound):
        changes.move_booking(db_session, _booking(app, world.booking_ids[0]).reference, 999999)
