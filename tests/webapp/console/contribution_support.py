"""Residents' contributions for the tests of the queue, the workshop form and the actions:
one stored as the web form stores it, a facilitator's account, and real small files (a
PNG photo, a WAV recording) for the stores."""

from __future__ import annotations

import io
import json
import struct
import wave
from typing import Any

from PIL import Image
from sqlalchemy import select

from guides.accounts import create_account
from guides.audit import AuditEntry
from tests.webapp.console.support import log_in
from tours.stories.consent import ConsentChoices
from tours.stories.contributions import ConsentGiven, Proposal, StoredMedia, submit
from tours.stories.models import AUDIO, IMAGE, Contribution
from webapp.commands.samples import load_sample_routes
from webapp.common.database import get_db

FACILITATOR = "facilitator@example.org"
PASSWORD = "a walk by the river at noon"
PHOTO_KEY = "a" * 32
RECORDING_KEY = "b" * 32
# A pin in San Francisco, Bilbao, near the sample tour's stops.
PIN = (-2.92690, 43.25610)


def add_facilitator(db_session, email: str = FACILITATOR):
    return create_account(db_session, email, "facilitator", password=PASSWORD)


def facilitator_logged_in(app, client):
    """The sample tours loaded and ``client`` logged in as a facilitator: the client."""
    load_sample_routes(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        add_facilitator(db_session)
    assert log_in(client, FACILITATOR).status_code == 302
    return client


def add_contribution(
    db_session,
    *,
    title: str = "La tienda de mi madre",
    story: str = "Mi madre abrió aquí su tienda en 1998.",
    language: str = "es",
    interface_language: str = "fr",
    pin: tuple[float, float] | None = PIN,
    tour_slug: str | None = None,
    stop_id: str | None = None,
    email: str | None = "teller@example.org",
    credit: str = "first_name",
    credit_name: str | None = "Amina",
    photos: bool = True,
    audio: bool = False,
    licence: str = "CC-BY-4.0",
    with_photo: bool = True,
    with_recording: bool = True,
    transcript: dict[str, str] | None = None,
) -> Contribution:
    """A pending contribution as the web form stores it (media rows without files)."""
    media = []
    if with_photo:
        media.append(StoredMedia(IMAGE, PHOTO_KEY, "image/webp", 1000))
    if with_recording:
        media.append(StoredMedia(AUDIO, RECORDING_KEY, "audio/ogg", 2000, 12.5))
    proposal = Proposal(
        language=language,
        interface_language=interface_language,
        title=title,
        story=story,
        tour_slug=tour_slug,
        stop_id=stop_id,
        lon=pin[0] if pin else None,
        lat=pin[1] if pin else None,
        contact_email=email,
        media=media,
    )
    choices = ConsentChoices(
        credit=credit,
        credit_name=credit_name,
        tour_pages=True,
        guide_scripts=True,
        kits=licence != "site-only",
        photos=photos,
        audio=audio,
        licence=licence,
        age_16_or_over=True,
    )
    consent = ConsentGiven(choices, wording="Your story is credited.", wording_language="fr")
    found, _ = submit(db_session, proposal, consent)
    if transcript:
        found.transcript = dict(transcript)
        db_session.flush()
    return found


def stop_of(document: dict[str, Any], stop_id: str) -> dict[str, Any]:
    for feature in document["features"]:
        if feature["geometry"]["type"] == "Point" and feature["properties"]["id"] == stop_id:
            return feature
    raise KeyError(stop_id)


def audit_of(db_session, target: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = db_session.scalars(
        select(AuditEntry).where(AuditEntry.target == target).order_by(AuditEntry.id)
    )
    return [(e.actor, e.action, e.details) for e in rows]


def details_text(db_session) -> str:
    """Every audit record's details, as one JSON text to search for words."""
    rows = db_session.scalars(select(AuditEntry))
    return json.dumps([e.details for e in rows], ensure_ascii=False)


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def wav_bytes(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short PCM WAV recording: a tone, mono, 16 bits."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        frames = int(seconds * rate)
        sound.writeframes(
            b"".join(struct.pack("<h", 3000 if (i // 20) % 2 else -3000) for i in range(frames))
        )
    return out.getvalue()
