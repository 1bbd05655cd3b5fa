"""The proposal form (Flask-WTF, CSRF protected): where, the story and its language, photos
and a recording, and the teller's consent; every message in the visitor's language, each
beside its field.

The consent questions and options are ``webapp.common.forms.consent``'s, shared with the
facilitators' form and the printable one.  The rules between the choices are the core's
(``tours.stories.consent.consent_problems``); this form says each problem in the
visitor's language beside the question it belongs to.
"""

from __future__ import annotations

import math
import re
import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from markupsafe import Markup
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from tours.i18n import is_valid_tag, normalize_tag
from tours.stories.consent import ConsentChoices, consent_problems
from webapp.common.forms import consent as words
from webapp.common.forms.contact import email_field, sendable_email_in_place, storable
from webapp.common.i18n import LANGUAGES, babel_locale, language_name, native_name

MAX_TITLE = 200
MAX_STORY = 20_000
MAX_NAME = 120
MAX_PHOTOS = 5
OTHER_LANGUAGE = "other"
#: What the page puts in ``submission_key``: url-safe, long enough never to meet another.
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")

# Each consent problem (``ConsentProblem.field``), said in the visitor's language.
CONSENT_MESSAGES: dict[str, Any] = {
    "credit": _l("Choose how you want to be credited."),
    "credit_name": _l("Write the name we should credit you with."),
    "licence": _l("Choose whether others may reuse your story."),
    "kits": _l(
        "A story for this site only cannot go into kits or exports: untick this, or allow reuse."
    ),
    "uses": _l("Choose at least one place where your story may appear."),
    "age": _l("Tick “I am 16 or over”, or give your parent's or guardian's name."),
}


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


class Question(Field):
    """A question answered by a group of fields (a fieldset): no input of its own, only its
    label (the legend) and its errors."""

    def __call__(self, **kwargs: Any) -> Markup:
        return Markup("")

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None


def language_tag(text: str, interface: str) -> str | None:
    """A BCP 47 tag (``ti``), or a language's name in the interface language or in English
    (``Tigrinya``), as a canonical tag; None when it is neither."""
    text = " ".join(text.split())
    if is_valid_tag(text):
        return normalize_tag(text)
    wanted = text.casefold()
    for ui in (interface, "en"):
        for code, name in babel_locale(ui).languages.items():
            tag = code.replace("_", "-")
            if name.casefold() == wanted and is_valid_tag(tag):
                return normalize_tag(tag)
    return None


def language_choices(interface: str, content_languages: tuple[str, ...]) -> list[tuple[str, str]]:
    """The languages a story is offered in: the interface's first, then the other interface
    languages and the tour's, by name (with its own name when that differs)."""

    def label(tag: str) -> str:
        name = language_name(tag)
        name = name[:1].upper() + name[1:]
        native = native_name(tag)
        return name if native.casefold() == name.casefold() else f"{name} ({native})"

    tags = dict.fromkeys([interface, *LANGUAGES, *content_languages])
    named = [(tag, label(tag)) for tag in tags]
    return [named[0], *sorted(named[1:], key=lambda pair: pair[1].casefold())]


def credit_choices() -> list[tuple[str, Any]]:
    return list(words.CREDIT_OPTIONS)


def licence_choices() -> list[tuple[str, Any]]:
    return list(words.LICENCE_OPTIONS)


def _coordinate(text: str | None, limit: float) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


class ShareForm(FlaskForm):
    submission_key = HiddenField()
    district = HiddenField()

    place = Question(_l("Where is it?"))
    tour = SelectField(_l("Tour"), validate_choice=False)
    stop = SelectField(_l("One of the tour's stops"), validate_choice=False)
    lon = HiddenField()
    lat = HiddenField()

    title = StringField(
        _l("Title"),
        validators=[
            InputRequired(_l("Give your place or story a title.")),
            Length(max=MAX_TITLE, message=_l("Shorten the title to at most 200 characters.")),
            storable,
        ],
    )
    story = TextAreaField(
        _l("Your story"),
        validators=[
            Length(max=MAX_STORY, message=_l("Shorten your story to at most 20000 characters.")),
            storable,
        ],
    )
    language = SelectField(_l("Language of your story"), validate_choice=False)
    language_other = StringField(
        _l("Which language?"),
        validators=[Length(max=60, message=_l("Shorten this to at most 60 characters.")), storable],
    )
    photos = MultipleFileField(_l("Photos (optional)"))
    audio = FileField(_l("A recording of your story (optional)"))

    credit = RadioField(words.CREDIT_QUESTION, choices=credit_choices, validate_choice=False)
    credit_name = StringField(
        words.CREDIT_NAME_LABEL,
        validators=[
            Length(max=MAX_NAME, message=_l("Shorten the name to at most 120 characters.")),
            storable,
        ],
    )
    uses = Question(words.USES_QUESTION)
    tour_pages = BooleanField(words.TOUR_PAGES_LABEL)
    guide_scripts = BooleanField(words.GUIDE_SCRIPTS_LABEL)
    kits = BooleanField(words.KITS_LABEL)
    photos_consent = BooleanField(words.PHOTOS_LABEL)
    audio_consent = BooleanField(words.AUDIO_LABEL)
    licence = RadioField(words.LICENCE_QUESTION, choices=licence_choices, validate_choice=False)
    age = Question(_l("Your age"))
    age_16_or_over = BooleanField(words.AGE_LABEL)
    guardian_name = StringField(
        words.GUARDIAN_LABEL,
        validators=[
            Length(max=MAX_NAME, message=_l("Shorten the name to at most 120 characters.")),
            storable,
        ],
    )
    email = email_field(words.CONTACT_LABEL, Optional(), sendable_email_in_place)
    # Left empty by people; filled by form-filling robots, whose requests are dropped.
    website = StringField(_l("Leave this empty"))

    # The order the page shows the fields in, which the error summary follows too.
    field_order: tuple[str, ...] = (
        "place",
        "tour",
        "stop",
        "title",
        "story",
        "language",
        "language_other",
        "photos",
        "audio",
        "credit",
        "credit_name",
        "uses",
        "kits",
        "licence",
        "age",
        "guardian_name",
        "email",
    )

    def validate_tour(self, field: Field) -> None:
        if field.data and field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Choose one of the tours in the list."))

    def validate_stop(self, field: Field) -> None:
        if field.data and field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Choose one of this tour's stops in the list."))

    def validate_place(self, field: Field) -> None:
        has_pin = bool((self.lon.data or "").strip() or (self.lat.data or "").strip())
        if has_pin and self.pin() is None:
            raise ValidationError(_l("The pin's place could not be read: put it on the map again."))
        if has_pin and self.stop.data:
            raise ValidationError(
                _l("Choose a stop or put a pin on the map, not both: remove one of them.")
            )

    def validate_story(self, field: Field) -> None:
        if not (field.data or "").strip() and not self.audio.data:
            raise ValidationError(_l("Write your story, or add a recording of it."))

    def validate_language(self, field: Field) -> None:
        if field.data == OTHER_LANGUAGE:
            return  # said beside the language written in, if it cannot be read
        if field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Choose one of the languages in the list."))

    def validate_language_other(self, field: Field) -> None:
        if self.language.data != OTHER_LANGUAGE:
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Write the language of your story, e.g. Tigrinya or ti."))
        if self.story_language() is None:
            raise ValidationError(
                _l(
                    "We do not know this language: write its name in full or its code"
                    " (BCP 47), e.g. Tigrinya or ti."
                )
            )

    def validate_photos(self, field: Field) -> None:
        if len(self.photo_files()) > MAX_PHOTOS:
            raise ValidationError(_l("Choose at most 5 photos."))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for problem in consent_problems(self.choices()):
            self[problem.field].errors.append(CONSENT_MESSAGES[problem.field])
            valid = False
        return valid

    # --- what was sent, read ----------------------------------------------------------

    def pin(self) -> tuple[float, float] | None:
        """``(lon, lat)`` of the pin, when one was put and can be read."""
        lon = _coordinate(self.lon.data, 180.0)
        lat = _coordinate(self.lat.data, 90.0)
        return None if lon is None or lat is None else (lon, lat)

    def story_language(self) -> str | None:
        """The story's language as a BCP 47 tag: chosen, or written in."""
        if self.language.data != OTHER_LANGUAGE:
            return self.language.data or None
        return language_tag(self.language_other.data or "", self.interface_language)

    def photo_files(self) -> list[Any]:
        return [upload for upload in self.photos.data or [] if upload and upload.filename]

    def choices(self) -> ConsentChoices:
        """The consent choices as sent (None for a question not answered)."""
        return ConsentChoices(
            credit=self.credit.data or None,
            credit_name=(self.credit_name.data or "").strip() or None,
            tour_pages=bool(self.tour_pages.data),
            guide_scripts=bool(self.guide_scripts.data),
            kits=bool(self.kits.data),
            photos=bool(self.photos_consent.data),
            audio=bool(self.audio_consent.data),
            licence=self.licence.data or None,
            age_16_or_over=bool(self.age_16_or_over.data),
            guardian_name=(self.guardian_name.data or "").strip() or None,
        )

    def is_robot(self) -> bool:
        """Whether the field people never see was filled in."""
        return bool((self.website.data or "").strip())

    def key(self) -> str | None:
        """The form's one-time key, when it is one the page made."""
        key = (self.submission_key.data or "").strip()
        return key if SUBMISSION_KEY.fullmatch(key) else None

    # Set by the view: the language the form is shown in (for language names).
    interface_language = "en"
