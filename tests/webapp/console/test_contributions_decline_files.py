"""A declined story keeps no photo nor recording: its media rows go in the decline's
transaction and its files once that has committed, except a file another contribution or
a stored tour version still names; the decline email carries none of them, and the
story's page says they were deleted."""

from __future__ import annotations

import io
from email import message_from_bytes
from email.policy import default

import pytest
from PIL import Image
from sqlalchemy import select

from guides.audit import Actor
from tests.tours.tourdoc import tour
from tests.webapp.actions.support import one_transaction
from tests.webapp.console.contribution_support import png_bytes, wav_bytes
from tests.webapp.console.support import ADMIN, build_world, log_in
from tours.booking.models import OutboxMessage
from tours.stories.consent import ConsentChoices
from tours.stories.contributions import ConsentGiven, Proposal, StoredMedia, submit
from tours.stories.models import AUDIO, DECLINED, IMAGE, PENDING, Contribution, ContributionMedia
from tours.tour.store import save_document
from webapp.actions import contributions as actions
from webapp.actions.withdrawal import MediaStores
from webapp.common.database import get_db
from webapp.media.audio import audio_store
from webapp.media.store import store_for

DELETED = "Declined: any photos and recording were deleted."


class Boom(RuntimeError):
    pass


def _photo(app, colour: tuple[int, int, int]) -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return store_for(app).add(out.getvalue(), "photo.png").key


def _add(app, media: list[StoredMedia], email: str | None = "teller@example.org") -> int:
    proposal = Proposal(
        language="es",
        interface_language="en",
        title="La tienda de mi madre",
        story="Mi madre abrió aquí su tienda en 1998.",
        lon=-2.9269,
        lat=43.2561,
        contact_email=email,
        media=media,
    )
    choices = ConsentChoices("anonymous", None, True, True, True, True, True, "CC-BY-4.0", True)
    with get_db(app).transaction(write_lock=True) as db_session:
        found, _ = submit(db_session, proposal, ConsentGiven(choices, "Words.", "en"))
        return found.id


def _image(key: str) -> StoredMedia:
    return StoredMedia(IMAGE, key, "image/webp", 1000)


def _media_rows(app) -> dict[int, set[str]]:
    with get_db(app).transaction() as db_session:
        found: dict[int, set[str]] = {}
        for row in db_session.scalars(select(ContributionMedia)):
            found.setdefault(row.contribution_id, set()).add(row.key)
        return found


def _name_in_a_tour_version(app, key: str) -> None:
    """A stored version of another tour shows the photo (history counts too)."""
    document = tour(slug="otra-ruta")
    document["features"][1]["properties"]["media"] = [{"url": f"media:{key}", "type": "image"}]
    route = document["features"][0]["properties"]
    with get_db(app).transaction(write_lock=True) as db_session:
        save_document(
            db_session,
            document,
            slug="otra-ruta",
            city=route["city"],
            languages=route["languages"],
            title=route["title"],
            source_name="test",
        )


def test_declining_deletes_its_photos_and_recording_but_keeps_what_is_still_named(app, client):
    build_world(app)
    shared, own, in_tour = (
        _photo(app, (200, 0, 0)),
        _photo(app, (0, 200, 0)),
        _photo(app, (0, 0, 9)),
    )
    recording = audio_store(app).add(wav_bytes(1.0))
    declined = _add(
        app,
        [
            _image(shared),
            _image(own),
            _image(in_tour),
            StoredMedia(AUDIO, recording.key, recording.mime, recording.size_bytes, 1.0),
        ],
    )
    other = _add(app, [_image(shared)])  # the same photo, sent by another teller
    _name_in_a_tour_version(app, in_tour)
    assert log_in(client, ADMIN).status_code == 302
    before = client.get(f"/console/contributions/{declined}").get_data(as_text=True)
    assert "<audio" in before and DELETED not in before

    response = client.post(
        f"/console/admin/contributions/{declined}/decline",
        data={"decline-reason": "Outside the district."},
    )

    assert response.status_code == 302
    # The rows: none left for the declined story; the other teller's is untouched.
    assert _media_rows(app) == {other: {shared}}
    # The files: its own photo and its recording are gone from disk and from their URLs.
    assert store_for(app).get(own) is None and audio_store(app).path(recording.key) is None
    assert client.get(f"/media/{own}/64.webp").status_code == 404
    # Still named by another contribution, or by a stored tour version: kept.
    assert store_for(app).get(shared) is not None and store_for(app).get(in_tour) is not None
    served = client.get(f"/media/{shared}/64.webp")
    assert served.status_code == 200
    served.close()
    # The decline email says why, and carries no file nor any link to one.
    with get_db(app).transaction() as db_session:
        (row,) = db_session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "contribution_declined")
        ).all()
        assert db_session.get(Contribution, declined).status == DECLINED
    message = message_from_bytes(row.raw, policy=default)
    assert "Outside the district." in message.get_body(("plain",)).get_content()
    assert list(message.iter_attachments()) == []
    for text in (own, shared, in_tour, recording.key, "/media/"):
        assert text.encode() not in row.raw
    # Its page says the files were deleted, and shows none.
    page = client.get(f"/console/contributions/{declined}").get_data(as_text=True)
    assert DELETED in page and "<audio" not in page and own not in page
    assert DELETED in client.get("/console/contributions").get_data(as_text=True)
    # The other teller's story keeps its photo, on its page too.
    kept = client.get(f"/console/contributions/{other}").get_data(as_text=True)
    assert f"/media/{shared}/" in kept and DELETED not in kept


def test_a_decline_that_does_not_commit_deletes_no_file(app):
    photo = store_for(app).add(png_bytes(), "photo.png").key
    recording = audio_store(app).add(wav_bytes(1.0))
    found = _add(
        app,
        [_image(photo), StoredMedia(AUDIO, recording.key, recording.mime, 1000, 1.0)],
        email=None,
    )
    stores = MediaStores(images=store_for(app), audio=audio_store(app))
    coordinator = Actor.account(ADMIN)
    with pytest.raises(Boom), one_transaction(app) as db_session:
        actions.decline_contribution(db_session, coordinator, found, "No.", media_stores=stores)
        assert _media_rows(app) == {found: {photo, recording.key}}  # not committed yet
        raise Boom
    assert _media_rows(app) == {found: {photo, recording.key}}
    assert store_for(app).get(photo) is not None and audio_store(app).path(recording.key)
    with get_db(app).transaction() as db_session:
        assert db_session.get(Contribution, found).status == PENDING
    # Committed, it deletes them, also when the teller left no email.
    with one_transaction(app) as db_session:
        actions.decline_contribution(db_session, coordinator, found, "No.", media_stores=stores)
        assert store_for(app).get(photo) is not None  # not before the commit
    assert _media_rows(app) == {}
    assert store_for(app).get(photo) is None and audio_store(app).path(recording.key) is None


def test_a_failing_disk_does_not_undo_the_decline(app, caplog):
    photo = store_for(app).add(png_bytes(), "photo.png").key
    found = _add(app, [_image(photo)])

    class Broken:
        def delete(self, key: str) -> bool:
            raise OSError("disk gone")

    stores = MediaStores(images=Broken(), audio=Broken())
    with one_transaction(app) as db_session:
        actions.decline_contribution(
            db_session, Actor.account(ADMIN), found, "No.", media_stores=stores
        )
    assert "files not deleted: OSError" in caplog.text
    assert _media_rows(app) == {}
    with get_db(app).transaction() as db_session:
        assert db_session.get(Contribution, found).status == DECLINED
