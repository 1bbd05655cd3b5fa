"""The impact report's stored figures, kept by the mail worker.

Every ``PURGE_EVERY_S`` the worker stores the figures of walks over for a day whose stored
figures are missing or stale (``guides.impact.store_walk_figures``), a batch per
transaction, so the report of a year sums a few rows per walk instead of every booking.
The report is right without them (it counts a walk without current figures from its
bookings); they only make it fast.
"""

from __future__ import annotations

from flask import Flask

from guides.impact import store_walk_figures
from webapp.common.database import get_db
from webapp.mail import worker

#: Batches a worker pass stores at most (500 walks each), so mail is never held up long.
BATCHES_PER_PASS = 20


def store_due_figures(app: Flask, batches: int = BATCHES_PER_PASS) -> int:
    """Store the figures of the walks due, one transaction per batch; how many walks."""
    stored = 0
    for _ in range(batches):
        with get_db(app).transaction(write_lock=True) as db_session:
            done = store_walk_figures(db_session)
        stored += done
        if not done:
            break
    return stored


def _store_from_worker(app: Flask) -> None:
    store_due_figures(app)


worker.register_periodic(_store_from_worker)
