"""``bidean contributions list|show|withdraw`` and the tellers' addresses in ``bidean purge``."""

from __future__ import annotations

import getpass
from pathlib import Path

from sqlalchemy import select

from guides.models import AuditEntry
from tests.webapp.withdrawal.support import (
    CONTACT,
    MARKER,
    NAME,
    SLUG,
    TITLE,
    build_world,
    tables_holding,
)
from tours.booking.models import OutboxMessage
from tours.stories.models import WITHDRAWN, Contribution
from webapp.common.database import get_db
from webapp.media.audio import audio_store
from webapp.media.store import store_for


def test_list_shows_each_contribution_on_a_line(app, runner):
    world = build_world(app)
    listed = runner.invoke(args=["contributions", "list"])
    assert listed.exit_code == 0, listed.output
    header, line = listed.output.strip().splitlines()
    assert header == "id\tpublic id\tstatus\tdate\tlanguage\ttitle"
    fields = line.split("\t")
    assert fields[:3] == [str(world.contribution_id), world.public_id, "accepted"]
    assert (fields[4], fields[5]) == ("es", TITLE)
    pending = runner.invoke(args=["contributions", "list", "--status", "pending"])
    assert pending.output.strip() == "No pending contributions."


def test_show_prints_everything_with_the_consent(app, runner):
    world = build_world(app)
    shown = runner.invoke(args=["contributions", "show", world.public_id])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert f"public id: {world.public_id}" in out and "status: accepted" in out
    assert f"contact: {CONTACT}" in out and f"title: {TITLE}" in out and MARKER in out
    assert f"credit: chosen_name ({NAME})" in out
    assert "may appear in: tour pages, guides' scripts, kits and exports" in out
    assert "licence: CC-BY-4.0" in out and "16 or over: yes" in out
    assert "wording (en, version" in out and "media: 2" in out
    assert f"image media:{world.image_key}" in out and f"audio audio:{world.audio_key}" in out
    assert "edits: 1" in out and "by coordinator@example.org" in out
    by_number = runner.invoke(args=["contributions", "show", str(world.contribution_id)])
    assert by_number.output == out
    for missing in ("ctb-nothinghere", "999", "nonsense"):
        refused = runner.invoke(args=["contributions", "show", missing])
        assert refused.exit_code == 1 and f"No contribution {missing}." in refused.output


def test_withdraw_asks_first_then_withdraws_everywhere(app, runner):
    world = build_world(app)
    declined = runner.invoke(args=["contributions", "withdraw", world.public_id], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert store_for(app).get(world.image_key) is not None
    with get_db(app).transaction() as db_session:
        assert db_session.get(Contribution, world.contribution_id).status != WITHDRAWN

    done = runner.invoke(args=["contributions", "withdraw", world.public_id], input="y\n")

    assert done.exit_code == 0, done.output
    assert f"Withdrew contribution {world.contribution_id} ({world.public_id})." in done.output
    assert f"{SLUG}: v2 published" in done.output
    assert "stops left without a story, now drafts: plaza" in done.output
    assert "Deleted 1 photo and 1 recording (2 files removed from disk)." in done.output
    assert "Deleted 1 email about it from the outbox." in done.output
    assert "Confirmation sent to the teller" in done.output
    assert tables_holding(app) == {}
    assert store_for(app).get(world.image_key) is None
    assert audio_store(app).path(world.audio_key) is None
    with get_db(app).transaction() as db_session:
        entry = db_session.scalars(
            select(AuditEntry).where(AuditEntry.action == "contribution.withdraw")
        ).one()
        assert entry.actor == f"cli:{getpass.getuser()}"
        (message,) = db_session.scalars(select(OutboxMessage)).all()
        assert (message.kind, message.status) == ("contribution_withdrawn", "sent")
    # Without SMTP_HOST the mail is an .eml file in the outbox folder.
    assert len(list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))) == 1

    again = runner.invoke(args=["contributions", "withdraw", "--yes", str(world.contribution_id)])
    assert again.exit_code == 0 and "was already withdrawn on" in again.output


def test_withdraw_yes_needs_no_answer_and_a_teller_without_email_gets_none(app, runner):
    world = build_world(app, email=None)
    done = runner.invoke(args=["contributions", "withdraw", "--yes", world.public_id])
    assert done.exit_code == 0, done.output
    assert "The teller gave no email address: no confirmation sent." in done.output
    assert tables_holding(app) == {}


def test_purge_removes_the_confirmations_address_once_it_was_sent(app, runner):
    world = build_world(app)
    runner.invoke(args=["contributions", "withdraw", "--yes", world.public_id])
    purged = runner.invoke(args=["purge", "--older-than", "90d"])
    assert purged.exit_code == 0, purged.output
    assert "Removed the address of 0 tellers of declined or withdrawn stories;" in purged.output
    assert "deleted 1 email to tellers." in purged.output
    with get_db(app).transaction() as db_session:
        assert db_session.scalars(select(OutboxMessage)).all() == []
    assert list(Path(app.config["OUTBOX_DIR"]).glob("*.eml")) == []
    assert tables_holding(app, [CONTACT]) == {}
