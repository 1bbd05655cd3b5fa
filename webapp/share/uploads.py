"""A proposal's photos and recording: checked, stored before the contribution's
transaction, and removed again when that transaction does not keep them.

Photos go through the media store (``webapp.media.store``: decoded by Pillow within its
size and pixel limits, re-encoded, metadata left behind); the recording through the audio
store (``webapp.media.audio``: type sniffed from the content, at most 20 MB and 10
minutes, nothing transcoded).  Each refusal is said in the visitor's language beside its
field.  The stores name files by their content, so a photo already stored (by a tour, or
by the first send of a form sent twice) is never removed here: only files this request
added and no contribution keeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext

from tours.stories.contributions import StoredMedia
from tours.stories.models import AUDIO, IMAGE
from webapp.media.audio import MAX_AUDIO_BYTES, AudioError, AudioStore, audio_store
from webapp.media.store import MAX_BYTES, MediaError, MediaStore, content_key, store_for
from webapp.share.forms import ShareForm

NAME_SHOWN = 80  # characters of a file's name quoted in a message


def _shown(name: str | None) -> str:
    name = " ".join((name or "").split())
    return name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…"


def photo_problem(name: str) -> str:
    return gettext(
        "“%(name)s” cannot be used as a photo: send a JPEG, PNG, WebP or GIF image of at most"
        " 20 MB and 40 megapixels.",
        name=_shown(name),
    )


def audio_problem(code: str) -> str:
    """What is wrong with a recording (``AudioError.code``), in the visitor's language."""
    if code == "too_large":
        return gettext(
            "The recording is larger than 20 MB: record a shorter one, or send it in a smaller"
            " format (Opus, MP3 or M4A)."
        )
    if code == "too_long":
        return gettext("The recording is longer than 10 minutes: send a shorter one.")
    if code == "not_audio":
        return gettext(
            "This file is not a recording we can take: send Opus/Ogg, WebM, MP3, M4A/AAC or WAV."
        )
    return gettext("This recording cannot be read: it may be damaged. Record or export it again.")


@dataclass
class Stored:
    """What this request stored, in the order the proposal lists it."""

    media: list[StoredMedia] = field(default_factory=list)
    added_images: list[str] = field(default_factory=list)  # keys this request created
    added_audio: list[str] = field(default_factory=list)

    def discard(self, images: MediaStore, audio: AudioStore, keep: Iterable[str] = ()) -> None:
        """Remove the files this request added, except those in ``keep`` (kept by a
        contribution)."""
        kept = set(keep)
        for key in self.added_images:
            if key not in kept:
                images.delete(key)
        for key in self.added_audio:
            if key not in kept:
                audio.delete(key)


@dataclass(frozen=True)
class Stores:
    images: MediaStore
    audio: AudioStore

    @classmethod
    def of_app(cls) -> Stores:
        app: Any = current_app
        return cls(store_for(app), audio_store(app))


def _read(upload: Any, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of an upload: enough to know it is too large."""
    try:
        return upload.read(limit + 1)
    finally:
        upload.close()


def store_uploads(form: ShareForm, stores: Stores) -> Stored | None:
    """Store the form's photos and recording; None (and errors beside the fields, and
    nothing left stored) when one is refused."""
    stored = Stored()
    for upload in form.photo_files():
        data = _read(upload, MAX_BYTES)
        key = content_key(data)
        known = stores.images.get(key) is not None
        try:
            if len(data) > MAX_BYTES:
                raise MediaError("larger than the store takes")
            image = stores.images.add(data, _shown(upload.filename))
        except MediaError:
            form.photos.errors.append(photo_problem(upload.filename))
            continue
        if not known:
            stored.added_images.append(image.key)
        stored.media.append(
            StoredMedia(kind=IMAGE, key=image.key, mime="image/webp", size_bytes=len(data))
        )
    upload = form.audio.data
    if upload and upload.filename:
        data = _read(upload, MAX_AUDIO_BYTES)
        known = stores.audio.path(content_key(data)) is not None
        try:
            recording = None if len(data) > MAX_AUDIO_BYTES else stores.audio.add(data)
        except AudioError as error:
            form.audio.errors.append(audio_problem(error.code))
        else:
            if recording is None:
                form.audio.errors.append(audio_problem("too_large"))
            else:
                if not known:
                    stored.added_audio.append(recording.key)
                stored.media.append(
                    StoredMedia(
                        kind=AUDIO,
                        key=recording.key,
                        mime=recording.mime,
                        size_bytes=recording.size_bytes,
                        duration_seconds=recording.duration_seconds,
                    )
                )
    if form.photos.errors or form.audio.errors:
        stored.discard(stores.images, stores.audio)
        return None
    return stored
