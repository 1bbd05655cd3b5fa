"""The coordinator's answers to a group request (CSRF is checked by ``auth.guard_console``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from webapp.actions.groups import MAX_REPLY

WALL_TIME_INPUT = "%Y-%m-%dT%H:%M"


def _when(label: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=WALL_TIME_INPUT,
        validators=[InputRequired(_l("Enter a date and a time, e.g. 2027-03-15 10:30."))],
    )


def _message() -> TextAreaField:
    return TextAreaField(
        _l("Message to the contact"),
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[
            DataRequired(_l("Write a few words to the group's contact.")),
            Length(max=MAX_REPLY, message=_l("Shorten this to at most 2000 characters.")),
        ],
    )


class _AnswerForm(FlaskForm):
    """One of the three answers on a request's page, each with its prefix (``accept-``…) so
    their fields' ids differ.  The console checks every POST's ``csrf_token`` once
    (``auth.guard_console``); a prefixed form would look for its own copy."""

    class Meta:
        csrf = False


class AcceptGroupForm(_AnswerForm):
    starts_at = _when(_l("Date and time of the walk (the tour's local time)"))


class DeclineGroupForm(_AnswerForm):
    message = _message()


class ProposeGroupForm(_AnswerForm):
    starts_at = _when(_l("Date and time to propose (the tour's local time)"))
    message = _message()
