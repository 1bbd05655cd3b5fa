"""A TCP proxy in front of PostgreSQL that loses the reply of some booking COMMITs.

The fault of issue #22: the server commits, and the connection drops before its reply
reaches the application (a proxy, a NAT or a load balancer that cuts exactly then).
The proxy reads the client's side of the PostgreSQL protocol (version 3, no TLS: give
the client ``sslmode=disable``) far enough to know which statements a transaction ran
and when it sends ``COMMIT``.  The COMMIT of every ``every``-th transaction that took
seats (ran the seat rule's ``UPDATE departures SET seats_taken``) is passed on, and
the server's reply to it is dropped with both sockets: the booking is stored, the
application hears only that the connection closed.  A transaction that finds its key's
booking again takes no seats, so the look-up after a lost reply is never dropped.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104
_TAKES_SEATS = b"UPDATE departures SET seats_taken"


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class CommitReplyDropper:
    """Listens on 127.0.0.1 (``port``) and forwards to ``upstream``; ``dropped`` counts."""

    def __init__(self, upstream: tuple[str, int], every: int) -> None:
        self.upstream = upstream
        self.every = every
        self.dropped = 0
        self._seat_commits = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = False

    def start(self) -> None:
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            _Link(self, client, server).start()

    def drop_this_commit(self) -> bool:
        """Whether to lose the reply of this seat-taking transaction's COMMIT."""
        with self._lock:
            self._seat_commits += 1
            if self.every and self._seat_commits % self.every == 0:
                self.dropped += 1
                return True
            return False


class _Link:
    """One client connection: two pumps, the client's side parsed message by message."""

    def __init__(self, proxy: CommitReplyDropper, client: socket.socket, server: socket.socket):
        self.proxy = proxy
        self.client = client
        self.server = server
        self.drop_reply = threading.Event()
        self.statements: dict[bytes, bytes] = {}  # prepared statement name -> its text
        self.takes_seats = False

    def start(self) -> None:
        threading.Thread(target=self._from_client, daemon=True).start()
        threading.Thread(target=self._from_server, daemon=True).start()

    def _close(self) -> None:
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _from_server(self) -> None:
        try:
            while data := self.server.recv(65536):
                if self.drop_reply.is_set():  # the reply to the COMMIT: lose it
                    break
                self.client.sendall(data)
        except OSError:
            pass
        self._close()

    def _from_client(self) -> None:
        try:
            while True:  # untyped start-up packets: SSL/GSS requests, then the start-up
                head = _read_exactly(self.client, 8)
                length, code = struct.unpack("!ii", head)
                self.server.sendall(head + _read_exactly(self.client, length - 8))
                if code not in (_SSL_REQUEST, _GSSENC_REQUEST):
                    break
            while True:
                kind = _read_exactly(self.client, 1)
                raw_length = _read_exactly(self.client, 4)
                body = _read_exactly(self.client, struct.unpack("!i", raw_length)[0] - 4)
                self._note(kind, body)
                self.server.sendall(kind + raw_length + body)
        except OSError:
            pass
        self._close()

    def _note(self, kind: bytes, body: bytes) -> None:
        """Follow the transaction; before its COMMIT goes on, decide to lose the reply."""
        text = b""
        if kind == b"Q":
            text = body.rstrip(b"\0").strip()
        elif kind == b"P":  # Parse: name, text
            name, text = body.split(b"\0", 2)[:2]
            self.statements[name] = text
        elif kind == b"B":  # Bind: portal, statement name
            text = self.statements.get(body.split(b"\0", 2)[1], b"")
        if _TAKES_SEATS in text:
            self.takes_seats = True
        if text.upper() in (b"COMMIT", b"ROLLBACK"):
            if text.upper() == b"COMMIT" and self.takes_seats and self.proxy.drop_this_commit():
                self.drop_reply.set()
            self.takes_seats = False
