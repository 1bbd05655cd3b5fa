"""The audio store: recordings kept as sent, their type sniffed from the bytes, their length
measured (mutagen, and the readers of what it cannot read), refused with a reason.

Real recordings from Chromium's MediaRecorder: ``tests/webapp/browser/test_recorder_browser.py``.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest
from mutagen.ogg import OggPage

from tests.audio_support import (
    fragmented_mp4_bytes,
    m4a_bytes,
    mp3_bytes,
    ogg_opus_bytes,
    wav_bytes,
    webm_bytes,
)
from tests.image_support import png_with_text_bomb
from webapp.media import audio as audio_module
from webapp.media.audio import (
    MAX_AUDIO_BYTES,
    MAX_AUDIO_SECONDS,
    AudioError,
    AudioStore,
    StoredAudio,
    audio_key,
    audio_store,
)
from webapp.media.containers import opus_packet_seconds
from webapp.media.store import MediaError

ACCEPTED = [
    ("wav", "audio/wav", lambda: wav_bytes(2.0)),
    ("wav", "audio/wav", lambda: wav_bytes(2.0, rate=48_000, width=2)),
    ("mp3", "audio/mpeg", lambda: mp3_bytes(2.0)),
    ("mp3", "audio/mpeg", lambda: mp3_bytes(2.0, id3=False)),
    ("ogg", "audio/ogg", lambda: ogg_opus_bytes(2.0)),
    ("m4a", "audio/mp4", lambda: m4a_bytes(2.0)),
    ("m4a", "audio/mp4", lambda: fragmented_mp4_bytes(2.0)),
    ("m4a", "audio/mp4", lambda: fragmented_mp4_bytes(2.0, default_durations=True)),
    ("webm", "audio/webm", lambda: webm_bytes(2.0)),
    ("webm", "audio/webm", lambda: webm_bytes(2.0, laced=True)),
]
IDS = [
    "wav-8bit",
    "wav-16bit",
    "mp3-id3",
    "mp3",
    "ogg-opus",
    "m4a-aac",
    "fmp4",
    "fmp4-trex",
    "webm",
    "webm-laced",
]


@pytest.mark.parametrize(("ext", "mime", "make"), ACCEPTED, ids=IDS)
def test_each_format_is_stored_as_sent_with_its_type_and_length(tmp_path, ext, mime, make):
    data = make()
    store = AudioStore(tmp_path / "audio")
    stored = store.add(data)
    assert stored == StoredAudio(
        hashlib.sha256(data).hexdigest()[:32], mime, ext, len(data), stored.duration_seconds
    )
    assert stored.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert store.path(stored.key) == tmp_path / "audio" / f"{stored.key}.{ext}"
    assert store.path(stored.key).read_bytes() == data
    assert stored.reference == f"audio:{stored.key}" and audio_key(stored.reference) == stored.key
    assert not [p for p in (tmp_path / "audio").iterdir() if p.name.startswith(".")]


def test_the_length_is_measured_not_assumed(tmp_path):
    store = AudioStore(tmp_path)
    assert store.add(wav_bytes(7.5)).duration_seconds == 7.5
    assert store.add(ogg_opus_bytes(31.0)).duration_seconds == pytest.approx(31.0, abs=0.01)
    assert store.add(webm_bytes(12.34)).duration_seconds == pytest.approx(12.34, abs=0.01)
    assert store.add(fragmented_mp4_bytes(45.0, fragments=9)).duration_seconds == 45.0
    assert store.add(m4a_bytes(95.0)).duration_seconds == pytest.approx(95.0, abs=0.03)
    assert store.add(mp3_bytes(61.0)).duration_seconds == pytest.approx(61.0, abs=0.1)


def test_the_same_recording_twice_is_stored_once(tmp_path):
    store = AudioStore(tmp_path)
    data = webm_bytes(3.0)
    assert store.add(data) == store.add(data)
    assert [p.name for p in tmp_path.iterdir()] == [f"{store.add(data).key}.webm"]


def test_ten_minutes_are_taken_and_a_second_more_is_not(tmp_path):
    store = AudioStore(tmp_path)
    assert store.add(wav_bytes(MAX_AUDIO_SECONDS, rate=2000, tone=False)).duration_seconds == 600
    with pytest.raises(AudioError) as refused:
        store.add(webm_bytes(MAX_AUDIO_SECONDS + 1))
    assert refused.value.code == "too_long"


def test_an_eleven_minute_recording_is_too_long(tmp_path):
    data = wav_bytes(11 * 60, rate=8000, width=1)
    assert 5_000_000 < len(data) < MAX_AUDIO_BYTES
    with pytest.raises(AudioError) as refused:
        AudioStore(tmp_path).add(data)
    assert refused.value.code == "too_long"
    assert str(refused.value) == (
        "This recording lasts 11.0 minutes; recordings may last at most 10 minutes."
    )
    assert isinstance(refused.value, MediaError) and not list(tmp_path.iterdir())


def test_21_megabytes_are_refused_before_the_file_is_read(tmp_path, monkeypatch):
    def never(data):
        raise AssertionError("a file over the limit was parsed")

    monkeypatch.setattr(audio_module, "_READERS", dict.fromkeys(audio_module._READERS, never))
    for data in (wav_bytes(0.1) + bytes(21 * 1024 * 1024), b"hello " * (21 * 1024 * 1024 // 6)):
        with pytest.raises(AudioError) as refused:
            AudioStore(tmp_path).add(data)
        assert refused.value.code == "too_large"
        assert "recordings may be at most 20 MB." in str(refused.value)
    assert not list(tmp_path.iterdir())


NOT_AUDIO = {
    "text": b"This is my story about the market.\n" * 40,
    "png": png_with_text_bomb("zTXt"),
    "html": b"<!doctype html><script>alert(1)</script>",
    "empty": b"",
    "webm-video": webm_bytes(2.0, video=True),
    "webm-vorbis": webm_bytes(2.0, codec="A_VORBIS"),
    "matroska": webm_bytes(2.0, doc_type="matroska"),
    "mp4-video": m4a_bytes(2.0, video=True),
    "ogg-other": ogg_opus_bytes(2.0).replace(b"OpusHead", b"FLACHead"),
    "adts-aac": bytes([0xFF, 0xF1, 0x50, 0x80]) + bytes(400),
}


@pytest.mark.parametrize("name", NOT_AUDIO)
def test_what_is_not_a_recording_is_refused_whatever_its_name(tmp_path, name):
    with pytest.raises(AudioError) as refused:
        AudioStore(tmp_path).add(NOT_AUDIO[name])
    assert refused.value.code == "not_audio"
    assert "Opus or Vorbis in Ogg, WebM, MP3, M4A (AAC) or WAV" in str(refused.value)
    assert not list(tmp_path.iterdir())


def _cut(data: bytes, fraction: float = 0.6) -> bytes:
    return data[: int(len(data) * fraction)]


def _cut_after_last(data: bytes, marker: bytes, length: int) -> bytes:
    return data[: data.rindex(marker) + length]


UNREADABLE = {
    "wav-cut": _cut(wav_bytes(2.0)),
    "wav-header-only": wav_bytes(2.0)[:44],
    "wav-no-sound": wav_bytes(0.0),
    "ogg-cut": _cut(ogg_opus_bytes(2.0)),
    "ogg-cut-in-a-page-header": _cut_after_last(ogg_opus_bytes(2.0), b"OggS", 10),
    "m4a-cut": _cut(m4a_bytes(2.0)),
    "fmp4-cut": _cut(fragmented_mp4_bytes(2.0)),
    "fmp4-no-fragments": fragmented_mp4_bytes(0.0),
    "webm-cut-in-a-block": webm_bytes(2.0)[:-3],
    "webm-headers-only": _cut(webm_bytes(2.0), 0.1),
    "mp3-tag-only": mp3_bytes(2.0)[:40],
    "mp3-garbage-after-sync": bytes([0xFF, 0xFB]) + b"\x00\x01" * 30,
}


@pytest.mark.parametrize("name", UNREADABLE)
def test_a_cut_or_damaged_recording_is_refused_as_unreadable(tmp_path, name):
    with pytest.raises(AudioError) as refused:
        AudioStore(tmp_path).add(UNREADABLE[name])
    assert refused.value.code == "unreadable"
    assert "record or export it again" in str(refused.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("toc", "seconds"),
    [(0xF8, 0.02), (0x00, 0.01), (0x18, 0.06), (0x78, 0.02), (0x81, 0.0025 * 2), (0xFB, None)],
)
def test_an_opus_packet_says_how_long_it_plays(toc, seconds):
    if seconds is None:  # code 3: the frame count is in the next byte
        assert opus_packet_seconds(bytes([toc, 0x05])) == pytest.approx(0.1)
    else:
        assert opus_packet_seconds(bytes([toc])) == pytest.approx(seconds)


def test_a_deleted_recording_is_gone_from_disk(tmp_path):
    store = AudioStore(tmp_path)
    stored = store.add(ogg_opus_bytes(1.0))
    kept = store.add(wav_bytes(1.0))
    assert store.delete(stored.key) is True
    assert store.path(stored.key) is None and not (tmp_path / f"{stored.key}.ogg").exists()
    assert store.delete(stored.key) is False
    assert store.path(kept.key).read_bytes() == wav_bytes(1.0)
    assert store.delete("../" + kept.key) is False and store.path("../x") is None


def test_the_apps_store_is_in_the_media_folder(app):
    store = audio_store(app)
    assert store.root == Path(app.config["MEDIA_DIR"]) / "audio"


# --- the route ---------------------------------------------------------------------------


@pytest.fixture
def stored(app) -> tuple[StoredAudio, bytes]:
    data = webm_bytes(4.0)
    return audio_store(app).add(data), data


def test_the_route_serves_the_recording_with_immutable_caching(client, stored):
    audio, data = stored
    url = f"/media/audio/{audio.key}.webm"
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.get_data() == data
        assert response.headers["Content-Type"] == "audio/webm"
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.headers["Content-Length"] == str(len(data))
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        cache = response.headers["Cache-Control"]
        assert set(re.split(r",\s*", cache)) == {"public", "max-age=31536000", "immutable"}
        etag = response.headers["ETag"]
        assert etag == f'"{audio.key}"'
    with client.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status_code == 304 and response.get_data() == b""


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=100-", 100, None), ("bytes=-100", -100, None)],
)
def test_the_route_answers_range_requests(client, stored, header, first, last):
    audio, data = stored
    with client.get(f"/media/audio/{audio.key}.webm", headers={"Range": header}) as response:
        assert response.status_code == 206
        start = first if first >= 0 else len(data) + first
        end = last if last is not None else len(data) - 1
        assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
        assert response.get_data() == data[start : end + 1]
        assert response.headers["Content-Length"] == str(end + 1 - start)
        assert "immutable" in response.headers["Cache-Control"]


def test_an_unsatisfiable_range_is_416(client, stored):
    audio, data = stored
    url = f"/media/audio/{audio.key}.webm"
    with client.get(url, headers={"Range": f"bytes={len(data)}-"}) as response:
        assert response.status_code == 416
        assert response.headers["Content-Range"] == f"bytes */{len(data)}"


def test_unknown_keys_and_wrong_extensions_are_404(client, stored):
    audio, _ = stored
    for url in (
        f"/media/audio/{audio.key}.mp3",
        f"/media/audio/{audio.key}.exe",
        f"/media/audio/{'0' * 32}.webm",
        f"/media/audio/{audio.key[:-1]}.webm",
        f"/media/audio/{audio.key}.webm.webm",
        "/media/audio/..%2Fbidean.sqlite3.webm",
    ):
        with client.get(url) as response:
            assert response.status_code == 404, url


def test_a_deleted_recording_is_404_at_once(app, client, stored):
    audio, _ = stored
    url = f"/media/audio/{audio.key}.webm"
    with client.get(url) as response:
        assert response.status_code == 200
    assert audio_store(app).delete(audio.key)
    for headers in ({}, {"Range": "bytes=0-99"}, {"If-None-Match": f'"{audio.key}"'}):
        with client.get(url, headers=headers) as response:
            assert response.status_code == 404


def _ogg_empty_page() -> bytes:
    page = OggPage()
    page.packets, page.serial, page.sequence = [b""], 0x0B1DEA, 99
    return page.write()


FILLED_WITH_NOTHING = {
    # A real beginning, then the smallest valid pieces of the container up to 20 MB.
    "webm-void-elements": (lambda: webm_bytes(1.0), b"\xec\x80"),
    "mp4-free-boxes": (lambda: m4a_bytes(1.0), b"\0\0\0\x08free"),
    "ogg-empty-pages": (lambda: ogg_opus_bytes(1.0), _ogg_empty_page()),
    "wav-empty-chunks": (lambda: wav_bytes(1.0), b"LIST\0\0\0\0"),
}


@pytest.mark.parametrize("name", FILLED_WITH_NOTHING)
def test_a_file_of_millions_of_empty_pieces_is_refused_without_reading_them_all(tmp_path, name):
    make, piece = FILLED_WITH_NOTHING[name]
    start = make()
    data = start + piece * ((MAX_AUDIO_BYTES - len(start)) // len(piece))
    assert MAX_AUDIO_BYTES - 64 < len(data) <= MAX_AUDIO_BYTES
    started = time.perf_counter()
    with pytest.raises(AudioError) as refused:
        AudioStore(tmp_path).add(data)
    assert refused.value.code == "unreadable"
    assert time.perf_counter() - started < 5  # it stops counting; all of them take 20 s


def test_a_long_recording_in_small_pieces_is_still_measured(tmp_path):
    store = AudioStore(tmp_path)
    assert store.add(webm_bytes(599.0, cluster_seconds=0.2)).duration_seconds == 599.0
    assert store.add(ogg_opus_bytes(599.0, packets_per_page=1)).duration_seconds == 599.0
    assert store.add(fragmented_mp4_bytes(599.0, fragments=600)).duration_seconds == 599.0
