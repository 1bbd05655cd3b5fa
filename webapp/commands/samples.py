"""The sample Bilbao tours in ``data/routes``, loaded on a fresh installation.

They go through the real importer, exactly as a coordinator's file would: every file
is validated first, and only if all are valid is each stored, one transaction per file.
A broken sample therefore stores nothing, and the next start tries again.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tours.content.importer import ValidationOptions
from tours.content.report import Report
from tours.errors import BideanError
from tours.tour.store import StoredTour, current_versions, save_tour
from webapp.commands.media import validate_with_media
from webapp.common.config import sample_routes_dir
from webapp.common.database import get_db
from webapp.common.media import store_for


class SampleRoutesInvalid(BideanError):
    """Some sample route files failed validation; ``reports`` says what is wrong in each."""

    def __init__(self, reports: list[Report]) -> None:
        self.reports = reports
        super().__init__("\n".join(report.to_text() for report in reports))


def sample_files(app: Flask) -> list[Path]:
    return sorted(sample_routes_dir(app.config).glob("*.geojson"))


def has_tours(app: Flask) -> bool:
    with get_db(app).transaction() as session:
        return bool(current_versions(session))


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
        with get_db(app).transaction(write_lock=True) as session:
            stored.append(save_tour(session, result.tour, source_name=path.name))  # type: ignore[arg-type]
    return stored


def load_samples_if_empty(app: Flask) -> list[StoredTour]:
    """On first start (no tour stored yet) load the samples; otherwise do nothing."""
    return [] if has_tours(app) else load_sample_routes(app)
