"""Ids no integer column can hold, in URL paths and query strings: 404 or 400, never 500."""

from __future__ import annotations

import pytest

from tests.booking_support import SLUG, add_departure, store_tour
from webapp.common.limits import MAX_ID

OUT_OF_RANGE = [str(MAX_ID + 1), "-1", "99999999999999999999999", "abc", "%C2%B2", "1e3", ""]


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10)


@pytest.mark.parametrize("page", ["book", "waitlist"])
@pytest.mark.parametrize("session", OUT_OF_RANGE)
def test_booking_pages_ignore_a_session_no_column_holds(client, departure_id, page, session):
    response = client.get(f"/tours/{SLUG}/{page}?session={session}&lang=en")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    if page == "book":  # the form still offers the real departure
        assert f'value="{departure_id}"' in response.get_data(as_text=True)


def test_the_largest_id_a_column_holds_is_looked_up_and_not_found(client, departure_id):
    assert client.get(f"/tours/{SLUG}/book?session={MAX_ID}").status_code == 200
    assert client.get(f"/api/sessions/{MAX_ID}").status_code == 404


@pytest.mark.parametrize("departure", [str(MAX_ID + 1), "-1", "99999999999999999999999", "x"])
def test_sessions_api_answers_404_for_ids_no_column_holds(client, departure_id, departure):
    assert client.get(f"/api/sessions/{departure}").status_code == 404
    booking = {"name": "Amaia", "email": "amaia@example.org", "party_size": 1}
    for action in ("bookings", "waitlist"):
        response = client.post(f"/api/sessions/{departure}/{action}", json=booking)
        assert response.status_code == 404
