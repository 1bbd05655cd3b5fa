"""The teller's personal link: what will disappear, then the withdrawal itself, after
which no copy of the story is left in the database, on disk, in any cache or any
public answer (the pages, API, GeoJSON and kit were served, and cached, before)."""

from __future__ import annotations

import re
import uuid
from email import policy
from email.parser import BytesParser

from sqlalchemy import select

from guides.models import AuditEntry
from tests.webapp.withdrawal.support import (
    CONTACT,
    MARKER,
    NAME,
    SLUG,
    TITLE,
    build_world,
    cached_reprs,
    public_copies,
    tables_holding,
)
from tours.booking.models import OutboxMessage
from tours.stories.models import WITHDRAWN, Contribution
from tours.stories.withdrawal import PLACEHOLDER, TODO_CODE
from tours.tour.store import get_document, newest_version, tour_record
from webapp import create_app
from webapp.common.database import get_db
from webapp.media.audio import audio_store
from webapp.media.store import store_for


def _config(database_url: str, tmp_path, **more) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "PUBLIC_URL": "http://localhost",
        **more,
    }


def test_the_page_says_what_will_disappear_in_the_visitors_language(app, client):
    world = build_world(app)
    page = client.get(f"/share/withdraw/{world.token}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Withdraw your story" in html and TITLE in html and world.public_id in html
    assert "Voices" in html  # the tour it is on, by its title
    assert "Its photo is deleted." in html and "Its recording is deleted." in html
    assert 'name="robots" content="noindex"' in html
    french = client.get(f"/share/withdraw/{world.token}?lang=fr").get_data(as_text=True)
    assert "Retirer votre récit" in french
    # Opening the link withdraws nothing: a mail scanner may open it.
    with get_db(app).transaction() as db_session:
        assert db_session.get(Contribution, world.contribution_id).status != WITHDRAWN


def test_withdrawing_leaves_no_copy_anywhere(app, client, database_url, tmp_path):
    world = build_world(app)
    # Another worker of the same site, with caches of its own.
    other = create_app(_config(database_url, tmp_path))
    try:
        other_client = other.test_client()
        for each in (client, other_client):
            before = public_copies(each)
            assert all(MARKER in text for text in before.values()), before.keys()
            assert client.get("/").status_code == 200  # the catalogue's cards too
        assert MARKER in cached_reprs(app) and MARKER in cached_reprs(other)
        held = tables_holding(app)
        assert {"contributions.story", "contribution_edits.story", "tour_versions.document"} <= (
            held[MARKER]
        )
        assert {"outbox_messages.raw", "audit_log.details"} <= held[MARKER]
        assert "contribution_consents.credit_name" in held[NAME]

        done = client.post(f"/share/withdraw/{world.token}?lang=en")

        assert done.status_code == 200
        assert "Your story has been withdrawn." in done.get_data(as_text=True)
        assert tables_holding(app) == {}
        for each in (client, other_client):
            after = public_copies(each)
            for name, text in after.items():
                assert MARKER not in text and NAME not in text, name
        assert MARKER not in cached_reprs(app) and NAME not in cached_reprs(app)
        # The other worker built the new version and dropped every older entry.
        assert MARKER not in cached_reprs(other) and NAME not in cached_reprs(other)
    finally:
        other.extensions["bidean.db"].engine.dispose()
    # Files are gone from disk, and so are their URLs.
    assert store_for(app).get(world.image_key) is None
    assert audio_store(app).path(world.audio_key) is None
    assert client.get(f"/media/{world.image_key}/64.webp").status_code == 404


def test_the_tour_gets_a_new_version_and_its_history_a_placeholder(app, client):
    world = build_world(app)
    client.post(f"/share/withdraw/{world.token}")
    with get_db(app).transaction() as db_session:
        record = tour_record(db_session, SLUG, lock=False)
        assert (record.status, record.current_version) == ("published", 2)
        history = get_document(db_session, SLUG, 1)["features"][1]["properties"]
        assert history["story"] == {"es": PLACEHOLDER}
        assert history["contributions"] == [{"id": world.public_id, "withdrawn": True}]
        current = newest_version(db_session, SLUG, lock=False)
        plaza = current.document["features"][1]["properties"]
        assert plaza["status"] == "draft" and "story" not in plaza and "media" not in plaza
        assert [item["code"] for item in current.todo] == [TODO_CODE]
    page = client.get(f"/tours/{SLUG}?lang=es").get_data(as_text=True)
    assert "Parada plaza" not in page and "Parada cortes" in page  # a draft stop is hidden


def test_the_audit_log_keeps_that_it_happened_not_the_story(app, client):
    world = build_world(app)
    client.post(f"/share/withdraw/{world.token}")
    with get_db(app).transaction() as db_session:
        entries = db_session.scalars(
            select(AuditEntry).where(AuditEntry.target == f"contribution:{world.contribution_id}")
        ).all()
        by_action = {entry.action: entry for entry in entries}
        withdrawn = by_action["contribution.withdraw"]
        assert withdrawn.actor == "public"
        assert withdrawn.details["public_id"] == world.public_id
        assert withdrawn.details["tours"][SLUG]["published"] == 2
        assert withdrawn.details["tours"][SLUG]["emptied_stops"] == ["plaza"]
        assert (withdrawn.details["photos"], withdrawn.details["recordings"]) == (1, 1)
        assert by_action["contribution.edit"].details == {
            "title": PLACEHOLDER,
            "excerpt": PLACEHOLDER,
        }


def test_the_teller_is_told_in_their_language_and_their_address_goes(app, client):
    world = build_world(app)
    client.post(f"/share/withdraw/{world.token}")
    with get_db(app).transaction() as db_session:
        messages = db_session.scalars(select(OutboxMessage)).all()
        assert [(m.kind, m.recipient) for m in messages] == [("contribution_withdrawn", CONTACT)]
        mail = BytesParser(policy=policy.default).parsebytes(messages[0].raw)
        assert mail["Content-Language"] == "ar" and mail["Subject"] == "تم سحب قصتك"
        text = mail.get_body(("plain",)).get_content()
        assert world.public_id in text and "كما طلبت" in text  # its reference, not its words
        contribution = db_session.get(Contribution, world.contribution_id)
        assert contribution.contact_email is None and contribution.status == WITHDRAWN


def test_a_second_post_says_it_was_withdrawn_already(app, client):
    world = build_world(app)
    first = client.post(f"/share/withdraw/{world.token}?lang=en")
    assert "Your story has been withdrawn." in first.get_data(as_text=True)
    again = client.post(f"/share/withdraw/{world.token}?lang=en").get_data(as_text=True)
    assert "This story has already been withdrawn." in again
    opened = client.get(f"/share/withdraw/{world.token}?lang=en").get_data(as_text=True)
    assert "This story has already been withdrawn." in opened and "<form" not in opened
    with get_db(app).transaction() as db_session:
        actions = db_session.scalars(select(AuditEntry.action)).all()
        assert actions.count("contribution.withdraw") == 1


def test_a_bad_link_is_a_clear_404(app, client):
    world = build_world(app)
    for token in ("garbage", world.token[:-3], world.token + "x"):
        response = client.get(f"/share/withdraw/{token}?lang=en")
        assert response.status_code == 404
        assert "This withdrawal link is not valid" in response.get_data(as_text=True)
        assert client.post(f"/share/withdraw/{token}").status_code == 404
    with get_db(app).transaction() as db_session:
        assert db_session.get(Contribution, world.contribution_id).status != WITHDRAWN


def test_a_post_without_its_csrf_token_withdraws_nothing(database_url, tmp_path):
    app = create_app(_config(database_url, tmp_path, WTF_CSRF_ENABLED=True))
    try:
        world = build_world(app)
        client = app.test_client()
        refused = client.post(f"/share/withdraw/{world.token}?lang=en")
        assert refused.status_code == 422
        assert "security check expired" in refused.get_data(as_text=True)
        with get_db(app).transaction() as db_session:
            assert db_session.get(Contribution, world.contribution_id).status != WITHDRAWN
        form = client.get(f"/share/withdraw/{world.token}?lang=en").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]
        sent = client.post(f"/share/withdraw/{world.token}?lang=en", data={"csrf_token": token})
        assert sent.status_code == 200 and "has been withdrawn" in sent.get_data(as_text=True)
    finally:
        app.extensions["bidean.db"].engine.dispose()


def test_withdrawals_are_rate_limited_per_client(database_url, tmp_path):
    app = create_app(
        _config(database_url, tmp_path, RATELIMIT_ENABLED=True, WITHDRAWAL_RATE_LIMIT="2 per hour")
    )
    octets = uuid.uuid4().bytes
    me, other = (f"10.{octets[0]}.{octets[1]}.{octets[2] ^ n}" for n in (0, 1))
    try:
        world = build_world(app)
        client = app.test_client()
        url = f"/share/withdraw/{world.token}"

        def post(address: str):
            return client.post(url, environ_overrides={"REMOTE_ADDR": address})

        assert [post(me).status_code, post(me).status_code] == [200, 200]
        limited = post(me)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
        assert client.get(url, environ_overrides={"REMOTE_ADDR": me}).status_code == 200
        assert post(other).status_code == 200
    finally:
        app.extensions["bidean.db"].engine.dispose()
