"""The share form in tests: the sample tours, a proposal as a resident fills it in, its
photo and recording, and what the database and the media folder hold afterwards."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from tests.audio_support import wav_bytes
from tests.webapp.pages_support import store_document
from tours.booking.models import OutboxMessage
from tours.stories.models import Contribution, ContributionConsent, ContributionMedia
from webapp.commands.samples import load_sample_routes
from webapp.common.database import get_db

SLUG = "san-francisco-voices"
STOP = "sf-02"
KEY = "Yx3lS0hZ1d5FPzI3kpgZdPdeM39jr9WE"


def load_tours(app) -> None:
    load_sample_routes(app)


def png_bytes(colour: str = "orange", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def pixel_bomb() -> bytes:
    """A small PNG of 100 megapixels: one colour compresses to almost nothing."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG", optimize=True)
    data = out.getvalue()
    assert len(data) < 200_000
    return data


def form_data(**changes: object) -> dict[str, object]:
    """A resident's story on a stop of the San Francisco walk, with their consent."""
    data: dict[str, object] = {
        "submission_key": KEY,
        "tour": SLUG,
        "stop": STOP,
        "lon": "",
        "lat": "",
        "title": "La tienda de mi madre",
        "story": "Aquí abrió mi madre su primera tienda, en 1998.\n\nVendía telas de Dakar.",
        "language": "es",
        "language_other": "",
        "credit": "first_name",
        "credit_name": "Aminata",
        "tour_pages": "y",
        "guide_scripts": "y",
        "photos_consent": "y",
        "audio_consent": "y",
        "licence": "site-only",
        "age_16_or_over": "y",
        "guardian_name": "",
        "email": "aminata@example.org",
        "website": "",
    }
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def with_media(data: dict[str, object], photos=(), audio: bytes | None = None, name="story.wav"):
    """``data`` with photos (bytes, or (bytes, name)) and a recording, as a browser sends them."""
    sent = dict(data)
    files = []
    for index, photo in enumerate(photos):
        body, filename = photo if isinstance(photo, tuple) else (photo, f"photo-{index}.png")
        files.append((io.BytesIO(body), filename))
    if files:
        sent["photos"] = files
    if audio is not None:
        sent["audio"] = (io.BytesIO(audio), name)
    return sent


def send(client, url: str, data: dict[str, object], **kwargs):
    return client.post(url, data=data, content_type="multipart/form-data", **kwargs)


def a_recording(seconds: float = 3.0) -> bytes:
    return wav_bytes(seconds)


def count(app, model) -> int:
    with get_db(app).transaction() as db_session:
        return db_session.scalar(select(func.count()).select_from(model)) or 0


def nothing_stored(app, files_before: list[Path]) -> bool:
    """No contribution, consent, media row nor mail; no new file in the media folder."""
    models = (Contribution, ContributionConsent, ContributionMedia, OutboxMessage)
    return all(count(app, model) == 0 for model in models) and media_files(app) == files_before


def media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def error_beside(page: str, field: str) -> str:
    """The text of the error shown beside ``field`` (its ``<field>-error`` paragraph)."""
    marker = f'<p class="field-error" id="{field}-error">'
    assert marker in page, f"no error beside {field}"
    return page.split(marker, 1)[1].split("</p>", 1)[0]


def walk_document(slug: str, district: str) -> dict:
    """A two-stop walk through ``district``."""
    route = [[-2.9262, 43.2556], [-2.9236, 43.2541]]

    def stop(ident: str, position: list[float], name: str) -> dict:
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": position},
            "properties": {"id": ident, "name": {"es": name}, "story": {"es": f"Historia {name}."}},
        }

    header = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": route},
        "properties": {
            "profile": "bidean-tour/1",
            "slug": slug,
            "title": {"es": "Paseo de prueba"},
            "summary": {"es": "Un paseo corto."},
            "city": "Bilbao",
            "timezone": "Europe/Madrid",
            "districts": [district],
            "languages": ["es"],
            "licence": "CC-BY-SA-4.0",
        },
    }
    features = [header, stop("uno", route[0], "Primera"), stop("dos", route[1], "Segunda")]
    return {"type": "FeatureCollection", "features": features}


def import_tour_with_district(app, slug: str, district: str) -> None:
    store_document(app, walk_document(slug, district))
