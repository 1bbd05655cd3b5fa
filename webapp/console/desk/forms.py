"""The booking desk's forms: the messages say what to change, in the interface's language."""

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
    StringField,
)
from wtforms.validators import (
    InputRequired,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from tours.booking.models import EMAIL, IN_PERSON, PHONE
from webapp.common.forms.contact import (
    PartySizeField,
    accessibility_field,
    checked_email,
    email_field,
    name_field,
    optional_phone_field,
)
from webapp.console.forms import choices

KEY = re.compile(r"^[A-Za-z0-9_\-]{16,80}$")
MAX_PARTY = 50
SOURCES = ((PHONE, _l("By phone")), (EMAIL, _l("By email")), (IN_PERSON, _l("In person")))


def _said_already(_form: FlaskForm, field: Field) -> None:
    if field.process_errors:
        raise StopValidation()  # "not a number" already said it


def _party_size() -> PartySizeField:
    return PartySizeField(
        _l("Number of people"),
        validators=[
            _said_already,
            InputRequired(_l("Enter how many people are coming.")),
            NumberRange(min=1, max=MAX_PARTY, message=_l("Enter a number from 1 to 50.")),
        ],
    )


class SearchForm(FlaskForm):
    """The search box (its CSRF token is checked for every console POST, by the guard)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, email, phone or booking reference"))


class TakeBookingForm(FlaskForm):
    """A booking taken for someone who phoned, wrote or came by."""

    departure = SelectField(
        _l("Walk"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose one of the walks in the list."))],
    )
    source = SelectField(_l("How they asked"), choices=choices(SOURCES))
    name = name_field(_l("Enter the name, so the guide knows who to expect."))
    party_size = _party_size()
    email = email_field(_l("Email (the confirmation is sent there)"), Optional())
    phone = optional_phone_field(_l("Phone"))
    language = SelectField(_l("Language for messages"))
    notes = accessibility_field()
    contact_consent = BooleanField(_l("They agree to be contacted about their walks"))
    key = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One key per form shown: a second submit of it finds the booking the first made.
        if not self.key.data or not KEY.match(self.key.data):
            self.key.data = secrets.token_urlsafe(24)

    def validate_departure(self, field: Field) -> None:
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError(_l("Choose one of the walks in the list."))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.email.data or "").strip() and not (self.phone.data or "").strip():
            missing = _l("Enter an email address or a phone number.")
            self.email.errors = [*self.email.errors, missing]
            return False
        return valid

    def validate_email(self, field: Field) -> None:
        # One message for every refusal: the coordinator reads the address back to the caller.
        sendable, _problem = checked_email((field.data or "").strip())
        if sendable is None:
            raise ValidationError(_l("Enter an email address like name@example.org."))
        field.data = sendable


class MoveForm(FlaskForm):
    departure = SelectField(
        _l("Move to"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose one of the walks in the list."))],
    )

    def validate_departure(self, field: Field) -> None:
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError(_l("Choose one of the walks in the list."))


class PartyForm(FlaskForm):
    party_size = _party_size()
