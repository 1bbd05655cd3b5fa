"""The contact and party fields that the booking, group request and booking desk forms
share, and their checks; every message in the reader's language.

Email addresses are checked for what can be delivered: an address whose part before
the @ has non-ASCII letters (``josé@…``) is refused, with a clear message, because
many mail servers cannot take it; a non-ASCII domain is stored in its ASCII (IDNA) form.
"""

from __future__ import annotations

import re
from typing import Any

import email_validator
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES, EMAIL_MAX_LENGTH
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, Field, IntegerField, StringField, TelField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from tours.text import unstorable

PHONE = re.compile(r"^\+?[0-9][0-9 ().\-/]{5,24}$")

Validator = Any  # a WTForms validator: a callable taking the form and the field


def storable(_form: FlaskForm, field: Field) -> None:
    """Refuse text the database cannot store."""
    if isinstance(field.data, str) and unstorable(field.data):
        raise ValidationError(_l("This contains a character that cannot be stored. Type it again."))


# The commonest shape of address, which email_validator takes as it is (its normal and
# ASCII forms are the address itself): letters, digits and ``_+-`` before the @ in
# dot-separated runs; after it lower-case DNS labels of at most 63 characters, the last
# all letters.  ``plain_address`` also leaves to the validator the names it changes
# (RFC 2142 mailboxes it lower-cases) or refuses (special-use domains such as
# ``.local``), a ``--`` (an IDNA label is checked by the idna package) and any address
# too long; tests/webapp/common/test_contact.py holds it to the validator.
_PLAIN_ADDRESS = re.compile(
    r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)"
    r"@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})",
    re.ASCII,
)


def plain_address(address: str) -> bool:
    """True for an address of the shape above, which the validator returns unchanged."""
    if len(address) > EMAIL_MAX_LENGTH or "--" in address:
        return False
    found = _PLAIN_ADDRESS.fullmatch(address)
    if found is None:
        return False
    local, domain = found.groups()
    if local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
        return False
    # Read at each call, as the validator does: a deployment may change the list.
    return not any(
        domain == name or domain.endswith("." + name)
        for name in email_validator.SPECIAL_USE_DOMAIN_NAMES
    )


def checked_email(address: str) -> tuple[str | None, str | None]:
    """``(sendable address, None)`` or ``(None, what is wrong)``, in the reader's language.

    The sendable form is normalised with an IDNA (ASCII) domain, as stored and sent.  One
    validation serves both answers: it is on the path of every booking.  An address of
    the commonest shape (``plain_address``) is taken as it is without running the whole
    validator (its domain checks looked at each character five times: a twentieth of a
    booking's CPU); anything else is validated.
    """
    if plain_address(address):
        return address, None
    return validated_email(address)


def validated_email(address: str) -> tuple[str | None, str | None]:
    """``checked_email`` by the whole validator."""
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
    """What is wrong with ``address`` for sending to it, in the reader's language."""
    return checked_email(address)[1]


def sendable_email(address: str) -> str:
    """The address as stored and sent: normalised, with an IDNA (ASCII) domain."""
    sendable, problem = checked_email(address)
    if sendable is None:
        raise ValueError(problem)
    return sendable


def deliverable_email(_form: FlaskForm, field: Field) -> None:
    """Refuse an address mail servers may not deliver to; the field keeps what was typed."""
    problem = email_problem((field.data or "").strip())
    if problem:
        raise ValidationError(problem)


def sendable_email_in_place(_form: FlaskForm, field: Field) -> None:
    """Refuse an address mail servers may not deliver to; keep it as sent (IDNA domain)."""
    sendable, problem = checked_email((field.data or "").strip())
    if sendable is None:
        raise ValidationError(problem)
    field.data = sendable


class WholeNumberField(IntegerField):
    """A whole number, with our own (translated) "not a number" message."""

    not_a_number: Any = _l("Enter the number of people as a whole number, e.g. 2.")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(self.not_a_number) from None


class PartySizeField(WholeNumberField):
    """The number of people in a booking."""


def name_field(required: Any) -> StringField:
    """A booker's name; ``required`` says what to enter when it is empty."""
    return StringField(
        _l("Name"),
        validators=[
            InputRequired(required),
            Length(max=120, message=_l("Shorten the name to at most 120 characters.")),
            storable,
        ],
    )


def email_field(label: Any, first: Validator, *checks: Validator) -> EmailField:
    """An email address: ``first`` (required or optional), its length, then ``checks``."""
    return EmailField(
        label,
        validators=[first, Length(max=254, message=_l("That email address is too long.")), *checks],
    )


def optional_phone_field(label: Any) -> TelField:
    """A phone number that may be left empty."""
    return TelField(
        label,
        validators=[
            Optional(),
            Regexp(
                PHONE, message=_l("Enter a phone number with digits only, e.g. +34 600 123 456.")
            ),
        ],
    )


def accessibility_field() -> TextAreaField:
    """Accessibility needs, optional, in the booker's own words."""
    return TextAreaField(
        _l("Accessibility needs (optional)"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Shorten this to at most 1000 characters.")),
            storable,
        ],
    )
