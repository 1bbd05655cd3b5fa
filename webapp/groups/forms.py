"""The group request form (Flask-WTF, CSRF protected); every message in the visitor's
language, each beside its field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    Field,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import InputRequired, Length, StopValidation, ValidationError

from tours.booking.groups import MAX_GROUP, MAX_PREFERRED, MIN_GROUP
from webapp.common.forms.contact import (
    PHONE,
    WholeNumberField,
    accessibility_field,
    email_field,
    sendable_email_in_place,
    storable,
)

WALL_TIME_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def kind_choices() -> list[tuple[str, Any]]:
    """The kinds of group, as the visitor reads them."""
    return [
        ("school", _l("School")),
        ("association", _l("Association")),
        ("company", _l("Company")),
        ("delegation", _l("Delegation")),
    ]


class GroupSizeField(WholeNumberField):
    """The number of people in a group."""

    not_a_number = _l("Enter the number of people as a whole number, e.g. 25.")


class WallTimeField(DateTimeLocalField):
    """A date and time of day, with our own (translated) message for what is not one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, format=WALL_TIME_INPUT, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            self.data = datetime.strptime(text[:16], WALL_TIME_INPUT)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a date and a time, e.g. 2027-03-15 10:30.")) from None


def _size_in_range(_form: FlaskForm, field: Field) -> None:
    if field.process_errors:
        raise StopValidation()  # "not a number" already said it
    if field.data is None:
        raise ValidationError(_l("Enter how many people are in your group."))
    if not MIN_GROUP <= field.data <= MAX_GROUP:
        raise ValidationError(
            _l(
                "A group walk is for %(min)s to %(max)s people; for more, write to us.",
                min=MIN_GROUP,
                max=MAX_GROUP,
            )
        )


def _in_future(form: FlaskForm, field: Field) -> None:
    if field.data is not None and field.data <= form.now:
        raise ValidationError(_l("Choose a date and time in the future."))


class GroupRequestForm(FlaskForm):
    tour = SelectField(_l("Tour"), validate_choice=False)
    organisation = StringField(
        _l("Organisation"),
        validators=[
            InputRequired(_l("Enter the name of your school, association, company or delegation.")),
            Length(max=200, message=_l("Shorten this to at most 200 characters.")),
            storable,
        ],
    )
    kind = SelectField(_l("Type of group"), choices=kind_choices, validate_choice=False)
    group_size = GroupSizeField(_l("Number of people"), validators=[_size_in_range])
    preferred_1 = WallTimeField(
        _l("Preferred date and time"),
        validators=[InputRequired(_l("Enter the date and time you would like.")), _in_future],
    )
    preferred_2 = WallTimeField(_l("Another date and time (optional)"), validators=[_in_future])
    preferred_3 = WallTimeField(_l("A third date and time (optional)"), validators=[_in_future])
    walk_language = SelectField(_l("Language of the walk"), validate_choice=False)
    accessibility = accessibility_field()
    contact_name = StringField(
        _l("Contact person"),
        validators=[
            InputRequired(_l("Enter the name of the person we should talk to.")),
            Length(max=200, message=_l("Shorten this to at most 200 characters.")),
            storable,
        ],
    )
    email = email_field(
        _l("Email"),
        InputRequired(_l("Enter your email address: our answer is sent there.")),
        sendable_email_in_place,
    )
    phone = TelField(
        _l("Phone"),
        validators=[InputRequired(_l("Enter a phone number, so the guide can reach you."))],
    )
    # Left empty by people; filled by form-filling robots, whose requests are dropped.
    website = StringField(_l("Leave this empty"))

    # The order the page shows the fields in, which the error summary follows too.
    field_order: tuple[str, ...] = (
        "tour",
        "organisation",
        "kind",
        "group_size",
        "preferred_1",
        "preferred_2",
        "preferred_3",
        "walk_language",
        "accessibility",
        "contact_name",
        "email",
        "phone",
    )
    preferred_fields = tuple(f"preferred_{n}" for n in range(1, MAX_PREFERRED + 1))

    # The chosen tour's wall clock, set by the view: preferred times must come after it.
    now = datetime.min

    def validate_tour(self, field: Field) -> None:
        if field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Choose one of the tours in the list."))

    def validate_kind(self, field: Field) -> None:
        if field.data not in {value for value, _label in kind_choices()}:
            raise ValidationError(_l("Choose one of the types in the list."))

    def validate_walk_language(self, field: Field) -> None:
        if field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Choose one of the languages in the list."))

    def validate_phone(self, field: Field) -> None:
        if not PHONE.match((field.data or "").strip()):
            raise ValidationError(
                _l("Enter a phone number with digits only, e.g. +34 600 123 456.")
            )

    def is_robot(self) -> bool:
        """Whether the field people never see was filled in."""
        return bool((self.website.data or "").strip())

    def preferred(self) -> list[datetime]:
        """The times asked for, first choice first, each once."""
        times = [self[name].data for name in self.preferred_fields]
        return list(dict.fromkeys(t for t in times if t is not None))
