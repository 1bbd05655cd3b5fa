"""Booking forms (Flask-WTF, CSRF protected), every message in the visitor's language.

Each form carries a one-time ``idempotency_key`` made when the form is first shown:
a double click or a resubmitted page finds the booking the first submit made.  The key
is bound to the departure and details it was first sent with (see
``tours.booking.idempotency``).

Email addresses are checked for what can be delivered: an address whose part before
the @ has non-ASCII letters (``josé@…``) is refused here, with a clear message, because
many mail servers cannot take it; a non-ASCII domain is stored in its ASCII (IDNA) form.
"""

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
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from tours.text import unstorable
from webapp.common.i18n import LANGUAGES

ABSOLUTE_MAX_PARTY = 50
PHONE = re.compile(r"^\+?[0-9][0-9 ().\-/]{5,24}$")
KEY = re.compile(r"^[A-Za-z0-9_\-]{16,80}$")


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def checked_email(address: str) -> tuple[str | None, str | None]:
    """``(sendable address, None)`` or ``(None, what is wrong)``, in the visitor's language.

    The sendable form is normalised with an IDNA (ASCII) domain, as stored and sent.  One
    validation serves both answers: it is on the path of every booking.
    """
    local = address.rpartition("@")[0]
    if not local.isascii():
        return None, str(
            _l(
                "Write the part of the address before the @ with letters a–z, digits, dots "
                "or dashes only: many mail servers cannot deliver to other characters."
            )
        )
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None, str(_l("Enter an email address like name@example.org."))
    return checked.ascii_email or checked.normalized, None


def email_problem(address: str) -> str | None:
    """What is wrong with ``address`` for sending to it, in the visitor's language."""
    return checked_email(address)[1]


def sendable_email(address: str) -> str:
    """The address as stored and sent: normalised, with an IDNA (ASCII) domain."""
    sendable, problem = checked_email(address)
    if sendable is None:
        raise ValueError(problem)
    return sendable


def _deliverable_email(_form: FlaskForm, field: Field) -> None:
    problem = email_problem((field.data or "").strip())
    if problem:
        raise ValidationError(problem)


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
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Enter your name, so the guide knows who to expect.")),
            Length(max=120, message=_l("Shorten the name to at most 120 characters.")),
            _storable,
        ],
    )
    email = EmailField(
        _l("Email"),
        validators=[
            InputRequired(_l("Enter your email address: the confirmation is sent there.")),
            Length(max=254, message=_l("That email address is too long.")),
            _deliverable_email,
        ],
    )
    party_size = PartySizeField(
        _l("Number of people"), validators=[_party_size_in_range], default=1
    )
    phone = TelField(
        _l("Phone (optional)"),
        validators=[
            Optional(),
            Regexp(
                PHONE, message=_l("Enter a phone number with digits only, e.g. +34 600 123 456.")
            ),
        ],
    )
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
    accessibility = TextAreaField(
        _l("Accessibility needs (optional)"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Shorten this to at most 1000 characters.")),
            _storable,
        ],
    )
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
