"""Email: composed in the recipient's language, recorded in the outbox, sent by a worker.

Every message is written to the ``outbox_messages`` table in the transaction of the
change it tells about (a booking, a cancellation); that transaction is where a request
ends.  A mail worker (``webapp.common.mailworker``: ``bidean mail worker``, or the
thread ``bidean serve`` runs) sends it afterwards, so neither a mail server nor an
address it refuses can turn a stored booking into an error page.

Links in messages are built from ``PUBLIC_URL`` only, never from the request's ``Host``
header.  Header values (subject, sender name) are kept on one line.

Transport: SMTP when ``SMTP_HOST`` is set (``SMTP_PORT``, ``SMTP_USER``,
``SMTP_PASSWORD``, ``SMTP_STARTTLS``, ``SMTP_SSL``, ``SMTP_SENDER``, all from
``BIDEAN_SMTP_*``); without it (development) each message is written as an ``.eml``
file to the instance folder's ``outbox/`` and a log line says where.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from tours.booking import outbox
from tours.booking.models import OutboxMessage
from tours.text import single_line
from webapp.common.departure_views import session_short_date
from webapp.common.i18n import text_direction
from webapp.common.urls import public_url_for

SMTP_TIMEOUT_S = 10
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
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    use_ssl: bool


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str
    params: Mapping[str, str]


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings | None:
    """The SMTP server to use, or None when mail goes to the development outbox."""
    host = config.get("SMTP_HOST")
    if not host:
        return None
    use_ssl = bool(config.get("SMTP_SSL", False))
    return SmtpSettings(
        host=str(host),
        port=int(config.get("SMTP_PORT") or (465 if use_ssl else 25)),
        user=str(config["SMTP_USER"]) if config.get("SMTP_USER") else None,
        # The environment parser turns a numeric password into a number: undo that.
        password=str(config["SMTP_PASSWORD"]) if config.get("SMTP_PASSWORD") else None,
        starttls=bool(config.get("SMTP_STARTTLS", False)),
        use_ssl=use_ssl,
    )


def public_domain(config: Mapping[str, Any] | None = None) -> str:
    """The host name in calendar UIDs and Message-IDs: stable whatever host served a request."""
    config = config or current_app.config
    return urlsplit(str(config.get("PUBLIC_URL") or "")).hostname or "bidean.invalid"


def sender(config: Mapping[str, Any] | None = None) -> str:
    config = config or current_app.config
    return single_line(
        str(config.get("SMTP_SENDER") or f"Bidean <no-reply@{public_domain(config)}>")
    )


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
        if "session" in context:
            subject_args.setdefault("date", session_short_date(context["session"].starts_at))
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
    return Attachment("booking.ics", ics, "text", "calendar", {"method": method})


def record(session: Session, kind: str, message: EmailMessage, departure_id: int | None) -> int:
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
        session,
        kind=kind,
        recipient=str(message["To"] or ""),
        subject=str(message["Subject"] or ""),
        raw=raw,
        departure_id=departure_id,
        error=error,
    )
    return row.id


def record_later(
    session: Session, kind: str, recipient: str, departure_id: int | None, booking_id: int
) -> int:
    """Put a message about a booking in the outbox, to be composed by the mail worker.

    The request that changed the booking only inserts this row (one statement): the
    templates, the calendar file and the MIME encoding cost the worker, not the visitor.
    """
    if kind not in COMPOSERS:
        raise KeyError(f"no composer registered for {kind!r} messages")
    return outbox.record_to_compose(
        session, kind=kind, recipient=recipient, departure_id=departure_id, booking_id=booking_id
    )


def compose_recorded(app: Flask, session: Session, message: OutboxMessage) -> None:
    """Compose a message recorded with ``record_later`` and store its bytes in the row.

    One that cannot be composed (its booking's data purged, unencodable) is marked
    ``failed`` with the reason, like one that cannot be sent.
    """
    try:
        with app.app_context():
            composed = COMPOSERS[message.kind](session, message)
            raw = composed.as_bytes()
    except (LookupError, UnicodeError, ValueError, TypeError) as exc:
        outbox.mark_failed(message, f"not composed: {type(exc).__name__}: {exc}")
        return
    message.raw = raw
    message.subject = str(composed["Subject"] or "")[:255]


class PermanentFailure(Exception):
    """The message can never be sent as it is (refused recipient, no SMTPUTF8, ...)."""


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The TLS context for SMTP, built once per process (it loads the system CA store).

    Only a connection that uses TLS (``SMTP_SSL`` or ``SMTP_STARTTLS``) asks for it.
    """
    return ssl.create_default_context()


# A worker thread keeps its SMTP connection open between messages, for this long idle
# (servers must wait at least 5 minutes before closing an idle one, RFC 5321 4.5.3.2).
SMTP_IDLE_S = 30.0


class _Connection(threading.local):
    settings: SmtpSettings | None = None
    client: smtplib.SMTP | None = None
    last_used: float = 0.0


_connection = _Connection()


def _open_smtp(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.use_ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=SMTP_TIMEOUT_S, context=tls_context()
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_S)
    try:
        if settings.starttls and not settings.use_ssl:
            client.starttls(context=tls_context())
        if settings.user:
            client.login(settings.user, settings.password or "")
        client.ehlo_or_helo_if_needed()
    except BaseException:
        client.close()
        raise
    return client


def close_smtp() -> None:
    """Close this thread's SMTP connection, if it has one (QUIT, then the socket)."""
    client, _connection.client, _connection.settings = _connection.client, None, None
    if client is not None:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def _reusable(settings: SmtpSettings) -> smtplib.SMTP | None:
    client = _connection.client
    if client is None:
        return None
    if _connection.settings != settings or time.monotonic() - _connection.last_used > SMTP_IDLE_S:
        close_smtp()
        return None
    return client


def _send_smtp(settings: SmtpSettings, from_addr: str, recipient: str, raw: bytes) -> None:
    """Send one message, on this thread's open connection when there is one.

    A reused connection that turns out closed before the server accepted anything (the
    ``MAIL FROM`` fails with a disconnect) is replaced once; any other failure closes it,
    so the next message starts on a clean connection whatever state this one was left in.
    """
    client = _reusable(settings)
    fresh = client is None
    if client is None:
        client = _open_smtp(settings)
    try:
        try:
            options = _mail_options(client, recipient, raw)
            code, answer = client.mail(from_addr, options)
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            if fresh:
                raise
            client.close()
            client = _open_smtp(settings)
            options = _mail_options(client, recipient, raw)
            code, answer = client.mail(from_addr, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, answer, from_addr)
        code, answer = client.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})
        code, answer = client.data(raw)
        if code != 250:
            raise smtplib.SMTPDataError(code, answer)
    except BaseException:
        _connection.client = client
        close_smtp()
        raise
    _connection.client, _connection.settings = client, settings
    _connection.last_used = time.monotonic()


def _mail_options(client: smtplib.SMTP, recipient: str, raw: bytes) -> list[str]:
    if recipient.isascii() and raw.isascii():
        return []
    if not recipient.isascii() and not client.has_extn("smtputf8"):
        raise PermanentFailure(
            "the address has non-ASCII characters and the mail server does not offer SMTPUTF8"
        )
    return ["SMTPUTF8"] if client.has_extn("smtputf8") else []


def outbox_dir(app: Flask) -> Path:
    return Path(app.config.get("OUTBOX_DIR") or Path(app.instance_path) / "outbox")


def eml_path(app: Flask, message_id: int, kind: str) -> Path:
    return outbox_dir(app) / f"{message_id:08d}-{kind}.eml"


def _write_eml(app: Flask, message_id: int, kind: str, raw: bytes) -> Path:
    path = eml_path(app, message_id, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(raw)
    tmp.replace(path)
    return path


def forget_files(app: Flask, messages: Iterable[tuple[int, str]]) -> int:
    """Delete the development ``.eml`` files of these ``(id, kind)`` messages (purge)."""
    removed = 0
    for message_id, kind in messages:
        try:
            eml_path(app, message_id, kind).unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed


def transmit(app: Flask, message_id: int, kind: str, recipient: str, raw: bytes) -> None:
    """Hand one message over: SMTP, or an ``.eml`` file without ``SMTP_HOST``."""
    settings = smtp_settings(app.config)
    if settings is None:
        path = _write_eml(app, message_id, kind, raw)
        # The address stays out of the log: logs are kept longer than bookings.
        app.logger.info("mail %s (%s) written to %s (no SMTP_HOST set)", message_id, kind, path)
        return
    _send_smtp(settings, _envelope_sender(app), recipient, raw)


def _envelope_sender(app: Flask) -> str:
    return parseaddr(sender(app.config))[1]


def wake(app: Flask | None = None) -> None:
    """Tell an in-process mail worker (``bidean serve``) that messages are waiting."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    event = app.extensions.get(WAKE_EVENT)
    if isinstance(event, threading.Event):
        event.set()


WAKE_EVENT = "bidean.mail.wake"
