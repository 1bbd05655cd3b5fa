"""The worker's SMTP transport: one TLS context per process, one connection per run.

Against a real aiosmtpd server (with STARTTLS on a certificate made by ``openssl`` for
the TLS case): the context is built once however many messages go out, a drain sends
them all over one connection, and a connection is dropped after any failure or when
the server closed it, so no message goes out on a connection in an unknown state.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.booking_support import add_departure, drain_mail, store_tour
from tests.mail_support import Inbox, smtp_server
from tours.booking.models import OutboxMessage
from webapp.mail import transport

pytestmark = pytest.mark.usefixtures("seat_invariant")


@pytest.fixture
def departure_id(db_transaction) -> int:
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=40, max_party=8)


@pytest.fixture
def context_builds(monkeypatch) -> list[ssl.SSLContext]:
    """Every TLS context the mail module builds (the process cache emptied first)."""
    built: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counting(*args, **kwargs) -> ssl.SSLContext:
        context = real(*args, **kwargs)
        built.append(context)
        return context

    transport.tls_context.cache_clear()
    monkeypatch.setattr(ssl, "create_default_context", counting)
    yield built
    transport.tls_context.cache_clear()


def book(client, departure_id: int, n: int) -> None:
    body = {"name": f"Booker {n}", "email": f"booker{n}@example.org", "party_size": 1}
    response = client.post(f"/api/sessions/{departure_id}/bookings", json=body)
    assert response.status_code == 201, response.get_json()


def statuses(db_session) -> list[str]:
    with db_session() as s:
        return list(s.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_a_drain_sends_every_message_over_one_connection_without_tls(
    app, client, db_transaction, departure_id, context_builds
):
    for n in range(5):
        book(client, departure_id, n)
    app.config["SMTP_HOST"] = "127.0.0.1"
    with smtp_server() as (inbox, port):
        app.config["SMTP_PORT"] = port
        outcomes = drain_mail(app)
    assert [o.result for o in outcomes] == ["sent"] * 5
    assert len(inbox.messages) == 5 and len(set(inbox.connections)) == 1
    assert context_builds == []  # TLS is off: no context is built at all
    assert statuses(db_transaction) == ["sent"] * 5


def test_a_failure_closes_the_connection_and_the_next_message_opens_another(
    app, client, db_transaction, departure_id
):
    for n in range(3):
        book(client, departure_id, n)
    app.config["SMTP_HOST"] = "127.0.0.1"
    with smtp_server(inbox=Inbox(refuse=("booker1@example.org",))) as (inbox, port):
        app.config["SMTP_PORT"] = port
        outcomes = drain_mail(app)
    assert [o.result for o in outcomes] == ["sent", "failed", "sent"]
    received = [to for _f, to, _m in inbox.messages]
    assert received == [["booker0@example.org"], ["booker2@example.org"]]
    first, second = inbox.connections
    assert first != second  # the refusal ended the first connection
    assert statuses(db_transaction) == ["sent", "failed", "sent"]


def test_a_connection_the_server_closed_is_replaced_before_anything_is_sent(app):
    raw = b"Subject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\nHello.\r\n"
    with smtp_server() as (inbox, port):
        settings = transport.SmtpSettings("127.0.0.1", port, None, None, False, False)
        try:
            transport._send_smtp(settings, "from@example.org", "to@example.org", raw)
            kept = transport._connection.client
            assert kept is not None and kept.sock is not None  # kept open for the next one
            kept.sock.shutdown(socket.SHUT_RDWR)  # as if the server had dropped it while idle
            transport._send_smtp(settings, "from@example.org", "to@example.org", raw)
        finally:
            transport.close_smtp()
    assert len(inbox.messages) == 2 and len(set(inbox.connections)) == 2


def _certificate(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_starttls_builds_the_context_once_for_many_messages(
    app, client, db_transaction, departure_id, tmp_path, monkeypatch
):
    cert, key = _certificate(tmp_path)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    built: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def trusting_the_test_certificate(*args, **kwargs) -> ssl.SSLContext:
        context = real(*args, **kwargs)
        context.load_verify_locations(cafile=str(cert))
        built.append(context)
        return context

    transport.tls_context.cache_clear()
    monkeypatch.setattr(ssl, "create_default_context", trusting_the_test_certificate)
    for n in range(6):
        book(client, departure_id, n)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_STARTTLS=True)
    try:
        with smtp_server(tls_context=server_side, require_starttls=True) as (inbox, port):
            app.config["SMTP_PORT"] = port
            first = drain_mail(app)[:3]
            book(client, departure_id, 99)
            second = drain_mail(app)
    finally:
        transport.tls_context.cache_clear()
    assert [o.result for o in first] == ["sent"] * 3
    assert len(inbox.messages) == 7
    assert len(built) == 1  # one context for seven messages over two connections
    assert len(set(inbox.connections)) == 2  # one per drain
    assert second and all(o.result == "sent" for o in second)
