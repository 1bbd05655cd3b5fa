"""The receipt a teller gets when they left an email, whether they sent the web form
(``webapp.share``) or a facilitator entered their story at a workshop (``workshops``):
mail kind ``contribution_receipt``, recorded in the outbox in the transaction that stores
the contribution.

It is written in the language of the teller's emails (``Contribution.interface_language``:
the interface language the web form was shown in, or the one the facilitator chose):
what was received, the consent in the words they agreed to, and their personal
withdrawal link (``withdrawal.confirm`` on ``PUBLIC_URL``, the token
``webapp.actions.links``').  Its kind keeps the ``contribution_`` prefix, so a withdrawal
deletes it with the contribution's other emails (``tours.stories.traces``).  Its templates
are the share blueprint's (``webapp/share/templates/mail/contribution_receipt.*``), found
by any blueprint's request through the app's template loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from tours.errors import TourNotFound
from tours.i18n import LocalizedText
from tours.stories.models import AUDIO, IMAGE, Contribution
from tours.text import single_line
from tours.tour.store import newest_version
from webapp.actions.links import withdrawal_token
from webapp.common import privacy
from webapp.common.i18n import interface_for
from webapp.common.maps import text_direction
from webapp.mail import messages as mail

RECEIPT = "contribution_receipt"
mail.register_subjects({RECEIPT: lazy_gettext("We received your story: %(title)s")})


def withdrawal_link(public_id: str) -> str:
    """The teller's personal withdrawal link, absolute on ``PUBLIC_URL``."""
    return mail.external_url("withdrawal.confirm", token=withdrawal_token(public_id))


@dataclass(frozen=True)
class Place:
    """Where the story is, in words of the receipt's language (None: not said)."""

    tour_title: str | None = None
    stop_name: str | None = None
    pin: tuple[float, float] | None = None  # (lon, lat)


def _text(value: Any, language: str) -> str | None:
    if isinstance(value, Mapping):
        texts = {str(k): str(v) for k, v in value.items() if isinstance(v, str) and v}
        return LocalizedText(texts).get_text(language) or None
    return str(value) if isinstance(value, str) and value else None


def place_in(db_session: Session, contribution: Contribution, language: str) -> Place:
    """Where ``contribution`` was told of, in ``language``: its tour's title and its stop's
    name as the tour's newest version has them (the lists a facilitator chose from), and
    its pin."""
    pin = (
        (contribution.lon, contribution.lat)
        if contribution.lon is not None and contribution.lat is not None
        else None
    )
    if not contribution.tour_slug:
        return Place(pin=pin)
    try:
        row = newest_version(db_session, contribution.tour_slug, lock=False)
    except TourNotFound:
        return Place(tour_title=contribution.tour_slug, pin=pin)
    stop_name = None
    for feature in row.document.get("features") or ():
        props = feature.get("properties") or {}
        if contribution.stop_id and str(props.get("id")) == contribution.stop_id:
            stop_name = _text(props.get("name"), language) or contribution.stop_id
    title = _text(row.title, language) or contribution.tour_slug
    return Place(tour_title=title, stop_name=stop_name, pin=pin)


def receipt_message(contribution: Contribution, place: Place, link: str) -> EmailMessage:
    """The receipt to the teller, in the language of their emails."""
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
    language = interface_for(contribution.interface_language)
    return mail.compose(RECEIPT, contribution.contact_email, language, context)


def send_receipt(db_session: Session, contribution: Contribution, place: Place) -> int | None:
    """Record the receipt in the caller's transaction; its outbox id, None without an
    email."""
    if not contribution.contact_email:
        return None
    privacy.remember(contribution.contact_email)
    message = receipt_message(contribution, place, withdrawal_link(contribution.public_id))
    return mail.record(db_session, RECEIPT, message, None)
