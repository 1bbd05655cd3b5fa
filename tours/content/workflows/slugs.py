"""Whether an import may add a version to the stored tour of its slug.

Two cities' ``route.geojson`` once became versions 1 and 2 of one tour.  Now a slug made
from a title and a city, or given with ``--slug``, that already names a tour of another
city, or a tour whose route is somewhere else entirely, is refused with a message naming
``--slug`` and ``--new-version-of``.  A file that declares its own slug (a tour in the
profile, the replication kit's GeoJSON) names its tour: only a route elsewhere refuses
it, so re-importing an export stays a new version, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tours.errors import BideanError
from tours.tour.models import TourRecord, TourVersionRecord
from tours.tour.store import newest_version

#: Routes whose boxes, grown by this much (degrees, about 1 km), still do not touch are
#: different tours: a version of a walk moves its route by streets, not across a city.
_MARGIN = 0.01
Box = tuple[float, float, float, float]


class SlugTaken(BideanError):
    """The import's slug names another tour: ``reason`` says which, and the message adds
    the command line's options (the console's page offers its title field instead)."""

    def __init__(self, reason: str, advice: str = "") -> None:
        super().__init__(reason + advice)
        self.reason = reason


def check_slug(
    db_session: Session,
    slug: str,
    city: str | None,
    document: dict[str, Any] | None,
    origin: str,
) -> None:
    """Raise :class:`SlugTaken` when ``slug`` names a stored tour this import is not a
    version of.  ``origin`` is ``made``, ``option`` (``--slug``), ``file`` (the file's
    own) or ``new-version`` (``--new-version-of``, which wants the tour to exist)."""
    record = _record(db_session, slug)
    if origin == "new-version":
        if record is None:
            raise SlugTaken(
                f"There is no tour {slug!r} to add a version to: `bidean tours` lists the"
                " stored tours; without --new-version-of the import makes a new tour."
            )
        return
    if record is None:
        return
    advice = (
        f" Give this tour its own slug with --slug NAME, or, if it is a new version of"
        f" {slug!r}, import it with --new-version-of {slug}."
    )
    if origin != "file" and city and record.city and city.casefold() != record.city.casefold():
        raise SlugTaken(
            f"The slug {slug!r} is already a tour of {record.city}, and this import is for {city}.",
            advice,
        )
    stored = _box(newest_version(db_session, slug, lock=False).document)
    new = _box(document)
    if stored is not None and new is not None and not _touch(stored, new):
        raise SlugTaken(
            f"The slug {slug!r} is already a tour whose route is elsewhere"
            f" (around {_centre(stored)}, this one around {_centre(new)}): it looks like a"
            " different tour.",
            advice,
        )


def earlier_draft(
    db_session: Session,
    slug: str,
    earlier: list[str],
    source_name: str,
    document: dict[str, Any] | None,
    city: str | None = None,
) -> str | None:
    """The slug of the tour the same files made before, when ``slug`` (made from the
    title) is new: before they had a title (``earlier``), or under another title in the
    same city.  Re-importing with ``--title`` completes that draft, and a corrected title
    does not make a second tour (``--slug`` does, when that is what is meant)."""
    if _record(db_session, slug) is not None:
        return None
    new = _box(document)
    # Any version counts, not only the newest: publishing stores a version of its own.
    made_by_files = select(TourRecord.slug, TourRecord.city).join(
        TourVersionRecord, TourVersionRecord.tour_id == TourRecord.id
    )
    made_by_files = made_by_files.where(TourVersionRecord.source_name == source_name[:255])
    cities = dict(db_session.execute(made_by_files).all())
    others = sorted(s for s, c in cities.items() if c == (city or ""))
    for candidate in [*earlier, *others]:
        if candidate == slug or candidate not in cities:
            continue
        stored = _box(newest_version(db_session, candidate, lock=False).document)
        if stored is None or new is None or _touch(stored, new):
            return candidate
    return None


def _record(db_session: Session, slug: str) -> TourRecord | None:
    return db_session.scalars(select(TourRecord).where(TourRecord.slug == slug)).one_or_none()


def _positions(value: Any) -> Iterator[list[float]]:
    if isinstance(value, list) and value and isinstance(value[0], (int, float)):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _positions(item)


def _box(document: dict[str, Any] | None) -> Box | None:
    """The bounding box of the route (the first feature) of a document."""
    features = (document or {}).get("features") or []
    geometry = (features[0].get("geometry") or {}) if features else {}
    positions = list(_positions(geometry.get("coordinates")))
    if not positions:
        return None
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    return min(lons), min(lats), max(lons), max(lats)


def _touch(a: Box, b: Box) -> bool:
    return (
        a[0] - _MARGIN <= b[2]
        and b[0] - _MARGIN <= a[2]
        and a[1] - _MARGIN <= b[3]
        and b[1] - _MARGIN <= a[3]
    )


def _centre(box: Box) -> str:
    return f"{(box[0] + box[2]) / 2:.3f}, {(box[1] + box[3]) / 2:.3f}"
