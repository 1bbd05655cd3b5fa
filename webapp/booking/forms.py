"""Booking forms (Flask-WTF, CSRF protected), every message in the visitor's language.

Each form carries a one-time ``idempotency_key`` made when the form is first shown:
a double click or a resubmitted page finds the booking the first submit made.  The key
is bound to the departure and details it was first sent with (see
``tours.booking.idempotency``).

Email addresses are checked for what can be delivered (see ``webapp.common.forms.contact``).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    SelectField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    StopValidation,
    ValidationError,
)

from webapp.common.forms.contact import (
    PartySizeField,
    accessibility_field,
    deliverable_email,
    email_field,
    name_field,
    optional_phone_field,
    sendable_email,
)
from webapp.common.i18n import LANGUAGES

ABSOLUTE_MAX_PARTY = 50
KEY = re.compile(r"^[A-Za-z0-9_\-]{16,80}$")


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def _party_size_in_range(form: FlaskForm, field: Field) -> None:
    if field.process_errors:
        raise StopValidation()  # "not a number" already said it
    if field.data is None:
        raise ValidationError(_l("Enter how many people are coming."))
    upper = form.party_limit()
    if field.data < 1:
        raise ValidationError(_l("A booking is for at least one person."))
    if field.data > upper:
        raise ValidationError(
            _l("At most %(max)s people can book together for this session.", max=upper)
        )


class ContactForm(FlaskForm):
    """What both the booking form and the waiting-list form ask."""

    session = SelectField(_l("Date and time"), coerce=str, validate_choice=False)
    name = name_field(_l("Enter your name, so the guide knows who to expect."))
    email = email_field(
        _l("Email"),
        InputRequired(_l("Enter your email address: the confirmation is sent there.")),
        deliverable_email,
    )
    party_size = PartySizeField(
        _l("Number of people"), validators=[_party_size_in_range], default=1
    )
    phone = optional_phone_field(_l("Phone (optional)"))
    language = SelectField(
        _l("Language for messages"),
        choices=[SelectChoice(code, name, {"lang": code}) for code, name in LANGUAGES.items()],
        validate_choice=False,
    )
    privacy = BooleanField(
        _l("I agree that my details are used for this booking."),
        validators=[InputRequired(_l("Tick the box to agree, or we cannot take the booking."))],
    )
    idempotency_key = HiddenField()

    # The order the page shows the fields in, which the error summary follows too.
    field_order: tuple[str, ...] = (
        "session",
        "party_size",
        "name",
        "email",
        "phone",
        "language",
        "privacy",
    )

    def __init__(self, *args: Any, limits: dict[str, int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per session: the largest party that may book it (its per-booking maximum).
        self.limits = limits or {}
        # Sessions shown (the walk the visitor asked for stays selected) but not to be sent.
        self.closed: set[str] = set()
        if not self.idempotency_key.data or not KEY.match(self.idempotency_key.data):
            self.idempotency_key.data = new_idempotency_key()

    def party_limit(self) -> int:
        return self.limits.get(self.session.data or "", ABSOLUTE_MAX_PARTY)

    def validate_session(self, field: Field) -> None:
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError(_l("Choose one of the dates in the list."))
        if field.data in self.closed:
            raise ValidationError(
                _l("This walk is full: join its waiting list, or choose another date.")
            )

    def validate_language(self, field: Field) -> None:
        if field.data not in LANGUAGES:
            raise ValidationError(_l("Choose one of the languages in the list."))

    def party(self) -> dict[str, Any]:
        return {
            "name": self.name.data.strip(),
            "email": sendable_email(self.email.data.strip()),
            "party_size": self.party_size.data,
            "language": self.language.data,
            "phone": (self.phone.data or "").strip() or None,
        }


class BookingForm(ContactForm):
    accessibility = accessibility_field()
    submit = SubmitField(_l("Book"))
    field_order = (
        "session",
        "party_size",
        "name",
        "email",
        "phone",
        "accessibility",
        "language",
        "privacy",
    )

    def party(self) -> dict[str, Any]:
        return {**super().party(), "notes": (self.accessibility.data or "").strip() or None}


class WaitlistForm(ContactForm):
    submit = SubmitField(_l("Join the waiting list"))


class CancelForm(FlaskForm):
    submit = SubmitField(_l("Yes, cancel this booking"))


class LeaveWaitlistForm(FlaskForm):
    submit = SubmitField(_l("Yes, leave the waiting list"))


class OfferForm(FlaskForm):
    claim = SubmitField(_l("Book these seats"))
    decline = SubmitField(_l("I do not want them"))
