"""``withdraw_contribution``: one transaction; files and caches only after its commit."""

from __future__ import annotations

import pytest

from guides.audit import Actor
from tests.webapp.withdrawal.support import CONTACT, MARKER, build_world, tables_holding
from tours.stories.contributions import ContributionNotFound
from tours.stories.models import WITHDRAWN, Contribution
from webapp.actions.withdrawal import MediaStores, withdraw_contribution
from webapp.common.database import get_db
from webapp.mail import worker
from webapp.media.audio import audio_store
from webapp.media.store import store_for

COORDINATOR = Actor.account("coordinator@example.org")


class Boom(RuntimeError):
    pass


def stores(app) -> MediaStores:
    return MediaStores(images=store_for(app), audio=audio_store(app))


def test_files_go_only_once_the_withdrawal_is_committed(app):
    world = build_world(app)
    with app.app_context():
        with pytest.raises(Boom), get_db(app).transaction(write_lock=True) as db_session:
            result = withdraw_contribution(
                db_session, COORDINATOR, world.public_id, media_stores=stores(app)
            )
            assert result.image_keys == [world.image_key]
            raise Boom  # the transaction fails after the action
        assert not result.committed and result.files_deleted == 0
        assert store_for(app).get(world.image_key) is not None
        assert audio_store(app).path(world.audio_key) is not None
        assert MARKER in tables_holding(app)
        with get_db(app).transaction(write_lock=True) as db_session:
            result = withdraw_contribution(
                db_session, COORDINATOR, world.contribution_id, media_stores=stores(app)
            )
            assert not result.committed and store_for(app).get(world.image_key) is not None
        assert result.committed and result.files_deleted == 2
        assert store_for(app).get(world.image_key) is None
        assert audio_store(app).path(world.audio_key) is None
        with get_db(app).transaction() as db_session:
            assert db_session.get(Contribution, world.contribution_id).status == WITHDRAWN


def test_a_second_withdrawal_writes_no_record_and_no_mail(app):
    world = build_world(app)
    with app.app_context():
        for _ in range(2):
            with get_db(app).transaction(write_lock=True) as db_session:
                result = withdraw_contribution(
                    db_session, COORDINATOR, world.public_id, media_stores=stores(app)
                )
        assert result.already and result.confirmation is None and result.files_deleted == 0
        with pytest.raises(ContributionNotFound), get_db(app).transaction() as db_session:
            withdraw_contribution(db_session, COORDINATOR, "ctb-none", media_stores=stores(app))


def test_a_failing_disk_does_not_undo_the_withdrawal(app, caplog):
    world = build_world(app)

    class Broken:
        def delete(self, key: str) -> bool:
            raise OSError("disk gone")

    with app.app_context(), get_db(app).transaction(write_lock=True) as db_session:
        result = withdraw_contribution(
            db_session,
            COORDINATOR,
            world.public_id,
            media_stores=MediaStores(images=Broken(), audio=Broken()),
        )
    assert result.committed and result.files_deleted == 0
    assert "files not done: OSError" in caplog.text
    assert tables_holding(app) == {}


def test_the_mail_worker_forgets_the_address_once_the_confirmation_left(app):
    world = build_world(app)
    with app.app_context(), get_db(app).transaction(write_lock=True) as db_session:
        result = withdraw_contribution(
            db_session, COORDINATOR, world.public_id, media_stores=stores(app)
        )
    worker.run_periodic(app)  # the confirmation waits: its address stays in the outbox
    in_outbox = {"outbox_messages.recipient", "outbox_messages.raw"}
    assert tables_holding(app, [CONTACT]) == {CONTACT: in_outbox}
    sent = worker.drain(app, [result.confirmation])
    assert [outcome.result for outcome in sent] == [worker.SENT]
    worker.run_periodic(app)
    assert tables_holding(app, [CONTACT]) == {}
