"""Taking residents' proposals and reading them back.

``submit`` stores one contribution with its consent and media rows in the caller's
transaction.  A form sent twice (a double tap, a retry after a lost answer) carries the
same ``submission_key`` and finds the first row instead of making a second.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from tours.errors import BideanError
from tours.stories.consent import (
    CONSENT_VERSION,
    CREDIT_ANONYMOUS,
    METHOD_PAPER,
    METHOD_SPOKEN,
    METHOD_WEB,
    ConsentChoices,
    ConsentProblem,
    consent_problems,
)
from tours.stories.models import (
    PENDING,
    Contribution,
    ContributionConsent,
    ContributionMedia,
)

PUBLIC_ID_PREFIX = "ctb-"
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read aloud or copied by hand


class ContributionNotFound(BideanError):
    """No contribution has that id."""


class ConsentRefused(BideanError):
    """The consent cannot be recorded as given; ``problems`` name each choice to fix."""

    def __init__(self, problems: Sequence[ConsentProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class StoredMedia:
    """A photo or recording already checked and stored (media store or audio store)."""

    kind: str  # models.IMAGE or models.AUDIO
    key: str
    mime: str
    size_bytes: int
    duration_seconds: float | None = None


@dataclass(frozen=True)
class Proposal:
    """What a resident proposes: where, and the story in their language."""

    language: str
    interface_language: str
    title: str = ""
    story: str = ""
    tour_slug: str | None = None
    stop_id: str | None = None
    lon: float | None = None
    lat: float | None = None
    contact_email: str | None = None
    media: Sequence[StoredMedia] = field(default_factory=tuple)


@dataclass(frozen=True)
class ConsentGiven:
    """The choices, how they were given, and the exact words shown."""

    choices: ConsentChoices
    wording: str
    wording_language: str
    method: str = METHOD_WEB
    paper_reference: str | None = None
    witness: str | None = None
    wording_version: str = CONSENT_VERSION


def new_public_id() -> str:
    return PUBLIC_ID_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(16))


def _method_problems(consent: ConsentGiven) -> list[ConsentProblem]:
    if consent.method not in (METHOD_WEB, METHOD_PAPER, METHOD_SPOKEN):
        return [ConsentProblem("method", "Say how consent was given.")]
    if consent.method == METHOD_PAPER and not (consent.paper_reference or "").strip():
        return [ConsentProblem("paper_reference", "Give the paper form's reference.")]
    if consent.method == METHOD_SPOKEN and not (consent.witness or "").strip():
        return [ConsentProblem("witness", "Name who witnessed the spoken consent.")]
    return []


def find_submission(db_session: Session, submission_key: str) -> Contribution | None:
    return db_session.scalar(
        select(Contribution).where(Contribution.submission_key == submission_key)
    )


def submit(
    db_session: Session,
    proposal: Proposal,
    consent: ConsentGiven,
    *,
    submission_key: str | None = None,
    entered_by: str | None = None,
) -> tuple[Contribution, bool]:
    """Store a proposal with its consent; ``(contribution, created)``.

    Raises ``ConsentRefused`` when a choice is missing.  With a ``submission_key`` already
    used, returns the first contribution and ``False``: nothing new is written.
    """
    problems = consent_problems(consent.choices) + _method_problems(consent)
    if problems:
        raise ConsentRefused(problems)
    if submission_key and (earlier := find_submission(db_session, submission_key)):
        return earlier, False
    choices = consent.choices
    contribution = Contribution(
        public_id=new_public_id(),
        submission_key=submission_key,
        status=PENDING,
        tour_slug=proposal.tour_slug,
        stop_id=proposal.stop_id,
        lon=proposal.lon,
        lat=proposal.lat,
        language=proposal.language,
        interface_language=proposal.interface_language,
        title=proposal.title,
        story=proposal.story,
        contact_email=proposal.contact_email or None,
        entered_by=entered_by,
        consent=ContributionConsent(
            credit=choices.credit,
            # An anonymous teller's name is not kept, even if the form carried one.
            credit_name=None
            if choices.credit == CREDIT_ANONYMOUS
            else (choices.credit_name or "").strip() or None,
            tour_pages=choices.tour_pages,
            guide_scripts=choices.guide_scripts,
            kits=choices.kits,
            photos=choices.photos,
            audio=choices.audio,
            licence=choices.licence,
            age_16_or_over=choices.age_16_or_over,
            guardian_name=(choices.guardian_name or "").strip() or None,
            method=consent.method,
            paper_reference=consent.paper_reference,
            witness=consent.witness,
            wording=consent.wording,
            wording_language=consent.wording_language,
            wording_version=consent.wording_version,
        ),
        media=[
            ContributionMedia(
                kind=m.kind,
                key=m.key,
                mime=m.mime,
                size_bytes=m.size_bytes,
                duration_seconds=m.duration_seconds,
                position=i,
            )
            for i, m in enumerate(proposal.media)
        ],
    )
    if not submission_key:
        db_session.add(contribution)
        db_session.flush()
        return contribution, True
    # Two sends racing with one key: the unique key lets one in, the other finds it.
    try:
        with db_session.begin_nested():
            db_session.add(contribution)
            db_session.flush()
    except IntegrityError:
        earlier = find_submission(db_session, submission_key)
        if earlier is None:
            raise
        return earlier, False
    return contribution, True


def get(db_session: Session, ident: int | str) -> Contribution:
    """A contribution by its number or its public id (``ctb-…``)."""
    column = Contribution.public_id if str(ident).startswith(PUBLIC_ID_PREFIX) else Contribution.id
    value = ident if column is Contribution.public_id else int(ident)
    found = db_session.scalar(
        select(Contribution)
        .where(column == value)
        .options(selectinload(Contribution.media), selectinload(Contribution.consent))
    )
    if found is None:
        raise ContributionNotFound(f"No contribution {ident}.")
    return found


def listed(
    db_session: Session, status: str | None = PENDING, limit: int = 200
) -> list[Contribution]:
    """Contributions of one status (all with None), oldest first for the queue."""
    query = select(Contribution).options(
        selectinload(Contribution.media), selectinload(Contribution.consent)
    )
    if status:
        query = query.where(Contribution.status == status)
    return list(
        db_session.scalars(query.order_by(Contribution.created_at, Contribution.id).limit(limit))
    )


def by_public_ids(db_session: Session, public_ids: Sequence[str]) -> dict[str, Contribution]:
    """The contributions a document names, by public id (unknown ids are left out)."""
    if not public_ids:
        return {}
    rows = db_session.scalars(
        select(Contribution)
        .where(Contribution.public_id.in_(list(public_ids)))
        .options(selectinload(Contribution.consent))
    )
    return {row.public_id: row for row in rows}


def pending_contributions(db_session: Session) -> int:
    """How many contributions wait for a decision (the dashboard's line)."""
    query = select(func.count()).select_from(Contribution).where(Contribution.status == PENDING)
    return db_session.scalar(query) or 0


def queue(db_session: Session, limit: int = 200) -> list[Contribution]:
    """The moderation queue: pending contributions oldest first (the longest waiting on
    top), then the decided and withdrawn ones, newest first."""
    waiting = case((Contribution.status == PENDING, 0), else_=1)
    newest_last = case((Contribution.status == PENDING, Contribution.id), else_=-Contribution.id)
    query = (
        select(Contribution)
        .options(selectinload(Contribution.media), selectinload(Contribution.consent))
        .order_by(waiting, newest_last)
        .limit(limit)
    )
    return list(db_session.scalars(query))
