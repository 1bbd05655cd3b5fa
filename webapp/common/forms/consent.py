"""The words of a resident's consent, in the interface language: one source for the web
form (`/share`), the summary shown back before sending, the facilitators' entry form and
the printable consent form, so that all say the same.

``summary`` turns the choices into plain sentences; ``wording`` joins them into the text
a ``ContributionConsent`` keeps verbatim with its language and ``CONSENT_VERSION``.
Whatever a page's script shows, the server composes the summary again from what was
sent: that is the text stored.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from tours.stories.consent import (
    CREDIT_ANONYMOUS,
    CREDIT_CHOSEN_NAME,
    CREDIT_FIRST_NAME,
    CREDIT_FULL_NAME,
    LICENCE_CC_BY,
    LICENCE_CC_BY_SA,
    LICENCE_SITE_ONLY,
    ConsentChoices,
)

# The questions and their options, in the order the forms ask them.
CREDIT_QUESTION = _l("How do you want to be credited?")
CREDIT_OPTIONS = (
    (CREDIT_FULL_NAME, _l("With my full name")),
    (CREDIT_FIRST_NAME, _l("With my first name only")),
    (CREDIT_CHOSEN_NAME, _l("With a name I choose")),
    (CREDIT_ANONYMOUS, _l("Anonymously, as a neighbour of the district")),
)
CREDIT_NAME_LABEL = _l("The name to credit")
USES_QUESTION = _l("Where may your story appear?")
TOUR_PAGES_LABEL = _l("On this site's tour pages")
GUIDE_SCRIPTS_LABEL = _l("In the guides' scripts for the walks")
KITS_LABEL = _l("In the replication kit and exports for other cities")
PHOTOS_LABEL = _l("My photos may appear wherever my story may")
AUDIO_LABEL = _l("My recording may appear wherever my story may")
LICENCE_QUESTION = _l("May others reuse your story?")
LICENCE_OPTIONS = (
    (LICENCE_CC_BY, _l("Yes, if they credit me (CC BY 4.0)")),
    (LICENCE_CC_BY_SA, _l("Yes, if they credit me and share alike (CC BY-SA 4.0)")),
    (LICENCE_SITE_ONLY, _l("No: this site only, never in kits or exports")),
)
AGE_LABEL = _l("I am 16 or over")
GUARDIAN_LABEL = _l("If you are under 16: your parent's or guardian's name (they agree)")
CONTACT_LABEL = _l("Your email (optional): for a receipt and a personal link to withdraw")
WITHDRAW_PROMISE = _l(
    "You can withdraw your story at any time. It then disappears from every page, "
    "guide's script, kit and export, and its photos and recording are deleted."
)


def _credit_sentence(choices: ConsentChoices, district: str | None) -> str:
    if choices.credit == CREDIT_ANONYMOUS:
        if district:
            return gettext(
                "You will not be named: your story is credited to “a neighbour of %(district)s”.",
                district=district,
            )
        return gettext("You will not be named: your story is credited to “a neighbour”.")
    return gettext("Your story is credited to “%(name)s”.", name=choices.credit_name or "")


def _uses_sentence(choices: ConsentChoices) -> str:
    places = [
        str(label)
        for label, yes in (
            (TOUR_PAGES_LABEL, choices.tour_pages),
            (GUIDE_SCRIPTS_LABEL, choices.guide_scripts),
            (KITS_LABEL, choices.kits and choices.licence != LICENCE_SITE_ONLY),
        )
        if yes
    ]
    if not places:
        return gettext("Your story will appear nowhere yet: choose at least one place.")
    return gettext("Your story may appear: %(places)s.", places="; ".join(places))


def _licence_sentence(choices: ConsentChoices) -> str:
    if choices.licence == LICENCE_CC_BY:
        return gettext("Others may reuse it if they credit you (CC BY 4.0).")
    if choices.licence == LICENCE_CC_BY_SA:
        return gettext("Others may reuse it if they credit you and share it alike (CC BY-SA 4.0).")
    return gettext("It stays on this site only: it never goes into kits or exports.")


def summary(choices: ConsentChoices, district: str | None = None) -> list[str]:
    """What the teller agrees to, in plain sentences of the interface language."""
    sentences = [
        _credit_sentence(choices, district),
        _uses_sentence(choices),
        gettext("Your photos may appear with it.")
        if choices.photos
        else gettext("Your photos will not appear."),
        gettext("Your recording may appear with it.")
        if choices.audio
        else gettext("Your recording will not appear."),
        _licence_sentence(choices),
        gettext("You are 16 or over.")
        if choices.age_16_or_over
        else gettext(
            "You are under 16 and %(guardian)s, your guardian, agrees.",
            guardian=choices.guardian_name or "",
        ),
        str(WITHDRAW_PROMISE),
    ]
    return sentences


def wording(choices: ConsentChoices, district: str | None = None) -> str:
    """The text a consent record keeps: the summary, one sentence a line."""
    return "\n".join(summary(choices, district))


def summary_html(choices: ConsentChoices, district: str | None = None) -> Markup:
    """The summary as an HTML list (escaped)."""
    items = Markup("").join(Markup("<li>{}</li>").format(s) for s in summary(choices, district))
    return Markup('<ul class="consent-summary">{}</ul>').format(items)
