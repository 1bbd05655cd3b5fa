"""A world with one resident's story on a published tour (photo, recording, edits, a
receipt in the outbox, an audit entry quoting it), and a search of every table, cache
and response for its unique marker (the searching itself: ``tests.marker_search``)."""

from __future__ import annotations

import copy
import io
import json
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import Flask
from PIL import Image

from guides import audit
from guides.audit import Actor
from tests.marker_search import rows_holding, zip_texts
from tests.tours.tourdoc import tour
from tours.stories.consent import CREDIT_CHOSEN_NAME, LICENCE_CC_BY, ConsentChoices
from tours.stories.contributions import ConsentGiven, Proposal, StoredMedia, submit
from tours.stories.document import mark
from tours.stories.models import ACCEPTED, AUDIO, IMAGE, ContributionEdit
from tours.tour.store import save_document
from webapp.actions.links import withdrawal_token
from webapp.common.bytecache import byte_cache
from webapp.common.database import get_db
from webapp.mail import messages as mail
from webapp.media.audio import audio_store
from webapp.media.store import store_for

MARKER = "zq7-marcador-ñandú"
NAME = "Zuleikha-q9w"  # the credit name the teller chose: a marker too
STORY = f"Mi abuela abrió la tienda en 1972. {MARKER} Todavía huele a café."
TITLE = f"La tienda {MARKER}"
TRANSCRIPT = f"Transcripción {MARKER}: mi abuela abrió la tienda en 1972."
SLUG = "san-francisco-voices"
CONTACT = "teller@example.org"
MARKERS = (MARKER, NAME)


@dataclass(frozen=True)
class World:
    contribution_id: int
    public_id: str
    token: str
    image_key: str
    audio_key: str
    receipt_id: int


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "PNG")
    return out.getvalue()


def wav(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x01" * int(8000 * seconds))
    return out.getvalue()


def document(public_id: str, image_key: str, audio_key: str) -> dict[str, Any]:
    """The test tour with the story (Spanish), its photo and recording on stop "plaza"."""
    result = tour()
    props = result["features"][1]["properties"]
    props["story"] = {"es": STORY}
    props["media"] = [
        {
            "url": f"media:{image_key}",
            "type": "image",
            "contribution": public_id,
            "alt": {"es": f"La tienda en 1972 {MARKER}"},
        },
        {
            "url": f"audio:{audio_key}",
            "type": "audio",
            "contribution": public_id,
            "transcript": {"es": TRANSCRIPT},
        },
    ]
    return mark(result, "plaza", public_id, ["story.es"], credit=NAME, neighbourhood="SF")


def build_world(app: Flask, *, email: str | None = CONTACT) -> World:
    image = store_for(app).add(png(), "photo.png")
    recording = audio_store(app).add(wav())
    proposal = Proposal(
        language="es",
        interface_language="ar",
        title=TITLE,
        story=STORY,
        tour_slug=SLUG,
        stop_id="plaza",
        lon=-2.925,
        lat=43.254,
        contact_email=email,
        media=(
            StoredMedia(IMAGE, image.key, "image/webp", 1000),
            StoredMedia(
                AUDIO,
                recording.key,
                recording.mime,
                recording.size_bytes,
                recording.duration_seconds,
            ),
        ),
    )
    choices = ConsentChoices(
        credit=CREDIT_CHOSEN_NAME,
        credit_name=NAME,
        tour_pages=True,
        guide_scripts=True,
        kits=True,
        photos=True,
        audio=True,
        licence=LICENCE_CC_BY,
        age_16_or_over=True,
    )
    given = ConsentGiven(choices, f"Your story is credited to “{NAME}”.", "en")
    with app.app_context(), get_db(app).transaction() as db_session:
        contribution, _ = submit(db_session, proposal, given)
        contribution.status = ACCEPTED
        contribution.transcript = {"es": TRANSCRIPT}
        contribution.accepted_tour, contribution.accepted_stop = SLUG, "plaza"
        contribution.edits.append(
            ContributionEdit(actor="coordinator@example.org", title=TITLE, story=STORY)
        )
        public_id = contribution.public_id
        doc = document(public_id, image.key, recording.key)
        route = doc["features"][0]["properties"]
        save_document(
            db_session,
            copy.deepcopy(doc),
            slug=SLUG,
            city=route["city"],
            languages=route["languages"],
            title=route["title"],
            source_name="test",
        )
        token = withdrawal_token(public_id)
        receipt_id = _receipt(db_session, public_id, token, email)
        audit.record(
            db_session,
            Actor.account("coordinator@example.org"),
            "contribution.edit",
            f"contribution:{contribution.id}",
            title=TITLE,
            excerpt=STORY[:50],
        )
        return World(contribution.id, public_id, token, image.key, recording.key, receipt_id)


def _receipt(db_session, public_id: str, token: str, email: str | None) -> int:
    """What the share form's receipt holds: the story and the withdrawal link (base64)."""
    message = EmailMessage()
    message["Subject"] = "We received your story"
    message["To"] = email or "coordinator@example.org"
    link = mail.external_url("withdrawal.confirm", token=token)
    message.set_content(f"«{TITLE}»\n\n{STORY}\n\nWithdraw it: {link}\n", cte="base64")
    return mail.record(db_session, "contribution_receipt", message, None)


# -- searching for the marker -----------------------------------------------------------


def tables_holding(app: Flask, markers: Iterable[str] = MARKERS) -> dict[str, set[str]]:
    """Every table of the database, every column of every row: where each marker is."""
    return rows_holding(get_db(app).engine, markers)


def kit_text(body: bytes) -> str:
    return "\n".join(zip_texts(body).values())


def public_copies(client) -> dict[str, str]:
    """The tour as the public gets it: page, API, GeoJSON, kit (each its text)."""
    responses = {
        "page": client.get(f"/tours/{SLUG}?lang=es"),
        "api": client.get(f"/api/tours/{SLUG}", headers={"Accept-Language": "es"}),
        "geojson": client.get(f"/api/tours/{SLUG}.geojson"),
        "kit": client.get(f"/tours/{SLUG}/kit.zip"),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
    # No copy kept downstream without asking again: a withdrawal must reach it at once.
    assert responses["kit"].headers["Cache-Control"] == "public, no-cache"
    assert responses["page"].headers["Cache-Control"] == "private, no-cache"
    texts = {"page": responses["page"].get_data(as_text=True)}
    for name in ("api", "geojson"):  # JSON escapes what is not ASCII: read it back
        texts[name] = json.dumps(json.loads(responses[name].get_data()), ensure_ascii=False)
    texts["kit"] = kit_text(responses["kit"].get_data())
    return texts


def cached_reprs(app: Flask) -> str:
    """Everything this worker's byte-bounded LRU holds, as text."""
    lru = byte_cache(app)
    return "\n".join(repr(value) for value, _ in list(lru._items.values()))
