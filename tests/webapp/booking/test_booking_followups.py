"""Defects found trying the tourist path as a new user (issue 11), each pinned by a test."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.booking_support import SLUG, add_departure, departure_row, leave_entry, store_tour
from tests.webapp.booking.test_booking_pages import bookings, form_data, outbox_files
from tours.booking.models import CONFIRMED, WaitlistEntry

pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10, max_party=6)


def book(client, departure_id: int) -> str:
    """Book through the form; the manage URL."""
    response = client.post(f"/tours/{SLUG}/book", data=form_data(departure_id))
    assert response.status_code == 303
    return response.headers["Location"].removesuffix("/confirmed")


def test_a_cancelled_booking_confirmation_page_says_cancelled(client, departure_id):
    manage_url = book(client, departure_id)
    client.post(manage_url + "/cancel")
    page = client.get(manage_url + "/confirmed?lang=en").get_data(as_text=True)
    assert "Booking cancelled" in page and "This booking is cancelled." in page
    assert "Booking confirmed" not in page
    assert "be at the meeting point" not in page
    manage = client.get(manage_url + "?lang=en").get_data(as_text=True)
    assert "This booking is cancelled." in manage
    assert "be at the meeting point" not in manage


def test_the_confirmed_pages_still_say_where_to_be(client, departure_id):
    manage_url = book(client, departure_id)
    for url in (manage_url + "/confirmed?lang=en", manage_url + "?lang=en"):
        assert "be at the meeting point 10 minutes before" in client.get(url).get_data(True)


def test_asking_for_a_cancelled_departure_says_so_and_offers_the_others(
    client, runner, db_transaction, departure_id
):
    other = add_departure(db_transaction, days_ahead=12)
    assert runner.invoke(args=["sessions", "cancel", str(departure_id)]).exit_code == 0
    page = client.get(f"/tours/{SLUG}/book?session={departure_id}&lang=en").get_data(True)
    assert "has been cancelled" in page and "Choose another date below." in page
    select = re.search(r'<select[^>]*name="session".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option[^>]*value="(\d+)"', select) == [str(other)]
    assert "selected" not in select  # nothing chosen for the visitor silently


def test_a_departure_of_another_tour_is_not_called_cancelled(client, runner, db_transaction):
    store_tour(db_transaction)
    store_tour(db_transaction, slug="other-tour")
    theirs = add_departure(db_transaction, slug="other-tour")
    add_departure(db_transaction)
    runner.invoke(args=["sessions", "cancel", str(theirs)])
    page = client.get(f"/tours/{SLUG}/book?session={theirs}&lang=en").get_data(True)
    assert "has been cancelled" not in page


def test_cancelling_asks_for_confirmation_first(client, db_transaction, departure_id):
    manage_url = book(client, departure_id)
    page = client.get(manage_url + "?lang=en").get_data(as_text=True)
    assert f'href="{manage_url}/cancel"' in page
    assert '<form class="cancel-form"' not in page  # no one-click cancel on the manage page
    # A post to the manage page (an old form, a stray click) only leads to the question.
    response = client.post(manage_url + "?lang=en")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cancel")
    assert [b.status for b in bookings(db_transaction)] == [CONFIRMED]
    asked = client.get(manage_url + "/cancel?lang=en").get_data(as_text=True)
    assert "Yes, cancel this booking" in asked and "No, keep my booking" in asked
    assert client.post(manage_url + "/cancel").status_code == 303
    assert [b.status for b in bookings(db_transaction)] == ["cancelled"]
    assert departure_row(db_transaction, departure_id).seats_taken == 0


def test_error_summary_in_form_order_without_doubled_punctuation(client, departure_id):
    page = client.post(
        f"/tours/{SLUG}/book?lang=en",
        data=form_data(departure_id, name="", email="", party_size="", privacy=""),
    ).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    links = re.findall(r'<a href="#([a-z_]+)">([^<]*)</a>', summary)
    assert [field for field, _text in links] == ["party_size", "name", "email", "privacy"]
    assert all(".:" not in text and "..".strip() not in text for _field, text in links)
    assert 'tabindex="-1" id="error-summary"' in summary
    assert "js/forms.js" in page  # the script that moves focus to the summary


def full_departure(client, db_session) -> int:
    store_tour(db_session)
    departure_id = add_departure(db_session, capacity=2, max_party=2)
    client.post(f"/tours/{SLUG}/book", data=form_data(departure_id, party_size="2"))
    return departure_id


def join(client, departure_id: int, size: str = "1", language: str = "eu") -> str:
    data = form_data(
        departure_id, party_size=size, language=language, idempotency_key="wait-0123456789abcdef"
    )
    data.pop("accessibility")
    return client.post(f"/tours/{SLUG}/waitlist?lang=en", data=data).get_data(as_text=True)


def joined_mail(app) -> str:
    (eml,) = [p for p in outbox_files(app) if p.name.endswith("-waitlist_joined.eml")]
    return eml.read_bytes().decode("utf-8", "replace").replace("=\n", "")


@pytest.mark.usefixtures("signatures_a_second_apart")
def test_leaving_the_waiting_list_from_its_page_and_email(app, client, db_transaction):
    departure_id = full_departure(client, db_transaction)
    page = join(client, departure_id)
    leave_url = re.search(r'href="(/waitlist/[^"]+/leave)"', page).group(1)
    eml = joined_mail(app)
    # The same link in the email: the same entry, though signed in another second.
    mailed = re.search(r"/waitlist/[^\s\"<>]+/leave", eml).group(0)
    with db_transaction() as db_session:
        (entry_id,) = db_session.scalars(select(WaitlistEntry.id))
    assert leave_entry(app, mailed) == leave_entry(app, leave_url) == entry_id
    for link in (leave_url, mailed):
        asked = client.get(link + "?lang=en").get_data(as_text=True)
        assert "Yes, leave the waiting list" in asked
    done = client.post(leave_url + "?lang=en").get_data(as_text=True)
    assert "You have left the waiting list." in done
    with db_transaction() as db_session:
        assert [e.status for e in db_session.scalars(select(WaitlistEntry))] == ["left"]
    again = client.get(leave_url + "?lang=en").get_data(as_text=True)
    assert "You are no longer on this waiting list." in again


def test_a_forged_leave_link_is_refused(client, db_transaction):
    departure_id = full_departure(client, db_transaction)
    page = join(client, departure_id)
    leave_url = re.search(r'href="(/waitlist/[^"]+/leave)"', page).group(1)
    forged = leave_url.replace("/leave", "x/leave")
    assert client.post(forged).status_code == 404
    with db_transaction() as db_session:
        assert [e.status for e in db_session.scalars(select(WaitlistEntry))] == ["waiting"]


def test_counts_in_the_waiting_list_email_agree_with_the_number(app, client, db_transaction):
    departure_id = full_departure(client, db_transaction)
    join(client, departure_id, size="1", language="en")
    text = joined_mail(app)
    assert "for 1 person." in text and "1 people" not in text
