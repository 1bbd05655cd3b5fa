"""The booking desk's forms: the messages say what to change, in the interface's language."""

from __future__ import annotations

import re
import secrets
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from tours.booking.models import EMAIL, IN_PERSON, PHONE
from tours.text import unstorable
from webapp.console.forms import choices

PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9 ().\-/]{5,24}$")
KEY = re.compile(r"^[A-Za-z0-9_\-]{16,80}$")
MAX_PARTY = 50
SOURCES = ((PHONE, _l("By phone")), (EMAIL, _l("By email")), (IN_PERSON, _l("In person")))


def _storable(_form: FlaskForm, field: Field) -> None:
    if isinstance(field.data, str) and unstorable(field.data):
        raise ValidationError(_l("This contains a character that cannot be stored. Type it again."))


class PartySizeField(IntegerField):
    """An integer field whose "not a number" message is ours (and so translated)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter the number of people as a whole number, e.g. 2.")) from None


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
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Enter the name, so the guide knows who to expect.")),
            Length(max=120, message=_l("Shorten the name to at most 120 characters.")),
            _storable,
        ],
    )
    party_size = _party_size()
    email = EmailField(
        _l("Email (the confirmation is sent there)"),
        validators=[Optional(), Length(max=254, message=_l("That email address is too long."))],
    )
    phone = TelField(
        _l("Phone"),
        validators=[
            Optional(),
            Regexp(
                PHONE_NUMBER,
                message=_l("Enter a phone number with digits only, e.g. +34 600 123 456."),
            ),
        ],
    )
    language = SelectField(_l("Language for messages"))
    notes = TextAreaField(
        _l("Accessibility needs (optional)"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Shorten this to at most 1000 characters.")),
            _storable,
        ],
    )
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
        address = (field.data or "").strip()
        try:
            checked = validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(_l("Enter an email address like name@example.org.")) from None
        if not address.rpartition("@")[0].isascii():
            raise ValidationError(_l("Enter an email address like name@example.org."))
        field.data = checked.ascii_email or checked.normalized


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
