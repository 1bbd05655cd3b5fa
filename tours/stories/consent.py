"""What a teller agrees to for one contribution, and the rules between the choices.

The words shown to the teller are the web layer's (they are translated); the record keeps
them verbatim with their language and version (``ContributionConsent.wording``), so what
a person agreed to never changes when the wording does.
"""

from __future__ import annotations

from dataclasses import dataclass

# How the teller wants to be credited.
CREDIT_FULL_NAME = "full_name"
CREDIT_FIRST_NAME = "first_name"
CREDIT_CHOSEN_NAME = "chosen_name"
CREDIT_ANONYMOUS = "anonymous"
CREDIT_CHOICES = (CREDIT_FULL_NAME, CREDIT_FIRST_NAME, CREDIT_CHOSEN_NAME, CREDIT_ANONYMOUS)

# The licence for reuse; "site only" keeps the contribution out of kits and exports.
LICENCE_CC_BY = "CC-BY-4.0"
LICENCE_CC_BY_SA = "CC-BY-SA-4.0"
LICENCE_SITE_ONLY = "site-only"
LICENCES = (LICENCE_CC_BY, LICENCE_CC_BY_SA, LICENCE_SITE_ONLY)

# How consent was given: on the web form by the teller, or at a workshop through a
# facilitator (a signed paper form with its reference, or spoken and witnessed).
METHOD_WEB = "web"
METHOD_PAPER = "paper"
METHOD_SPOKEN = "spoken"
METHODS = (METHOD_WEB, METHOD_PAPER, METHOD_SPOKEN)

# Where a contribution may appear: the uses a tour document is shown for.
USE_TOUR_PAGES = "tour_pages"  # this site's tour pages and its API
USE_GUIDE_SCRIPTS = "guide_scripts"  # the guide console
USE_KITS = "kits"  # the replication kit, exports, and the downloadable GeoJSON and GPX
USES = (USE_TOUR_PAGES, USE_GUIDE_SCRIPTS, USE_KITS)

#: Bumped whenever the web form's consent wording changes meaning.
CONSENT_VERSION = "2026-12"


class ConsentProblem(ValueError):
    """A consent that cannot be recorded; ``field`` names the choice to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ConsentChoices:
    """The teller's choices for one contribution (None: not chosen yet)."""

    credit: str | None
    credit_name: str | None  # the name to show; none for anonymous
    tour_pages: bool
    guide_scripts: bool
    kits: bool
    photos: bool  # photos may appear wherever the story may
    audio: bool  # the recording may appear wherever the story may
    licence: str | None
    age_16_or_over: bool
    guardian_name: str | None = None

    @property
    def uses(self) -> frozenset[str]:
        """The uses allowed; a "site only" licence rules out kits and exports."""
        allowed = {
            USE_TOUR_PAGES: self.tour_pages,
            USE_GUIDE_SCRIPTS: self.guide_scripts,
            USE_KITS: self.kits and self.licence != LICENCE_SITE_ONLY,
        }
        return frozenset(use for use, yes in allowed.items() if yes)


def consent_problems(choices: ConsentChoices) -> list[ConsentProblem]:
    """Every choice missing or contradictory, each with the field it belongs to."""
    problems = []
    if choices.credit not in CREDIT_CHOICES:
        problems.append(ConsentProblem("credit", "Choose how you want to be credited."))
    elif choices.credit != CREDIT_ANONYMOUS and not (choices.credit_name or "").strip():
        problems.append(ConsentProblem("credit_name", "Write the name to credit."))
    if choices.licence not in LICENCES:
        problems.append(ConsentProblem("licence", "Choose a licence for reuse."))
    elif choices.kits and choices.licence == LICENCE_SITE_ONLY:
        problems.append(
            ConsentProblem("kits", "A story for this site only cannot go into kits or exports.")
        )
    if not (choices.tour_pages or choices.guide_scripts or choices.kits):
        problems.append(ConsentProblem("uses", "Choose at least one place for the story."))
    if not choices.age_16_or_over and not (choices.guardian_name or "").strip():
        problems.append(
            ConsentProblem("age", "Confirm you are 16 or over, or give a guardian's name.")
        )
    return problems
