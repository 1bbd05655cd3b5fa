"""Messages to a walk's group: what may be written, to whom, how often, and the log.

A coordinator or the walk's guide writes a subject and a text in the walk's language,
and may add them in other languages.  Everyone with a confirmed booking and an email
gets one message of their own (never a list of addresses), in their language when the
sender wrote it, else by the fallback chain of ``tours.i18n`` ending at the walk's
language.  Each message is kept in ``walk_messages``: the walk's log.

The limits say how often a group may be written to.  A walk lasts a few hours; three
messages within an hour (rain, then a new meeting point, then a correction) is already
a lot for people who did not ask for mail, and a fourth is more likely a slip or a loop
than news.  Twenty a day per account covers a coordinator writing to every walk of a
busy day twice and stops a misused account mailing every group.  The same message to
the same walk within the hour is refused as a repeat (a second click, a reloaded form).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from guides.models import WalkMessage
from tours.booking.models import CONFIRMED, Booking, Departure
from tours.db import utcnow
from tours.errors import BideanError
from tours.i18n import LocalizedText, is_valid_tag, normalize_tag
from tours.text import breaks_lines, unstorable

SUBJECT_MAX = 150
TEXT_MAX = 5000
MAX_LANGUAGES = 12

PER_WALK = 3
PER_WALK_WINDOW = timedelta(hours=1)
PER_ACCOUNT = 20
PER_ACCOUNT_WINDOW = timedelta(hours=24)

# Why a message was refused (the web layer says it in the user's language).
SUBJECT_MISSING = "subject_missing"
TEXT_MISSING = "text_missing"
SUBJECT_BREAKS = "subject_breaks"  # a line break (or other control) would forge headers
SUBJECT_LONG = "subject_long"
TEXT_LONG = "text_long"
UNSTORABLE = "unstorable"
HALF_WRITTEN = "half_written"  # a subject without a text in one language, or the reverse
BAD_LANGUAGE = "bad_language"
TOO_MANY_LANGUAGES = "too_many_languages"
CANCELLED = "cancelled"
NOBODY = "nobody"

# Why a message must wait.
WALK_LIMIT = "walk_limit"
ACCOUNT_LIMIT = "account_limit"
REPEATED = "repeated"


class MessageRejected(BideanError):
    """A message that cannot be sent as written; ``field`` and ``language`` say where."""

    def __init__(self, reason: str, *, field: str = "", language: str = "") -> None:
        self.reason = reason
        self.field = field
        self.language = language
        super().__init__(f"message refused: {reason} ({field} {language})".strip())


class MessageLimited(BideanError):
    """Over a limit: the next message to this walk (or from this account) waits until
    ``retry_at``."""

    def __init__(self, reason: str, retry_at: datetime) -> None:
        self.reason = reason
        self.retry_at = retry_at
        super().__init__(f"message limited: {reason} until {retry_at.isoformat()}")


@dataclass(frozen=True)
class Draft:
    """A checked message: ``{language: subject}`` and ``{language: text}``, same languages,
    the walk's language first."""

    language: str
    subjects: dict[str, str]
    texts: dict[str, str]


@dataclass(frozen=True)
class Letter:
    """What one booker reads: the subject and text picked for their language."""

    subject: str
    text: str
    language: str


def _text(value: object) -> str:
    # Browsers send CRLF from a textarea; one kind of line end is stored.
    return str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_pair(language: str, subject: str, text: str) -> None:
    if unstorable(subject) or unstorable(text):
        raise MessageRejected(UNSTORABLE, field="text", language=language)
    if breaks_lines(subject):
        raise MessageRejected(SUBJECT_BREAKS, field="subject", language=language)
    if len(subject) > SUBJECT_MAX:
        raise MessageRejected(SUBJECT_LONG, field="subject", language=language)
    if len(text) > TEXT_MAX:
        raise MessageRejected(TEXT_LONG, field="text", language=language)


def check_draft(
    walk_language: str, subjects: Mapping[str, object], texts: Mapping[str, object]
) -> Draft:
    """The message as written, checked; raises ``MessageRejected`` with the first problem.

    The walk's language needs both a subject and a text; another language needs both or
    neither (left empty, its readers get the walk's text).
    """
    walk_subject = _text(subjects.get(walk_language))
    walk_text = _text(texts.get(walk_language))
    if not walk_subject:
        raise MessageRejected(SUBJECT_MISSING, field="subject", language=walk_language)
    if not walk_text:
        raise MessageRejected(TEXT_MISSING, field="text", language=walk_language)
    _check_pair(walk_language, walk_subject, walk_text)
    checked_subjects = {walk_language: walk_subject}
    checked_texts = {walk_language: walk_text}
    for tag in dict.fromkeys([*subjects, *texts]):
        if tag == walk_language:
            continue
        subject, text = _text(subjects.get(tag)), _text(texts.get(tag))
        if not subject and not text:
            continue
        if not is_valid_tag(tag):
            raise MessageRejected(BAD_LANGUAGE, field="language", language=str(tag)[:35])
        language = normalize_tag(tag)
        if not subject or not text:
            field = "text" if subject else "subject"
            raise MessageRejected(HALF_WRITTEN, field=field, language=language)
        _check_pair(language, subject, text)
        checked_subjects[language] = subject
        checked_texts[language] = text
    if len(checked_texts) > MAX_LANGUAGES:
        raise MessageRejected(TOO_MANY_LANGUAGES, field="language")
    return Draft(walk_language, checked_subjects, checked_texts)


def recipients(db_session: Session, departure_id: int) -> list[Booking]:
    """The confirmed bookings of a walk that have an email, one per address (the first)."""
    bookings = db_session.scalars(
        select(Booking)
        .where(
            Booking.departure_id == departure_id,
            Booking.status == CONFIRMED,
            Booking.email.is_not(None),
            Booking.email != "",
        )
        .order_by(Booking.id)
    )
    seen: set[str] = set()
    found = []
    for booking in bookings:
        address = (booking.email or "").strip().casefold()
        if address and address not in seen:
            seen.add(address)
            found.append(booking)
    return found


def languages_of(bookers: list[Booking]) -> list[str]:
    """The languages these bookers read, each once, in booking order."""
    return list(dict.fromkeys(booking.language for booking in bookers))


def letter(
    subjects: Mapping[str, str], texts: Mapping[str, str], walk_language: str, language: str
) -> Letter:
    """The subject and text a reader of ``language`` gets: their language (or its base)
    when written, else the walk's language."""
    resolved = LocalizedText(texts).resolve(language, walk_language)
    if resolved is None:
        raise LookupError("a walk message without text")
    subject = subjects.get(resolved.language) or LocalizedText(subjects).get_text(
        language, walk_language
    )
    return Letter(subject, resolved.text, resolved.language)


def _recent(db_session: Session, column, value, since: datetime) -> list[datetime]:
    return list(
        db_session.scalars(
            select(WalkMessage.sent_at)
            .where(column == value, WalkMessage.sent_at > since)
            .order_by(WalkMessage.sent_at)
        )
    )


def check_rate(
    db_session: Session,
    departure_id: int,
    account_id: int | None,
    draft: Draft,
    *,
    now: datetime | None = None,
) -> None:
    """Raise ``MessageLimited`` when this message must wait (or is a repeat).

    Called with the walk's row locked, so two senders cannot both pass the limit.
    """
    now = now or utcnow()
    since = now - PER_WALK_WINDOW
    for earlier in db_session.scalars(
        select(WalkMessage).where(
            WalkMessage.departure_id == departure_id, WalkMessage.sent_at > since
        )
    ):
        if earlier.subjects == draft.subjects and earlier.texts == draft.texts:
            raise MessageLimited(REPEATED, earlier.sent_at + PER_WALK_WINDOW)
    walk = _recent(db_session, WalkMessage.departure_id, departure_id, since)
    if len(walk) >= PER_WALK:
        raise MessageLimited(WALK_LIMIT, walk[-PER_WALK] + PER_WALK_WINDOW)
    if account_id is None:
        return  # the command line: no account to limit
    sent = _recent(db_session, WalkMessage.account_id, account_id, now - PER_ACCOUNT_WINDOW)
    if len(sent) >= PER_ACCOUNT:
        raise MessageLimited(ACCOUNT_LIMIT, sent[-PER_ACCOUNT] + PER_ACCOUNT_WINDOW)


def store(
    db_session: Session,
    departure: Departure,
    draft: Draft,
    *,
    sender: str,
    account_id: int | None,
    recipient_count: int,
    now: datetime | None = None,
) -> WalkMessage:
    """Add the message to the walk's log, in the caller's transaction."""
    message = WalkMessage(
        departure_id=departure.id,
        account_id=account_id,
        sender=sender[:254],
        language=draft.language,
        subjects=draft.subjects,
        texts=draft.texts,
        recipients=recipient_count,
        sent_at=now or utcnow(),
    )
    db_session.add(message)
    db_session.flush()
    return message


def history(db_session: Session, departure_id: int, limit: int = 50) -> list[WalkMessage]:
    """The walk's messages, newest first."""
    return list(
        db_session.scalars(
            select(WalkMessage)
            .where(WalkMessage.departure_id == departure_id)
            .order_by(WalkMessage.sent_at.desc(), WalkMessage.id.desc())
            .limit(limit)
        )
    )
