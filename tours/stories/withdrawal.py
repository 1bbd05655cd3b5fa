"""Withdrawing a contribution: its teller takes their story back, everywhere, at once.

``withdraw`` does it all in the caller's transaction (opened with ``write_lock``):

- every stored version of every tour that names the contribution is rewritten with a
  placeholder instead of its texts, and without its photos and recording
  (``document.without(..., placeholder=PLACEHOLDER)``): the history still reads as a whole
  but keeps none of it, nor its catalogue card;
- a published tour whose current version held it gets a new current version without it;
  a draft waiting to be published (or the newest version of a tour that is not
  published) gets a new draft version without it, so the coordinators' work goes on;
- in those new versions a stop left without its story becomes a ``draft`` stop (never
  shown, and no longer required to have a story) with a to-do saying why, so the tour
  stays valid and published; a stop left without a name was the contribution's own (a
  new stop at its pin) and goes; a tour left without a published stop is a draft again;
- the contribution keeps its row, status ``withdrawn``, its dates and its consent
  record (the choices and the words shown, without the credit and guardian names), but
  its title, story, transcripts and pin are emptied, its edits and media rows deleted;
- the emails about it are deleted from the outbox (``traces.forget_messages``);
- ``Withdrawal`` says which image and recording keys to delete from disk once committed:
  a key still named by another contribution or by any stored tour version is kept
  (``unused_files``, which a declined contribution's ``drop_media`` shares).

The audit log (``guides``) is the action's to clean (``webapp.actions.withdrawal``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session, selectinload

from tours.db import utcnow
from tours.stories.contributions import PUBLIC_ID_PREFIX, ContributionNotFound
from tours.stories.document import contribution_ids, without
from tours.stories.models import AUDIO, IMAGE, WITHDRAWN, Contribution, ContributionMedia
from tours.stories.traces import OWN_RECORDS, Needles, forget_messages, needles_of, scrub
from tours.tour.catalogue import catalogue_facts
from tours.tour.domain import Tour
from tours.tour.models import TourCatalogueRecord, TourRecord, TourVersionRecord
from tours.tour.store import DRAFT, PUBLISHED, latest_version_number, save_document, set_status
from tours.tour.store import WITHDRAWN as TOUR_WITHDRAWN

#: What the history of a tour shows where a withdrawn contribution's text was.
PLACEHOLDER = "[withdrawn by its teller]"
#: What the kept consent wording shows where the teller's or guardian's name was.
NAME_REMOVED = "[…]"
#: The to-do of a stop left without its story.
TODO_CODE = "stories.withdrawn-story"
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SCHEMES = {"media:": IMAGE, "audio:": AUDIO}


@dataclass
class TourChange:
    """What one tour's withdrawal changed."""

    slug: str
    rewritten: list[int] = field(default_factory=list)  # versions given the placeholder
    published: int | None = None  # the new current version the public sees
    draft: int | None = None  # the new draft version (a waiting draft without it)
    emptied_stops: list[str] = field(default_factory=list)  # now draft stops, with a to-do
    removed_stops: list[str] = field(default_factory=list)  # the contribution's own stops
    unpublished: bool = False  # no published stop was left: the tour is a draft again


@dataclass
class Withdrawal:
    """The outcome; ``already`` when it had been withdrawn before (nothing changed)."""

    contribution_id: int
    public_id: str
    already: bool
    interface_language: str
    created_at: datetime
    withdrawn_at: datetime | None
    contact_email: str | None = None  # for the confirmation; removed from the row
    tours: list[TourChange] = field(default_factory=list)
    image_keys: list[str] = field(default_factory=list)  # to delete from disk
    audio_keys: list[str] = field(default_factory=list)
    kept_keys: list[str] = field(default_factory=list)  # still used elsewhere: not deleted
    messages: list[tuple[int, str]] = field(default_factory=list)  # deleted (id, kind)
    needles: Needles | None = None  # its texts, for the caller's own clean-up

    @property
    def changed_slugs(self) -> list[str]:
        return [change.slug for change in self.tours]


@dataclass(frozen=True)
class Preview:
    """What a withdrawal would remove, for the teller's confirmation page."""

    public_id: str
    status: str
    title: str
    language: str
    created_at: datetime
    photos: int
    recording: bool
    #: ``(slug, title by language)`` of each published tour whose public version shows it.
    tours: list[tuple[str, dict[str, str]]]


def preview(db_session: Session, public_id: str) -> Preview:
    """The contribution ``public_id`` as its confirmation page describes it; raises
    ``ContributionNotFound``."""
    found = db_session.scalar(
        select(Contribution)
        .where(Contribution.public_id == public_id)
        .options(selectinload(Contribution.media))
    )
    if found is None:
        raise ContributionNotFound(f"No contribution {public_id}.")
    shown = db_session.execute(
        select(TourRecord.slug, TourVersionRecord.title, TourVersionRecord.document)
        .join(
            TourVersionRecord,
            (TourVersionRecord.tour_id == TourRecord.id)
            & (TourVersionRecord.version == TourRecord.current_version),
        )
        .where(
            TourRecord.status == PUBLISHED,
            cast(TourVersionRecord.document, Text).like(f"%{public_id}%"),
        )
        .order_by(TourRecord.slug)
    )
    return Preview(
        found.public_id,
        found.status,
        found.title,
        found.language,
        found.created_at,
        photos=sum(1 for m in found.media if m.kind == IMAGE),
        recording=any(m.kind == AUDIO for m in found.media),
        tours=[
            (slug, dict(title or {}))
            for slug, title, document in shown
            if public_id in contribution_ids(document)
        ],
    )


def _locked(db_session: Session, ident: int | str) -> Contribution:
    text = str(ident)
    column = Contribution.public_id if text.startswith(PUBLIC_ID_PREFIX) else Contribution.id
    try:
        value: int | str = text if column is Contribution.public_id else int(text)
    except ValueError as error:
        raise ContributionNotFound(f"No contribution {ident}.") from error
    found = db_session.scalar(
        select(Contribution)
        .where(column == value)
        .options(
            selectinload(Contribution.media),
            selectinload(Contribution.consent),
            selectinload(Contribution.edits),
        )
        .with_for_update()
    )
    if found is None:
        raise ContributionNotFound(f"No contribution {ident}.")
    return found


def withdraw(
    db_session: Session,
    ident: int | str,
    *,
    now: datetime | None = None,
    about: Callable[[str, str], bool] | None = None,
) -> Withdrawal:
    """Withdraw the contribution ``ident`` (its number or ``ctb-…`` id) everywhere.

    ``about(text, public_id)`` tells whether an email's text is about it beyond its words
    (the caller reads the withdrawal links in it).  Raises ``ContributionNotFound``.
    """
    contribution = _locked(db_session, ident)
    outcome = Withdrawal(
        contribution.id,
        contribution.public_id,
        already=contribution.status == WITHDRAWN,
        interface_language=contribution.interface_language,
        created_at=contribution.created_at,
        withdrawn_at=contribution.withdrawn_at,
    )
    if outcome.already:
        return outcome
    needles = needles_of(contribution)
    outcome.needles = needles
    public_id = contribution.public_id
    media_urls = {m.url for m in contribution.media}
    for record, rows in _tours_naming(db_session, public_id):
        media_urls |= _media_of(public_id, [row.document for row in rows])
        outcome.tours.append(_withdraw_from_tour(db_session, record, rows, public_id, needles))
    outcome.contact_email = contribution.contact_email
    outcome.messages = forget_messages(
        db_session,
        contribution,
        needles,
        contact=contribution.contact_email,
        about=None if about is None else lambda text: about(text, public_id),
    )
    _empty(contribution, needles, now or utcnow())
    outcome.withdrawn_at = contribution.withdrawn_at
    db_session.flush()
    files = unused_files(db_session, media_urls)
    outcome.image_keys, outcome.audio_keys = files.image_keys, files.audio_keys
    outcome.kept_keys = files.kept_keys
    return outcome


@dataclass
class FileKeys:
    """The files to delete from disk once the transaction has committed, by store, and the
    keys kept because something else still names them."""

    image_keys: list[str] = field(default_factory=list)
    audio_keys: list[str] = field(default_factory=list)
    kept_keys: list[str] = field(default_factory=list)


def unused_files(db_session: Session, urls: Iterable[str]) -> FileKeys:
    """Sort ``media:<key>`` and ``audio:<key>`` URLs whose rows were just deleted (and
    flushed): a key still named by another contribution's row or by any stored tour
    version (history included) is kept, the others are to delete."""
    files = FileKeys()
    for url in sorted(set(urls)):
        scheme, _, key = url.partition(":")
        if f"{scheme}:" not in _SCHEMES or not _KEY.fullmatch(key):
            continue
        if _still_used(db_session, _SCHEMES[f"{scheme}:"], key, url):
            files.kept_keys.append(key)
        elif scheme == "audio":
            files.audio_keys.append(key)
        else:
            files.image_keys.append(key)
    return files


def drop_media(db_session: Session, contribution: Contribution) -> FileKeys:
    """A declined contribution keeps no photo nor recording: its media rows are deleted in
    the caller's transaction; the keys say which files to delete once it has committed."""
    urls = {m.url for m in contribution.media}
    contribution.media.clear()
    db_session.flush()
    return unused_files(db_session, urls)


def _empty(contribution: Contribution, needles: Needles, now: datetime) -> None:
    """Its row keeps status, dates and consent choices; none of its words or media."""
    contribution.status = WITHDRAWN
    contribution.withdrawn_at = now
    contribution.title = ""
    contribution.story = ""
    contribution.transcript = {}
    contribution.lon = contribution.lat = None
    contribution.contact_email = None
    if contribution.decline_reason and needles.found_in(contribution.decline_reason, OWN_RECORDS):
        contribution.decline_reason = PLACEHOLDER
    consent = contribution.consent
    if consent is not None:
        names = [consent.credit_name, consent.guardian_name]
        consent.wording = without_names(consent.wording, names)
        consent.credit_name = None
        consent.guardian_name = None
    contribution.media.clear()
    contribution.edits.clear()


def without_names(wording: str, names: Iterable[str | None]) -> str:
    """The consent's words with each name (a whole word or words) replaced."""
    for name in names:
        name = (name or "").strip()
        if name:
            wording = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", NAME_REMOVED, wording)
    return wording


def _tours_naming(
    db_session: Session, public_id: str
) -> list[tuple[TourRecord, list[TourVersionRecord]]]:
    """Each tour with the stored versions that name ``public_id``, oldest first; the
    tours' rows locked."""
    rows = db_session.scalars(
        select(TourVersionRecord)
        .where(cast(TourVersionRecord.document, Text).like(f"%{public_id}%"))
        .order_by(TourVersionRecord.tour_id, TourVersionRecord.version)
    )
    by_tour: dict[int, list[TourVersionRecord]] = {}
    for row in rows:
        if public_id in contribution_ids(row.document):
            by_tour.setdefault(row.tour_id, []).append(row)
    found = []
    for tour_id, versions in sorted(by_tour.items()):
        record = db_session.scalars(
            select(TourRecord).where(TourRecord.id == tour_id).with_for_update()
        ).one()
        found.append((record, versions))
    return found


def _media_of(public_id: str, documents: Iterable[Mapping[str, Any]]) -> set[str]:
    urls = set()
    for document in documents:
        for props in _points(document):
            for media in props.get("media") or ():
                url = media.get("url")
                mine = media.get("contribution") == public_id and isinstance(url, str)
                if mine and url.split(":", 1)[0] + ":" in _SCHEMES:
                    urls.add(url)
    return urls


def _points(document: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for feature in document.get("features") or ():
        if (feature.get("geometry") or {}).get("type") == "Point":
            yield feature.get("properties") or {}


def _names(props: Mapping[str, Any], public_id: str) -> bool:
    """The stop lists the contribution or carries one of its photos or its recording."""
    listed = any(e.get("id") == public_id for e in props.get("contributions") or ())
    return listed or any(m.get("contribution") == public_id for m in props.get("media") or ())


def _withdraw_from_tour(
    db_session: Session,
    record: TourRecord,
    rows: list[TourVersionRecord],
    public_id: str,
    needles: Needles,
) -> TourChange:
    change = TourChange(record.slug)
    naming = {row.version: copy.deepcopy(row.document) for row in rows}
    newest_number = latest_version_number(db_session, record.id) or 0
    newest = db_session.scalars(
        select(TourVersionRecord).where(
            TourVersionRecord.tour_id == record.id, TourVersionRecord.version == newest_number
        )
    ).one_or_none()
    newest_doc = copy.deepcopy(newest.document) if newest is not None else None
    newest_todo = list(newest.todo or ()) if newest is not None else []
    status = record.status
    for row in rows:
        history = without(row.document, public_id, placeholder=PLACEHOLDER)
        row.document = scrub(history, needles, PLACEHOLDER)
        row.todo = scrub(list(row.todo or ()), needles, PLACEHOLDER)
        _refresh_card(db_session, row)
        change.rewritten.append(row.version)
    source = f"without contribution {public_id}, withdrawn by its teller"
    current = record.current_version
    if status == PUBLISHED and current in naming:
        document, todo = _live_version(naming[current], public_id, needles, change)
        change.published = _store(db_session, record, document, todo, source, draft=False)
        if not _has_published_stop(document):
            change.unpublished = True
            set_status(db_session, record.slug, DRAFT)
    # A draft newer than the public version: kept as the newest, without it.  For a tour
    # that is not published, its newest version is where the coordinators' work goes on.
    waiting = newest_doc is not None and newest_number != current
    newest_names_it = newest_number in naming and (status != PUBLISHED or waiting)
    if newest_doc is not None and (newest_names_it or (change.published is not None and waiting)):
        document, todo = _live_version(newest_doc, public_id, needles, change)
        todo = [*scrub(newest_todo, needles, PLACEHOLDER), *todo]
        change.draft = _store(db_session, record, document, _unique(todo), source, draft=True)
        if status == TOUR_WITHDRAWN:
            record.status = TOUR_WITHDRAWN  # still off the public site, as it was
    return change


def _unique(todo: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, result = set(), []
    for item in todo:
        key = (item.get("code"), item.get("pointer"))
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def _store(
    db_session: Session,
    record: TourRecord,
    document: dict[str, Any],
    todo: list[dict[str, Any]],
    source: str,
    *,
    draft: bool,
) -> int:
    route = document["features"][0].get("properties") or {}
    return save_document(
        db_session,
        document,
        slug=record.slug,
        city=route.get("city") or record.city,
        languages=list(route.get("languages") or ()),
        title=dict(route.get("title") or {}),
        source_name=source,
        todo=todo,
        draft=draft,
    )


def _has_text(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(isinstance(v, str) and v.strip() for v in value.values())
    return isinstance(value, str) and bool(value.strip())


def _has_published_stop(document: Mapping[str, Any]) -> bool:
    return any(props.get("status", "published") == "published" for props in _points(document))


def _live_version(
    document: Mapping[str, Any], public_id: str, needles: Needles, change: TourChange
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A version without the contribution for the public or the editor, and its to-do."""
    touched = {props.get("id") for props in _points(document) if _names(props, public_id)}
    result = scrub(without(document, public_id), needles, PLACEHOLDER)
    kept, emptied = [], []
    for feature in result["features"]:
        props = feature.get("properties") or {}
        is_stop = (feature.get("geometry") or {}).get("type") == "Point"
        if is_stop and props.get("id") in touched:
            if not _has_text(props.get("name")):
                _note(change.removed_stops, props["id"])
                continue
            if props.get("status", "published") == "published" and not _has_text(
                props.get("story")
            ):
                props["status"] = "draft"
                emptied.append(props["id"])
                _note(change.emptied_stops, props["id"])
        kept.append(feature)
    result["features"] = kept
    todo = [
        {
            "code": TODO_CODE,
            "pointer": f"/features/{index}/properties/story",
            "message": (
                f'Stop "{props["id"]}" lost its story: its teller withdrew it. It is a draft'
                " stop now: write a story and publish the stop again, or leave it out."
            ),
        }
        for index, feature in enumerate(kept)
        for props in [feature.get("properties") or {}]
        if props.get("id") in emptied
    ]
    return result, todo


def _note(found: list[str], stop_id: str) -> None:
    if stop_id not in found:
        found.append(stop_id)


def _refresh_card(db_session: Session, row: TourVersionRecord) -> None:
    """A rewritten version's catalogue card made again from it (its covers may have
    shown the contribution's photo and stop name)."""
    card = db_session.get(TourCatalogueRecord, row.id)
    if card is None:
        return
    try:
        card.facts = catalogue_facts(Tour.from_document(row.document))
    except (KeyError, TypeError, ValueError):  # a version too old to build: no card
        db_session.delete(card)


def _still_used(db_session: Session, kind: str, key: str, url: str) -> bool:
    """Another contribution's row or any stored version (history included) names it."""
    other = db_session.scalar(
        select(ContributionMedia.id)
        .where(ContributionMedia.kind == kind, ContributionMedia.key == key)
        .limit(1)
    )
    if other is not None:
        return True
    named = db_session.scalar(
        select(TourVersionRecord.id)
        .where(cast(TourVersionRecord.document, Text).like(f'%"{url}"%'))
        .limit(1)
    )
    return named is not None
