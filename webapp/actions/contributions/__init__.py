"""Residents' contributions in the actions room: a story told at a workshop entered on its
teller's behalf (``workshops``), the receipt its teller gets as the web form's do
(``receipts``), and a coordinator's decisions on a story: accepted into
a draft, edited with its teller told, declined with a reason (``moderation``).  Callers
use the names gathered here (``webapp.actions.contributions.accept_into_draft``)."""

from webapp.actions.contributions.moderation import (
    INTO_NEW_STOP,
    INTO_NEW_TOUR,
    INTO_STOP,
    MAX_REASON,
    Accepted,
    AcceptRefused,
    ContributionClosed,
    Destination,
    Edited,
    ExistingStop,
    NewStop,
    NewTour,
    accept_into_draft,
    decline_contribution,
    edit_contribution,
    target,
)
from webapp.actions.contributions.receipts import (
    RECEIPT,
    Place,
    place_in,
    receipt_message,
    send_receipt,
    withdrawal_link,
)
from webapp.actions.contributions.workshops import enter_for_resident

__all__ = [
    "INTO_NEW_STOP",
    "INTO_NEW_TOUR",
    "INTO_STOP",
    "MAX_REASON",
    "RECEIPT",
    "AcceptRefused",
    "Accepted",
    "ContributionClosed",
    "Destination",
    "Edited",
    "ExistingStop",
    "NewStop",
    "NewTour",
    "Place",
    "accept_into_draft",
    "decline_contribution",
    "edit_contribution",
    "enter_for_resident",
    "place_in",
    "receipt_message",
    "send_receipt",
    "target",
    "withdrawal_link",
]
