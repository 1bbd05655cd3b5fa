"""Receiving a proposal: one transaction stores the contribution with its consent and
media rows (``tours.stories.contributions.submit``, once per form key), records the
receipt in the outbox when the teller gave an email, and writes the audit record
(``contribution.add`` on ``contribution:<id>``; its details name the tour and how many
photos, never the teller or the text).

The receipt (mail kind ``contribution_receipt``) is written in the interface language the
teller used: what was received, the consent in the words they agreed to, and their
personal withdrawal link, ``/share/withdraw/<token>`` on ``PUBLIC_URL`` (the
``withdrawal`` blueprint's address; the token is ``webapp.actions.links``').
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import quote

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from guides import audit
from guides.audit import Actor
from tours.stories.contributions import ConsentGiven, Proposal, submit
from tours.stories.models import AUDIO, IMAGE, Contribution
from tours.text import single_line
from webapp.actions.links import withdrawal_token
from webapp.common import privacy
from webapp.common.maps import text_direction
from webapp.common.urls import public_base
from webapp.mail import messages as mail

RECEIPT = "contribution_receipt"
mail.register_subjects({RECEIPT: lazy_gettext("We received your story: %(title)s")})
#: The withdrawal blueprint's address for a token (its ``withdrawal.confirm``).
WITHDRAW_PATH = "/share/withdraw/"


def target(contribution_id: int) -> str:
    """How the audit log names a contribution."""
    return f"contribution:{contribution_id}"


def withdrawal_link(public_id: str) -> str:
    """The teller's personal withdrawal link, absolute on ``PUBLIC_URL``."""
    token = quote(withdrawal_token(public_id), safe="")
    return public_base().rstrip("/") + WITHDRAW_PATH + token


@dataclass(frozen=True)
class Place:
    """Where the proposal is, in words of the interface language (None: no place)."""

    tour_title: str | None = None
    stop_name: str | None = None
    pin: tuple[float, float] | None = None  # (lon, lat)


def receipt_message(contribution: Contribution, place: Place, link: str) -> EmailMessage:
    """The receipt to the teller, in the interface language they used."""
    assert contribution.contact_email
    photos = sum(1 for m in contribution.media if m.kind == IMAGE)
    recording = next((m for m in contribution.media if m.kind == AUDIO), None)
    context = {
        "contribution": contribution,
        "story_dir": text_direction(contribution.language),
        "place": place,
        "photos": photos,
        "recording": recording,
        "consent_lines": contribution.consent.wording.splitlines(),
        "withdrawal_link": link,
        "subject_args": {"title": single_line(contribution.title)[:80]},
    }
    return mail.compose(
        RECEIPT, contribution.contact_email, contribution.interface_language, context
    )


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
    if contribution.contact_email:
        message = receipt_message(contribution, place, withdrawal_link(contribution.public_id))
        mail.record(db_session, RECEIPT, message, None)
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
