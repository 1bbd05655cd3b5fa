"""The feedback form (Flask-WTF, CSRF protected) and the opt-out confirmation; every
message in the visitor's language, beside its field."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from tours.text import unstorable
from webapp.actions.feedback import LEARNED_MAX, Answer

OTHER_LANGUAGE = "other"


def rating_choices() -> list[SelectChoice]:
    return [
        SelectChoice("5", _l("5: excellent")),
        SelectChoice("4", _l("4: good")),
        SelectChoice("3", _l("3: fair")),
        SelectChoice("2", _l("2: poor")),
        SelectChoice("1", _l("1: very poor")),
    ]


def credit_choices() -> list[SelectChoice]:
    return [
        SelectChoice("full", _l("My full name")),
        SelectChoice("first", _l("My first name only")),
        SelectChoice("chosen", _l("A name I choose")),
        SelectChoice("anonymous", _l("Anonymous")),
    ]


def _storable(_form: FlaskForm, field: Field) -> None:
    if isinstance(field.data, str) and unstorable(field.data):
        raise ValidationError(_l("This contains a character that cannot be stored. Type it again."))


def _one_of(field: Field, message: Any) -> None:
    if field.data not in {choice.value for choice in field.choices or []}:
        raise ValidationError(message)


class FeedbackForm(FlaskForm):
    rating = RadioField(_l("Overall, how was the walk?"), validate_choice=False)
    recommend = RadioField(
        _l("Would you recommend it to a friend?"),
        choices=[
            SelectChoice("yes", _l("Yes, I would")),
            SelectChoice("no", _l("No, I would not")),
        ],
        validate_choice=False,
    )
    learned = TextAreaField(
        _l("What did you learn, or see differently?"),
        validators=[
            Optional(),
            Length(
                max=LEARNED_MAX,
                message=_l("Shorten this to at most %(max)d characters.", max=LEARNED_MAX),
            ),
            _storable,
        ],
    )
    followed_language = SelectField(
        _l("Which language did you follow the walk in?"), validate_choice=False
    )
    quote_consent = BooleanField(_l("You may quote my answer publicly"))
    credit = RadioField(_l("How should we credit you?"), validate_choice=False)
    chosen_name = StringField(
        _l("The name to credit"),
        validators=[
            Length(max=120, message=_l("Shorten this to at most %(max)d characters.", max=120)),
            _storable,
        ],
    )

    field_order: tuple[str, ...] = (
        "rating",
        "recommend",
        "learned",
        "followed_language",
        "quote_consent",
        "credit",
        "chosen_name",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rating.choices = rating_choices()
        self.credit.choices = credit_choices()

    def validate_rating(self, field: Field) -> None:
        _one_of(field, _l("Choose a rating from 1 to 5."))

    def validate_recommend(self, field: Field) -> None:
        _one_of(field, _l("Answer yes or no."))

    def validate_followed_language(self, field: Field) -> None:
        _one_of(field, _l("Choose one of the languages in the list."))

    def validate_credit(self, field: Field) -> None:
        if self.quote_consent.data:
            _one_of(field, _l("Choose how we should credit you, or untick the quoting box."))

    def validate_chosen_name(self, field: Field) -> None:
        if (
            self.quote_consent.data
            and self.credit.data == "chosen"
            and not (field.data or "").strip()
        ):
            raise ValidationError(_l("Write the name we should credit you with."))

    def answer(self) -> Answer:
        consent = bool(self.quote_consent.data)
        return Answer(
            rating=int(self.rating.data),
            recommend=self.recommend.data == "yes",
            learned=(self.learned.data or "").strip() or None,
            followed_language=self.followed_language.data or "",
            quote_consent=consent,
            credit=self.credit.data if consent else None,
            chosen_name=(self.chosen_name.data or "").strip() or None,
        )


class OptOutForm(FlaskForm):
    """Only the CSRF token: a click on the emailed link never decides alone (mail
    scanners open links), the button on the page does."""
