"""What the console says instead of the command line's words.

The checks of ``tours.content`` and the account rules of ``guides.accounts`` explain
themselves in the command line's words: ``--language``, ``--map``, ``--order route``,
``[profile.missing-property]``, feature pointers and stop ids.  Those stay theirs (the
command line prints them); here each problem code, refusal reason and order rule gets a
sentence in the interface's language.  The page may still show the code and the original
message folded in a ``<details>`` line, for whoever reports a bug.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from babel import localedata
from flask_babel import format_date, format_time, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from guides import accounts, profiles
from guides.accounts import AccountError
from guides.models import LEVELS
from tours.booking.departures import ScheduleError
from tours.errors import BideanError
from tours.tour.store import newest_version, tour_listings
from webapp.common.i18n import LANGUAGES, babel_locale, current_language, language_name
from webapp.console.views import bp

#: The profile's properties a coordinator may be told are missing, in interface words.
FIELD_WORDS = {
    "title": _l("the title"),
    "summary": _l("the summary"),
    "city": _l("the city"),
    "timezone": _l("the time zone"),
    "licence": _l("the licence of the texts"),
    "name": _l("the name"),
    "story": _l("the story"),
    "languages": _l("the languages"),
    "duration_minutes": _l("the duration"),
}

#: One sentence per problem code a coordinator meets in the console.
CODE_SENTENCES = {
    "profile.missing-property": _l("%(what)s is missing."),
    "profile.empty-text": _l("A text is empty: write it."),
    "profile.missing-translation": _l("A text is missing in one of the tour's languages."),
    "profile.partial-language": _l("Not every text is written in this language yet."),
    "profile.no-published-stop": _l("The tour has no stop that can be published yet."),
    "profile.no-route": _l("The tour has no route yet."),
    "assemble.no-route": _l("The files have stops but no route."),
    "profile.approximate-route": _l(
        "The route is only straight lines between the stops: redraw it in the editor."
    ),
    "profile.audio-transcript": _l(
        "A recording has no transcript yet: write what is said in at least one language."
    ),
    "profile.stop-far-from-route": _l("A stop is far from the route."),
    "profile.licence-not-spdx": _l("The licence is not one Bidean knows, such as CC-BY-SA-4.0."),
    "profile.timezone": _l("The time zone is not known; write one such as Europe/Madrid."),
    "profile.invalid-language-tag": _l("A language code is not valid, such as es or eu."),
    "profile.duplicate-stop-id": _l("Two stops have the same identifier."),
    "profile.too-long": _l("A text is too long."),
    "profile.foreign-member-dropped": _l("Some extra information in the file is not kept."),
    "import.slug-taken": _l("Another tour already has this address: change the title or the city."),
    "import.internal-error": _l("The files could not be read; nothing was stored."),
    "assemble.several-lines": _l("The files hold several lines: choose the route's line."),
    "assemble.line-network": _l("The files hold several lines: choose the route's line."),
    "assemble.route-line-unknown": _l("The files hold several lines: choose the route's line."),
    "assemble.lines-joined": _l("The lines were joined into one route, in the files' order."),
    "assemble.joined-line": _l("The lines were joined into one route, in the files' order."),
    "csv.no-coordinates": _l("The CSV file has no longitude and latitude columns."),
    "csv.row-without-coordinates": _l("A row of the CSV file has no coordinates."),
    "media.local-file-not-read": _l("A picture named in the file was not uploaded with it."),
    "stories.withdrawn-story": _l(
        "A resident withdrew this stop's story, so the stop is a draft now: write another"
        " story and publish the stop again, or leave it out."
    ),
}

#: The family of a code (its prefix) when the code itself has no sentence.
FAMILY_SENTENCES = {
    "json": _l("The file is not valid JSON."),
    "geojson": _l("The file is not valid GeoJSON."),
    "gpx": _l("The GPX file cannot be read as it is."),
    "kml": _l("The KML file cannot be read as it is."),
    "csv": _l("The CSV file cannot be read as it is."),
    "file": _l("A file cannot be read."),
    "profile": _l("This part of the tour does not follow Bidean's rules."),
    "assemble": _l("The files cannot be put together as they are."),
    "fork": _l("Part of the tour could not be copied."),
}

_STOP_POINTER = re.compile(r"^/features/(\d+)(?:/|$)")
# The command line's options in a note: in brackets, in a clause after ";", in a sentence.
_FLAG_NOTES = (
    re.compile(r"\s*\([^()]*--[a-z][^()]*\)"),
    re.compile(r"[;,]\s*[^;.()]*--[a-z][^;.()]*(?=[.;])"),
    re.compile(r"[^.]*--[a-z][^.]*\.\s*"),
)


def problem_sentence(code: str, pointer: str = "") -> str:
    """The interface's sentence for a problem code (its family's when it has none)."""
    sentence = CODE_SENTENCES.get(code)
    if sentence is None:
        family = FAMILY_SENTENCES.get(code.split(".", 1)[0])
        return str(family) if family is not None else gettext("There is a problem in the files.")
    if code == "profile.missing-property":
        key = pointer.rsplit("/", 1)[-1]
        what = FIELD_WORDS.get(key)
        what_text = str(what) if what is not None else gettext("“%(key)s”", key=key)
        said = gettext("%(what)s is missing.", what=what_text)
        return said[:1].upper() + said[1:]  # "the summary…" starts a sentence
    return str(sentence)


def stop_names(stops: list[Any], by_source: bool) -> dict[int, str]:
    """Feature index -> stop name, for a preview's stops (assembled documents list their
    stops in the final order after the route; a tour file in its own order)."""
    return {
        (s.source_position if by_source else s.position): s.name or s.id
        for s in stops
        if s.name or s.id
    }


def stop_of(pointer: str, names: Mapping[int, str]) -> str | None:
    """The stop's name a pointer such as ``/features/3/properties/story`` is about."""
    found = _STOP_POINTER.match(pointer or "")
    return names.get(int(found[1])) if found else None


def without_flags(text: str) -> str:
    """A note without the command line's options: ``(--order route to …)`` goes."""
    for pattern in _FLAG_NOTES:
        text = pattern.sub("", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def order_sentence(rule: str | None) -> str:
    """The stop-order rule the importer used, in interface words."""
    rule = rule or ""
    if rule.startswith("set by hand"):
        return gettext("as set by hand")
    if rule.startswith("along the route (") or rule == "along the route":
        return gettext("along the route")
    if rule.startswith(("the source's order", "source order")):
        return gettext("the files' own order")
    if rule.startswith("the names are a sequence"):
        return gettext("the stop names are a sequence, so they give the order")
    if rule.endswith("(the route is drawn through the stops)"):
        return gettext("the order given in the files (the route is drawn through the stops)")
    if rule.startswith(("explicit order", "the file's order")):
        return gettext("the order given in the files, then the earliest pass along the route")
    return gettext("along the route, at each stop's earliest pass")


def account_refusal(error: AccountError) -> str:
    """Why an account request was refused, in interface words."""
    sentences = {
        accounts.NOT_AN_EMAIL: gettext("That is not an email address."),
        accounts.UNKNOWN_ROLE: gettext("Choose a role: guide, facilitator or coordinator."),
        accounts.GUIDE_NEEDED: gettext("A guide's account needs the guide's profile."),
        accounts.GUIDE_NOT_WANTED: gettext(
            "Only a guide's account is tied to a guide profile: leave it empty."
        ),
        accounts.EXISTS: gettext("An account with this email exists already."),
        accounts.EXISTS_DISABLED: gettext(
            "An account with this email exists but is disabled. Enable it to let them log in again."
        ),
        accounts.DISABLED: gettext(
            "This account is disabled, so a set-password link would not work: enable it first."
        ),
        accounts.OWN_ACCOUNT: gettext("You cannot disable your own account."),
        accounts.LAST_COORDINATOR: gettext(
            "This is the last active coordinator: enable or add another coordinator first."
        ),
    }
    return sentences.get(error.reason, gettext("This account request cannot be done."))


def guide_refusal(error: BideanError) -> str:
    """Why a guide profile was not saved, in interface words."""
    reason = getattr(error, "reason", None)
    sentences = {
        profiles.BAD_ID: gettext(
            "The profile's id may hold lowercase letters, digits and single hyphens, such as"
            " amaia or youssef-b."
        ),
        profiles.BAD_NAME: gettext("Write the guide's name, in at most %(max)d characters.")
        % {"max": profiles.NAME_MAX},
        profiles.BAD_LANGUAGES: gettext(
            "Choose each language and its level from the lists, each language once."
        ),
        profiles.BAD_TEXT: gettext(
            "Each biography and origin text may hold at most %(max)d characters."
        )
        % {"max": profiles.BIO_MAX},
        profiles.UNKNOWN_TOUR: gettext(
            "One of the tours is not stored: check the tours' addresses on the Tours page."
        ),
        profiles.GUIDE_EXISTS: gettext(
            "A guide with this id exists already: choose another id, or edit that profile."
        ),
        profiles.LANGUAGE_IN_USE: gettext(
            "This guide leads upcoming walks in a language you removed: give those walks"
            " another guide first."
        ),
    }
    return sentences.get(reason, gettext("The profile was not saved: check its fields."))


def interface_languages() -> list[tuple[str, str]]:
    """(code, native name) of every interface language, for a list to choose from."""
    return list(LANGUAGES.items())


#: Content languages offered in lists beside the interface's: the languages of the
#: communities whose stories the tours tell, and the region's.
CONTENT_LANGUAGES = (
    "am", "bg", "bn", "ca", "de", "en", "es", "eu", "fa", "ff", "fr", "gl", "hi", "it", "ka",
    "nl", "pl", "pt", "qu", "ro", "ru", "so", "sw", "ti", "tr", "uk", "ur", "wo", "zh", "ar",
)  # fmt: skip

#: The levels a guide speaks a language at (``guides.models.LEVELS``), in interface words
#: (the same words as the public profile's).
LEVEL_WORDS = {
    "native": _l("native"),
    "fluent": _l("fluent"),
    "conversational": _l("conversational"),
}


def world_languages() -> tuple[str, ...]:
    """Every language the locale data (CLDR, through Babel) describes: a few hundred, from
    Wolof and Quechua to Moroccan Arabic, beside the interface's and the content ones."""
    return _world_languages()


@lru_cache(maxsize=1)
def _world_languages() -> tuple[str, ...]:
    found = [tag for tag in localedata.locale_identifiers() if "_" not in tag and tag != "root"]
    return tuple(dict.fromkeys([*LANGUAGES, *CONTENT_LANGUAGES, *sorted(found)]))


def _list_name(tag: str, ui: str) -> str:
    """A language's name in a list: in the interface language, else in English (CLDR names
    some languages in few others), else the tag; capitalised, as a list item starts."""
    name = babel_locale(ui).languages.get(tag) or babel_locale("en").languages.get(tag)
    name = name or language_name(tag, ui)
    return name[:1].upper() + name[1:]


def _sort_key(label: str) -> str:
    """Accents do not move a name to the end of the list (``Árabe`` sorts with the A's)."""
    plain = unicodedata.normalize("NFKD", label)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=16)
def _named_world(ui: str) -> tuple[tuple[str, str], ...]:
    return tuple((tag, f"{_list_name(tag, ui)} ({tag})") for tag in world_languages())


def language_choices(extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(tag, "name (tag)") for a language list, by name in the interface language: the
    world's languages; ``extra`` (a tour's own tags, a value kept from before) joins it."""
    ui = current_language()
    named = dict(_named_world(ui))
    for tag in extra:
        if tag and tag not in named:
            named[tag] = f"{_list_name(tag, ui)} ({tag})"
    return sorted(named.items(), key=lambda pair: _sort_key(pair[1]))


def level_choices() -> list[tuple[str, str]]:
    """(level, its name) of every level a guide may speak a language at."""
    return [(level, str(LEVEL_WORDS.get(level, level))) for level in LEVELS]


def spoken_languages(languages: Iterable[Any]) -> str:
    """A guide's languages with their levels, for a list of guides: "Spanish (native),
    English (fluent)" in the interface language."""
    return ", ".join(
        gettext(
            "%(language)s (%(level)s)",
            language=language_name(item.tag),
            level=str(LEVEL_WORDS.get(item.level, item.level)),
        )
        for item in languages
    )


def title_in(value: Any, language: str, fallback: str) -> str:
    """A tour's title in ``language`` (else its first), ``fallback`` when it has none."""
    if isinstance(value, dict):
        text = value.get(language) or next((v for v in value.values() if v), None)
        return str(text) if text else fallback
    return str(value) if value else fallback


def tour_choices(db_session: Session, extra: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(slug, title) of every stored tour, by title, for a list to choose from; ``extra``
    (slugs a profile names already) stay in it even if no tour has them any more."""
    language = current_language()
    found = {t.slug: title_in(t.title, language, t.slug) for t in tour_listings(db_session)}
    found.update({slug: slug for slug in extra if slug not in found})
    return sorted(found.items(), key=lambda pair: pair[1].casefold())


def heading_title(db_session: Session, slug: str) -> str:
    """The newest version's title of the tour ``slug``, for a page's heading (the slug
    when the tour has no title yet); raises ``TourNotFound``."""
    row = newest_version(db_session, slug, lock=False)
    return title_in(row.title, current_language(), slug)


def stop_names_by_id(db_session: Session, slug: str) -> dict[str, str]:
    """Stop id -> its name in the interface language (else its first), newest version."""
    document = newest_version(db_session, slug, lock=False).document
    names = document_stop_names(document, current_language())
    features = document.get("features") or ()
    return {str(features[i]["properties"]["id"]): name for i, name in names.items()}


def document_stop_names(document: dict[str, Any], language: str) -> dict[int, str]:
    """Feature index -> stop name in ``language`` (else its first), for a stored
    document's problems (``/features/3/...``)."""
    names = {}
    for index, feature in enumerate(document.get("features") or ()):
        props = feature.get("properties") or {}
        if index and props.get("id") is not None and "name" in props:
            names[index] = title_in(props.get("name"), language, str(props.get("id")))
    return names


for _name, _filter in (
    ("problem_sentence", problem_sentence),
    ("order_sentence", order_sentence),
    ("without_flags", without_flags),
    ("stop_of", stop_of),
    ("spoken_languages", spoken_languages),
):
    bp.add_app_template_filter(_filter, _name)


def schedule_refusal(error: ScheduleError) -> str:
    """Why a walk could not be scheduled or changed, in interface words (the command
    line's message names its options, such as ``--capacity``)."""
    values = error.values
    when = values.get("time")
    # The walk's own wall time (aware in the tour's zone, or naive): never shifted to UTC.
    wall = when.replace(tzinfo=None) if when is not None else None
    shown = f"{format_date(wall, 'medium')} {format_time(wall, 'short')}" if wall else ""
    sentences = {
        "zone": lambda: gettext("The tour's time zone is not known: fix it in the tour."),
        "clock_gap": lambda: gettext(
            "%(time)s does not exist there: the clocks skip that hour. Choose another time.",
            time=shown,
        ),
        "clock_fold": lambda: gettext(
            "%(time)s happens twice there: the clocks go back that night. Choose another time.",
            time=shown,
        ),
        "every": lambda: gettext("Choose the weekday the walks repeat on."),
        "until": lambda: gettext("The last date of the series is before the first walk."),
        "series": lambda: ngettext(
            "That series would make %(num)d walk; at most %(most)d at once.",
            "That series would make %(num)d walks; at most %(most)d at once.",
            values.get("count", 0),
            most=values.get("most", 0),
        ),
        "capacity": lambda: gettext("A walk needs at least one seat."),
        "max_party": lambda: gettext("A booking must be allowed at least one person."),
        "language": lambda: gettext("Choose the walk's language from the list."),
        "no_tour": lambda: gettext("That tour is not stored any more: choose another."),
        "meeting_stop": lambda: gettext("Choose the meeting point among the tour's stops."),
        "no_stop": lambda: gettext(
            "This tour has no published stop to meet at: publish one in the editor first."
        ),
        "past": lambda: gettext("%(time)s is in the past: choose a later time.", time=shown),
        "below_booked": lambda: gettext(
            "%(seats)d seats are already booked or offered: the walk cannot have fewer.",
            seats=values.get("seats", 0),
        ),
    }
    sentence = sentences.get(error.reason)
    return sentence() if sentence else without_flags(str(error))
