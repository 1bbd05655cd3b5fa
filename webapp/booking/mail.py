"""Email: composed in the recipient's language, recorded in the outbox, sent after commit.

Every message is first written to the ``outbox_messages`` table in the transaction of
the change it tells about (a booking, a cancellation), then sent once that commits.
A send that fails marks the message ``failed``; ``bidean mail retry`` sends it again,
so an SMTP outage never loses a booking or its confirmation.

Transport: SMTP when ``SMTP_HOST`` is set (``SMTP_PORT``, ``SMTP_USER``,
``SMTP_PASSWORD``, ``SMTP_STARTTLS``, ``SMTP_SSL``, ``SMTP_SENDER``, all from
``BIDEAN_SMTP_*``); without it (development) each message is written as an ``.eml``
file to the instance folder's ``outbox/`` and a log line says where.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, lazy_gettext
from sqlalchemy.orm import Session

from tours.booking import outbox
from webapp.common.database import get_db
from webapp.common.departure_views import session_short_date
from webapp.common.i18n import text_direction

SMTP_TIMEOUT_S = 10
SUBJECTS = {
    "confirmation": lazy_gettext("Your booking %(reference)s: %(tour)s"),
    "cancelled": lazy_gettext("Booking %(reference)s cancelled"),
    "session_cancelled": lazy_gettext("Cancelled: %(tour)s on %(date)s"),
    "waitlist_joined": lazy_gettext("You are on the waiting list: %(tour)s"),
    "offer": lazy_gettext("Seats for you: %(tour)s on %(date)s"),
}


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
    return str(config.get("SMTP_SENDER") or f"Bidean <no-reply@{public_domain(config)}>")


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for a link in an email: this request's host, else ``PUBLIC_URL``."""
    if has_request_context() and not current_app.config.get("PUBLIC_URL"):
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(str(current_app.config.get("PUBLIC_URL") or "http://localhost:5000"))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


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
        subject = str(SUBJECTS[kind] % subject_args)
        page = {"lang": language, "text_dir": text_direction(language), "subject": subject}
        text = render_template(f"mail/{kind}.txt", **page, **context)
        html = render_template(f"mail/{kind}.html", **page, **context)
    message = EmailMessage(policy=MAIL_POLICY)
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
    """Put ``message`` in the outbox within the caller's transaction; returns its id."""
    row = outbox.record(
        session,
        kind=kind,
        recipient=str(message["To"]),
        subject=str(message["Subject"]),
        raw=message.as_bytes(),
        departure_id=departure_id,
    )
    return row.id


def _send_smtp(settings: SmtpSettings, from_addr: str, recipient: str, raw: bytes) -> None:
    context = ssl.create_default_context()
    if settings.use_ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=SMTP_TIMEOUT_S, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_S)
    with client:
        if settings.starttls and not settings.use_ssl:
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or "")
        client.sendmail(from_addr, [recipient], raw)


def outbox_dir(app: Flask) -> Path:
    return Path(app.config.get("OUTBOX_DIR") or Path(app.instance_path) / "outbox")


def _write_eml(app: Flask, message_id: int, kind: str, raw: bytes) -> Path:
    folder = outbox_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message_id:08d}-{kind}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(raw)
    tmp.replace(path)
    return path


def _transmit(app: Flask, message_id: int, kind: str, recipient: str, raw: bytes) -> None:
    settings = smtp_settings(app.config)
    if settings is None:
        path = _write_eml(app, message_id, kind, raw)
        # The address stays out of the log: logs are kept longer than bookings.
        app.logger.info("mail %s (%s) written to %s (no SMTP_HOST set)", message_id, kind, path)
        return
    _send_smtp(settings, _envelope_sender(app), recipient, raw)


def _envelope_sender(app: Flask) -> str:
    return parseaddr(sender(app.config))[1]


def deliver(message_ids: Iterable[int], app: Flask | None = None) -> dict[int, str | None]:
    """Send the given outbox messages now; returns each id's error (None when sent).

    Nothing is locked while a message is on the wire, so a slow mail server never holds
    up bookings; at worst a retry running at the same moment sends a message twice.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    db = get_db(app)
    results: dict[int, str | None] = {}
    for message_id in message_ids:
        with db.transaction() as session:
            row = outbox.claim_for_sending(session, message_id)
            if row is None:
                continue
            kind, recipient, raw = row.kind, row.recipient, row.raw
        error: str | None = None
        try:
            _transmit(app, message_id, kind, recipient, raw)
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
            app.logger.warning("mail %s (%s) not sent: %s", message_id, kind, error)
        with db.transaction(write_lock=True) as session:
            row = outbox.claim_for_sending(session, message_id)
            if row is not None:
                outbox.mark(row, error=error)
        results[message_id] = error
    return results


def retry(app: Flask | None = None) -> dict[int, str | None]:
    """Send every pending or failed message again (``bidean mail retry``)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with get_db(app).transaction() as session:
        ids = outbox.unsent(session)
    return deliver(ids, app)
