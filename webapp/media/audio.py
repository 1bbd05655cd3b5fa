"""Residents' recordings in their own voice: the audio store.

A recording is kept as it came: no transcoding, nothing executed, no service called.
What gets in is decided from its bytes alone, never from the file's name or the type the
browser claims: its container is recognised by its first bytes (Ogg, WebM, MP4, RIFF
WAVE, MP3), its codec checked (Opus or Vorbis in Ogg, Opus in WebM, AAC or Opus in MP4,
PCM in WAV) and its length measured, at most :data:`MAX_AUDIO_BYTES` and
:data:`MAX_AUDIO_SECONDS`.  mutagen measures what it can; ``webapp.media.containers``
reads what it cannot (WebM, which it has no reader for, and the fragmented MP4 browsers
record, whose header it misreads) and checks that a WAV or Ogg file is whole.  A file
that cannot be measured is refused.

The files live under the instance media folder as ``audio/<key>.<ext>``, ``key`` being a
hash of the bytes (the same recording is stored once); a contribution refers to one as
``audio:<key>`` and ``webapp.media.views`` serves it at ``/media/audio/<key>.<ext>``.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import mutagen
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from webapp.media import containers
from webapp.media.store import KEY, MediaError, content_key

if TYPE_CHECKING:
    from flask import Flask

AUDIO_SCHEME = "audio:"
MB = 1024 * 1024
MAX_AUDIO_BYTES = 20 * MB
MAX_AUDIO_SECONDS = 600
# The type each extension is served as; the extension is the sniffed container's.
MIME_TYPES = {
    "ogg": "audio/ogg",
    "webm": "audio/webm",
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
}
WAV_FORMATS = frozenset({1, 3, 0xFFFE})  # PCM, IEEE float, extensible (PCM or float)
ACCEPTED = "Opus or Vorbis in Ogg, WebM, MP3, M4A (AAC) or WAV"
# What a damaged file may make mutagen raise besides its own errors.
_READ_ERRORS = (mutagen.MutagenError, ValueError, IndexError, EOFError, OverflowError)

TOO_LARGE = "too_large"
TOO_LONG = "too_long"
NOT_AUDIO = "not_audio"
UNREADABLE = "unreadable"


class AudioError(MediaError):
    """A recording Bidean cannot take: ``code`` says why, the message what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StoredAudio:
    key: str
    mime: str
    ext: str
    size_bytes: int
    duration_seconds: float

    @property
    def reference(self) -> str:
        """What a contribution's media row and a tour document say to play this recording."""
        return AUDIO_SCHEME + self.key


def audio_key(url: str) -> str | None:
    """The key of an ``audio:<key>`` reference, None for any other URL."""
    if not url.startswith(AUDIO_SCHEME):
        return None
    key = url[len(AUDIO_SCHEME) :]
    return key if KEY.fullmatch(key) else None


def _not_audio() -> AudioError:
    return AudioError(NOT_AUDIO, f"This file is not a recording Bidean takes: use {ACCEPTED}.")


def _unreadable() -> AudioError:
    return AudioError(
        UNREADABLE,
        "This recording is damaged or cut short, or its length cannot be read:"
        " record or export it again.",
    )


def sniff(data: bytes) -> str:
    """The extension of the container ``data`` is, from its first bytes alone."""
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if data[4:8] == b"ftyp":
        return "m4a"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    # An ID3 tag, or an MPEG audio frame's sync word with a layer (ADTS AAC has none).
    if data[:3] == b"ID3" or (
        len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06
    ):
        return "mp3"
    raise _not_audio()


def measure(data: bytes) -> tuple[str, float]:
    """The extension and length in seconds of a recording, or the AudioError refusing it."""
    if len(data) > MAX_AUDIO_BYTES:
        raise AudioError(
            TOO_LARGE,
            f"This recording is {len(data) / MB:.1f} MB; recordings may be at most"
            f" {MAX_AUDIO_BYTES // MB} MB.",
        )
    ext = sniff(data)
    try:
        seconds = _READERS[ext](data)
    except containers.Unsupported:
        raise _not_audio() from None
    except (containers.ContainerError, *_READ_ERRORS):
        raise _unreadable() from None
    if not seconds > 0:
        raise _unreadable()
    if seconds > MAX_AUDIO_SECONDS:
        raise AudioError(
            TOO_LONG,
            f"This recording lasts {seconds / 60:.1f} minutes; recordings may last at most"
            f" {MAX_AUDIO_SECONDS // 60} minutes.",
        )
    return ext, seconds


def _ogg_seconds(data: bytes) -> float:
    containers.check_ogg_pages(data)
    for kind in (OggOpus, OggVorbis):
        try:
            return kind(io.BytesIO(data)).info.length
        except mutagen.MutagenError:
            continue
    raise containers.Unsupported("Ogg holding neither Opus nor Vorbis")


def _mp4_seconds(data: bytes) -> float:
    layout = containers.mp4_layout(data)
    info = MP4(io.BytesIO(data)).info
    if not (info.codec.startswith("mp4a") or info.codec == "Opus"):
        raise containers.Unsupported(f"audio in {info.codec}")
    # A fragmented file's header says nothing true of its length (containers.py says why).
    return layout.fragment_seconds if layout.fragmented else info.length


def _wav_seconds(data: bytes) -> float:
    containers.check_riff(data)
    info = WAVE(io.BytesIO(data)).info
    if info.audio_format not in WAV_FORMATS:
        raise containers.Unsupported(f"WAV format {info.audio_format}")
    return info.length


def _mp3_seconds(data: bytes) -> float:
    return MP3(io.BytesIO(data)).info.length


_READERS = {
    "ogg": _ogg_seconds,
    "webm": containers.webm_seconds,
    "m4a": _mp4_seconds,
    "wav": _wav_seconds,
    "mp3": _mp3_seconds,
}


class AudioStore:
    """Recordings in ``root``, each one file ``<key>.<ext>`` holding the bytes as sent."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def add(self, data: bytes) -> StoredAudio:
        """Check, measure and store a recording; an AudioError says why one is refused."""
        ext, seconds = measure(data)
        key = content_key(data)
        stored = StoredAudio(key, MIME_TYPES[ext], ext, len(data), round(seconds, 3))
        target = self.root / f"{key}.{ext}"
        if target.is_file():
            return stored
        self.root.mkdir(parents=True, exist_ok=True)
        # Written to a temporary file and renamed: a reader never sees half a recording.
        handle, temporary = tempfile.mkstemp(prefix=f".{key}-", dir=self.root)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return stored

    def path(self, key: str) -> Path | None:
        """The stored file of ``key``, None when there is none (never stored, or deleted)."""
        if not KEY.fullmatch(key):
            return None
        for ext in MIME_TYPES:
            candidate = self.root / f"{key}.{ext}"
            if candidate.is_file():
                return candidate
        return None

    def delete(self, key: str) -> bool:
        """Remove the recording of ``key`` from disk; False when there was none."""
        if not KEY.fullmatch(key):
            return False
        removed = False
        for ext in MIME_TYPES:
            try:
                (self.root / f"{key}.{ext}").unlink()
            except FileNotFoundError:
                continue
            removed = True
        return removed


def audio_store(app: Flask) -> AudioStore:
    """The app's recordings: ``audio/`` in the media folder (``BIDEAN_MEDIA_DIR``)."""
    return AudioStore(Path(app.config["MEDIA_DIR"]) / "audio")
