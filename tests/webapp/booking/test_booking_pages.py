"""Booking in the browser's HTML: tour page departures, the form, confirmation, manage link."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from guides.models import AuditEntry
from tests.booking_support import (
    SLUG,
    add_departure,
    departure_row,
    drain_mail,
    manage_reference,
    store_tour,
)
from tours.booking.models import CANCELLED, CONFIRMED, Booking, Departure, WaitlistEntry

REFERENCE = re.compile(r'class="reference"[^>]*>([2-9A-HJKMNP-Z]{8})<')


# Whatever a test did, seats taken equal confirmed party sizes afterwards.
pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10, max_party=6)


def form_data(departure_id: int, **changes: str) -> dict[str, str]:
    data = {
        "session": str(departure_id),
        "name": "Amaia",
        "email": "amaia@example.org",
        "party_size": "2",
        "phone": "+34 600 123 456",
        "accessibility": "Pushchair",
        "language": "eu",
        "privacy": "y",
        "idempotency_key": "form-key-0123456789abcdef",
    }
    data.update(changes)
    return data


def bookings(db_session) -> list[Booking]:
    with db_session() as s:
        return list(s.scalars(select(Booking).order_by(Booking.id)))


def outbox_files(app) -> list[Path]:
    drain_mail(app)  # the request only queued the mail: the worker writes the files
    return sorted((Path(app.instance_path) / "outbox").glob("*.eml"))


def test_tour_page_lists_departures_with_seats_and_links(client, db_transaction, departure_id):
    full = add_departure(db_transaction, capacity=2, days_ahead=12, language="ar", max_party=2)
    client.post(
        f"/api/sessions/{full}/bookings",
        json={"name": "A", "email": "a@example.org", "party_size": 2},
    )
    page = client.get(f"/tours/{SLUG}?lang=es").get_data(as_text=True)
    section = page[page.index('class="tour-sessions"') :]
    assert "Próximos paseos" in section
    assert "Quedan 10 plazas" in section
    assert f"/tours/{SLUG}/book?session={departure_id}" in section
    assert "Completo" in section
    assert f"/tours/{SLUG}/waitlist?session={full}" in section
    assert "árabe" in section  # the language of the walk, named in the reader's language
    assert "amaia" not in page.lower() and "a@example.org" not in page


def test_catalogue_card_shows_next_dates(client, departure_id):
    page = client.get("/?lang=fr").get_data(as_text=True)
    assert "Prochaines promenades" in page
    assert f"/tours/{SLUG}/book?session={departure_id}" in page


def test_form_preselects_the_departure_and_speaks_the_visitor_language(client, departure_id):
    response = client.get(f"/tours/{SLUG}/book?session={departure_id}&lang=eu")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Erreserbatu ibilaldi bat" in page and "Pertsona kopurua" in page
    assert re.search(rf'<option selected value="{departure_id}">', page)
    assert re.search(r'name="idempotency_key" type="hidden" value="[A-Za-z0-9_-]{16,}"', page)


def test_arabic_form_is_right_to_left(client, departure_id):
    page = client.get(f"/tours/{SLUG}/book?session={departure_id}&lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "احجز جولة" in page and "عدد الأشخاص" in page


def test_bad_input_gets_a_message_per_field_and_keeps_every_value(
    client, db_transaction, departure_id
):
    data = form_data(
        departure_id, name="", email="not-an-email", party_size="lots", phone="call me"
    )
    del data["privacy"]
    response = client.post(f"/tours/{SLUG}/book?lang=es", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    expected = {
        "name": "Escribe tu nombre, para que la guía sepa a quién espera.",
        "email": "Escribe una dirección de correo como nombre@example.org.",
        "party_size": "Escribe el número de personas como un número entero, por ejemplo 2.",
        "phone": "Escribe un teléfono solo con cifras, por ejemplo +34 600 123 456.",
        "privacy": "Marca la casilla para aceptar; si no, no podemos hacer la reserva.",
    }
    for field, message in expected.items():
        assert f'<p class="field-error" id="{field}-error">{message}</p>' in page
    assert "Hay 5 problemas en el formulario" in page
    assert 'value="not-an-email"' in page and 'value="lots"' in page
    assert 'value="call me"' in page and "Pushchair</textarea>" in page
    assert bookings(db_transaction) == []


def test_party_above_the_departure_maximum_is_refused_next_to_the_field(
    client, db_transaction, departure_id
):
    page = client.post(
        f"/tours/{SLUG}/book?lang=en", data=form_data(departure_id, party_size="7")
    ).get_data(as_text=True)
    assert "At most 6 people can book together for this session." in page
    assert bookings(db_transaction) == []


def test_booking_confirms_with_reference_map_and_cancel_help(
    app, client, db_transaction, departure_id
):
    response = client.post(f"/tours/{SLUG}/book?lang=es", data=form_data(departure_id))
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"])
    page = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200
    (booking,) = bookings(db_transaction)
    assert REFERENCE.search(page).group(1) == booking.reference
    assert (booking.name, booking.email, booking.party_size) == ("Amaia", "amaia@example.org", 2)
    assert (booking.language, booking.phone, booking.notes) == (
        "eu",
        "+34 600 123 456",
        "Pushchair",
    )
    assert "Reserva confirmada" in page
    assert "Plaza de Zabalburu" in page  # the meeting point, in Spanish
    assert 'class="meeting-map"' in page and "leaflet" in page.lower()
    assert "Cancelar esta reserva" in page  # how to cancel
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT11:00:00\+0[12]:00\">", page)
    assert departure_row(db_transaction, departure_id).seats_taken == 2
    (eml,) = outbox_files(app)
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "amaia@example.org"
    assert booking.reference in message["Subject"] and "erreserba" in message["Subject"]


@pytest.mark.usefixtures("signatures_a_second_apart")
def test_double_submit_makes_one_booking(app, client, db_transaction, departure_id):
    first = client.post(f"/tours/{SLUG}/book", data=form_data(departure_id))
    again = client.post(f"/tours/{SLUG}/book", data=form_data(departure_id))
    assert first.status_code == again.status_code == 303
    # The same booking's page, though its link was signed again, in another second.
    (reference,) = [b.reference for b in bookings(db_transaction)]
    assert manage_reference(app, first.headers["Location"]) == reference
    assert manage_reference(app, again.headers["Location"]) == reference
    assert len(bookings(db_transaction)) == 1
    assert departure_row(db_transaction, departure_id).seats_taken == 2


def test_full_departure_refusal_offers_the_waiting_list(client, db_transaction, departure_id):
    client.post(f"/tours/{SLUG}/book", data=form_data(departure_id, party_size="6"))
    page = client.post(
        f"/tours/{SLUG}/book?lang=en",
        data=form_data(departure_id, party_size="5", idempotency_key="another-key-0123456789"),
    ).get_data(as_text=True)
    assert "Only 4 seats are left on this session." in page
    assert f"/tours/{SLUG}/waitlist?session={departure_id}" in page
    assert [b.party_size for b in bookings(db_transaction)] == [6]


def test_csrf_protected_form_rejects_a_forged_post_and_accepts_the_real_one(
    app, db_transaction, departure_id
):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    forged = client.post(f"/tours/{SLUG}/book?lang=en", data=form_data(departure_id))
    assert forged.status_code == 422
    assert "its security check expired" in forged.get_data(as_text=True)
    assert bookings(db_transaction) == []
    page = client.get(f"/tours/{SLUG}/book?session={departure_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    real = client.post(f"/tours/{SLUG}/book", data={**form_data(departure_id), "csrf_token": token})
    assert real.status_code == 303
    assert len(bookings(db_transaction)) == 1


def test_manage_link_shows_the_booking_and_cancels_it(client, db_transaction, departure_id):
    location = client.post(f"/tours/{SLUG}/book", data=form_data(departure_id)).headers["Location"]
    manage_url = location.removesuffix("/confirmed")
    page = client.get(manage_url + "?lang=en").get_data(as_text=True)
    assert "This booking is confirmed." in page and "Cancel this booking" in page
    # Cancelling asks first (issue 11, defect 10): the confirm page, then its form.
    asked = client.get(manage_url + "/cancel?lang=en").get_data(as_text=True)
    assert "Cancel this booking?" in asked and "It cannot be undone." in asked
    done = client.post(manage_url + "/cancel?lang=en")
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "This booking is cancelled." in page and "Cancel this booking</button>" not in page
    assert [b.status for b in bookings(db_transaction)] == [CANCELLED]
    assert departure_row(db_transaction, departure_id).seats_taken == 0


def test_manage_links_cannot_be_forged_and_expire_after_the_session(
    client, db_transaction, departure_id
):
    location = client.post(f"/tours/{SLUG}/book", data=form_data(departure_id)).headers["Location"]
    token = location.split("/")[2]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.get(f"/bookings/{forged}?lang=en")
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)
    assert client.post(f"/bookings/{forged}").status_code == 404
    with db_transaction() as db_session:  # the walk took place long ago
        start = db_session.get(Departure, departure_id).starts_at
        db_session.execute(update(Departure).values(starts_at=start.replace(year=start.year - 1)))
    response = client.get(f"/bookings/{token}?lang=en")
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert [b.status for b in bookings(db_transaction)] == [CONFIRMED]


def test_calendar_download_from_the_manage_link(client, departure_id):
    location = client.post(f"/tours/{SLUG}/book", data=form_data(departure_id)).headers["Location"]
    response = client.get(location.replace("/confirmed", "/calendar.ics"))
    assert response.mimetype == "text/calendar"
    assert b"DTSTART;TZID=Europe/Madrid:" in response.data


def test_hostile_names_are_escaped_on_pages_and_in_mail(app, client, db_transaction, departure_id):
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    location = client.post(
        f"/tours/{SLUG}/book", data=form_data(departure_id, name=hostile[:120])
    ).headers["Location"]
    page = client.get(location.removesuffix("/confirmed")).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    (eml,) = outbox_files(app)
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    text = message.get_body(("plain",)).get_content()
    assert hostile[:30] in text  # plain text is not HTML: shown as typed


def test_waiting_list_join_offer_and_claim(app, client, db_transaction, departure_id):
    client.post(f"/tours/{SLUG}/book", data=form_data(departure_id, party_size="6"))
    location = client.post(
        f"/tours/{SLUG}/book",
        data=form_data(departure_id, party_size="4", idempotency_key="second-key-0123456789"),
    ).headers["Location"]
    joined = client.post(
        f"/tours/{SLUG}/waitlist?lang=en",
        data=form_data(departure_id, party_size="3", email="wait@example.org",
                       idempotency_key="waiting-key-0123456789", language="fr"),
    )  # fmt: skip
    assert joined.status_code == 200
    assert "Your place in the line: 1" in joined.get_data(as_text=True)
    # the party of 4 cancels (on the confirm page, issue 11)
    client.post(location.removesuffix("/confirmed") + "/cancel")
    offers = [p for p in outbox_files(app) if p.name.endswith("-offer.eml")]
    assert len(offers) == 1
    offer = email.message_from_bytes(offers[0].read_bytes(), policy=policy.default)
    assert offer["To"] == "wait@example.org" and "Des places pour vous" in offer["Subject"]
    with db_transaction() as db_session:
        expires = db_session.scalar(select(WaitlistEntry.offer_expires_at))
    deadline = expires.astimezone(ZoneInfo("Europe/Madrid")).strftime("%H:%M")
    # The deadline names its time zone, in the text and in the HTML part.
    for subtype in ("plain", "html"):
        body = offer.get_body((subtype,)).get_content()
        (sentence,) = [line for line in body.splitlines() if deadline in line]
        assert f"{deadline} (Europe/Madrid)" in sentence
        # The date is written out: an abbreviated one ended the sentence in "déc..".
        assert ".." not in sentence and expires.strftime("%Y") in sentence
    link = re.search(
        r"http://localhost(/waitlist/offers/\S+)", offer.get_body(("plain",)).get_content()
    )
    page = client.get(link.group(1) + "?lang=en").get_data(as_text=True)
    assert "Book these seats" in page
    claimed = client.post(link.group(1), data={"claim": "Book these seats"})
    assert claimed.status_code == 303
    assert [(b.party_size, b.status) for b in bookings(db_transaction)][-1] == (3, CONFIRMED)
    row = departure_row(db_transaction, departure_id)
    assert (row.seats_taken, row.seats_held) == (9, 0)
    again = client.post(link.group(1) + "?lang=en", data={"claim": "Book these seats"})
    assert again.status_code == 303  # claiming twice finds the same booking
    with db_transaction() as db_session:
        assert db_session.scalar(select(func.count()).select_from(Booking)) == 3
        # The public's booking, cancelling, waiting and claiming are not audited.
        assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_waitlist_refuses_when_seats_are_there(client, db_transaction, departure_id):
    page = client.get(f"/tours/{SLUG}/waitlist?lang=en").get_data(as_text=True)
    assert "No session of this tour is full: you can book directly." in page


def test_unknown_tour_and_departure_are_clear_404s(client, departure_id):
    assert client.get("/tours/nowhere/book").status_code == 404
    response = client.post(f"/tours/{SLUG}/book?lang=en", data=form_data(999))
    assert response.status_code == 422
    assert "Choose one of the dates in the list." in response.get_data(as_text=True)
