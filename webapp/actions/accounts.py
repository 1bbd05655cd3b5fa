"""Console accounts: creating them, new set-password links, disabling and enabling them,
choosing a password.

The coordinator pages and ``bidean users`` call the same functions; each writes its
audit record in the caller's transaction, and none when nothing changed (disabling an
account that is disabled already).  Sending the link (by email from the console, printed
by the command line) is the front door's part.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from guides import accounts, audit
from guides.audit import Actor
from guides.models import UserAccount


@dataclass(frozen=True)
class NewAccount:
    """A created account, and its one-time set-password token (None: a password was given)."""

    account: UserAccount
    token: str | None


def create_account(
    db_session: Session,
    actor: Actor,
    email: str,
    role: str,
    *,
    guide_id: str | None = None,
    password: str | None = None,
    language: str | None = None,
) -> NewAccount:
    """Create an account (``account.add``); without a password it gets a set-password token.

    Raises ``AccountError`` (or ``GuideNotFound``) for what the rules refuse.
    """
    account = accounts.create_account(
        db_session, email, role, guide_id=guide_id, password=password, language=language
    )
    token = None if password else accounts.issue_set_password_link_token(db_session, account)
    audit.record(db_session, actor, "account.add", f"account:{account.email}", role=account.role)
    return NewAccount(account, token)


def reset_password(db_session: Session, actor: Actor, email: str) -> tuple[UserAccount, str]:
    """Forget the password, end every session and issue a new set-password token
    (``account.reset``).  Raises ``AccountNotFound``, and ``AccountError`` for a
    disabled account (its link could not be used)."""
    account, token = accounts.reset_password(db_session, email)
    audit.record(db_session, actor, "account.reset", f"account:{account.email}")
    return account, token


def disable_account(db_session: Session, actor: Actor, email: str) -> tuple[UserAccount, bool]:
    """Disable an account: it cannot log in, its sessions end (``account.disable``).

    Returns the account and whether it changed (False: it was disabled already).
    Raises ``AccountNotFound``, and ``AccountError`` for the actor's own account and the
    last active coordinator's.
    """
    account = accounts.get_account(db_session, email)
    if not account.active:
        return account, False
    accounts.disable_account(db_session, email, by_email=actor.name)
    audit.record(db_session, actor, "account.disable", f"account:{account.email}")
    return account, True


def enable_account(db_session: Session, actor: Actor, email: str) -> tuple[UserAccount, bool]:
    """Undo a disable: the account can log in again (``account.enable``).

    Returns the account and whether it changed (False: it was enabled already).
    Raises ``AccountNotFound``.
    """
    account = accounts.get_account(db_session, email)
    if account.active:
        return account, False
    accounts.enable_account(db_session, email)
    audit.record(db_session, actor, "account.enable", f"account:{account.email}")
    return account, True


def set_password(db_session: Session, token: str, password: str) -> UserAccount:
    """Choose a password with a one-time link (``account.password``).

    The actor is the account itself: holding the link is what names them, so the front
    door (a page anyone may open) has no actor to give.  Raises ``AccountError``.
    """
    account = accounts.set_password_with_token(db_session, token, password)
    audit.record(db_session, Actor.account(account.email), "account.password", account.email)
    return account
