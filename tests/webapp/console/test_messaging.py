"""Messages to a walk's group: once per booker, in their language, logged, limited, audited."""

from __future__ import annotations

import email
import threading
import time
from datetime import timedelta
from email import policy
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from guides import walk_messages as walk
from guides.audit import Actor
from guides.models import AuditEntry, UserAccount, WalkMessage
from tests.booking_support import drain_mail
from tests.mail_support import smtp_server
from tests.webapp.console.support import ADMIN, GUIDE_A, GUIDE_B, build_world, log_in
from tours.booking.bookings import Party, book
from tours.booking.models import Booking, OutboxMessage
from tours.db import utcnow
from webapp.actions import walk_messages as walk_actions
from webapp.common.database import get_db

SPANISH = {"subject-es": "Llueve: traed paraguas", "text-es": "Nos vemos igual a las 11."}
FRENCH = {"subject-fr": "Il pleut : prenez un parapluie", "text-fr": "On se voit quand même."}
ALL_ADDRESSES = (
    "visitor@example.org",
    "marie@example.org",
    "john@example.org",
    "gone@example.org",
    "nomail@example.org",
)


def add_bookers(app, walk_id: int) -> dict[str, int]:
    """A French and an English booker, a cancelled booking and one without an address."""
    ids = {}
    db = get_db(app)
    for key, address, language in (
        ("fr", "marie@example.org", "fr"),
        ("en", "john@example.org", "en"),
        ("cancelled", "gone@example.org", "fr"),
        ("no_mail", "nomail@example.org", "fr"),
    ):
        with db.transaction(write_lock=True) as db_session:
            result = book(db_session, walk_id, Party(f"Booker {key}", address, 1, language))
            ids[key] = result.booking.id
    with db.transaction(write_lock=True) as db_session:
        db_session.get(Booking, ids["cancelled"]).status = "cancelled"
        db_session.get(Booking, ids["no_mail"]).email = None  # taken by phone, say
    return ids


def outbox(app) -> list[OutboxMessage]:
    with get_db(app).transaction() as db_session:
        rows = list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db_session.expunge_all()
        return rows


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def plain_text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def walk_log(app) -> list[WalkMessage]:
    with get_db(app).transaction() as db_session:
        rows = list(db_session.scalars(select(WalkMessage).order_by(WalkMessage.id)))
        db_session.expunge_all()
        return rows


def send(client, walk_id: int, **fields: str):
    return client.post(f"/console/departures/{walk_id}/messages", data=fields)


def assert_one_recipient_each(rows: list[OutboxMessage]) -> None:
    """Each message names its own booker and no other address anywhere in its bytes."""
    for row in rows:
        message = parsed(row.raw)
        assert message.get_all("To") == [row.recipient]
        assert message["Cc"] is None and message["Bcc"] is None
        others = [a for a in ALL_ADDRESSES if a != row.recipient]
        assert not [a for a in others if a.encode() in row.raw], row.recipient


def test_each_booker_gets_it_once_in_their_language(app, client):
    world = build_world(app)  # two Spanish bookings of visitor@example.org
    add_bookers(app, world.walk_a)
    log_in(client, ADMIN)

    response = send(client, world.walk_a, **SPANISH, **FRENCH)

    assert response.status_code == 302
    rows = outbox(app)
    assert sorted(row.recipient for row in rows) == [
        "john@example.org",
        "marie@example.org",
        "visitor@example.org",  # two bookings, one person: one message
    ]
    assert {row.kind for row in rows} == {"walk_message"}
    assert {row.departure_id for row in rows} == {world.walk_a}
    letters = {row.recipient: parsed(row.raw) for row in rows}
    french = letters["marie@example.org"]
    assert "Il pleut : prenez un parapluie" in french["Subject"]
    assert "On se voit quand même." in plain_text(french)
    assert "Nos vemos" not in plain_text(french)
    assert french["Content-Language"] == "fr"
    for address in ("visitor@example.org", "john@example.org"):  # no English text: Spanish
        assert "Llueve: traed paraguas" in letters[address]["Subject"]
        assert "Nos vemos igual a las 11." in plain_text(letters[address])
        assert "On se voit" not in plain_text(letters[address])
    assert_one_recipient_each(rows)

    (logged,) = walk_log(app)
    assert logged.departure_id == world.walk_a and logged.recipients == 3
    assert logged.sender == ADMIN and logged.language == "es"
    assert logged.texts == {"es": "Nos vemos igual a las 11.", "fr": "On se voit quand même."}
    with get_db(app).transaction() as db_session:
        (entry,) = db_session.scalars(
            select(AuditEntry).where(AuditEntry.action == "departure.message")
        )
        assert entry.actor == ADMIN and entry.target == f"departure:{world.walk_a}"
        assert entry.details == {"message": logged.id, "recipients": 3, "languages": ["es", "fr"]}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Llueve: traed paraguas" in page and "on its way to 3 bookings" in page


def test_a_french_booker_gets_the_walk_language_without_a_french_text(app, client):
    world = build_world(app)
    add_bookers(app, world.walk_a)
    log_in(client, ADMIN)
    assert send(client, world.walk_a, **SPANISH).status_code == 302
    (french,) = [parsed(r.raw) for r in outbox(app) if r.recipient == "marie@example.org"]
    assert "Llueve: traed paraguas" in french["Subject"]
    assert "Nos vemos igual a las 11." in plain_text(french)
    # The interface words of the mail are still French: the booker's language.
    assert french["Content-Language"] == "fr"


def test_the_walks_guide_writes_and_other_guides_get_404(app, client):
    world = build_world(app)
    log_in(client, GUIDE_B)
    assert client.get(f"/console/departures/{world.walk_a}/messages").status_code == 404
    assert send(client, world.walk_a, **SPANISH).status_code == 404
    assert outbox(app) == [] and walk_log(app) == []

    client.post("/console/logout")
    log_in(client, GUIDE_A)
    form = client.get(f"/console/departures/{world.walk_a}/messages").get_data(as_text=True)
    assert 'name="subject-es"' in form and 'name="text-es"' in form
    assert send(client, world.walk_a, **SPANISH).status_code == 302
    assert [r.recipient for r in outbox(app)] == ["visitor@example.org"]
    (logged,) = walk_log(app)
    assert logged.sender == GUIDE_A
    # The log shows on the walk's pages to its guide and to coordinators, to nobody else.
    assert "Llueve: traed paraguas" in client.get(f"/console/departures/{world.walk_a}").text
    client.post("/console/logout")
    log_in(client, GUIDE_B)
    assert client.get(f"/console/departures/{world.walk_a}").status_code == 404
    assert "Llueve" not in client.get(f"/console/departures/{world.walk_b}").text
    client.post("/console/logout")
    log_in(client, ADMIN)
    assert "Llueve: traed paraguas" in client.get(f"/console/admin/departures/{world.walk_a}").text


def test_the_form_offers_the_bookers_languages(app, client):
    world = build_world(app)
    add_bookers(app, world.walk_a)
    log_in(client, ADMIN)
    page = client.get(f"/console/departures/{world.walk_a}/messages").text
    # es (the walk's) first, then the languages of the bookers who get it; not the
    # cancelled booking's or the one without an address (both fr, but marie reads fr too).
    assert page.index('name="subject-es"') < page.index('name="subject-fr"')
    assert 'name="subject-en"' in page and 'name="subject-ar"' not in page


@pytest.mark.parametrize(
    ("fields", "field_id", "words"),
    [
        ({"subject-es": "Hola\r\nBcc: all@example.org", "text-es": "x"}, "subject-es", "one line"),
        ({"subject-es": "x" * 151, "text-es": "x"}, "subject-es", "at most 150"),
        ({"subject-es": "Hola", "text-es": "x" * 5001}, "text-es", "at most 5000"),
        ({"subject-es": "Hola", "text-es": ""}, "text-es", "Write the message"),
        ({"subject-es": "", "text-es": "Hola"}, "subject-es", "Write a subject"),
        ({**SPANISH, "subject-fr": "Il pleut"}, "text-fr", "or leave both empty"),
    ],
)
def test_a_bad_message_is_refused_beside_its_field_and_nothing_is_sent(
    app, client, fields, field_id, words
):
    world = build_world(app)
    add_bookers(app, world.walk_a)
    log_in(client, GUIDE_A)
    response = send(client, world.walk_a, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field_id}-error" role="alert"' in page and words in page
    assert f'aria-describedby="{field_id}-error"' in page
    assert outbox(app) == [] and walk_log(app) == []


def test_a_walk_gets_at_most_three_messages_an_hour(app, client):
    world = build_world(app)
    log_in(client, GUIDE_A)
    for n in range(walk.PER_WALK):
        response = send(client, world.walk_a, **{"subject-es": f"Aviso {n}", "text-es": "Hola"})
        assert response.status_code == 302
    response = send(client, world.walk_a, **{"subject-es": "Aviso 4", "text-es": "Hola"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 3000
    page = response.get_data(as_text=True)
    assert 'class="flash error" role="alert"' in page
    assert "3 messages in the last hour, the most allowed" in page
    assert "Aviso 4" in page  # what was written is kept in the form
    assert len(outbox(app)) == walk.PER_WALK and len(walk_log(app)) == walk.PER_WALK
    # Coordinators too: the limit protects the group, whoever writes.
    client.post("/console/logout")
    log_in(client, ADMIN)
    assert send(client, world.walk_a, **{"subject-es": "X", "text-es": "Y"}).status_code == 429


def test_the_same_message_twice_is_sent_once(app, client):
    world = build_world(app)
    log_in(client, GUIDE_A)
    assert send(client, world.walk_a, **SPANISH).status_code == 302
    response = send(client, world.walk_a, **SPANISH)
    assert response.status_code == 429
    assert "already sent to this walk" in response.get_data(as_text=True)
    assert len(outbox(app)) == 1


def test_an_account_sends_at_most_twenty_a_day(app, client):
    world = build_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        account = db_session.scalars(select(UserAccount).where(UserAccount.email == ADMIN)).one()
        for n in range(walk.PER_ACCOUNT):  # on walk B, through the day: walk A's limit is free
            db_session.add(
                WalkMessage(
                    departure_id=world.walk_b,
                    account_id=account.id,
                    sender=ADMIN,
                    language="fr",
                    subjects={"fr": f"n{n}"},
                    texts={"fr": "t"},
                    recipients=1,
                    sent_at=utcnow() - timedelta(hours=23) + timedelta(minutes=n),
                )
            )
    log_in(client, ADMIN)
    response = send(client, world.walk_a, **SPANISH)
    assert response.status_code == 429
    assert "20 messages in the last 24 hours" in response.get_data(as_text=True)
    assert outbox(app) == []
    # Another account (the walk's guide) is not held by the coordinator's count.
    client.post("/console/logout")
    log_in(client, GUIDE_A)
    assert send(client, world.walk_a, **SPANISH).status_code == 302


def test_log_outbox_and_audit_are_one_transaction(app, monkeypatch):
    """A failure while writing the third message leaves no log row, message or record."""
    world = build_world(app)
    add_bookers(app, world.walk_a)
    real = walk_actions.mail.record
    calls = []

    def failing_record(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(walk_actions.mail, "record", failing_record)
    with (
        app.test_request_context(),
        pytest.raises(RuntimeError),
        get_db(app).transaction(write_lock=True) as db_session,
    ):
        walk_actions.message_group(
            db_session, Actor.account(ADMIN), world.walk_a, {"es": "Hola"}, {"es": "Adiós"}
        )
    assert outbox(app) == [] and walk_log(app) == []
    with get_db(app).transaction() as db_session:
        audit_rows = db_session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "departure.message")
        )
        assert audit_rows == 0


def test_a_cancelled_walk_cannot_be_written_to(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    client.post(f"/console/admin/departures/{world.walk_a}/cancel")
    before = len(outbox(app))
    response = send(client, world.walk_a, **SPANISH)
    assert response.status_code == 400
    assert "This walk is cancelled" in response.get_data(as_text=True)
    assert len(outbox(app)) == before and walk_log(app) == []


def test_the_messages_go_out_through_a_real_smtp_server(app, client):
    world = build_world(app)
    add_bookers(app, world.walk_a)
    log_in(client, GUIDE_A)
    assert send(client, world.walk_a, **SPANISH, **FRENCH).status_code == 302
    app.config["SMTP_HOST"] = "127.0.0.1"
    with smtp_server() as (inbox, port):
        app.config["SMTP_PORT"] = port
        outcomes = drain_mail(app)
    assert [o.result for o in outcomes] == ["sent"] * 3
    envelopes = sorted((to, message) for _from, to, message in inbox.messages)
    assert [to for to, _m in envelopes] == [
        ["john@example.org"],
        ["marie@example.org"],
        ["visitor@example.org"],
    ]
    by_address = {to[0]: message for to, message in envelopes}
    assert "On se voit quand même." in plain_text(by_address["marie@example.org"])
    assert "Nos vemos igual a las 11." in plain_text(by_address["john@example.org"])
    for address, message in by_address.items():
        raw = message.as_bytes()
        assert not [a for a in ALL_ADDRESSES if a != address and a.encode() in raw]


def test_the_log_escapes_what_was_written(app, client):
    world = build_world(app)
    log_in(client, GUIDE_A)
    hostile = '<script>window.__xss=1</script>"><img src=x onerror=alert(1)>'
    assert (
        send(client, world.walk_a, **{"subject-es": hostile, "text-es": hostile}).status_code == 302
    )
    for url in (
        f"/console/departures/{world.walk_a}/messages",
        f"/console/departures/{world.walk_a}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "<script>window.__xss" not in page and "<img src=x" not in page
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page


def test_two_senders_at_the_limit_send_one_message(app, monkeypatch):
    """The walk's row is locked while the limit is checked: of two messages racing for
    the last place of the hour, one is sent and the other waits."""
    world = build_world(app)
    with app.test_request_context(), get_db(app).transaction(write_lock=True) as db_session:
        for n in range(walk.PER_WALK - 1):
            walk_actions.message_group(
                db_session, Actor.account(ADMIN), world.walk_a, {"es": f"s{n}"}, {"es": "t"}
            )
    real_check = walk.check_rate

    def slow_check(*args, **kwargs):
        real_check(*args, **kwargs)
        time.sleep(0.3)  # the other sender checks now, unless the row lock holds it back

    monkeypatch.setattr(walk, "check_rate", slow_check)
    outcomes: list[str] = []

    def sender(n: int) -> None:
        try:
            with app.test_request_context(), get_db(app).transaction(write_lock=True) as s:
                walk_actions.message_group(
                    s, Actor.account(GUIDE_A), world.walk_a, {"es": f"race {n}"}, {"es": "t"}
                )
            outcomes.append("sent")
        except walk.MessageLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["limited", "sent"]
    assert len(walk_log(app)) == walk.PER_WALK
