"""Transport: hands a composed message over to SMTP, or to an ``.eml`` file.

SMTP when ``SMTP_HOST`` is set (``SMTP_PORT``, ``SMTP_USER``, ``SMTP_PASSWORD``,
``SMTP_STARTTLS``, ``SMTP_SSL``, ``SMTP_SENDER``, all from ``BIDEAN_SMTP_*``); without
it (development) each message is written as an ``.eml`` file to the instance folder's
``outbox/`` and a log line says where.  A worker thread keeps its SMTP connection open
between messages (``_send_smtp``) and the worker closes it when it has nothing left.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask

from webapp.mail.messages import sender

SMTP_TIMEOUT_S = 10


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    use_ssl: bool


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings | None:
    """The SMTP server to use, or None when mail goes to the development outbox."""
    host, port, use_ssl = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_SSL"]
    if not host:
        return None
    return SmtpSettings(
        host=str(host),
        port=int(port) if port is not None else (465 if use_ssl else 25),
        user=str(config["SMTP_USER"]) if config["SMTP_USER"] else None,
        # str(): settings from Python (a test's) may hold a number; the environment's never do.
        password=str(config["SMTP_PASSWORD"]) if config["SMTP_PASSWORD"] else None,
        starttls=bool(config["SMTP_STARTTLS"]),
        use_ssl=use_ssl,
    )


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
    return Path(app.config["OUTBOX_DIR"])


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
