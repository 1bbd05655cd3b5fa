"""Which walk the booking form selects (issue #19): a full walk asked for stays selected
with its waiting list offered, never swapped for another date or language; without one
the form starts on the earliest walk in the visitor's language; a tour with no dates says
so instead of showing an empty form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.booking_support import SLUG, add_departure, store_tour
from tests.webapp.booking.test_booking_pages import form_data
from tours.booking.models import Booking

pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def walks(client, db_transaction) -> dict[str, int]:
    """An open Spanish walk, then a full Arabic one, then an open English one."""
    store_tour(db_transaction)
    ids = {
        "es": add_departure(db_transaction, capacity=10, days_ahead=10, max_party=6),
        "ar-full": add_departure(db_transaction, capacity=2, days_ahead=11, language="ar"),
        "en": add_departure(db_transaction, capacity=10, days_ahead=12, language="en"),
    }
    taken = client.post(
        f"/api/sessions/{ids['ar-full']}/bookings",
        json={"name": "A", "email": "a@example.org", "party_size": 2},
    )
    assert taken.status_code == 201
    return ids


def selected(page: str) -> list[str]:
    return re.findall(r'<option selected value="(\d+)">', page)


def seats_booked(db_transaction) -> list[tuple[int, int]]:
    with db_transaction() as db_session:
        rows = db_session.scalars(select(Booking).order_by(Booking.id))
        return [(b.departure_id, b.party_size) for b in rows]


def test_a_link_to_a_full_walk_keeps_it_selected_and_offers_its_waiting_list(client, walks):
    full = walks["ar-full"]
    response = client.get(f"/tours/{SLUG}/book?session={full}&lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert selected(page) == [str(full)]
    assert re.search(rf'<option selected value="{full}">[^<]*Arabic · full</option>', page)
    notice = page[page.index('class="form-note full-walk"') :]
    assert "in Arabic is full." in notice[: notice.index("</div>")]
    assert f'href="/tours/{SLUG}/waitlist?session={full}"' in notice
    assert "Join its waiting list" in notice


def test_booking_a_full_walk_books_no_other_and_offers_its_waiting_list(
    client, db_transaction, walks
):
    full = walks["ar-full"]
    before = seats_booked(db_transaction)
    response = client.post(
        f"/tours/{SLUG}/book?session={full}&lang=en", data=form_data(full, party_size="1")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert seats_booked(db_transaction) == before
    assert "This walk is full: join its waiting list, or choose another date." in page
    assert selected(page) == [str(full)]
    assert f'href="/tours/{SLUG}/waitlist?session={full}"' in page


def test_the_form_starts_on_the_earliest_walk_in_the_visitors_language(client, walks):
    english = client.get(f"/tours/{SLUG}/book?lang=en").get_data(as_text=True)
    assert selected(english) == [str(walks["en"])]
    assert "No walk in" not in english
    # The language remembered from an earlier page counts as much as ``?lang=``.
    client.set_cookie("bidean_lang", "es")
    assert selected(client.get(f"/tours/{SLUG}/book").get_data(as_text=True)) == [str(walks["es"])]
    # No walk with seats in French: the earliest walk, and the page says why.
    french = client.get(f"/tours/{SLUG}/book?lang=fr").get_data(as_text=True)
    assert "Aucune promenade en français" in french
    assert str(walks["ar-full"]) not in selected(french)


def test_a_tour_without_dates_says_so_and_leads_back(client, db_transaction):
    store_tour(db_transaction)
    response = client.get(f"/tours/{SLUG}/book?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No walks are scheduled yet. Check again soon." in page
    assert "booking-form" not in page and "free seats" not in page
    assert f'class="button" href="/tours/{SLUG}"' in page


def test_the_waiting_list_names_a_walk_asked_for_that_has_seats(client, walks):
    page = client.get(f"/tours/{SLUG}/waitlist?session={walks['en']}&lang=en").get_data(
        as_text=True
    )
    notice = page[page.index('class="form-note open-walk"') :]
    assert "in English has free seats." in notice[: notice.index("</div>")]
    assert f'href="/tours/{SLUG}/book?session={walks["en"]}"' in notice
