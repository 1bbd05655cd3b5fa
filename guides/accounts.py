"""Console accounts: passwords (argon2), one-time set-password links, login with throttling.

A failed login always costs one argon2 verification, whether the email has an account
or not, so neither the answer nor its timing tells the two apart.  Failures are counted
per account and per client; past the limit further attempts are refused for a while,
even with the right password, and without computing a hash.  An account is counted
under its normalised address (NFKC, IDNA, lower case), so ``admin@ｅxample.org`` and
``admin@example。org`` share the count of ``admin@example.org``.  ``HashSlots`` bounds
how many argon2 verifications a process computes at once (each takes 64 MiB).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guides.models import (
    ROLE_COORDINATOR,
    ROLE_FACILITATOR,
    ROLE_GUIDE,
    ROLES,
    LoginThrottle,
    UserAccount,
)
from guides.profiles import get_record
from tours.db import utcnow
from tours.errors import BideanError, NotFound

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
SET_PASSWORD_VALID = timedelta(hours=48)
# Per account: 5 failures in 15 minutes block it for 15 minutes; per client, 20.
ACCOUNT_FAILURES = 5
CLIENT_FAILURES = 20
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_BLOCK = timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the email has no account, so a miss costs what a hit costs.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(BideanError):
    """An account request that breaks a rule; the message says how to fix it (in the
    command line's words); ``reason`` names the rule, for the interface's words."""

    def __init__(self, message: str, reason: str = "rule") -> None:
        super().__init__(message)
        self.reason = reason


class AccountExists(AccountError):
    """The email has an account already; ``active`` says whether it is enabled, so the
    console can offer to enable a disabled one instead."""

    def __init__(self, account: UserAccount) -> None:
        reason = EXISTS if account.active else EXISTS_DISABLED
        hint = "" if account.active else f"; enable it with `bidean users enable {account.email}`"
        super().__init__(f"An account with {account.email} exists already{hint}.", reason)
        self.account_id = account.id
        self.active = account.active


class AccountNotFound(NotFound):
    def __init__(self, email: str) -> None:
        super().__init__(f"No account has the email {email!r}; list them with `bidean users list`.")


class PasswordRejected(AccountError):
    """The password is too short, too long, too common, or little more than the email's
    name; ``reason`` says which (one of ``PASSWORD_REASONS``), for the interface's words."""


TOO_SHORT, TOO_LONG, TOO_COMMON, EMAIL_NAME = "too-short", "too-long", "too-common", "email-name"
PASSWORD_REASONS = (TOO_SHORT, TOO_LONG, TOO_COMMON, EMAIL_NAME)
# The other rules an account request may break (``AccountError.reason``).
NOT_AN_EMAIL, UNKNOWN_ROLE, GUIDE_NEEDED, GUIDE_NOT_WANTED = (
    "not-an-email",
    "unknown-role",
    "guide-needed",
    "guide-not-wanted",
)
EXISTS, EXISTS_DISABLED, LINK_EXPIRED = "exists", "exists-disabled", "link-expired"
DISABLED, OWN_ACCOUNT, LAST_COORDINATOR = "disabled", "own-account", "last-coordinator"


class HashingBusy(BideanError):
    """Every password-hash slot of this process is taken; the caller answers "try later"."""


class HashSlots:
    """At most ``size`` password hashes computed at once; one more is refused, not queued."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphore = threading.BoundedSemaphore(size)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot while hashing; raise HashingBusy when none is free."""
        if not self._semaphore.acquire(blocking=False):
            raise HashingBusy(f"All {self.size} password-hash slots are busy; try again shortly.")
        try:
            yield
        finally:
            self._semaphore.release()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = (Path(__file__).with_name("common_passwords.txt")).read_text("utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, email: str = "") -> None:
    """Raise PasswordRejected when ``password`` is too short, too long, too common, or
    too short once the name of ``email`` (what comes before the @) is taken out of it.

    The email's name is the first thing an attacker tries, so it counts for nothing; a
    long phrase that happens to contain it is accepted."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", TOO_SHORT
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(
            f"The password may have at most {MAX_PASSWORD_LENGTH} characters.", TOO_LONG
        )
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        raise PasswordRejected(
            "That password is too common or too easy to guess; choose a longer phrase of your own.",
            TOO_COMMON,
        )
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 3 and len(lowered.replace(local_part, "")) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(
            f"The password is little more than the name of the email address ({local_part}):"
            f" without it, it needs at least {MIN_PASSWORD_LENGTH} characters more of your own.",
            EMAIL_NAME,
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def normalize_email(email: str) -> str:
    """The address as accounts store it: NFKC (full-width letters, ideographic dots), IDNA."""
    email = unicodedata.normalize("NFKC", email).strip()
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(f"{email!r} is not an email address: {error}", NOT_AN_EMAIL) from error


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_token() -> str:
    return secrets.token_hex(16)


# --- accounts ----------------------------------------------------------------------------


def find_account(db_session: Session, email: str) -> UserAccount | None:
    try:
        email = normalize_email(email)
    except AccountError:
        return None
    return db_session.scalars(select(UserAccount).where(UserAccount.email == email)).one_or_none()


def get_account(db_session: Session, email: str) -> UserAccount:
    account = find_account(db_session, email)
    if account is None:
        raise AccountNotFound(email)
    return account


def list_accounts(db_session: Session) -> list[UserAccount]:
    return list(
        db_session.scalars(select(UserAccount).order_by(UserAccount.role, UserAccount.email))
    )


def create_account(
    db_session: Session,
    email: str,
    role: str,
    *,
    guide_id: str | None = None,
    password: str | None = None,
    language: str | None = None,
) -> UserAccount:
    """A new account; a guide account names its guide profile, a coordinator's or a
    facilitator's none.
    ``language`` is the interface language its emails are written in (None: the default)."""
    email = normalize_email(email)
    if role not in ROLES:
        raise AccountError(f"--role must be one of {', '.join(ROLES)}, not {role!r}.", UNKNOWN_ROLE)
    if role == ROLE_GUIDE and not guide_id:
        raise AccountError("A guide account needs --guide with the guide's id.", GUIDE_NEEDED)
    if role == ROLE_COORDINATOR and guide_id:
        raise AccountError(
            "A coordinator account is not tied to a guide: drop --guide.", GUIDE_NOT_WANTED
        )
    if role == ROLE_FACILITATOR and guide_id:
        raise AccountError(
            "A facilitator account is not tied to a guide: drop --guide.", GUIDE_NOT_WANTED
        )
    if guide_id:
        get_record(db_session, guide_id)
    existing = find_account(db_session, email)
    if existing is not None:
        raise AccountExists(existing)
    if password is not None:
        check_password(password, email)
    account = UserAccount(
        email=email,
        role=role,
        guide_id=guide_id,
        password_hash=hash_password(password) if password is not None else None,
        session_token=new_session_token(),
        active=True,
        language=language,
    )
    db_session.add(account)
    db_session.flush()
    return account


def issue_set_password_link_token(
    db_session: Session, account: UserAccount, *, now: datetime | None = None
) -> str:
    """A one-time token valid 48 hours; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    account.set_password_hash = _token_hash(token)
    account.set_password_expires_at = (now or utcnow()) + SET_PASSWORD_VALID
    db_session.flush()
    return token


def account_for_token(
    db_session: Session, token: str, *, now: datetime | None = None
) -> UserAccount | None:
    """The account a set-password token belongs to, while it is unused and unexpired."""
    if not token:
        return None
    account = db_session.scalars(
        select(UserAccount).where(UserAccount.set_password_hash == _token_hash(token))
    ).one_or_none()
    if account is None or not account.active or account.set_password_expires_at is None:
        return None
    if account.set_password_expires_at <= (now or utcnow()):
        return None
    return account


def set_password_with_token(
    db_session: Session, token: str, password: str, *, now: datetime | None = None
) -> UserAccount:
    account = account_for_token(db_session, token, now=now)
    if account is None:
        raise AccountError(
            "This link has expired or was used already; ask for a new one.", LINK_EXPIRED
        )
    check_password(password, account.email)
    account.password_hash = hash_password(password)
    account.set_password_hash = None
    account.set_password_expires_at = None
    account.session_token = new_session_token()
    db_session.flush()
    return account


def reset_password(db_session: Session, email: str) -> tuple[UserAccount, str]:
    """Forget the password, end every session, and issue a new set-password token.

    A disabled account gets none: its link could not be used (``account_for_token``)."""
    account = get_account(db_session, email)
    if not account.active:
        raise AccountError(
            f"The account {account.email} is disabled: enable it first with"
            f" `bidean users enable {account.email}`.",
            DISABLED,
        )
    account.password_hash = None
    account.session_token = new_session_token()
    return account, issue_set_password_link_token(db_session, account)


def active_coordinators(db_session: Session) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(UserAccount)
        .where(UserAccount.role == ROLE_COORDINATOR, UserAccount.active.is_(True))
    )


def check_may_disable(db_session: Session, account: UserAccount, by_email: str | None) -> None:
    """Refuse to disable the caller's own account (``by_email``) and the last active
    coordinator's: either would leave nobody able to undo it from the console."""
    if by_email is not None and account.email == by_email:
        raise AccountError("You cannot disable your own account.", OWN_ACCOUNT)
    if account.role == ROLE_COORDINATOR and account.active and active_coordinators(db_session) <= 1:
        raise AccountError(
            f"{account.email} is the last active coordinator: add or enable another first.",
            LAST_COORDINATOR,
        )


def disable_account(db_session: Session, email: str, by_email: str | None = None) -> UserAccount:
    account = get_account(db_session, email)
    check_may_disable(db_session, account, by_email)
    account.active = False
    account.session_token = new_session_token()
    account.set_password_hash = None
    db_session.flush()
    return account


def enable_account(db_session: Session, email: str) -> UserAccount:
    """Let a disabled account log in again, with the password it had (if any)."""
    account = get_account(db_session, email)
    account.active = True
    account.session_token = new_session_token()
    db_session.flush()
    return account


def end_sessions(db_session: Session, account_id: int) -> None:
    """Logout: the cookie of every session of this account stops working."""
    account = db_session.get(UserAccount, account_id)
    if account is not None:
        account.session_token = new_session_token()
        db_session.flush()


def load_by_cookie_id(db_session: Session, cookie_id: str) -> UserAccount | None:
    """The active account of a login cookie's ``<id>:<session token>``."""
    account_id, _, token = cookie_id.partition(":")
    if not account_id.isdigit() or not token:
        return None
    account = db_session.get(UserAccount, int(account_id))
    if account is None or not account.active:
        return None
    return account if secrets.compare_digest(account.session_token, token) else None


# --- logging in --------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    account: UserAccount | None
    throttled: bool = False


def throttle_keys(email: str, client: str) -> list[str]:
    """The account's key (its normalised address, however it was spelt) and the client's."""
    try:
        email = normalize_email(email)
    except AccountError:
        email = unicodedata.normalize("NFKC", email).strip().lower()
    digest = hashlib.sha256(email.encode()).hexdigest()[:40]
    return [f"account:{digest}", f"client:{client}"[:128]]


def _limit(key: str) -> int:
    return ACCOUNT_FAILURES if key.startswith("account:") else CLIENT_FAILURES


def _blocked(db_session: Session, keys: Iterable[str], now: datetime) -> bool:
    rows = db_session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(list(keys))))
    return any(row.blocked_until is not None and row.blocked_until > now for row in rows)


def _count_failure(db_session: Session, keys: Iterable[str], now: datetime) -> None:
    for key in keys:
        row = db_session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            db_session.add(row)
        if row.window_start + THROTTLE_WINDOW < now:
            row.failures, row.window_start = 0, now
        row.failures += 1
        if row.failures >= _limit(key):
            row.blocked_until = now + THROTTLE_BLOCK
    db_session.flush()


def authenticate(
    db_session: Session,
    email: str,
    password: str,
    client: str,
    *,
    now: datetime | None = None,
    slots: HashSlots | None = None,
) -> LoginResult:
    """The account when email and password match and nothing is throttled.

    A throttled attempt computes no hash; with ``slots`` full, HashingBusy is raised.
    The caller shows one and the same message for every failure.
    """
    now = now or utcnow()
    keys = throttle_keys(email, client)
    if _blocked(db_session, keys, now):
        return LoginResult(None, throttled=True)
    account = find_account(db_session, email)
    hashing: AbstractContextManager[None] = slots.slot() if slots else nullcontext()
    with hashing:
        matches = _verify(account.password_hash if account else None, password)
    if not matches or account is None or not account.active:
        _count_failure(db_session, keys, now)
        return LoginResult(None)
    db_session.query(LoginThrottle).filter(LoginThrottle.key == keys[0]).delete()
    account.last_login_at = now
    db_session.flush()
    return LoginResult(account)
