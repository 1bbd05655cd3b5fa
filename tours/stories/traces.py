"""Where else a contribution's words end up, and forgetting them there.

A teller's text is copied beyond its own row: into tour versions (``withdrawal``), into
the emails about it (the receipt, an edit notice, a decline) kept in the outbox, and
perhaps into audit details.  ``Needles`` are the pieces of text to look for in those
copies: each text, each of its lines and the start of each, so that a copy cut short
(an excerpt with an ellipsis) is still found; the longer the copy's home holds other
words, the longer the pieces looked for.  ``scrub`` replaces every string of a JSON value
that holds one.

Every email about a contribution has a kind starting with ``contribution_`` (the
receipt ``contribution_receipt``, the withdrawal's confirmation ``contribution_withdrawn``,
…).  The outbox keeps no contribution id, so ``forget_messages`` finds those about one
contribution by their recipient (its teller's address, when no other live contribution
shares it) or by their words.  ``purge_contacts`` is the purge rule for tellers' contact
addresses: kept while a story is pending or accepted (for its receipt, edit notices and
withdrawal link), removed once it is declined or withdrawn and its last mail has left;
then the sent mails to that address go too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tours.booking.models import OutboxMessage
from tours.booking.outbox import FAILED, PENDING, SENDING, SENT
from tours.db import unicode_lower
from tours.stories.models import ACCEPTED, DECLINED, WITHDRAWN, Contribution
from tours.stories.models import PENDING as STORY_PENDING

#: What the kind of every email about a contribution starts with.
MESSAGE_PREFIX = "contribution_"
#: The confirmation of a withdrawal (``webapp.actions.withdrawal``).
WITHDRAWN_MESSAGE = "contribution_withdrawn"
#: Shorter pieces would find unrelated text in an email about another story.
MIN_NEEDLE = 12
#: Pieces looked for in tour documents: only long ones, since a title or a short line
#: may well be a stop's own name ("Mercado de la Ribera").
MIN_DOCUMENT_NEEDLE = 40
#: The start of a long text, for copies cut short.
HEAD = 40
_SPACES = re.compile(r"\s+")

# Which pieces to look for where.
DOCUMENTS, MESSAGES, OWN_RECORDS = "documents", "messages", "own records"


def _squeeze(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class Needles:
    """Pieces of one contribution's texts to look for in copies of them.

    ``documents``: the long pieces of its story and transcripts (whole texts, long lines,
    the start of each), for tour documents; ``messages``: every piece of twelve
    characters or more, its title's too, for emails about contributions;
    ``own_records``: every piece, the names in its consent and its contact address too,
    for what is known to be about it (its own audit entries, its decline reason).
    """

    documents: frozenset[str]
    messages: frozenset[str]
    own_records: frozenset[str]

    def found_in(self, text: str, where: str = MESSAGES) -> bool:
        pieces = {
            DOCUMENTS: self.documents,
            MESSAGES: self.messages,
            OWN_RECORDS: self.own_records,
        }[where]
        squeezed = _squeeze(text)
        return any(piece in squeezed for piece in pieces)


def _pieces(text: str) -> set[str]:
    whole = _squeeze(text)
    pieces = {whole}
    for line in text.splitlines():
        pieces.add(_squeeze(line))
    pieces |= {piece[:HEAD].strip() for piece in list(pieces) if len(piece) > HEAD}
    return {piece for piece in pieces if piece}


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def _all_pieces(texts: Iterable[str | None]) -> set[str]:
    return set().union(*(_pieces(text) for text in texts if text))


def needles_of(contribution: Contribution) -> Needles:
    """What to look for: its title, story and transcripts and every edit of them, and
    for its own records the names in its consent and its contact address."""
    bodies: list[str] = [contribution.story, *_texts(contribution.transcript or {})]
    titles: list[str] = [contribution.title]
    for edit in contribution.edits:
        bodies += [edit.story, *_texts(edit.transcript or {})]
        titles.append(edit.title)
    body_pieces, title_pieces = _all_pieces(bodies), _all_pieces(titles)
    documents = {piece for piece in body_pieces if len(piece) >= MIN_DOCUMENT_NEEDLE}
    documents |= {piece for piece in title_pieces if len(piece) >= MIN_DOCUMENT_NEEDLE}
    messages = {p for p in body_pieces | title_pieces if len(p) >= MIN_NEEDLE}
    consent = contribution.consent
    names = [contribution.contact_email]
    if consent is not None:
        names += [consent.credit_name, consent.guardian_name]
    own = {p for p in body_pieces | title_pieces if len(p) >= 2}
    own |= {_squeeze(name) for name in names if name and len(name.strip()) >= 2}
    return Needles(frozenset(documents), frozenset(messages), frozenset(own | messages))


def scrub(value: Any, needles: Needles, placeholder: str, where: str = DOCUMENTS) -> Any:
    """``value`` (JSON) with every string that holds a needle replaced by ``placeholder``."""
    if isinstance(value, str):
        return placeholder if needles.found_in(value, where) else value
    if isinstance(value, Mapping):
        return {k: scrub(v, needles, placeholder, where) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, needles, placeholder, where) for v in value]
    return value


def message_text(message: OutboxMessage) -> str:
    """The subject and every text part of a recorded email, decoded and unescaped."""
    parts = [message.subject or ""]
    if message.raw:
        try:
            parsed = BytesParser(policy=policy.default).parsebytes(message.raw)
            for part in parsed.walk():
                if part.get_content_maintype() == "text":
                    parts.append(_part_text(part))
        except Exception:  # a broken message: its bytes as they are
            parts.append(message.raw.decode("utf-8", "replace"))
    return html.unescape("\n".join(parts))


def _part_text(part: Any) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, ValueError):  # an unknown or lying charset
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def _contribution_messages() -> Any:
    return OutboxMessage.kind.startswith(MESSAGE_PREFIX, autoescape=True)


def shares_contact(db_session: Session, contribution: Contribution, address: str) -> bool:
    """Another contribution not withdrawn has the same contact address."""
    other = db_session.scalar(
        select(Contribution.id)
        .where(
            Contribution.id != contribution.id,
            Contribution.status != WITHDRAWN,
            unicode_lower(Contribution.contact_email) == address.lower(),
        )
        .limit(1)
    )
    return other is not None


def forget_messages(
    db_session: Session,
    contribution: Contribution,
    needles: Needles,
    *,
    contact: str | None,
    about: Callable[[str], bool] | None = None,
) -> list[tuple[int, str]]:
    """Delete the recorded emails about ``contribution``, sent or not; ``(id, kind)`` of each
    (for their development ``.eml`` copies).

    An email is about it when it went to its ``contact`` and no other live contribution
    shares that address, or when its words hold one of ``needles`` or ``about`` (the
    caller's test: a withdrawal link to it) says so.
    """
    sole = contact is not None and not shares_contact(db_session, contribution, contact)
    doomed: list[tuple[int, str]] = []
    for message in db_session.scalars(select(OutboxMessage).where(_contribution_messages())):
        if sole and contact is not None and message.recipient.lower() == contact.lower():
            doomed.append((message.id, message.kind))
            continue
        text = message_text(message)
        if needles.found_in(text, MESSAGES) or (about is not None and about(text)):
            doomed.append((message.id, message.kind))
    if doomed:
        ids = [message_id for message_id, _ in doomed]
        db_session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    return doomed


@dataclass(frozen=True)
class ContactPurge:
    """What ``purge_contacts`` removed."""

    contributions: int  # contact addresses removed
    messages: int
    message_files: list[tuple[int, str]] = field(default_factory=list)  # (id, kind)

    def touched_tables(self) -> list[str]:
        changed = {
            Contribution.__tablename__: self.contributions,
            OutboxMessage.__tablename__: self.messages,
        }
        return [table for table, rows in changed.items() if rows]


def purge_contacts(db_session: Session) -> ContactPurge:
    """Remove the contact address of declined and withdrawn contributions once no email
    to it waits to be sent, then the sent (or failed) emails about contributions to
    addresses no pending or accepted contribution has, confirmations of withdrawals
    included."""
    waiting = {
        recipient.lower()
        for recipient in db_session.scalars(
            select(OutboxMessage.recipient).where(
                _contribution_messages(), OutboxMessage.status.in_((PENDING, SENDING))
            )
        )
    }
    cleared: set[str] = set()
    done = db_session.scalars(
        select(Contribution).where(
            Contribution.status.in_((DECLINED, WITHDRAWN)), Contribution.contact_email.is_not(None)
        )
    )
    removed = 0
    for contribution in done:
        address = (contribution.contact_email or "").lower()
        if address in waiting:
            continue  # its last mail has not left yet
        cleared.add(address)
        contribution.contact_email = None
        removed += 1
    db_session.flush()
    live = {
        address.lower()
        for address in db_session.scalars(
            select(Contribution.contact_email).where(
                Contribution.status.in_((STORY_PENDING, ACCEPTED)),
                Contribution.contact_email.is_not(None),
            )
        )
        if address
    }
    doomed = [
        (message_id, kind)
        for message_id, kind, recipient in db_session.execute(
            select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient).where(
                _contribution_messages(), OutboxMessage.status.in_((SENT, FAILED))
            )
        )
        if recipient.lower() not in live
        and (kind == WITHDRAWN_MESSAGE or recipient.lower() in cleared)
    ]
    if doomed:
        db_session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_([message_id for message_id, _ in doomed]))
            .execution_options(synchronize_session=False)
        )
    return ContactPurge(removed, len(doomed), doomed)
