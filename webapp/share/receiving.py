"""Receiving a proposal: one transaction stores the contribution with its consent and
media rows (``tours.stories.contributions.submit``, once per form key), records the
receipt in the outbox when the teller gave an email, and writes the audit record
(``contribution.add`` on ``contribution:<id>``; its details name the tour and how many
photos, never the teller or the text).

The receipt (mail kind ``contribution_receipt``, in the interface language the teller
used, with their personal withdrawal link) is composed by
``webapp.actions.contributions.receipts``, which the facilitators' workshop form shares.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from tours.stories.contributions import ConsentGiven, Proposal, submit
from tours.stories.models import AUDIO, IMAGE, Contribution
from webapp.actions.contributions import Place, send_receipt, target
from webapp.common import privacy


def receive(
    db_session: Session,
    actor: Actor,
    proposal: Proposal,
    consent: ConsentGiven,
    place: Place,
    *,
    submission_key: str | None,
) -> tuple[Contribution, bool]:
    """Store a proposal and its receipt; ``(contribution, created)``.  A form already
    received (its key) changes nothing and sends no second receipt."""
    privacy.remember(
        proposal.contact_email, consent.choices.credit_name, consent.choices.guardian_name
    )
    contribution, created = submit(db_session, proposal, consent, submission_key=submission_key)
    if not created:
        return contribution, False
    send_receipt(db_session, contribution, place)
    audit.record(
        db_session,
        actor,
        "contribution.add",
        target(contribution.id),
        tour=proposal.tour_slug,
        photos=sum(1 for m in proposal.media if m.kind == IMAGE),
        audio=any(m.kind == AUDIO for m in proposal.media),
    )
    return contribution, True
