"""Fuzz: generated values never give a 500, a traceback or a partial write.

Hypothesis drives the booking API, the booking form and the waiting list with Unicode
of every category (surrogates included where the transport allows them), control
characters, huge and negative integers, deep nesting and long strings.  After every
example: the status is below 500, no traceback is shown, the number of bookings,
waiting-list entries and outbox messages moved together (all or nothing), and seats
taken equal confirmed party sizes.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.booking_support import add_departure, assert_invariant, store_tour
from tours.booking.models import Booking, OutboxMessage, WaitlistEntry

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Every category, lone surrogates included (JSON can carry them as \\ud800 escapes).
ANY_TEXT = st.text(st.characters(codec=None), max_size=300) | st.text(
    st.characters(categories=["Cc", "Cs", "Zl", "Zp", "Cf"]), max_size=20
)
LONG_TEXT = st.integers(200, 5000).map(lambda n: "é" * n)
INTEGERS = st.integers(-(2**70), 2**70) | st.sampled_from([0, -1, 2**31, 2**31 - 1, 2**63])
LEAF = st.none() | st.booleans() | INTEGERS | st.floats() | ANY_TEXT | LONG_TEXT
VALUE = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=12,
)
GOOD = {"name": "Amaia", "email": "amaia@example.org", "party_size": 1, "language": "es"}
FIELDS = ["name", "email", "party_size", "language", "phone", "notes", "extra"]


def counts(db_session) -> tuple[int, int, int]:
    with db_session() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(model))
            for model in (Booking, WaitlistEntry, OutboxMessage)
        )


def bodies():
    """Mostly a good booking with one or two fields replaced, sometimes anything at all."""
    mutated = st.fixed_dictionaries({}, optional={field: VALUE for field in FIELDS}).map(
        lambda changes: {**GOOD, **changes}
    )
    return mutated | VALUE


def check_answer(response) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text[:500]
    assert "Traceback" not in text and 'File "' not in text


@pytest.fixture
def sessions(db_transaction) -> tuple[int, int]:
    store_tour(db_transaction)
    open_one = add_departure(db_transaction, capacity=500, max_party=50)
    full = add_departure(db_transaction, capacity=2, days_ahead=11)
    return open_one, full


def _fill(client, full: int) -> None:
    made = client.post(f"/api/sessions/{full}/bookings", json={**GOOD, "party_size": 2})
    assert made.status_code == 201


@pytest.mark.slow
def test_booking_api_fuzz(client, db_transaction, sessions):
    open_one, _full = sessions

    @FUZZ
    @given(body=bodies(), key=st.none() | st.text(max_size=90))
    def run(body, key) -> None:
        before = counts(db_transaction)
        # A header cannot carry a line break: the test client refuses it, as would HTTP.
        sendable = key is not None and key.isascii() and not {"\r", "\n"} & set(key)
        headers = {"Idempotency-Key": key} if sendable else {}
        response = client.post(f"/api/sessions/{open_one}/bookings", json=body, headers=headers)
        check_answer(response)
        after = counts(db_transaction)
        if response.status_code == 201 and response.headers.get("Idempotent-Replayed") is None:
            assert after == (before[0] + 1, before[1], before[2] + 1)
        else:
            assert after == before  # nothing half written
        assert_invariant(db_transaction)

    run()


@pytest.mark.slow
def test_waitlist_fuzz(client, db_transaction, sessions):
    _open, full = sessions
    _fill(client, full)

    @FUZZ
    @given(body=bodies())
    def run(body) -> None:
        before = counts(db_transaction)
        response = client.post(f"/api/sessions/{full}/waitlist", json=body)
        check_answer(response)
        after = counts(db_transaction)
        if response.status_code == 201:
            assert after == (before[0], before[1] + 1, before[2] + 1)
        else:
            assert after == before
        assert_invariant(db_transaction)

    run()


FORM_TEXT = (
    st.text(st.characters(codec="utf-8"), max_size=300)
    | LONG_TEXT
    | st.sampled_from(["", "0", "-1", "2147483648", str(2**64), "1e9", "١٢", "\x00", "nan"])
)


FORM_FIELDS = (
    "session",
    "name",
    "email",
    "party_size",
    "phone",
    "language",
    "accessibility",
    "idempotency_key",
)


@pytest.mark.slow
def test_booking_form_fuzz(client, db_transaction, sessions):
    open_one, _full = sessions

    @FUZZ
    @given(
        changes=st.fixed_dictionaries(
            {},
            optional={
                f: FORM_TEXT
                for f in (
                    "session",
                    "name",
                    "email",
                    "party_size",
                    "phone",
                    "language",
                    "accessibility",
                    "idempotency_key",
                )
            },
        ),
        path=st.sampled_from(["/tours/zabala-test/book", "/tours/zabala-test/waitlist"]),
    )
    def run(changes, path) -> None:
        data = {
            "session": str(open_one),
            "name": "Amaia",
            "email": "amaia@example.org",
            "party_size": "1",
            "language": "es",
            "privacy": "y",
            **changes,
        }
        before = counts(db_transaction)
        response = client.post(path, data=data)
        check_answer(response)
        after = counts(db_transaction)
        if response.status_code in (200, 303):
            assert after[2] <= before[2] + 1
        else:
            assert after == before
        assert_invariant(db_transaction)

    run()
