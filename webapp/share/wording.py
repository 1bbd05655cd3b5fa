"""The consent summary as the share page shows it back before sending.

The sentences are ``webapp.common.forms.consent.summary``'s.  The page's script
(``static/js/share.js``) rebuilds them as the visitor answers, from the translated
sentences this module puts in the page as JSON data with their placeholders left in
(``%(name)s``, filled with ``textContent``, never as HTML); without the script the
server shows the same lines on "Check my choices".  A question not answered yet is
said as such.  What is stored is composed again on the server (``consent.wording``)
from what was sent.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from tours.stories.consent import (
    CREDIT_ANONYMOUS,
    CREDIT_CHOICES,
    LICENCE_CC_BY,
    LICENCE_CC_BY_SA,
    LICENCE_SITE_ONLY,
    LICENCES,
    USE_GUIDE_SCRIPTS,
    USE_KITS,
    USE_TOUR_PAGES,
    ConsentChoices,
)
from webapp.common.forms import consent as words

AGE_QUESTION = _l("Your age")


def not_answered(question: str) -> str:
    return gettext("Not answered yet: %(question)s", question=question)


def template(message: str, **placeholders: str) -> str:
    """``message`` translated, its placeholders kept for the script to fill."""
    return gettext(message, **{name: f"%({name})s" for name in placeholders})


def summary_templates(district: str | None) -> dict[str, Any]:
    """Every sentence the live summary may show, in the interface language."""
    anonymous = (
        gettext(
            "You will not be named: your story is credited to “a neighbour of %(district)s”.",
            district=district,
        )
        if district
        else gettext("You will not be named: your story is credited to “a neighbour”.")
    )
    return {
        "credit": {
            "anonymous": anonymous,
            "named": template("Your story is credited to “%(name)s”.", name=""),
        },
        "uses": {
            "none": gettext("Your story will appear nowhere yet: choose at least one place."),
            "some": template("Your story may appear: %(places)s.", places=""),
            "places": {
                USE_TOUR_PAGES: str(words.TOUR_PAGES_LABEL),
                USE_GUIDE_SCRIPTS: str(words.GUIDE_SCRIPTS_LABEL),
                USE_KITS: str(words.KITS_LABEL),
            },
            "separator": "; ",
        },
        "photos": {
            "yes": gettext("Your photos may appear with it."),
            "no": gettext("Your photos will not appear."),
        },
        "audio": {
            "yes": gettext("Your recording may appear with it."),
            "no": gettext("Your recording will not appear."),
        },
        "licence": {
            LICENCE_CC_BY: gettext("Others may reuse it if they credit you (CC BY 4.0)."),
            LICENCE_CC_BY_SA: gettext(
                "Others may reuse it if they credit you and share it alike (CC BY-SA 4.0)."
            ),
            LICENCE_SITE_ONLY: gettext(
                "It stays on this site only: it never goes into kits or exports."
            ),
        },
        "age": {
            "yes": gettext("You are 16 or over."),
            "guardian": template(
                "You are under 16 and %(guardian)s, your guardian, agrees.", guardian=""
            ),
        },
        "withdraw": str(words.WITHDRAW_PROMISE),
        "notAnswered": not_answered("%(question)s"),
        "questions": {
            "credit": str(words.CREDIT_QUESTION),
            "creditName": str(words.CREDIT_NAME_LABEL),
            "licence": str(words.LICENCE_QUESTION),
            "age": str(AGE_QUESTION),
        },
    }


def summary_lines(choices: ConsentChoices, district: str | None) -> list[str]:
    """The summary of what was answered so far, as the page's script would show it:
    ``consent.summary``'s sentences, a question not answered yet said as such."""
    lines = words.summary(choices, district)
    if choices.credit not in CREDIT_CHOICES:
        lines[0] = not_answered(str(words.CREDIT_QUESTION))
    elif choices.credit != CREDIT_ANONYMOUS and not choices.credit_name:
        lines[0] = not_answered(str(words.CREDIT_NAME_LABEL))
    if choices.licence not in LICENCES:
        lines[4] = not_answered(str(words.LICENCE_QUESTION))
    if not choices.age_16_or_over and not choices.guardian_name:
        lines[5] = not_answered(str(AGE_QUESTION))
    return lines
