"""Messages: composed in the recipient's language and recorded in the outbox.

Every message is written to the ``outbox_messages`` table in the transaction of the
change it tells about (a booking, a cancellation); that transaction is where a request
ends.  The mail worker (``webapp.mail.worker``) composes the messages recorded to compose
later and hands every message to the transport (``webapp.mail.transport``), so neither
a mail server nor an address it refuses can turn a stored booking into an error page.

Links in messages are built from ``PUBLIC_URL`` only, never from the request's ``Host``
header.  Header values (subject, sender name) are kept on one line.

Each feature keeps the templates of the messages it sends (``mail/<kind>.txt`` and
``.html`` in its own ``templates/``); the layout they share, ``mail/_layout.html``, is
this package's, found through the template-only blueprint ``bp``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from tours.booking import outbox
from tours.booking.models import OutboxMessage
from tours.text import single_line
from webapp.common.departure_views import departure_short_date
from webapp.common.i18n import text_direction
from webapp.common.urls import public_url_for

# No routes: it only puts this package's templates (the layout) on the app's loader.
bp = Blueprint("mail", __name__, template_folder="templates")

# Subject of each kind of message (its templates are ``mail/<kind>.txt`` and ``.html``);
# each feature registers the kinds it sends, as booking and the console do.
SUBJECTS: dict[str, Any] = {}


def register_subjects(subjects: Mapping[str, Any]) -> None:
    """Add ``{kind: lazy_gettext(subject with %(placeholders)s)}`` for messages of a feature."""
    SUBJECTS.update(subjects)


# Messages recorded to compose later (``record_later``): kind -> what composes one from
# the database as the worker finds it; the booking feature registers its kinds.
Composer = Callable[[Session, OutboxMessage], EmailMessage]
COMPOSERS: dict[str, Composer] = {}


def register_composer(kinds: Iterable[str], composer: Composer) -> None:
    for kind in kinds:
        COMPOSERS[kind] = composer


class _ReusedHeaderClasses(HeaderRegistry):
    """The standard header registry, but each header's class is made once, not per header.

    ``HeaderRegistry`` builds a fresh class with ``type()`` for every header it parses,
    which was a visible share of composing a message; the classes are stateless.
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            # A race at worst builds the same class twice: harmless.
            cls = self._classes[key] = super().__getitem__(key)
        return cls


# SMTP policy (CRLF, 78-column folding) with the cached header classes: same bytes out.
MAIL_POLICY = SMTP.clone(header_factory=_ReusedHeaderClasses())
UTF8_POLICY = MAIL_POLICY.clone(utf8=True)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str
    params: Mapping[str, str]


def public_domain(config: Mapping[str, Any] | None = None) -> str:
    """The host name in calendar UIDs and Message-IDs: stable whatever host served a request."""
    config = config or current_app.config
    return urlsplit(str(config["PUBLIC_URL"] or "")).hostname or "bidean.invalid"


def sender(config: Mapping[str, Any] | None = None) -> str:
    config = config or current_app.config
    return single_line(str(config["SMTP_SENDER"] or f"Bidean <no-reply@{public_domain(config)}>"))


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for a link in an email: always on ``PUBLIC_URL``, never ``Host``."""
    return public_url_for(endpoint, **values)


def compose(
    kind: str,
    recipient: str,
    language: str,
    context: Mapping[str, Any],
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    """A text + HTML message from ``mail/<kind>.txt`` and ``.html`` in ``language``."""
    with force_locale(language):
        subject_args = dict(context.get("subject_args", {}))
        if "departure" in context:
            subject_args.setdefault("date", departure_short_date(context["departure"].starts_at))
        # A tour title with a line break must not break (or add) a header.
        subject = single_line(str(SUBJECTS[kind] % subject_args))
        page = {"lang": language, "text_dir": text_direction(language), "subject": subject}
        text = render_template(f"mail/{kind}.txt", **page, **context)
        html = render_template(f"mail/{kind}.html", **page, **context)
    # An address with a non-ASCII local part needs SMTPUTF8 (RFC 6531) headers.
    message = EmailMessage(policy=MAIL_POLICY if recipient.isascii() else UTF8_POLICY)
    message["Subject"] = subject
    message["From"] = sender()
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=public_domain())
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for item in attachments:
        message.add_attachment(
            item.content,
            maintype=item.maintype,
            subtype=item.subtype,
            filename=item.filename,
            params=dict(item.params),
        )
    # Set last: set_content() and add_alternative() move Content-* headers into parts.
    message["Content-Language"] = language
    return message


def calendar_attachment(ics: bytes, cancelled: bool = False) -> Attachment:
    method = "CANCEL" if cancelled else "PUBLISH"
    # iCalendar is UTF-8 (RFC 5545); saying so keeps readers from guessing a tour's accents.
    return Attachment(
        "booking.ics", ics, "text", "calendar", {"method": method, "charset": "utf-8"}
    )


def record(db_session: Session, kind: str, message: EmailMessage, departure_id: int | None) -> int:
    """Put ``message`` in the outbox within the caller's transaction; returns its id.

    A message that cannot be written out as bytes is stored ``failed`` with the reason
    instead of failing the booking it belongs to.
    """
    error = None
    try:
        raw = message.as_bytes()
    except (UnicodeError, ValueError, TypeError) as exc:
        raw, error = b"", f"unencodable: {type(exc).__name__}: {exc}"
    row = outbox.record(
        db_session,
        kind=kind,
        recipient=str(message["To"] or ""),
        subject=str(message["Subject"] or ""),
        raw=raw,
        departure_id=departure_id,
        error=error,
    )
    return row.id


def record_later(
    db_session: Session, kind: str, recipient: str, departure_id: int | None, booking_id: int
) -> int:
    """Put a message about a booking in the outbox, to be composed by the mail worker.

    The request that changed the booking only inserts this row (one statement): the
    templates, the calendar file and the MIME encoding cost the worker, not the visitor.
    """
    if kind not in COMPOSERS:
        raise KeyError(f"no composer registered for {kind!r} messages")
    return outbox.record_to_compose(
        db_session, kind=kind, recipient=recipient, departure_id=departure_id, booking_id=booking_id
    )


def compose_recorded(app: Flask, db_session: Session, message: OutboxMessage) -> None:
    """Compose a message recorded with ``record_later`` and store its bytes in the row.

    One that cannot be composed (its booking's data purged, unencodable) is marked
    ``failed`` with the reason, like one that cannot be sent.
    """
    try:
        with app.app_context():
            composed = COMPOSERS[message.kind](db_session, message)
            raw = composed.as_bytes()
    except (LookupError, UnicodeError, ValueError, TypeError) as exc:
        outbox.mark_failed(message, f"not composed: {type(exc).__name__}: {exc}")
        return
    message.raw = raw
    message.subject = str(composed["Subject"] or "")[:255]
