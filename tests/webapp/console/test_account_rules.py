"""Accounts in the console and ``bidean users`` (issue #24): disabling asks first, never
one's own account nor the last coordinator's, and can be undone; a disabled account gets
no new link and its address offers enabling; the new-account form starts empty; the
set-password email goes out in the new account's language."""

from __future__ import annotations

import html
import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select

from guides.accounts import AccountError, create_account, find_account
from guides.audit import Actor
from guides.models import UserAccount
from tests.booking_support import drain_mail
from tests.webapp.actions.support import CLI, audit_log
from tests.webapp.console.support import ADMIN, GUIDE_A, PASSWORD, build_world, log_in
from tours.booking.models import OutboxMessage
from webapp.actions import accounts as account_actions
from webapp.common.database import get_db
from webapp.console.wording import account_refusal
from webapp.mail import worker

SECOND = "second-coordinator@example.org"


def account(app, email: str) -> UserAccount:
    with get_db(app).transaction() as db_session:
        found = find_account(db_session, email)
        assert found is not None
        db_session.expunge(found)
        return found


def account_id(app, email: str) -> int:
    return account(app, email).id


def outbox(app) -> list[tuple[str, str]]:
    with get_db(app).transaction() as db_session:
        rows = db_session.execute(select(OutboxMessage.recipient, OutboxMessage.kind)).all()
        return [tuple(row) for row in rows]


@pytest.fixture
def coordinator(app, client):
    build_world(app)
    assert log_in(client, ADMIN).status_code == 302
    return client


def test_disabling_asks_first_and_then_disables(app, coordinator):
    guide = account_id(app, GUIDE_A)
    listing = coordinator.get("/console/admin/accounts").get_data(as_text=True)
    # The list links to a confirmation; it has no one-click disable button.
    assert f'href="/console/admin/accounts/{guide}/disable"' in listing
    asked = coordinator.get(f"/console/admin/accounts/{guide}/disable")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and f"Disable <bdi>{GUIDE_A}</bdi>?" in page
    assert "Yes, disable this account" in page
    assert account(app, GUIDE_A).active  # asking changed nothing
    done = coordinator.post(f"/console/admin/accounts/{guide}/disable")
    assert done.status_code == 302
    assert not account(app, GUIDE_A).active
    assert log_in(app.test_client(), GUIDE_A).status_code != 302
    shown = coordinator.get("/console/admin/accounts").get_data(as_text=True)
    assert "Account disabled." in shown and 'role="status"' in shown


def test_ones_own_account_cannot_be_disabled(app, coordinator):
    me = account_id(app, ADMIN)
    listing = coordinator.get("/console/admin/accounts").get_data(as_text=True)
    assert f"/console/admin/accounts/{me}/disable" not in listing
    refused = coordinator.post(f"/console/admin/accounts/{me}/disable")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "You cannot disable your own account." in page and 'role="alert"' in page
    assert account(app, ADMIN).active
    assert [e for e in audit_log(app) if e[1] == "account.disable"] == []


def test_the_last_coordinator_cannot_be_disabled_from_the_command_line(app, runner):
    build_world(app)
    refused = runner.invoke(args=["users", "disable", ADMIN])
    assert refused.exit_code != 0 and "last active coordinator" in refused.output
    assert account(app, ADMIN).active
    with get_db(app).transaction(write_lock=True) as db_session:
        create_account(db_session, SECOND, "coordinator", password=PASSWORD)
    assert runner.invoke(args=["users", "disable", ADMIN]).exit_code == 0
    assert not account(app, ADMIN).active
    # Now the second is the last one.
    assert runner.invoke(args=["users", "disable", SECOND]).exit_code != 0
    assert account(app, SECOND).active


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "This is the last active coordinator"),
        ("es", "Es la última cuenta de coordinación activa"),
    ],
)
def test_the_last_coordinator_refusal_is_said_in_interface_words(app, language, sentence):
    build_world(app)
    with (
        get_db(app).transaction(write_lock=True) as db_session,
        pytest.raises(AccountError) as refused,
    ):
        account_actions.disable_account(db_session, Actor.command_line(), ADMIN)
    with app.test_request_context(headers={"Accept-Language": language}):
        said = account_refusal(refused.value)
    assert said.startswith(sentence) and "bidean" not in said and "--" not in said


def test_a_disabled_account_is_enabled_again_from_the_console(app, coordinator):
    guide = account_id(app, GUIDE_A)
    coordinator.post(f"/console/admin/accounts/{guide}/disable")
    listing = coordinator.get("/console/admin/accounts").get_data(as_text=True)
    assert f'action="/console/admin/accounts/{guide}/enable"' in listing
    enabled = coordinator.post(f"/console/admin/accounts/{guide}/enable")
    assert enabled.status_code == 302
    assert account(app, GUIDE_A).active
    # With the password it had: the guide logs in again.
    assert log_in(app.test_client(), GUIDE_A).status_code == 302
    assert [e[1:3] for e in audit_log(app) if e[1].startswith("account.")] == [
        ("account.disable", f"account:{GUIDE_A}"),
        ("account.enable", f"account:{GUIDE_A}"),
    ]
    again = coordinator.post(f"/console/admin/accounts/{guide}/enable")
    assert again.status_code == 302 and len(audit_log(app)) == 2  # nothing changed


def test_bidean_users_enable(app, runner):
    build_world(app)
    assert runner.invoke(args=["users", "disable", GUIDE_A]).exit_code == 0
    enabled = runner.invoke(args=["users", "enable", GUIDE_A])
    assert enabled.exit_code == 0 and enabled.output == f"Account {GUIDE_A} enabled.\n"
    assert account(app, GUIDE_A).active
    again = runner.invoke(args=["users", "enable", GUIDE_A])
    assert again.exit_code == 0 and "was enabled already" in again.output
    assert [e[:3] for e in audit_log(app)] == [
        (CLI, "account.disable", f"account:{GUIDE_A}"),
        (CLI, "account.enable", f"account:{GUIDE_A}"),
    ]
    unknown = runner.invoke(args=["users", "enable", "nobody@example.org"])
    assert unknown.exit_code != 0


def test_a_new_link_for_a_disabled_account_says_it_is_disabled(app, coordinator, runner):
    guide = account_id(app, GUIDE_A)
    coordinator.post(f"/console/admin/accounts/{guide}/disable")
    before = account(app, GUIDE_A)
    refused = coordinator.post(f"/console/admin/accounts/{guide}/link")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and 'role="alert"' in page
    assert "This account is disabled" in page
    assert f'action="/console/admin/accounts/{guide}/enable"' in page  # the way out
    assert "/console/set-password/" not in page and outbox(app) == []
    assert account(app, GUIDE_A).password_hash == before.password_hash
    cli = runner.invoke(args=["users", "reset-password", GUIDE_A])
    assert cli.exit_code != 0 and "is disabled" in cli.output


def test_adding_a_disabled_accounts_email_offers_to_enable_it(app, coordinator):
    guide = account_id(app, GUIDE_A)
    coordinator.post(f"/console/admin/accounts/{guide}/disable")
    data = {"email": GUIDE_A.upper(), "role": "guide", "guide": "youssef", "language": "es"}
    offered = coordinator.post("/console/admin/accounts", data=data)
    page = offered.get_data(as_text=True)
    assert offered.status_code == 409
    assert "exists but is disabled" in page and "Enable this account" in page
    assert f'action="/console/admin/accounts/{guide}/enable"' in page
    assert "A guide account needs" not in page and "bidean users" not in page
    with get_db(app).transaction() as db_session:
        count = db_session.query(UserAccount).filter(UserAccount.email == GUIDE_A).count()
    assert count == 1 and not account(app, GUIDE_A).active
    coordinator.post(f"/console/admin/accounts/{guide}/enable")
    assert account(app, GUIDE_A).active


def test_an_active_accounts_email_is_refused_in_words(app, coordinator):
    data = {"email": GUIDE_A, "role": "guide", "guide": "youssef"}
    refused = coordinator.post("/console/admin/accounts", data=data)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "An account with this email exists already." in page
    assert "Enable this account" not in page


def test_the_new_account_form_starts_empty_after_an_account_is_made(app, coordinator):
    data = {"email": "new-guide@example.org", "role": "coordinator", "language": "eu"}
    made = coordinator.post("/console/admin/accounts", data=data)
    page = made.get_data(as_text=True)
    assert made.status_code == 200 and "/console/set-password/" in page
    form = page[page.index('id="new-account"') :]
    email = re.search(r'<input[^>]*name="email"[^>]*>', form)[0]
    assert "new-guide@example.org" not in email and re.search(r'value="[^"]', email) is None
    role = re.search(r'<select[^>]*name="role".*?</select>', form, re.S)[0]
    assert '<option selected value="coordinator">' not in role
    assert account(app, "new-guide@example.org").language == "eu"


def test_a_refused_guide_account_without_a_profile_says_so_in_words(app, coordinator):
    refused = coordinator.post(
        "/console/admin/accounts", data={"email": "x@example.org", "role": "guide"}
    )
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "A guide's account needs the guide's profile." in page and "--guide" not in page


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("fr", "Votre compte de la console Bidean : choisissez un mot de passe"),
        ("eu", "Zure Bidean kontsolako kontua: aukeratu pasahitz bat"),
    ],
)
def test_the_set_password_email_goes_out_in_the_new_accounts_language(
    app, coordinator, language, subject
):
    """The coordinator reads English; the new guide chose another language."""
    data = {"email": "new-guide@example.org", "role": "guide", "guide": "mei"}
    made = coordinator.post("/console/admin/accounts", data={**data, "language": language})
    assert made.status_code == 200
    assert account(app, "new-guide@example.org").language == language
    assert [o.result for o in drain_mail(app)] == [worker.SENT]
    (eml,) = (Path(app.instance_path) / "outbox").glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=default)
    assert message["To"] == "new-guide@example.org" and message["Subject"] == subject
    # A new link later goes out in the same language, whoever asks for it.
    for old in (Path(app.instance_path) / "outbox").glob("*.eml"):
        old.unlink()
    coordinator.post(f"/console/admin/accounts/{account_id(app, 'new-guide@example.org')}/link")
    drain_mail(app)
    (eml,) = (Path(app.instance_path) / "outbox").glob("*.eml")
    assert message_from_bytes(eml.read_bytes(), policy=default)["Subject"] == subject


def test_bidean_users_add_stores_the_accounts_language(app, runner):
    made = runner.invoke(
        args=["users", "add", "--role", "coordinator", "--email", SECOND, "--language", "pl"]
    )
    assert made.exit_code == 0, made.output
    assert account(app, SECOND).language == "pl"
    wrong = runner.invoke(args=["users", "add", "--role", "coordinator", "--email",
                                "x@example.org", "--language", "klingon"])  # fmt: skip
    assert wrong.exit_code != 0 and find_account_email(app, "x@example.org") is None


def find_account_email(app, email: str) -> UserAccount | None:
    with get_db(app).transaction() as db_session:
        return find_account(db_session, email)
