"""What a browser test does around a live server besides driving the browser: run a
``bidean`` command on its database, fetch its answers over plain HTTP, read the mail it
sent to a test SMTP server (``tests.mail_support``), and notice requests leaving it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping

from tests.mail_support import Inbox
from tests.webapp.browser.conftest import LiveServer

MAIL_TIMEOUT_S = 30


def run_bidean(
    server: LiveServer, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> str:
    """Run ``bidean ARGS`` on the server's database (and the folders ``env`` names, as
    the server was given them); fails the test when it fails.  Returns its output."""
    command_env = {
        **os.environ,
        **(env or {}),
        "BIDEAN_DATABASE_URL": f"sqlite:///{server.instance / 'bidean.sqlite3'}",
        "BIDEAN_SECRET_KEY": "browser-tests",
        "BIDEAN_PUBLIC_URL": server.url,
    }
    command = [sys.executable, "-c", "from webapp.cli import main; main()", *args]
    done = subprocess.run(
        command,
        cwd=server.instance.parent,
        env=command_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def http_get(url: str, **headers: str) -> bytes:
    """The body of a 200 answer to a GET without cookies (what anyone gets)."""
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200, url
        return answer.read()


def mail_text(message) -> str:
    """The text parts of an email, decoded."""
    parts = (p for p in message.walk() if p.get_content_maintype() == "text")
    return "\n".join(str(part.get_content()) for part in parts)


def wait_for_mail(inbox: Inbox, address: str, pattern: re.Pattern[str]) -> re.Match[str]:
    """The first match of ``pattern`` in a mail to ``address``, once the server's mail
    worker has sent it (within ``MAIL_TIMEOUT_S``)."""
    deadline = time.monotonic() + MAIL_TIMEOUT_S
    while time.monotonic() < deadline:
        for _sender, recipients, message in list(inbox.messages):
            if address in recipients and (found := pattern.search(mail_text(message))):
                return found
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address} matching {pattern.pattern} came")


def foreign_requests(page, server: LiveServer) -> list[str]:
    """The requests ``page`` makes from now on to any host but the server's."""
    seen: list[str] = []
    local = (server.origin + "/", "blob:", "data:")
    page.on("request", lambda r: None if r.url.startswith(local) else seen.append(r.url))
    return seen
