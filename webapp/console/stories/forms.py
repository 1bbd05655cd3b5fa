"""The forms of residents' contributions in the console (CSRF is checked for every console
POST by ``auth.guard_console``, so none of them carries its own token).

The workshop form asks the consent questions in the words of the web form
(``webapp.common.forms.consent``) and how the consent was given; its choices are checked
by the same rules as every contribution's (``tours.stories.consent``), each problem said
beside its field.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    FloatField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Email, Length, Optional

from tours.i18n import is_valid_tag
from tours.stories.consent import (
    METHOD_PAPER,
    METHOD_SPOKEN,
    ConsentChoices,
    ConsentProblem,
    consent_problems,
)
from tours.text import unstorable
from webapp.actions.contributions import INTO_NEW_STOP, INTO_NEW_TOUR, INTO_STOP, MAX_REASON
from webapp.common.forms import consent as words
from webapp.common.i18n import LANGUAGES
from webapp.console.forms import choices

MAX_TITLE = 200
MAX_STORY = 20_000
MAX_NAME = 120
MAX_PHOTOS = 6


def _strip(text: Any) -> Any:
    return text.strip() if isinstance(text, str) else text


def _storable(_form: Any, field: Field) -> None:
    if isinstance(field.data, str) and unstorable(field.data):
        raise ValidationError(_l("This contains a character that cannot be stored. Type it again."))


def _length(limit: int) -> Length:
    return Length(max=limit, message=_l("Shorten this to at most %(max)d characters.", max=limit))


class _ConsoleForm(FlaskForm):
    class Meta:
        csrf = False  # checked once for every console POST (auth.guard_console)


# -- a coordinator's decisions ------------------------------------------------------------


class AcceptForm(_ConsoleForm):
    """Where an accepted contribution goes: a new stop of a tour, a stop, or a new tour."""

    target = RadioField(
        _l("Put it"),
        choices=choices(
            [
                (INTO_NEW_STOP, _l("as a new stop of a tour, at its pin")),
                (INTO_STOP, _l("on an existing stop (its story, or a translation)")),
                (INTO_NEW_TOUR, _l("as the first stop of a new draft tour")),
            ]
        ),
        validate_choice=False,
    )
    tour = SelectField(_l("Tour"), validate_choice=False)
    stop = SelectField(_l("Stop"), validate_choice=False)
    city = StringField(_l("City of the new tour"), filters=[_strip], validators=[_length(120)])
    slug = StringField(
        _l("Name in the new tour's web address (empty: made from the title)"),
        filters=[_strip],
        validators=[_length(64)],
    )
    district = StringField(
        _l("District (an anonymous teller is credited as a neighbour of it)"),
        filters=[_strip],
        validators=[_length(MAX_NAME)],
    )
    timezone = StringField(
        _l("Time zone (such as Europe/Madrid)"), filters=[_strip], validators=[_length(64)]
    )

    def validate_target(self, field: Field) -> None:
        if field.data not in (INTO_NEW_STOP, INTO_STOP, INTO_NEW_TOUR):
            raise ValidationError(_l("Choose where the story goes."))

    def validate_tour(self, field: Field) -> None:
        if self.target.data == INTO_NEW_STOP and not field.data:
            raise ValidationError(_l("Choose the tour."))

    def validate_stop(self, field: Field) -> None:
        if self.target.data == INTO_STOP and ":" not in (field.data or ""):
            raise ValidationError(_l("Choose the stop."))

    def validate_city(self, field: Field) -> None:
        if self.target.data == INTO_NEW_TOUR and not field.data:
            raise ValidationError(_l("Write the city of the new tour."))


class DeclineForm(_ConsoleForm):
    reason = TextAreaField(
        _l("Why it is declined (the teller reads this when they left an email)"),
        filters=[_strip],
        validators=[
            _length(MAX_REASON),
            _storable,
        ],
    )

    def validate_reason(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Write why the story is declined."))


class WithdrawForm(_ConsoleForm):
    """Withdrawing a story on its teller's request: said twice, as it cannot be undone."""

    requested = BooleanField(
        _l("The teller asked for it: remove the story, its photos and recording everywhere")
    )

    def validate_requested(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Tick the box to confirm the teller asked for it."))


class EditForm(_ConsoleForm):
    """The title and story as they will be published, and the recording's transcript in
    each language: ``transcript-<tag>`` fields read from the request, plus one new one."""

    title = StringField(_l("Title"), filters=[_strip], validators=[_length(MAX_TITLE), _storable])
    story = TextAreaField(_l("Story"), filters=[_strip], validators=[_length(MAX_STORY), _storable])
    new_language = SelectField(_l("Transcript in another language"), validate_choice=False)
    new_transcript = TextAreaField(
        _l("Its transcript"), filters=[_strip], validators=[_length(MAX_STORY), _storable]
    )

    def transcript(self, formdata: Mapping[str, str], languages: Iterable[str]) -> dict[str, str]:
        """``{tag: text}`` from the form: each language shown, and the new one."""
        found = {
            tag: (formdata.get(f"{self._prefix}transcript-{tag}") or "").strip()
            for tag in languages
        }
        if self.new_language.data and (self.new_transcript.data or "").strip():
            found[self.new_language.data] = self.new_transcript.data.strip()
        return found

    def validate_new_language(self, field: Field) -> None:
        if field.data and not is_valid_tag(field.data):
            raise ValidationError(_l("Choose a language from the list."))


# -- a workshop's contribution ------------------------------------------------------------


def new_submission_key() -> str:
    """The form's one-time key: sent twice, it stores one contribution."""
    return secrets.token_urlsafe(24)


class EntryForm(_ConsoleForm):
    """A story told at a workshop, entered by a facilitator with the teller's consent."""

    submission_key = HiddenField()
    # Where: one of a tour's stops, or a pin (longitude and latitude).
    stop = SelectField(_l("A stop of a tour"), validate_choice=False)
    lon = FloatField(_l("Longitude of the place"), validators=[Optional()])
    lat = FloatField(_l("Latitude of the place"), validators=[Optional()])
    # What: the story in its language, its photos and recording.
    language = SelectField(_l("Language of the story"), validate_choice=False)
    title = StringField(_l("Title"), filters=[_strip], validators=[_length(MAX_TITLE), _storable])
    story = TextAreaField(_l("Story"), filters=[_strip], validators=[_length(MAX_STORY), _storable])
    photos = MultipleFileField(_l("Photos (JPEG, PNG, WebP or GIF; at most 6)"))
    audio = FileField(_l("Recording (Ogg, WebM, MP3, M4A or WAV; at most 20 MB and 10 minutes)"))
    # The teller: their emails' language, and how to reach them.
    interface_language = SelectField(_l("Language of their emails"), validate_choice=False)
    contact_email = EmailField(
        words.CONTACT_LABEL,
        filters=[_strip],
        validators=[
            Optional(),
            Email(message=_l("That is not an email address."), check_deliverability=False),
            _length(254),
        ],
    )
    # The consent, in the web form's words.
    credit = RadioField(words.CREDIT_QUESTION, validate_choice=False)
    credit_name = StringField(
        words.CREDIT_NAME_LABEL, filters=[_strip], validators=[_length(MAX_NAME), _storable]
    )
    tour_pages = BooleanField(words.TOUR_PAGES_LABEL)
    guide_scripts = BooleanField(words.GUIDE_SCRIPTS_LABEL)
    kits = BooleanField(words.KITS_LABEL)
    photos_allowed = BooleanField(words.PHOTOS_LABEL)
    audio_allowed = BooleanField(words.AUDIO_LABEL)
    licence = RadioField(words.LICENCE_QUESTION, validate_choice=False)
    age_16_or_over = BooleanField(words.AGE_LABEL)
    guardian_name = StringField(
        words.GUARDIAN_LABEL, filters=[_strip], validators=[_length(MAX_NAME), _storable]
    )
    # How consent was given, in which language, and its proof.
    method = RadioField(
        _l("How was consent given?"),
        choices=choices(
            [
                (METHOD_PAPER, _l("On the printed consent form, signed")),
                (METHOD_SPOKEN, _l("Spoken, before a witness")),
            ]
        ),
        validate_choice=False,
    )
    consent_language = SelectField(
        _l("Language the consent questions were asked in"), validate_choice=False
    )
    paper_reference = StringField(
        _l("Reference written on the paper form"),
        filters=[_strip],
        validators=[_length(MAX_NAME), _storable],
    )
    witness = StringField(
        _l("Who witnessed the spoken consent"),
        filters=[_strip],
        validators=[_length(MAX_NAME), _storable],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.credit.choices = choices(words.CREDIT_OPTIONS)
        self.licence.choices = choices(words.LICENCE_OPTIONS)

    def validate_lat(self, field: Field) -> None:
        lon, lat = self.lon.data, field.data
        if (lon is None) != (lat is None):
            raise ValidationError(_l("Give both the longitude and the latitude, or neither."))
        if lon is not None and lat is not None:
            if not (math.isfinite(lon) and math.isfinite(lat)):
                raise ValidationError(_l("Write the position as two numbers."))
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValidationError(
                    _l(
                        "The longitude must be between -180 and 180 and the latitude"
                        " between -90 and 90."
                    )
                )

    def validate_language(self, field: Field) -> None:
        if not field.data or not is_valid_tag(field.data):
            raise ValidationError(_l("Choose the language of the story."))

    def validate_interface_language(self, field: Field) -> None:
        if field.data not in LANGUAGES:  # the receipt is written in an interface language
            raise ValidationError(_l("Choose a language from the list."))

    def validate_story(self, field: Field) -> None:
        if not (field.data or self.title.data or _has_file(self.audio.data)):
            raise ValidationError(_l("Write the story, a title, or add the recording."))

    def validate_photos(self, field: Field) -> None:
        if len([f for f in field.data or () if _has_file(f)]) > MAX_PHOTOS:
            raise ValidationError(_l("At most 6 photos."))

    def choices_given(self) -> ConsentChoices:
        return ConsentChoices(
            credit=self.credit.data or None,
            credit_name=self.credit_name.data or None,
            tour_pages=bool(self.tour_pages.data),
            guide_scripts=bool(self.guide_scripts.data),
            kits=bool(self.kits.data),
            photos=bool(self.photos_allowed.data),
            audio=bool(self.audio_allowed.data),
            licence=self.licence.data or None,
            age_16_or_over=bool(self.age_16_or_over.data),
            guardian_name=self.guardian_name.data or None,
        )

    def consent_errors(self) -> bool:
        """Put each consent problem beside its field; True when there was one."""
        problems = consent_problems(self.choices_given()) + self._method_problems()
        for problem in problems:
            place = getattr(self, CONSENT_FIELDS.get(problem.field, problem.field))
            place.errors = [*place.errors, str(CONSENT_MESSAGES[problem.field])]
        return bool(problems)

    def _method_problems(self) -> list[ConsentProblem]:
        if self.method.data == METHOD_PAPER and not self.paper_reference.data:
            return [ConsentProblem("paper_reference", "")]
        if self.method.data == METHOD_SPOKEN and not self.witness.data:
            return [ConsentProblem("witness", "")]
        if self.method.data not in (METHOD_PAPER, METHOD_SPOKEN):
            return [ConsentProblem("method", "")]
        return []


def _has_file(storage: Any) -> bool:
    return bool(storage) and bool(getattr(storage, "filename", ""))


# A consent problem's field (``ConsentProblem.field``) -> the form field it is shown beside.
CONSENT_FIELDS = {"uses": "tour_pages", "age": "age_16_or_over"}
CONSENT_MESSAGES = {
    "credit": _l("Choose how they want to be credited."),
    "credit_name": _l("Write the name to credit."),
    "licence": _l("Choose a licence for reuse."),
    "kits": _l("A story for this site only cannot go into kits or exports."),
    "uses": _l("Choose at least one place where the story may appear."),
    "age": _l("Tick that they are 16 or over, or give a guardian's name."),
    "method": _l("Say how consent was given: on paper or spoken."),
    "paper_reference": _l("Write the reference on the paper form."),
    "witness": _l("Name who witnessed the spoken consent."),
}
