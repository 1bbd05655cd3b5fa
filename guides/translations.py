"""Translations of a tour's stop texts, guide scripts included: the completeness report
and the CSV round trip for translators (``bidean translations``, the console page).

Scripts are private, so they live here and not in ``tours``: the report counts them
(coordinators only), and a translation file carries them only when asked
(``with_scripts``); the public replication kit never does.

Importing a file stores a **new version** of the tour, with the texts of the file's
language written in (an empty cell leaves the stored text as it is; a language the tour
did not declare yet is added to its languages, after the others).  The new version
keeps the standing of the one it was made from: a published tour gets a new published
version (checked with the full profile first), a draft, or a draft waiting on a
published tour, gets a new draft.  A file with any problem stores nothing.

Texts in a language the tour does not declare are partial translations: the report
counts them, visitors are not offered them.  Declaring the language
(``declare_language``) stores a new version, with the same standing, that offers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from guides.scripts import SCRIPT_MAX
from tours.content.checking.pipeline import ValidationOptions, validate_document
from tours.content.translation.translation_csv import TEXT_LIMITS, CsvProblem, read_csv, write_csv
from tours.content.translation.translations import (
    PUBLIC_FIELDS,
    TranslationReport,
    apply_texts,
    completeness,
    counted_stops,
    declared_languages,
    route_properties,
    tour_texts,
)
from tours.content.translation.translations import (
    declare_language as declare_language_in,
)
from tours.errors import BideanError
from tours.i18n import is_valid_tag, normalize_tag
from tours.tour.models import TourVersionRecord
from tours.tour.store import PUBLISHED, newest_version, save_document

ALL_FIELDS: tuple[str, ...] = (*PUBLIC_FIELDS, "script")
LIMITS = {**TEXT_LIMITS, "script": SCRIPT_MAX}


class TranslationError(BideanError):
    """A translation file cannot be made (unknown language, the source language)."""


def translation_report(db_session: Session, slug: str) -> TranslationReport:
    """Completeness of the newest version (a waiting draft counts): name, story, script."""
    row = newest_version(db_session, slug)
    return completeness(row.document, ALL_FIELDS, version=row.version)


def export_translations(
    db_session: Session, slug: str, language: str, *, with_scripts: bool = False
) -> str:
    """The CSV for translating the newest version of ``slug`` into ``language``."""
    if not is_valid_tag(language):
        raise TranslationError(f"{language!r} is not a language tag such as pl or pt-BR.")
    language = normalize_tag(language)
    row = newest_version(db_session, slug)
    declared = declared_languages(row.document)
    source = declared[0] if declared else ""
    if language == source:
        raise TranslationError(
            f"{language} is the tour's source language: choose the language to translate into."
        )
    fields = ALL_FIELDS if with_scripts else PUBLIC_FIELDS
    stops = counted_stops(row.document)
    return write_csv(slug, row.version, stops, fields, source, language, tour_texts(row.document))


@dataclass
class TranslationImport:
    """What an import did: the version stored (None when nothing was), or the problems."""

    slug: str
    language: str = ""
    version: int | None = None
    changed: int = 0
    draft: bool = False
    problems: list[CsvProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "language": self.language,
            "version": self.version,
            "changed": self.changed,
            "draft": self.draft,
            "problems": [p.to_dict() for p in self.problems],
        }


def import_translations(
    db_session: Session, slug: str, data: bytes, options: ValidationOptions | None = None
) -> TranslationImport:
    """Check ``data`` against the newest version of ``slug`` and store a new version with
    its texts; raises ``TourNotFound``.  Nothing is stored when any problem is found."""
    row = newest_version(db_session, slug)  # locks the tour's row until the caller commits
    stop_ids = [s.id for s in counted_stops(row.document)]
    parsed = read_csv(
        data, slug=slug, version=row.version, stop_ids=stop_ids, fields=ALL_FIELDS, limits=LIMITS
    )
    outcome = TranslationImport(slug, parsed.language, problems=parsed.problems)
    if not parsed.ok:
        return outcome
    document, outcome.changed = apply_texts(row.document, parsed.language, parsed.texts)
    if not outcome.changed:
        outcome.version = None
        return outcome
    source = f"translations ({parsed.language}) on version {row.version}"
    return _stored(outcome, db_session, row, document, source, options)


def declare_language(
    db_session: Session, slug: str, language: str, options: ValidationOptions | None = None
) -> TranslationImport:
    """Declare ``language`` on the newest version of ``slug``, stored as a new version, so
    that visitors are offered its texts (a partial translation until then).

    ``changed`` is 1 when it was declared now, 0 when it was already (nothing stored).
    Raises ``TourNotFound``, and ``TranslationError`` for a tag that is no language.
    """
    if not is_valid_tag(language):
        raise TranslationError(f"{language!r} is not a language tag such as pl or pt-BR.")
    language = normalize_tag(language)
    row = newest_version(db_session, slug)  # locks the tour's row until the caller commits
    document, changed = declare_language_in(row.document, language)
    outcome = TranslationImport(slug, language, changed=int(changed))
    if not changed:
        return outcome
    source = f"declared {language} on version {row.version}"
    return _stored(outcome, db_session, row, document, source, options)


def _stored(
    outcome: TranslationImport,
    db_session: Session,
    row: TourVersionRecord,
    document: dict[str, Any],
    source_name: str,
    options: ValidationOptions | None,
) -> TranslationImport:
    """``outcome`` with the version ``_store`` made of ``document`` and its problems."""
    outcome.version, outcome.draft, problems = _store(
        db_session, outcome.slug, row, document, source_name, options
    )
    outcome.problems = [CsvProblem(0, "", message) for message in problems]
    return outcome


def _store(
    db_session: Session,
    slug: str,
    row: TourVersionRecord,
    document: dict[str, Any],
    source_name: str,
    options: ValidationOptions | None,
) -> tuple[int | None, bool, list[str]]:
    """Store ``document`` as the next version after ``row``, keeping its standing: a new
    published version (checked with the full profile first) of a published tour, else a
    draft.  Returns the version (None when refused), whether it is a draft, the problems.
    """
    record = row.tour
    draft = record.status != PUBLISHED or row.version != record.current_version or bool(row.todo)
    if not draft:
        result = validate_document(document, slug, options)
        if result.document is None or not result.report.valid:
            return None, draft, [f"{p.pointer or '/'}: {p.message}" for p in result.report.errors]
        document = result.document
    props = route_properties(document)
    version = save_document(
        db_session,
        document,
        slug=slug,
        city=row.city,
        languages=list(props.get("languages") or ()),
        title=row.title,
        source_name=source_name,
        todo=row.todo,
        draft=draft,
    )
    return version, draft, []
