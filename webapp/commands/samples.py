"""The sample Bilbao tours in ``data/routes`` and guides in ``data/guides``, loaded on a
fresh installation, with a few sample departures in the coming weeks.

The tours go through the real importer, exactly as a coordinator's file would: every file
is validated first, and only if all are valid is each stored, one transaction per file.
A broken sample therefore stores nothing, and the next start tries again.  Guides and
departures go through the same functions as ``bidean guides add`` and ``sessions add``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask

from guides.assignment import schedule_with_guide
from guides.profiles import GuideProfile, load_guide_files
from tours.booking.departures import DepartureRequest
from tours.booking.models import Departure
from tours.content.checking.pipeline import ValidationOptions
from tours.content.report import Report
from tours.errors import BideanError
from tours.tour.store import StoredTour, has_any_tour, save_tour
from webapp.commands.media import validate_with_media
from webapp.common.database import get_db
from webapp.media.store import store_for

# (tour, days from today, local hour, language, guide, capacity): walks for a newcomer to book.
SAMPLE_DEPARTURES = (
    ("san-francisco-voices", 4, 11, "es", "youssef", 15),
    ("san-francisco-voices", 6, 11, "fr", "aminata", 12),
    ("san-francisco-voices", 11, 17, "ar", "youssef", 12),
    ("bilbao-la-vieja-crossings", 5, 11, "es", "mariela", 15),
    ("bilbao-la-vieja-crossings", 12, 11, "eu", "ionela", 12),
    ("zabala-kitchens-and-workshops", 7, 17, "es", "mei", 15),
    ("zabala-kitchens-and-workshops", 13, 11, "en", "mei", 12),
)
SAMPLE_ZONE = "Europe/Madrid"


class SampleRoutesInvalid(BideanError):
    """Some sample route files failed validation; ``reports`` says what is wrong in each."""

    def __init__(self, reports: list[Report]) -> None:
        self.reports = reports
        super().__init__("\n".join(report.to_text() for report in reports))


def sample_files(app: Flask) -> list[Path]:
    return sorted(Path(app.config["SAMPLE_ROUTES_DIR"]).glob("*.geojson"))


def has_tours(app: Flask) -> bool:
    with get_db(app).transaction() as db_session:
        return has_any_tour(db_session)


def load_sample_routes(app: Flask) -> list[StoredTour]:
    """Validate and store every sample route file; raises ``SampleRoutesInvalid``."""
    options = ValidationOptions(
        max_bytes=int(float(app.config["MAX_IMPORT_MB"]) * 1024 * 1024),
        stop_distance_m=float(app.config["STOP_DISTANCE_M"]),
    )
    store = store_for(app)  # images beside a sample file are re-encoded into the store
    results = [(path, validate_with_media(path, options, store)) for path in sample_files(app)]
    invalid = [result.report for _, result in results if not result.valid]
    if invalid:
        raise SampleRoutesInvalid(invalid)
    stored = []
    for path, result in results:
        with get_db(app).transaction(write_lock=True) as db_session:
            stored.append(save_tour(db_session, result.tour, source_name=path.name))  # type: ignore[arg-type]
    return stored


def load_sample_guides(app: Flask) -> list[GuideProfile]:
    """Store the guides of ``data/guides`` (one transaction; a broken file stores none)."""
    paths = sorted(Path(app.config["SAMPLE_GUIDES_DIR"]).glob("*.json"))
    with get_db(app).transaction(write_lock=True) as db_session:
        return load_guide_files(db_session, paths)


def schedule_sample_departures(app: Flask, now: datetime | None = None) -> list[Departure]:
    """A few walks in the coming weeks with their guides; skips a tour or guide not stored."""
    zone = ZoneInfo(SAMPLE_ZONE)
    today = (now or datetime.now(zone)).astimezone(zone).date()
    created: list[Departure] = []
    for slug, days, hour, language, guide_id, capacity in SAMPLE_DEPARTURES:
        start = datetime.combine(today + timedelta(days=days), time(hour))
        request = DepartureRequest(slug, start, language, capacity, guide_id=guide_id)
        try:
            with get_db(app).transaction(write_lock=True) as db_session:
                created += schedule_with_guide(db_session, request)
        except BideanError:
            continue  # that tour or guide is not among this installation's samples
    return created


def load_samples_if_empty(app: Flask) -> list[StoredTour]:
    """On first start (no tour stored yet) load the samples; otherwise do nothing."""
    if has_tours(app):
        return []
    stored = load_sample_routes(app)
    load_sample_guides(app)
    if app.config["SAMPLE_DEPARTURES"]:
        schedule_sample_departures(app)
    return stored
