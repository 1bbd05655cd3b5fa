"""Account actions (create, new link, disable, choose a password), through the action
itself, the console and ``bidean users``: each change and its audit record commit
together (a failure after the record keeps neither), and disabling a disabled account
records nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from guides.accounts import authenticate, create_account, find_account
from guides.audit import Actor
from guides.models import UserAccount
from tests.webapp.actions.support import (
    CLI,
    AfterRecord,
    audit_log,
    entries_in,
    fail_after_record,
    log_in_in_english,
)
from tests.webapp.console.support import ADMIN, GUIDE_A, PASSWORD, build_world
from tours.booking.models import OutboxMessage
from webapp.actions import accounts as account_actions
from webapp.common.database import get_db

ACTOR = Actor.account("coordinator@example.org")
NEW = "new@example.org"
CHOSEN = "a bench by the old bridge"


def _account(session, email: str = NEW) -> UserAccount | None:
    return find_account(session, email)


# -- the actions ----------------------------------------------------------------------------


def _another_coordinator(db_session) -> None:
    """Not the last coordinator, so NEW may be disabled (made outside the actions: no record)."""
    create_account(db_session, "other@example.org", "coordinator", password=CHOSEN)


def test_each_account_change_is_recorded_and_a_second_disable_is_not(db_transaction):
    with db_transaction(write_lock=True) as db_session:
        _another_coordinator(db_session)
        new = account_actions.create_account(db_session, ACTOR, NEW, "coordinator")
        token = new.token
    assert token
    with db_transaction(write_lock=True) as db_session:
        account_actions.set_password(db_session, token, CHOSEN)
    with db_transaction(write_lock=True) as db_session:
        _, reset_token = account_actions.reset_password(db_session, ACTOR, NEW)
    assert reset_token and reset_token != token
    for expected in (True, False):
        with db_transaction(write_lock=True) as db_session:
            account, changed = account_actions.disable_account(db_session, ACTOR, NEW)
        assert changed is expected and account.active is False
    with db_transaction() as db_session:
        assert entries_in(db_session) == [
            (ACTOR.name, "account.add", f"account:{NEW}", {"role": "coordinator"}),
            (NEW, "account.password", NEW, {}),  # the account itself chose it
            (ACTOR.name, "account.reset", f"account:{NEW}", {}),
            (ACTOR.name, "account.disable", f"account:{NEW}", {}),
        ]


def test_an_account_given_a_password_gets_no_link(db_transaction):
    with db_transaction(write_lock=True) as db_session:
        new = account_actions.create_account(db_session, ACTOR, NEW, "coordinator", password=CHOSEN)
    assert new.token is None


def test_a_failure_after_the_action_keeps_neither_the_account_nor_its_record(db_transaction):
    with pytest.raises(RuntimeError), db_transaction(write_lock=True) as db_session:
        account_actions.create_account(db_session, ACTOR, NEW, "coordinator", password=CHOSEN)
        raise RuntimeError("after the action")
    with db_transaction() as db_session:
        assert _account(db_session) is None and entries_in(db_session) == []
    with db_transaction(write_lock=True) as db_session:
        _another_coordinator(db_session)
        account_actions.create_account(db_session, ACTOR, NEW, "coordinator", password=CHOSEN)
    with pytest.raises(RuntimeError), db_transaction(write_lock=True) as db_session:
        account_actions.disable_account(db_session, ACTOR, NEW)
        raise RuntimeError("after the action")
    with db_transaction() as db_session:
        assert _account(db_session).active
        assert [e[1] for e in entries_in(db_session)] == ["account.add"]


# -- the console ------------------------------------------------------------------------------


def _account_id(app, email: str) -> int:
    with get_db(app).transaction() as db_session:
        return _account(db_session, email).id


def test_console_records_account_changes_and_says_when_one_was_disabled_already(app, client):
    build_world(app)
    log_in_in_english(client, ADMIN)
    made = client.post("/console/admin/accounts", data={"email": NEW, "role": "coordinator"})
    assert made.status_code == 200 and f"emailed to {NEW}" in made.get_data(as_text=True)
    account_id = _account_id(app, NEW)
    assert client.post(f"/console/admin/accounts/{account_id}/link").status_code == 200
    first = client.post(f"/console/admin/accounts/{account_id}/disable", follow_redirects=True)
    assert "Account disabled." in first.get_data(as_text=True)
    again = client.post(f"/console/admin/accounts/{account_id}/disable", follow_redirects=True)
    assert "This account was disabled already." in again.get_data(as_text=True)
    assert audit_log(app) == [
        (ADMIN, "account.add", f"account:{NEW}", {"role": "coordinator"}),
        (ADMIN, "account.reset", f"account:{NEW}", {}),
        (ADMIN, "account.disable", f"account:{NEW}", {}),
    ]


def test_console_set_password_page_records_the_account_itself(app, client):
    build_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        token = account_actions.create_account(db_session, ACTOR, NEW, "coordinator").token
    form = {"password": CHOSEN, "confirm": CHOSEN}
    assert client.post(f"/console/set-password/{token}", data=form).status_code == 302
    assert audit_log(app)[1:] == [(NEW, "account.password", NEW, {})]


def test_console_keeps_no_account_nor_mail_when_the_transaction_fails_after_the_record(
    app, client, monkeypatch
):
    build_world(app)
    log_in_in_english(client, ADMIN)
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        client.post("/console/admin/accounts", data={"email": NEW, "role": "coordinator"})
    assert audit_log(app) == []
    with get_db(app).transaction() as db_session:
        assert _account(db_session) is None
        assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_console_keeps_an_account_active_when_its_disabling_fails_after_the_record(
    app, client, monkeypatch
):
    build_world(app)
    log_in_in_english(client, ADMIN)
    account_id = _account_id(app, GUIDE_A)
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        client.post(f"/console/admin/accounts/{account_id}/disable")
    assert audit_log(app) == []
    with get_db(app).transaction(write_lock=True) as db_session:
        assert authenticate(db_session, GUIDE_A, PASSWORD, "test").account is not None


# -- the command line -------------------------------------------------------------------------


def test_cli_records_account_changes_as_the_command_line_and_not_a_second_disable(app, runner):
    with get_db(app).transaction(write_lock=True) as db_session:
        _another_coordinator(db_session)
    made = runner.invoke(args=["users", "add", "--role", "coordinator", "--email", NEW])
    assert made.exit_code == 0, made.output
    assert runner.invoke(args=["users", "reset-password", NEW]).exit_code == 0
    assert runner.invoke(args=["users", "disable", NEW]).output == f"Account {NEW} disabled.\n"
    again = runner.invoke(args=["users", "disable", NEW])
    assert again.exit_code == 0 and "was disabled already" in again.output
    assert audit_log(app) == [
        (CLI, "account.add", f"account:{NEW}", {"role": "coordinator"}),
        (CLI, "account.reset", f"account:{NEW}", {}),
        (CLI, "account.disable", f"account:{NEW}", {}),
    ]


def test_cli_keeps_no_account_when_the_transaction_fails_after_the_record(app, runner, monkeypatch):
    fail_after_record(monkeypatch)
    made = runner.invoke(args=["users", "add", "--role", "coordinator", "--email", NEW])
    assert isinstance(made.exception, AfterRecord)
    assert audit_log(app) == []
    with get_db(app).transaction() as db_session:
        assert _account(db_session) is None


def test_console_set_password_keeps_the_link_when_the_transaction_fails_after_the_record(
    app, client, monkeypatch
):
    build_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        token = account_actions.create_account(db_session, ACTOR, NEW, "coordinator").token
    fail_after_record(monkeypatch)
    with pytest.raises(AfterRecord):
        client.post(f"/console/set-password/{token}", data={"password": CHOSEN, "confirm": CHOSEN})
    monkeypatch.undo()
    assert client.get(f"/console/set-password/{token}").status_code == 200  # still unused
    assert [e[1] for e in audit_log(app)] == ["account.add"]


@pytest.mark.parametrize("command", ["disable", "reset-password"])
def test_cli_keeps_the_account_as_it_was_when_the_transaction_fails_after_the_record(
    app, runner, monkeypatch, command
):
    build_world(app)
    fail_after_record(monkeypatch)
    assert isinstance(runner.invoke(args=["users", command, GUIDE_A]).exception, AfterRecord)
    assert audit_log(app) == []
    with get_db(app).transaction(write_lock=True) as db_session:
        assert authenticate(db_session, GUIDE_A, PASSWORD, "test").account is not None
