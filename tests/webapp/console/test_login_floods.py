"""Login floods and lock-out bypass: no hash past a limit, one count per normalised address."""

from __future__ import annotations

import uuid

import pytest

from guides import accounts
from guides.accounts import HashingBusy, HashSlots, create_account, find_account
from tests.webapp.console.support import ADMIN, GUIDE_A, PASSWORD, build_world, log_in
from webapp import create_app
from webapp.common.database import get_db
from webapp.console.throttle import SLOTS_KEY

FAILED = "That email and password do not match"
BUSY = "Many logins are being checked right now"
# The coordinator's address spelt as the account store reads it the same: full-width
# letters, an ideographic full stop, capitals.
SPELLINGS = [
    "coordinator@ｅxample.org",
    "coordinator@example。org",
    "ｃｏｏｒｄｉｎａｔｏｒ@example.org",
    "Coordinator@EXAMPLE.org",
]


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """The passwords argon2 verified during the test, one entry per hash computed."""
    computed: list[str] = []
    real = accounts._hasher

    class Counting:
        """The real hasher, counting its verifications (its methods cannot be patched)."""

        def verify(self, stored: str, password: str) -> bool:
            computed.append(password)
            return real.verify(stored, password)

        def hash(self, password: str) -> str:
            return real.hash(password)

    monkeypatch.setattr(accounts, "_hasher", Counting())
    return computed


@pytest.fixture
def limited_app(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "floods",
            "RATELIMIT_ENABLED": True,
            "WTF_CSRF_ENABLED": False,
            "CONSOLE_LOGIN_RATE_LIMIT": "3 per minute",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    yield app
    app.extensions["bidean.db"].engine.dispose()


def _address() -> str:
    """A client address of this test's own (counts may outlive one app)."""
    octets = uuid.uuid4().bytes
    return f"10.{octets[0]}.{octets[1]}.{octets[2]}"


def test_login_posts_past_the_client_limit_compute_no_hash(limited_app, hashes):
    build_world(limited_app)
    client = limited_app.test_client()
    me, other = _address(), _address()

    def attempt(address: str):
        data = {"email": GUIDE_A, "password": f"wrong {len(hashes)} {address}"}
        return client.post("/console/login", data=data, environ_overrides={"REMOTE_ADDR": address})

    answers = [attempt(me) for _ in range(6)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429, 429]
    assert len(hashes) == 3
    assert "Retry-After" in answers[-1].headers
    assert client.get("/console/login", environ_overrides={"REMOTE_ADDR": me}).status_code == 200
    assert attempt(other).status_code == 200  # another client has its own allowance
    assert len(hashes) == 4


def test_a_throttled_account_computes_no_hash(app, client, hashes):
    build_world(app)
    for _ in range(5):
        client.post("/console/login", data={"email": GUIDE_A, "password": "wrong password!"})
    assert len(hashes) == 5
    blocked = log_in(client, GUIDE_A)
    assert blocked.status_code == 200 and FAILED in blocked.get_data(as_text=True)
    assert len(hashes) == 5


def test_a_login_beyond_the_free_hash_slots_is_refused_at_once(app, client, hashes):
    build_world(app)
    slots = app.extensions[SLOTS_KEY]
    assert slots.size == app.config["CONSOLE_PASSWORD_HASHES"]
    with slots.slot(), slots.slot():  # every slot of this worker busy (the default is 2)
        busy = log_in(client, ADMIN)
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
    assert BUSY in busy.get_data(as_text=True)
    assert hashes == []
    assert log_in(client, ADMIN).status_code == 302  # the slots are free again


def test_hash_slots_refuse_one_more_instead_of_queueing():
    slots = HashSlots(1)
    with slots.slot(), pytest.raises(HashingBusy), slots.slot():
        pass
    with slots.slot():
        pass


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_locked_account_stays_locked_however_its_address_is_spelt(app, client, spelling):
    build_world(app)
    for _ in range(5):
        client.post("/console/login", data={"email": ADMIN, "password": "wrong password!"})
    blocked = log_in(client, spelling)
    assert blocked.status_code == 200 and FAILED in blocked.get_data(as_text=True)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_failures_spelt_differently_count_for_one_account(app, client, spelling):
    build_world(app)
    for _ in range(5):
        client.post("/console/login", data={"email": spelling, "password": "wrong password!"})
    assert FAILED in log_in(client, ADMIN).get_data(as_text=True)
    assert log_in(client, GUIDE_A).status_code == 302  # another account is not blocked


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_account_store_reads_every_spelling_as_one_address(app, spelling):
    build_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        assert find_account(db_session, spelling).email == ADMIN
        with pytest.raises(accounts.AccountError, match="exists already"):
            create_account(db_session, spelling, "coordinator", password=PASSWORD)
