"""Logging in to the console: Flask-Login, cookie flags, idle timeout, CSRF, roles.

A facilitator reaches only the pages marked ``open_to_facilitators`` (the console's first
page, logging out, residents' contributions): every other console page answers 403, so a
new page is closed to them until it says otherwise.

The login cookie holds ``<account id>:<session token>``; the token changes on logout,
password reset and disabling, which ends every session of the account at once.  Every
POST to the console must carry the CSRF token (form field ``csrf_token`` or header
``X-CSRFToken``), checked here once for all console forms.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import ValidationError

from guides.accounts import load_by_cookie_id
from guides.audit import Actor
from guides.models import ROLE_COORDINATOR, ROLE_FACILITATOR, UserAccount
from webapp.common.database import get_db
from webapp.console import throttle

login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = _l("Log in to see the console.")
login_manager.session_protection = "basic"

# Endpoints anyone may reach: the login itself, set-password links and the offline shell.
PUBLIC_ENDPOINTS = frozenset(
    {"console.login", "console.set_password", "console.service_worker", "console.manifest"}
)


@dataclass(frozen=True)
class ConsoleUser:
    """The logged-in account as the console needs it (no ORM object kept across requests)."""

    account_id: int
    email: str
    role: str
    guide_id: str | None
    token: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.account_id}:{self.token}"

    @property
    def is_coordinator(self) -> bool:
        return self.role == ROLE_COORDINATOR

    @property
    def is_facilitator(self) -> bool:
        return self.role == ROLE_FACILITATOR

    @property
    def sees_contributions(self) -> bool:
        """Residents' contributions: coordinators and facilitators."""
        return self.role in (ROLE_COORDINATOR, ROLE_FACILITATOR)

    @property
    def sees_guide(self) -> str | None:
        """The guide whose departures this user sees; None for a coordinator (all)."""
        return None if self.is_coordinator else (self.guide_id or "\0no-guide")

    @property
    def actor(self) -> Actor:
        """Who the audit log names for what this user does."""
        return Actor.account(self.email)


def console_user(account: UserAccount) -> ConsoleUser:
    return ConsoleUser(
        account.id, account.email, account.role, account.guide_id, account.session_token
    )


@login_manager.user_loader
def _load_user(cookie_id: str) -> ConsoleUser | None:
    with get_db().transaction() as db_session:
        account = load_by_cookie_id(db_session, cookie_id)
        return console_user(account) if account else None


def coordinator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Coordinators only: a guide gets 403 (they know the page exists; it is not theirs)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_coordinator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# The attribute ``open_to_facilitators`` sets on a view (``functools.wraps`` copies it).
FACILITATORS_WELCOME = "facilitators_welcome"


def open_to_facilitators(view: Callable[..., Any]) -> Callable[..., Any]:
    """A page a facilitator may reach too (what it shows them is the view's concern)."""
    setattr(view, FACILITATORS_WELCOME, True)
    return view


def contributions_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Coordinators and facilitators: residents' contributions; a guide gets 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.sees_contributions:
            abort(403)
        return view(*args, **kwargs)

    return open_to_facilitators(wrapped)


def _closed_to_facilitator() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return current_user.is_facilitator and not getattr(view, FACILITATORS_WELCOME, False)


def guard_console() -> Any:
    """Before every console request: login, idle timeout, a facilitator's pages, CSRF."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return _check_csrf()
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    idle = current_app.config["CONSOLE_IDLE_MINUTES"] * 60
    now = int(time.time())
    last_seen = session.get("seen", now)
    if now - int(last_seen) > idle:
        logout_user()
        session.clear()
        flash(_l("You were logged out after a while without using the console. Log in again."))
        return redirect(url_for("console.login", next=request.full_path))
    session["seen"] = now
    if _closed_to_facilitator():
        abort(403)
    return _check_csrf()


def _check_csrf() -> None:
    if request.method != "POST" or not current_app.config["WTF_CSRF_ENABLED"]:
        return None
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken", "")
    try:
        validate_csrf(token)
    except ValidationError as error:
        raise CSRFError(str(error)) from None
    return None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    throttle.init_app(app)
    app.add_template_global(generate_csrf, "console_csrf_token")
    secure = app.config["COOKIE_SECURE"]
    if secure is None:
        secure = not (app.debug or app.testing)
    app.config["SESSION_COOKIE_SECURE"] = bool(secure)
