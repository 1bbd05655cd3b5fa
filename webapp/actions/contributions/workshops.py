"""Entering a story told at a workshop: a facilitator (or a coordinator) enters it on the
teller's behalf, with how consent was given (a paper form and its reference, or spoken
before a witness); ``entered_by`` is who entered it (audit ``contribution.enter``).  A
teller who gave an email gets the web form's receipt (``receipts``) in the language
chosen for their emails, with their personal withdrawal link, recorded in the same
transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from tours.stories import contributions as stories
from tours.stories.consent import METHOD_WEB, ConsentProblem
from tours.stories.contributions import ConsentGiven, ConsentRefused, Proposal
from tours.stories.models import AUDIO, IMAGE, Contribution
from webapp.actions.contributions.moderation import target
from webapp.actions.contributions.receipts import place_in, send_receipt
from webapp.common import privacy
from webapp.common.i18n import interface_for


def enter_for_resident(
    db_session: Session,
    actor: Actor,
    proposal: Proposal,
    consent: ConsentGiven,
    *,
    submission_key: str | None = None,
) -> tuple[Contribution, bool]:
    """Store a contribution a resident gave at a workshop, entered by ``actor``
    (``contribution.enter``), with the receipt when the teller gave an email;
    ``(contribution, created)``: the same ``submission_key`` again finds the first one and
    records nothing.

    Consent must have been given on paper (with the form's reference) or spoken before a
    witness: ``ConsentRefused`` otherwise, each problem naming its field.
    """
    if consent.method == METHOD_WEB:
        raise ConsentRefused(
            [ConsentProblem("method", "Say how consent was given: on paper or spoken.")]
        )
    privacy.remember(proposal.contact_email, consent.choices.credit_name)
    found, created = stories.submit(
        db_session, proposal, consent, submission_key=submission_key, entered_by=actor.name
    )
    if created:
        language = interface_for(found.interface_language)
        send_receipt(db_session, found, place_in(db_session, found, language))
        audit.record(
            db_session,
            actor,
            "contribution.enter",
            target(found.id),
            method=consent.method,
            language=found.language,
            photos=sum(1 for m in found.media if m.kind == IMAGE),
            audio=any(m.kind == AUDIO for m in found.media),
        )
    return found, created
