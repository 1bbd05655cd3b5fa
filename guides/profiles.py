"""Guide profiles: what a guide is, the rules a profile keeps, and storing it.

A profile's bio and origin are localized text (``tours.i18n.LocalizedText``), resolved
with the same fallback chain as tour texts.  Contact data is not part of a profile: a
guide's email belongs to their account, which is never public.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from guides.models import LEVELS, GuideRecord
from tours.booking.models import SCHEDULED, Departure
from tours.db import utcnow
from tours.errors import BideanError, NotFound
from tours.i18n import LocalizedText, base_language, is_valid_tag, normalize_tag
from tours.text import counted
from tours.tour.models import TourRecord

GUIDE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
GUIDE_ID_MAX = 64
NAME_MAX = 120
BIO_MAX = 2000


class GuideError(BideanError):
    """A profile that breaks a rule; the message says which field and how to fix it (in
    the command line's words); ``reason`` names the rule, for the interface's words."""

    def __init__(self, message: str, reason: str = "rule") -> None:
        super().__init__(message)
        self.reason = reason


# The rules a profile may break (``GuideError.reason``).
BAD_ID, BAD_NAME, BAD_LANGUAGES, BAD_TEXT = "id", "name", "languages", "text"
UNKNOWN_TOUR, GUIDE_EXISTS, LANGUAGE_IN_USE = "unknown-tour", "exists", "language-in-use"


class GuideNotFound(NotFound):
    def __init__(self, guide_id: str) -> None:
        self.guide_id = guide_id
        super().__init__(f"No guide {guide_id!r} exists; list them with `bidean guides list`.")


@dataclass(frozen=True)
class Language:
    tag: str
    level: str

    def to_json(self) -> dict[str, str]:
        return {"tag": self.tag, "level": self.level}


@dataclass(frozen=True)
class GuideProfile:
    id: str
    display_name: str
    languages: tuple[Language, ...]
    origin: LocalizedText = field(default_factory=LocalizedText)
    bio: LocalizedText = field(default_factory=LocalizedText)
    tours: tuple[str, ...] = ()
    has_photo: bool = False
    photo_version: int = 0
    sample: bool = False

    @property
    def language_tags(self) -> list[str]:
        return [language.tag for language in self.languages]

    def speaks(self, tag: str) -> bool:
        """True when the guide guides in ``tag`` (or in its base language, ``es`` for ``es-ES``)."""
        wanted = base_language(tag)
        return any(base_language(language.tag) == wanted for language in self.languages)


def profile_of(record: GuideRecord) -> GuideProfile:
    return GuideProfile(
        id=record.id,
        display_name=record.display_name,
        languages=tuple(Language(item["tag"], item["level"]) for item in record.languages or ()),
        origin=LocalizedText(record.origin or {}),
        bio=LocalizedText(record.bio or {}),
        tours=tuple(record.tours or ()),
        has_photo=record.photo is not None,
        photo_version=record.photo_version,
        sample=record.sample,
    )


# --- checking what a coordinator or a file gives ------------------------------------------


def check_id(guide_id: str) -> str:
    guide_id = (guide_id or "").strip()
    if len(guide_id) > GUIDE_ID_MAX or not GUIDE_ID.match(guide_id):
        raise GuideError(
            f"The guide id {guide_id!r} is not valid: use lowercase letters, digits and single "
            f"hyphens, at most {GUIDE_ID_MAX} characters, such as 'amaia' or 'youssef-b'.",
            BAD_ID,
        )
    return guide_id


def check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise GuideError(f"The display name must be 1 to {NAME_MAX} characters.", BAD_NAME)
    return name


def parse_languages(spec: str | Iterable[Any]) -> tuple[Language, ...]:
    """``"es:native,ar:fluent"`` or ``[{"tag": "es", "level": "native"}]`` as languages."""
    items: list[tuple[str, str]] = []
    if isinstance(spec, str):
        for part in filter(None, (p.strip() for p in spec.split(","))):
            tag, _, level = part.partition(":")
            items.append((tag.strip(), level.strip() or "fluent"))
    else:
        for item in spec:
            if not isinstance(item, Mapping):
                raise GuideError(
                    'Each language is {"tag": "es", "level": "native"}.', BAD_LANGUAGES
                )
            items.append((str(item.get("tag", "")), str(item.get("level", ""))))
    if not items:
        raise GuideError(
            "A guide needs at least one language, such as 'es:native,en:fluent' "
            f"(levels: {', '.join(LEVELS)}).",
            BAD_LANGUAGES,
        )
    languages: list[Language] = []
    for tag, level in items:
        if not is_valid_tag(tag):
            raise GuideError(
                f"{tag!r} is not a language tag such as 'es', 'eu' or 'ar'.", BAD_LANGUAGES
            )
        if level not in LEVELS:
            raise GuideError(
                f"The level of {tag!r} is {level!r}; use one of: {', '.join(LEVELS)}.",
                BAD_LANGUAGES,
            )
        canonical = normalize_tag(tag)
        if any(base_language(known.tag) == base_language(canonical) for known in languages):
            raise GuideError(f"{tag!r} is listed twice; give each language once.", BAD_LANGUAGES)
        languages.append(Language(canonical, level))
    return tuple(languages)


def check_text(value: Mapping[str, Any] | None, what: str) -> LocalizedText:
    """A ``{tag: text}`` map with valid tags and non-empty texts, as localized text."""
    result: dict[str, str] = {}
    for tag, text in (value or {}).items():
        if not is_valid_tag(tag):
            raise GuideError(
                f"The {what} has a text under {tag!r}, which is not a language tag.", BAD_TEXT
            )
        if not isinstance(text, str) or not text.strip():
            raise GuideError(
                f"The {tag} text of the {what} is empty: write it or leave it out.", BAD_TEXT
            )
        if len(text) > BIO_MAX:
            raise GuideError(
                f"The {tag} text of the {what} is over {BIO_MAX} characters.", BAD_TEXT
            )
        result[normalize_tag(tag)] = text.strip()
    return LocalizedText(result)


def check_tours(db_session: Session, slugs: Iterable[str]) -> tuple[str, ...]:
    wanted = [s.strip() for s in slugs if s and s.strip()]
    known = set(db_session.scalars(select(TourRecord.slug).where(TourRecord.slug.in_(wanted))))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise GuideError(
            f"No tour {unknown[0]!r} is stored; list them with `bidean tours`.", UNKNOWN_TOUR
        )
    return tuple(dict.fromkeys(wanted))


# --- storing ---------------------------------------------------------------------------


def get_record(db_session: Session, guide_id: str) -> GuideRecord:
    record = db_session.get(GuideRecord, guide_id)
    if record is None:
        raise GuideNotFound(guide_id)
    return record


def get_guide(db_session: Session, guide_id: str) -> GuideProfile:
    return profile_of(get_record(db_session, guide_id))


def list_guides(db_session: Session) -> list[GuideProfile]:
    records = db_session.scalars(select(GuideRecord).order_by(GuideRecord.display_name))
    return [profile_of(record) for record in records]


def guide_names(db_session: Session | Connection, ids: Iterable[str | None]) -> dict[str, str]:
    """``{guide id: display name}`` for these ids, in one query (none for no ids)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = db_session.execute(
        select(GuideRecord.id, GuideRecord.display_name).where(GuideRecord.id.in_(wanted))
    )
    return {guide_id: name for guide_id, name in rows}


def add_guide(
    db_session: Session,
    guide_id: str,
    display_name: str,
    languages: str | Iterable[Any],
    *,
    origin: Mapping[str, Any] | None = None,
    bio: Mapping[str, Any] | None = None,
    tours: Iterable[str] = (),
    sample: bool = False,
) -> GuideProfile:
    guide_id = check_id(guide_id)
    if db_session.get(GuideRecord, guide_id) is not None:
        raise GuideError(
            f"A guide {guide_id!r} exists already; change it with `guides update`.", GUIDE_EXISTS
        )
    record = GuideRecord(
        id=guide_id,
        display_name=check_name(display_name),
        languages=[language.to_json() for language in parse_languages(languages)],
        origin=check_text(origin, "origin").to_json(),
        bio=check_text(bio, "bio").to_json(),
        tours=list(check_tours(db_session, tours)),
        sample=sample,
    )
    db_session.add(record)
    db_session.flush()
    return profile_of(record)


def update_guide(
    db_session: Session,
    guide_id: str,
    *,
    display_name: str | None = None,
    languages: str | Iterable[Any] | None = None,
    origin: Mapping[str, Any] | None = None,
    bio: Mapping[str, Any] | None = None,
    tours: Iterable[str] | None = None,
) -> GuideProfile:
    """Change the given fields; a language still needed by an upcoming departure stays."""
    record = get_record(db_session, guide_id)
    before = profile_of(record)
    if display_name is not None:
        record.display_name = check_name(display_name)
    if languages is not None:
        parsed = parse_languages(languages)
        still_needed = _upcoming_languages(db_session, guide_id)
        kept = {base_language(language.tag) for language in parsed}
        dropped = sorted(tag for tag in still_needed if base_language(tag) not in kept)
        if dropped:
            raise GuideError(
                f"{record.display_name} guides upcoming sessions in {', '.join(dropped)}; "
                "give those sessions another guide before removing the language.",
                LANGUAGE_IN_USE,
            )
        record.languages = [language.to_json() for language in parsed]
    if origin is not None:
        record.origin = check_text(origin, "origin").to_json()
    if bio is not None:
        record.bio = check_text(bio, "bio").to_json()
    if tours is not None:
        record.tours = list(check_tours(db_session, tours))
    after = profile_of(record)
    if after != before:  # the same values again leave the profile (and its date) as it was
        record.updated_at = utcnow()
    db_session.flush()
    return after


def _upcoming_languages(db_session: Session, guide_id: str) -> set[str]:
    query = select(Departure.language).where(
        Departure.guide_id == guide_id,
        Departure.status == SCHEDULED,
        Departure.starts_at > utcnow(),
    )
    return set(db_session.scalars(query))


def remove_guide(db_session: Session, guide_id: str) -> None:
    """Delete a profile; refused while any departure, past or future, names the guide."""
    record = get_record(db_session, guide_id)
    count = db_session.scalar(select(func.count()).where(Departure.guide_id == guide_id)) or 0
    if count:
        raise GuideError(
            f"{counted(count, 'session')} {'names' if count == 1 else 'name'} {record.display_name}"
            " as their guide; give them another "
            "guide (`bidean sessions assign ID --guide OTHER`) before removing the profile."
        )
    db_session.delete(record)
    db_session.flush()


def set_photo(db_session: Session, guide_id: str, jpeg: bytes | None) -> GuideProfile:
    record = get_record(db_session, guide_id)
    record.photo = jpeg
    record.photo_version += 1
    db_session.flush()
    return profile_of(record)


def get_photo(db_session: Session, guide_id: str) -> tuple[bytes, int] | None:
    row = db_session.execute(
        select(GuideRecord.photo, GuideRecord.photo_version).where(GuideRecord.id == guide_id)
    ).one_or_none()
    if row is None or row.photo is None:
        return None
    return row.photo, row.photo_version


# --- sample guides ---------------------------------------------------------------------


def read_guide_file(path: Path) -> dict[str, Any]:
    """One guide file (JSON); raises GuideError naming the file when it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise GuideError(f"{path.name}: not readable JSON ({error}).") from error
    if not isinstance(data, dict):
        raise GuideError(f"{path.name}: a guide file holds one JSON object.")
    return data


def load_guide_files(db_session: Session, paths: Iterable[Path]) -> list[GuideProfile]:
    """Store the guides of these files (skipping ids already stored, and tours not stored)."""
    loaded = []
    stored_tours = set(db_session.scalars(select(TourRecord.slug)))
    for path in paths:
        data = read_guide_file(path)
        if db_session.get(GuideRecord, str(data.get("id", ""))) is not None:
            continue
        try:
            loaded.append(
                add_guide(
                    db_session,
                    str(data.get("id", "")),
                    str(data.get("display_name", "")),
                    data.get("languages") or [],
                    origin=data.get("origin"),
                    bio=data.get("bio"),
                    tours=[t for t in data.get("tours") or () if t in stored_tours],
                    sample=bool(data.get("sample", False)),
                )
            )
        except GuideError as error:
            raise GuideError(f"{path.name}: {error}") from error
    return loaded
