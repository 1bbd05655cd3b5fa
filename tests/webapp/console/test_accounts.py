"""Accounts and login: passwords, one generic failure, throttling, sessions, cookies, CSRF."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import argon2
import pytest

from guides.accounts import (
    AccountError,
    PasswordRejected,
    account_for_token,
    check_password,
    create_account,
    issue_set_password_link_token,
    set_password_with_token,
)
from guides.models import UserAccount
from tests.booking_support import drain_mail
from tests.webapp.console.support import (
    ADMIN,
    GUIDE_A,
    PASSWORD,
    app_with_csrf,
    build_world,
    log_in,
    log_in_with_token,
)
from tours.db import utcnow
from webapp import create_app
from webapp.commands.serve import served_url
from webapp.common.database import get_db
from webapp.common.urls import record_served_address
from webapp.mail import worker

FAILED = "That email and password do not match"


@pytest.mark.parametrize(
    "password", ["short", "password123", "aaaaaaaaaaaa", "qwertyuiop", "guide-a-secret"]
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(PasswordRejected):
        check_password(password, "guide-a@example.org")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "too-short"),
        ("password123", "too-common"),
        ("guide-a-secret", "email-name"),
        ("GUIDE-Aguide-a!", "email-name"),
    ],
)
def test_a_refused_password_says_why(password, reason):
    """Issue #19: a password refused for the email's name was called "too common"."""
    with pytest.raises(PasswordRejected) as refused:
        check_password(password, "guide-a@example.org")
    assert refused.value.reason == reason
    assert ("guide-a" in str(refused.value)) == (reason == "email-name")
    assert ("common" in str(refused.value)) == (reason == "too-common")


def test_a_long_phrase_may_contain_the_email_name():
    check_password("guide-a walks the river in spring", "guide-a@example.org")


def test_the_set_password_page_says_the_email_name_is_the_problem(app, client):
    build_world(app)
    with get_db(app).transaction() as db_session:
        account = create_account(db_session, "amaia.etxeberria@example.org", "coordinator")
        token = issue_set_password_link_token(db_session, account)
    password = "amaia.etxeberria2027"
    page = client.post(
        f"/console/set-password/{token}?lang=en",
        data={"password": password, "confirm": password},
    ).get_data(as_text=True)
    assert "mostly the name of your email address" in page
    assert "too common" not in page


def test_a_good_password_is_accepted_and_stored_hashed(app):
    build_world(app)
    with get_db(app).transaction() as db_session:
        account = db_session.query(UserAccount).filter_by(email=GUIDE_A).one()
        assert account.password_hash.startswith("$argon2")
        assert PASSWORD not in account.password_hash


def test_production_hashes_use_argon2id_at_rfc_9106_cost():
    """The suite hashes cheaply (tests/conftest.py); a fresh process hashes at full cost."""
    code = "from guides.accounts import hash_password; print(hash_password('a long passphrase'))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    stored = run.stdout.strip()
    parameters = argon2.extract_parameters(stored)
    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost >= 65536  # KiB: 64 MiB
    assert parameters.time_cost >= 3 and parameters.parallelism >= 4
    assert argon2.PasswordHasher().verify(stored, "a long passphrase")


def test_one_message_whether_or_not_the_email_has_an_account(app, client):
    build_world(app)
    unknown = client.post(
        "/console/login", data={"email": "nobody@example.org", "password": "x" * 12}
    )
    wrong = client.post("/console/login", data={"email": GUIDE_A, "password": "x" * 12})
    assert unknown.status_code == wrong.status_code == 200
    assert FAILED in unknown.get_data(as_text=True) and FAILED in wrong.get_data(as_text=True)

    def page(response) -> str:  # the CSRF tokens differ by their timestamps: drop them
        text = response.get_data(as_text=True).replace("nobody@example.org", GUIDE_A)
        return re.sub(r'(content|value)="[\w.-]{40,}"', "", text)

    assert page(unknown) == page(wrong)


def test_repeated_failures_throttle_the_account_even_with_the_right_password(app, client):
    build_world(app)
    for _ in range(5):
        client.post("/console/login", data={"email": GUIDE_A, "password": "wrong password!"})
    blocked = log_in(client, GUIDE_A)
    assert blocked.status_code == 200 and FAILED in blocked.get_data(as_text=True)
    # Another account from the same client is not blocked by these five failures.
    assert log_in(client, ADMIN).status_code == 302


def test_repeated_failures_throttle_the_client(app, client):
    build_world(app)
    for n in range(20):
        client.post("/console/login", data={"email": f"n{n}@example.org", "password": "x" * 12})
    assert FAILED in log_in(client, ADMIN).get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert log_in(other, ADMIN).status_code == 302


def test_login_starts_a_new_session_and_logout_ends_every_session(app, client):
    world = build_world(app)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    log_in(client, GUIDE_A)
    with client.session_transaction() as session:
        assert "planted" not in session
        old_cookie = dict(session)
    home = client.get("/console/")
    assert home.status_code == 200
    assert f"/console/departures/{world.walk_a}" in home.get_data(as_text=True)  # Youssef's walk
    client.post("/console/logout")
    assert client.get("/console/").status_code == 302
    # The cookie from before the logout is worthless now, even replayed.
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(old_cookie)
    assert replay.get("/console/").status_code == 302


def test_idle_timeout_logs_out(app, client):
    build_world(app)
    log_in(client, GUIDE_A)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 121 * 60
    response = client.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_cookie_flags(database_url, tmp_path):
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    build_world(app)
    response = log_in(app.test_client(), GUIDE_A)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["bidean.db"].engine.dispose()


def test_every_console_form_needs_the_csrf_token(database_url, tmp_path):
    app = app_with_csrf(database_url, tmp_path)
    world = build_world(app)
    client = app.test_client()
    assert log_in(client, ADMIN).status_code == 400  # no token: refused
    assert log_in_with_token(client, ADMIN).status_code == 302
    url = f"/console/admin/departures/{world.walk_a}/capacity"
    assert client.post(url, data={"capacity": 20}).status_code == 400
    fresh = client.get("/console/csrf").get_json()["token"]
    ok = client.post(url, data={"capacity": 20}, headers={"X-CSRFToken": fresh})
    assert ok.status_code == 302
    app.extensions["bidean.db"].engine.dispose()


def test_set_password_link_works_once_and_expires_after_48_hours(app, client):
    build_world(app)
    with get_db(app).transaction() as db_session:
        account = create_account(db_session, "new@example.org", "coordinator")
        token = issue_set_password_link_token(db_session, account)
        late = issue_set_password_link_token(
            db_session,
            create_account(db_session, "late@example.org", "coordinator"),
            now=utcnow() - timedelta(hours=48, minutes=1),
        )
    assert client.get(f"/console/set-password/{late}").status_code == 404
    form = client.get(f"/console/set-password/{token}")
    assert form.status_code == 200 and 'name="confirm"' in form.get_data(as_text=True)
    answer = client.post(
        f"/console/set-password/{token}",
        data={"password": "river walk in spring", "confirm": "river walk in spring"},
    )
    assert answer.status_code == 302
    assert client.get(f"/console/set-password/{token}").status_code == 404
    assert log_in(client, "new@example.org", "river walk in spring").status_code == 302
    with get_db(app).transaction() as db_session, pytest.raises(AccountError):
        set_password_with_token(db_session, token, "another long phrase")
    with get_db(app).transaction() as db_session:
        assert account_for_token(db_session, token) is None


#: The coordinator role's old name, which ``--role`` still accepts.
OLD_ROLE_NAME = "admin"


def test_users_cli(app, runner):
    build_world(app)
    made = runner.invoke(
        args=["users", "add", "--role", OLD_ROLE_NAME, "--email", "boss@example.org"]
    )
    assert made.exit_code == 0, made.output
    link = re.search(r"http\S+/console/set-password/(\S+)", made.output)
    assert link, made.output
    stdin = runner.invoke(
        args=[
            "users",
            "add",
            "--role",
            "guide",
            "--email",
            "g@example.org",
            "--guide",
            "mei",
            "--password-stdin",
        ],
        input="tea and dumplings at six\n",
    )
    assert stdin.exit_code == 0 and "set-password" not in stdin.output
    weak = runner.invoke(
        args=[
            "users",
            "add",
            "--role",
            "coordinator",
            "--email",
            "w@example.org",
            "--password-stdin",
        ],
        input="password1234\n",
    )
    assert weak.exit_code != 0 and "too" in weak.output
    listed = runner.invoke(args=["users", "list"]).output
    assert "boss@example.org\tcoordinator\t-\tactive (no password yet)" in listed
    assert runner.invoke(args=["users", "disable", "g@example.org"]).exit_code == 0
    assert log_in(app.test_client(), "g@example.org", "tea and dumplings at six").status_code == 200
    reset = runner.invoke(args=["users", "reset-password", GUIDE_A])
    assert reset.exit_code == 0 and "/console/set-password/" in reset.output
    assert log_in(app.test_client(), GUIDE_A).status_code == 200  # the old password is gone


def test_the_set_password_link_of_the_command_line_is_where_serve_runs(app, runner, caplog):
    """Issue #19: `make run PORT=5201` then `bidean users add`: the link works."""
    app.config["PUBLIC_URL"] = None
    record_served_address(app, served_url("127.0.0.1", 5201))
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        made = runner.invoke(args=["users", "add", "--role", "coordinator", "--email", ADMIN])
    assert made.exit_code == 0, made.output
    assert re.search(r"^http://127\.0\.0\.1:5201/console/set-password/\S+$", made.output, re.M)
    (said,) = [r.getMessage() for r in caplog.records if "BIDEAN_PUBLIC_URL" in r.getMessage()]
    assert "use http://127.0.0.1:5201, where `bidean serve` last ran" in said


def test_a_new_account_gets_its_set_password_link_by_email(app, client):
    """The coordinator's new account is mailed its link, built on PUBLIC_URL, not the Host."""
    build_world(app)
    app.config["PUBLIC_URL"] = "https://tours.example.org"  # not the test client's host
    log_in(client, ADMIN)
    made = client.post(
        "/console/admin/accounts",
        data={"email": "new-guide@example.org", "role": "guide", "guide": "mei"},
    )
    assert made.status_code == 200
    assert "emailed to new-guide@example.org" in made.get_data(as_text=True)
    outcomes = drain_mail(app)
    assert [o.result for o in outcomes] == [worker.SENT]
    (eml,) = (Path(app.instance_path) / "outbox").glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=default)
    assert message["To"] == "new-guide@example.org"
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"http\S+/console/set-password/\S+", body).group(0)
    assert link.startswith("https://tours.example.org/console/set-password/")
    assert "localhost" not in eml.read_text()
    path = link.removeprefix("https://tours.example.org")
    form = client.get(path)
    assert form.status_code == 200 and 'name="confirm"' in form.get_data(as_text=True)
    client.post("/console/logout")
    chosen = client.post(path, data={"password": PASSWORD, "confirm": PASSWORD})
    assert chosen.status_code in (200, 302)
    assert log_in(client, "new-guide@example.org").status_code == 302
