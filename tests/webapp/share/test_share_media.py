"""A proposal's photos and recording: each refusal said beside its field, in the visitor's
language, with nothing stored (no row, no file) and the typed text kept."""

from __future__ import annotations

import pytest

from tests.audio_support import mp3_bytes, wav_bytes
from tests.image_support import png_with_text_bomb
from tests.webapp.share.support import (
    SLUG,
    a_recording,
    error_beside,
    form_data,
    load_tours,
    media_files,
    nothing_stored,
    pixel_bomb,
    png_bytes,
    send,
    with_media,
)

URL = f"/tours/{SLUG}/share?lang=en"


def _refused(app, client, data, field: str, message: str, status: int = 422) -> str:
    before = media_files(app)
    response = send(client, URL, data)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in error_beside(page, field)
    assert nothing_stored(app, before)
    assert 'value="La tienda de mi madre"' in page  # the text is still there
    assert "choose your photos and recording again" in page
    return page


def test_a_21_megabyte_recording_is_refused(app, client):
    load_tours(app)
    big = wav_bytes(21 * 1024 * 1024 / 8000 + 1)
    assert len(big) > 21 * 1024 * 1024
    data = with_media(form_data(), photos=[png_bytes()], audio=big)
    _refused(app, client, data, "audio", "The recording is larger than 20 MB")


def test_an_11_minute_recording_is_refused(app, client):
    load_tours(app)
    data = with_media(form_data(), photos=[png_bytes()], audio=wav_bytes(11 * 60))
    _refused(app, client, data, "audio", "The recording is longer than 10 minutes")


def test_a_file_named_mp3_that_is_not_audio_is_refused(app, client):
    load_tours(app)
    fake = b"<html><body>not a recording</body></html>" * 200
    data = with_media(form_data(), audio=fake, name="my-story.mp3")
    _refused(app, client, data, "audio", "This file is not a recording we can take")


def test_a_recording_cut_short_is_refused(app, client):
    load_tours(app)
    data = with_media(form_data(), audio=wav_bytes(3.0)[:60], name="voice.wav")
    _refused(app, client, data, "audio", "This recording cannot be read")


def test_a_recording_is_refused_in_the_visitors_language(app, client):
    load_tours(app)
    data = with_media(form_data(), audio=wav_bytes(11 * 60))
    page = send(client, f"/tours/{SLUG}/share?lang=eu", data).get_data(as_text=True)
    assert error_beside(page, "audio") == (
        "Grabazioak 10 minutu baino gehiago irauten du: bidali laburrago bat."
    )


@pytest.mark.parametrize("bomb", ["zTXt", "iTXt", "pixels", "more pixels"])
def test_an_image_bomb_is_refused_beside_the_photos(app, client, bomb):
    load_tours(app)
    if bomb == "pixels":
        data_bytes = pixel_bomb()
    elif bomb == "more pixels":  # past twice Pillow's limit: its own DecompressionBombError
        data_bytes = pixel_bomb(14_000)
    else:
        data_bytes = png_with_text_bomb(bomb)
    # With a good photo and a good recording: neither is left behind.
    photos = [png_bytes("navy"), (data_bytes, "bomb.png")]
    data = with_media(form_data(), photos=photos, audio=a_recording(2.0))
    page = _refused(app, client, data, "photos", "“bomb.png” cannot be used as a photo")
    assert "40 megapixels" in error_beside(page, "photos")


def test_a_text_file_named_jpg_is_refused(app, client):
    load_tours(app)
    data = with_media(form_data(), photos=[(b"hello, I am a photo", "holiday.jpg")])
    _refused(app, client, data, "photos", "“holiday.jpg” cannot be used as a photo")


def test_six_photos_are_too_many(app, client):
    load_tours(app)
    photos = [png_bytes(colour) for colour in ("red", "blue", "green", "gold", "pink", "gray")]
    data = with_media(form_data(), photos=photos)
    _refused(app, client, data, "photos", "Choose at most 5 photos.")


def test_a_recording_alone_is_a_story(app, client):
    """A teller who records instead of writing: the recording stands for the text."""
    load_tours(app)
    data = with_media(form_data(story=""), audio=mp3_bytes(5.0), name="voice.mp3")
    assert send(client, URL, data).status_code == 303
    page = send(client, URL, form_data(story="", submission_key="z" * 32))
    assert "Write your story, or add a recording of it." in error_beside(
        page.get_data(as_text=True), "story"
    )
