"""The planning forms.  CSRF is checked for every console POST in ``auth.guard_console``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from guides.availability import NOTE_MAX
from webapp.actions.departures import WITHDRAWAL_REASON_MAX
from webapp.console.forms import choices


class ScheduleForm(FlaskForm):
    tour = SelectField(_l("Tour"), validators=[InputRequired()])
    starts_at = DateTimeLocalField(
        _l("Date and time (the tour's local time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired()],
    )
    language = SelectField(_l("Language"), validators=[InputRequired()])
    capacity = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=1)])
    # Not checked against the choices: a guide who is not offered is refused by the
    # scheduling rules themselves, which say why (busy, not available, another language).
    guide = SelectField(_l("Guide"), validators=[Optional()], validate_choice=False)
    every = SelectField(_l("Repeat every week on"), validators=[Optional()])
    until = DateField(_l("Until (for a weekly series)"), validators=[Optional()])


class AvailabilityForm(FlaskForm):
    available = RadioField(
        _l("Can you guide then?"),
        choices=choices([("no", _l("No, I cannot guide")), ("yes", _l("Yes, I can guide"))]),
        default="no",
        validators=[InputRequired()],
    )
    first_day = DateField(_l("On (first day)"), validators=[InputRequired()])
    last_day = DateField(_l("Until (last day, if several)"), validators=[Optional()])
    from_time = TimeField(_l("From (time; empty for the whole day)"), validators=[Optional()])
    until_time = TimeField(_l("Until (time)"), validators=[Optional()])
    note = StringField(_l("Note for the coordinators"), validators=[Length(max=NOTE_MAX)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why you cannot lead it (the coordinators read this)"),
        validators=[DataRequired(), Length(max=WITHDRAWAL_REASON_MAX)],
    )
