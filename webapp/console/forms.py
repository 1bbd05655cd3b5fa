"""The console's forms.  CSRF is checked for every console POST in ``auth.guard_console``."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from guides.assignment import Offer
from guides.models import LEVELS
from tours.i18n import base_language


def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), ...]`` as the SelectChoice objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def offer_choices(offers: Iterable[Offer], *, keep: SelectChoice | None = None):
    """The guides a walk is offered (``guides.assignment.Offer``): nobody, ``keep`` (the
    guide it has, or the one just asked for), those who lead the tour, then the others."""
    offers = list(offers)
    found = [SelectChoice("", _l("— no guide —")), *([keep] if keep else [])]
    for leads, group in ((True, _l("Lead this tour")), (False, _l("Outside their tours"))):
        found += [
            SelectChoice(offer.guide.id, offer.guide.display_name, optgroup=str(group))
            for offer in offers
            if offer.leads_tour is leads and (keep is None or offer.guide.id != keep.value)
        ]
    return found


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[InputRequired()])
    confirm = PasswordField(_l("The same password again"), validators=[InputRequired()])


class ScriptForm(FlaskForm):
    text = TextAreaField(_l("Your version of the script"))
    based_on = TextAreaField()


class CapacityForm(FlaskForm):
    capacity = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=1)])


class AssignForm(FlaskForm):
    guide = SelectField(_l("Guide"), validators=[Optional()])


class ConfirmForm(FlaskForm):
    """A button that changes something (cancel, disable, new link): only its CSRF token."""


#: Language rows a guide profile's form shows at least (one more than a profile has).
LANGUAGE_ROWS = 6


class LanguageRowForm(Form):
    """One language a guide guides in and how well, each chosen from a list (the command
    line's ``es:native`` stays the command line's). The lists are set per request."""

    tag = SelectField(_l("Language"), choices=[], validate_choice=False)
    level = SelectField(_l("Level"), choices=[], validate_choice=False)


class GuideForm(FlaskForm):
    guide_id = StringField(_l("Id (used in the address of the profile)"))
    display_name = StringField(_l("Name"), validators=[InputRequired()])
    languages = FieldList(FormField(LanguageRowForm), min_entries=LANGUAGE_ROWS)
    # Chosen from the stored tours (``wording.tour_choices``), never typed as slugs.
    tours = SelectMultipleField(
        _l("Tours they lead"),
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    bio_es = TextAreaField(_l("Biography in Spanish"))
    bio_eu = TextAreaField(_l("Biography in Basque"))
    bio_en = TextAreaField(_l("Biography in English"))
    bio_fr = TextAreaField(_l("Biography in French"))
    bio_ar = TextAreaField(_l("Biography in Arabic"))
    origin_es = StringField(_l("Where they come from, in Spanish"))
    origin_en = StringField(_l("Where they come from, in English"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: What is wrong with the languages as a whole (none chosen), beside the fieldset.
        self.language_errors: list[str] = []

    def offer_lists(self, languages: list[tuple[str, str]], levels: list[tuple[str, str]]):
        """Give each language row its two lists (``languages``: (tag, name), ``levels``:
        (level, name)), with at least one empty row after the chosen ones."""
        chosen = sum(1 for row in self.languages if row.form.tag.data)
        while len(self.languages) < max(LANGUAGE_ROWS, chosen + 1):
            self.languages.append_entry()
        for row in self.languages:
            row.form.tag.choices = choices([("", _l("— none —")), *languages])
            row.form.level.choices = choices(levels)
            if not row.form.level.data:
                row.form.level.data = "fluent"

    def chosen_languages(self, known: set[str]) -> list[dict[str, str]] | None:
        """The rows with a language, as a profile stores them; None when a row is not from
        the lists or repeats a language (its error beside it) or none is chosen."""
        found: list[dict[str, str]] = []
        for row in self.languages:
            tag, level = (row.form.tag.data or "").strip(), (row.form.level.data or "").strip()
            if not tag:
                continue  # an empty row: its level means nothing
            if tag not in known:
                row.form.tag.errors = [_l("Choose a language from the list.")]
            elif level not in LEVELS:
                row.form.level.errors = [_l("Choose a level from the list.")]
            elif any(base_language(item["tag"]) == base_language(tag) for item in found):
                row.form.tag.errors = [_l("This language is chosen in another row already.")]
            else:
                found.append({"tag": tag, "level": level})
        if not found and not self.row_errors():
            self.language_errors = [_l("Choose at least one language the guide guides in.")]
        return None if self.row_errors() or self.language_errors else found

    def row_errors(self) -> bool:
        return any(row.form.tag.errors or row.form.level.errors for row in self.languages)


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG, PNG or WebP, at most 5 MB)"))


class AccountForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired()])
    role = SelectField(
        _l("Role"),
        choices=choices(
            [
                ("guide", _l("Guide")),
                # Enters and sees residents' contributions; nothing else of the console.
                ("facilitator", _l("Facilitator (workshops)")),
                ("coordinator", _l("Coordinator")),
            ]
        ),
    )
    guide = SelectField(_l("Guide profile (for a guide)"), validators=[Optional()])
    # The set-password email, and every later one, goes out in this language.
    language = SelectField(_l("Language of their emails"), validators=[Optional()])


class TranslationUploadForm(FlaskForm):
    file = FileField(_l("Translation file (CSV, UTF-8)"))


class ForkForm(FlaskForm):
    city = StringField(_l("City of the new tour"), validators=[InputRequired()])
    # The slug, said as what it is for a coordinator: the last part of the tour's address.
    slug = StringField(_l("Name in the new tour's web address (empty: made from the city)"))
    with_scripts = BooleanField(_l("Copy the guides' scripts too (they are private)"))
