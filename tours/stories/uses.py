"""What each use of a tour may show of residents' contributions, from their consent rows.

A tour document names its contributions (``tours.stories.document``); the consent that
says where each may appear is in the database.  ``allowed_for`` reads it; ``tour_for_use``
gives a stored tour as one use (``USE_TOUR_PAGES``, ``USE_GUIDE_SCRIPTS``, ``USE_KITS``)
may show it, with what it left out and why, in words for the kit's README.

A withdrawn or declined contribution allows nothing.  A contribution the database does
not know (named by a tour imported from another site's kit) is kept: its consent
travelled with that file.  A stop left without a name is left out; so is, for kits and
exports (whose files must import again), a published stop left without its story.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tours.stories.consent import (
    LICENCE_SITE_ONLY,
    USE_GUIDE_SCRIPTS,
    USE_KITS,
    USE_TOUR_PAGES,
)
from tours.stories.document import Allowed, LeftOut, contribution_ids, for_use
from tours.stories.models import AUDIO, DECLINED, WITHDRAWN, Contribution
from tours.tour.domain import Stop, Tour

NOTHING = Allowed(frozenset(), photos=False, audio=False)

#: The uses in the words of the kit's README ("the teller did not consent to …").
USE_WORDS = {
    USE_TOUR_PAGES: "this site's tour pages",
    USE_GUIDE_SCRIPTS: "guides' scripts",
    USE_KITS: "kits and exports",
}


def _contributions(db_session: Session, public_ids: Iterable[str]) -> dict[str, Contribution]:
    wanted = sorted(set(public_ids))
    if not wanted:
        return {}
    rows = db_session.scalars(
        select(Contribution)
        .where(Contribution.public_id.in_(wanted))
        .options(selectinload(Contribution.consent), selectinload(Contribution.media))
    )
    return {row.public_id: row for row in rows}


def allowed(row: Contribution) -> Allowed:
    """What one contribution's consent allows (nothing once withdrawn or declined)."""
    consent = row.consent
    if row.status in (WITHDRAWN, DECLINED) or consent is None:
        return NOTHING
    uses = {
        USE_TOUR_PAGES: consent.tour_pages,
        USE_GUIDE_SCRIPTS: consent.guide_scripts,
        USE_KITS: consent.kits and consent.licence != LICENCE_SITE_ONLY,
    }
    return Allowed(
        frozenset(use for use, yes in uses.items() if yes),
        photos=bool(consent.photos),
        audio=bool(consent.audio),
    )


def allowed_for(db_session: Session, public_ids: Iterable[str]) -> dict[str, Allowed]:
    """``{public_id: Allowed}`` for the contributions of ``public_ids`` this site knows."""
    return {ident: allowed(row) for ident, row in _contributions(db_session, public_ids).items()}


def why_not(row: Contribution | None, use: str) -> str:
    """Why ``use`` may not show a contribution, in the README's words."""
    if row is None:
        return "not consented"
    if row.status == WITHDRAWN:
        return "withdrawn by the teller"
    if row.status == DECLINED:
        return "not accepted"
    if use == USE_KITS and row.consent is not None and row.consent.licence == LICENCE_SITE_ONLY:
        return "the teller chose this site only"
    return f"the teller did not consent to {USE_WORDS[use]}"


_RANK = {"story": 0, "photos": 1, "recording": 2, "the stop": 3}


@dataclass(frozen=True)
class Omission:
    """What a use left out of one stop, and why (never the content itself)."""

    stop_id: str
    stop_name: str | None  # as the use still shows it; None when the stop went too
    what: tuple[str, ...]  # "story", "photos", "recording", "the stop"
    why: str

    @property
    def line(self) -> str:
        """``Stop `plaza` (Plaza): story and photos left out: the teller chose this site only.``"""
        where = f"Stop `{self.stop_id}`" + (f" ({self.stop_name})" if self.stop_name else "")
        what = " and ".join(
            [", ".join(self.what[:-1]), self.what[-1]] if len(self.what) > 1 else self.what
        )
        return f"{where}: {what} left out: {self.why}."


@dataclass(frozen=True)
class Filtered:
    """A tour as one use may show it, and what was left out of it."""

    tour: Tour
    left_out: tuple[Omission, ...] = ()

    @property
    def lines(self) -> list[str]:
        return [omission.line for omission in self.left_out]


def _kinds(props: Mapping[str, Any], public_id: str) -> tuple[str, ...]:
    """What a contribution has on a stop: its story, photos, recording."""
    entries = [e for e in props.get("contributions") or () if e.get("id") == public_id]
    media = [m for m in props.get("media") or () if m.get("contribution") == public_id]
    kinds = []
    if any(e.get("texts") for e in entries):
        kinds.append("story")
    if any(m.get("type") == "image" for m in media):
        kinds.append("photos")
    if any(m.get("type") == AUDIO for m in media):
        kinds.append("recording")
    return tuple(kinds)


def _omissions(
    before: Mapping[str, Mapping[str, Any]],
    left_out: Sequence[LeftOut],
    rows: Mapping[str, Contribution],
    use: str,
) -> list[tuple[str, tuple[str, ...], str]]:
    found: list[tuple[str, tuple[str, ...], str]] = []
    for item in left_out:
        props = before[item.stop_id]
        if item.reason == "use":
            what = _kinds(props, item.contribution)
            why = why_not(rows.get(item.contribution), use)
        else:
            what = ("photos",) if item.what == "image" else ("recording",)
            why = "photos not consented" if item.what == "image" else "recording not consented"
        if what:
            found.append((item.stop_id, what, why))
    return found


def _kept(props: Mapping[str, Any], use: str) -> bool:
    """A stop still worth showing: it has a name (and, in a kit, a published one its story)."""
    if not props.get("name"):
        return False
    return (
        use != USE_KITS
        or props.get("status", "published") != "published"
        or bool(props.get("story"))
    )


def _typed(media: list[dict[str, Any]], rows: Mapping[str, Contribution]) -> None:
    """Recordings without ``mime`` take the type their contribution's row recorded."""
    for item in media:
        if item.get("type") != AUDIO or item.get("mime") or item.get("contribution") not in rows:
            continue
        key = str(item.get("url", "")).removeprefix("audio:")
        row = rows[item["contribution"]]
        item["mime"] = next((m.mime for m in row.media if m.kind == AUDIO and m.key == key), None)
        if item["mime"] is None:
            del item["mime"]


def tour_for_use(db_session: Session, tour: Tour, use: str) -> Filtered:
    """``tour`` as ``use`` may show it, and what it left out, per stop.

    One statement when the tour names contributions, none when it names none.
    """
    features = [stop.to_feature(with_scripts=True) for stop in tour.stops]
    document = {"type": "FeatureCollection", "features": features}
    ids = contribution_ids(document)
    if not ids:
        return Filtered(tour)
    rows = _contributions(db_session, ids)
    shown, left_out = for_use(document, use, {i: allowed(row) for i, row in rows.items()})
    before = {f["properties"]["id"]: f["properties"] for f in features}
    stops: list[Stop] = []
    gone: set[str] = set()
    for feature in shown["features"]:
        props = feature["properties"]
        _typed(props.get("media") or [], rows)
        if _kept(props, use):
            stops.append(Stop.from_feature(feature))
        else:
            gone.add(props["id"])
    names = {s.id: s.name.get_text(tour.default_language) or None for s in stops}
    omissions = [
        Omission(stop_id, None if stop_id in gone else names.get(stop_id), what, why)
        for stop_id, what, why in _omissions(before, left_out, rows, use)
    ]
    omissions += [
        Omission(stop_id, None, ("the stop",), "none of its name or story may be shown")
        for stop_id in sorted(gone)
    ]
    place = {stop.id: n for n, stop in enumerate(tour.stops)}
    omissions.sort(key=lambda o: (place.get(o.stop_id, 0), _RANK.get(o.what[0], 0)))
    return Filtered(replace(tour, stops=tuple(stops)), tuple(omissions))


def document_for_use(
    db_session: Session, document: Mapping[str, Any], use: str
) -> tuple[dict[str, Any], list[str]]:
    """A stored profile document as ``use`` may show it (its stops filtered as by
    ``tour_for_use``), and the README's lines of what was left out."""
    if not contribution_ids(document):
        return dict(document), []
    tour = Tour.from_document(document)
    filtered = tour_for_use(db_session, tour, use)
    if filtered.tour is tour:
        return dict(document), []
    return filtered.tour.to_document(with_scripts=True), filtered.lines
