"""Interface languages: choosing one per request, remembering it, formatting for it.

The interface speaks Spanish, Basque, English, French, Arabic, Polish, German, Portuguese
and Italian: one gettext catalogue, ``webapp/translations/`` (``make translations``
extracts and updates it; ``make translations NEW_LANGUAGE=xx`` starts another).  Tour
*content* is another matter: it may be in any BCP 47 language and falls back through
``tours.i18n.LocalizedText``.  A visitor asks for one language (``?lang=``, the cookie,
``Accept-Language``); the content is shown in it where the tour has it, else in the
next language of their ``Accept-Language`` list the tour has (``content_fallback``),
else in the tour's default; the interface in the best interface language for it: the
exact tag, its base language, English, then Spanish.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_currency, parse_pattern
from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import Babel, get_locale, gettext, ngettext
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from tours.i18n import base_language, normalize_tag
from tours.tour.domain import Price
from webapp.common.settings import BY_NAME

# Native names: a visitor looks for their own language's name, not its name in ours.
LANGUAGES: dict[str, str] = {
    "es": "Español",
    "eu": "Euskara",
    "en": "English",
    "fr": "Français",
    "ar": "العربية",
    "pl": "Polski",
    "de": "Deutsch",
    "pt": "Português",
    "it": "Italiano",
}
INTERFACE_TAGS = tuple(LANGUAGES)
#: Where the interface goes when it does not speak the requested language.
INTERFACE_FALLBACK = ("en", "es")
RTL_LANGUAGES = frozenset({"ar"})
COOKIE_NAME = "bidean_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATION_DIRECTORIES: str = BY_NAME["BABEL_TRANSLATION_DIRECTORIES"].default


def init_app(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = default_language(app)
    Babel(app, locale_selector=selected_locale)
    app.after_request(remember_language)
    app.context_processor(_template_context)
    app.jinja_env.filters.update(
        distance=format_distance,
        duration=format_duration,
        language_name=language_name,
        number=format_number,
        price=format_price,
    )


def default_language(app: Flask | None = None) -> str:
    """The configured ``DEFAULT_LOCALE`` when the interface speaks it, else Spanish."""
    configured = (app or current_app).config["DEFAULT_LOCALE"].lower()
    return configured if configured in LANGUAGES else "es"


def supported(tag: str | None) -> str | None:
    """The interface language for ``tag`` (``fr-CA`` -> ``fr``), or None if not spoken."""
    if not tag:
        return None
    base = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


def valid_request_tag(value: str | None) -> str | None:
    """A well-formed BCP 47 tag from a query or cookie, canonical; None otherwise."""
    if not value or len(value) > 35:
        return None
    return _canonical_tag(value)


@lru_cache(maxsize=1024)
def _canonical_tag(value: str) -> str | None:
    # Parsing a tag (langcodes) cost a tour page view more than reading its departures
    # version; a visitor's few tags come again and again (each at most 35 characters).
    try:
        return normalize_tag(value.strip().replace("_", "-"))
    except ValueError:
        return None


def requested_language() -> str | None:
    """The language the visitor asked for: ``?lang=``, else the remembered cookie (any
    valid BCP 47 tag, not only interface languages); None when neither says one."""
    return valid_request_tag(request.args.get("lang")) or valid_request_tag(
        request.cookies.get(COOKIE_NAME)
    )


def interface_for(tag: str) -> str:
    """The interface language for ``tag``: exact, base language, English, then Spanish."""
    found = supported(tag)
    if found:
        return found
    return next((lang for lang in INTERFACE_FALLBACK if lang in LANGUAGES), default_language())


def select_language() -> str:
    """The interface language: for ``?lang=`` or the cookie, else the best
    ``Accept-Language`` match, else (a browser asking only for languages the interface
    lacks) English, else the default."""
    requested = requested_language()
    if requested:
        return interface_for(requested)
    match = best_accepted(INTERFACE_TAGS)
    if match:
        return match
    return interface_for("und") if request.accept_languages else default_language()


def selected_locale() -> Locale:
    """Flask-Babel's locale of this request: ``select_language``'s, as one ``Locale`` per
    language for the life of the process (Flask-Babel parsed a new one for every request,
    which then loaded its locale data again at its first formatting)."""
    return interface_locale(select_language())


@lru_cache(maxsize=len(LANGUAGES) + 2)
def interface_locale(tag: str) -> Locale:
    return Locale.parse(tag)


def content_language(available: Iterable[str] = ()) -> str:
    """The language to show content in: the one asked for, else the best
    ``Accept-Language`` match among ``available`` and the interface languages."""
    requested = requested_language()
    if requested:
        return requested
    candidates = tuple(dict.fromkeys([*available, *LANGUAGES]))
    return valid_request_tag(best_accepted(candidates)) or current_language()


def best_accepted(candidates: tuple[str, ...]) -> str | None:
    """The best of ``candidates`` by this request's ``Accept-Language`` (werkzeug's match)."""
    header = request.headers.get("Accept-Language", "")
    if len(header) > ACCEPT_MEMO_LIMIT:
        return request.accept_languages.best_match(candidates)
    return _best_match(header, candidates)


#: Headers up to this length have their matches remembered (browsers send 20-100 bytes).
ACCEPT_MEMO_LIMIT = 200


@lru_cache(maxsize=512)
def _best_match(header: str, candidates: tuple[str, ...]) -> str | None:
    # Matching every candidate against every accepted tag cost a tour page view more than
    # serving it from the cache; visitors send few distinct headers.
    return parse_accept_header(header, LanguageAccept).best_match(candidates)


def content_fallback(available: Iterable[str], requested: str) -> tuple[str, ...]:
    """The visitor's other languages, best first, for content that lacks ``requested``:
    their ``Accept-Language`` list by quality, each as the tour has it (its exact tag, else
    its base language when the tour has a tag of that base), without the languages the
    tour lacks, and one tag per base language (``requested``'s base is already served by
    ``requested``).

    So a ``de,en`` visitor reads English before the tour's default language; and since
    every tag is one of ``available`` or its base language, the result is bounded by the
    tour's languages whatever the header says: fit for a cache key.
    """
    exact = {tag.lower(): tag for tag in available}
    bases = {base_language(tag) for tag in exact}
    seen = {base_language(requested)}
    chain: list[str] = []
    ranked = [(value, quality) for value, quality in request.accept_languages if quality > 0]
    for value, _quality in sorted(ranked, key=lambda item: -item[1]):
        tag = value.strip().replace("_", "-").lower()
        found = exact.get(tag) or (base_language(tag) if base_language(tag) in bases else None)
        if found and base_language(found) not in seen:
            seen.add(base_language(found))
            chain.append(found)
    return tuple(chain)


def interface_note(content: str) -> str | None:
    """ "The interface is in English: it is not available in Turkish yet", once per page,
    when the interface cannot speak the content's language; None when it can."""
    interface = current_language()
    if base_language(content) == interface:
        return None
    return gettext(
        "The interface is shown in %(interface)s: it is not available in %(requested)s yet.",
        interface=language_name(interface),
        requested=language_name(content),
    )


def current_language() -> str:
    """The interface language of this request, as a bare tag (``es``)."""
    locale = get_locale()
    return locale.language if locale is not None else default_language()


def text_direction(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def remember_language(response: Response) -> Response:
    """A page asked for with a supported ``?lang=`` sets the cookie; later pages follow it."""
    if request.path.startswith("/api/"):
        add_vary(response, API_VARY)
        return response
    add_vary(response, PAGE_VARY)
    chosen = valid_request_tag(request.args.get("lang"))
    if chosen and request.cookies.get(COOKIE_NAME) != chosen:
        response.set_cookie(
            COOKIE_NAME,
            chosen,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    return response


API_VARY = ("Accept-Language",)
PAGE_VARY = ("Accept-Language", "Cookie")


def add_vary(response: Response, names: tuple[str, ...]) -> None:
    """Add ``names`` to the response's ``Vary``.

    When it has none yet (a view seldom sets one) the header is written as werkzeug's
    ``response.vary`` would write it, without parsing an empty header into a set and
    writing it back: every response passes here.
    """
    if response.headers.get("Vary"):
        response.vary.update(names)
    else:
        response.headers["Vary"] = ", ".join(names)


def language_links(content_languages: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The switcher: this page (same query, new ``lang``) in every interface language,
    then in each of the page's content languages the interface does not speak."""
    # Re-quoted and anchored at our root so a path like ``//elsewhere`` stays on this site.
    path = request.script_root + "/" + quote(request.path.lstrip("/"), safe="/:@!$'()*+,;=-._~")
    kept = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    current = requested_language() or current_language()
    choices = dict(LANGUAGES)
    for tag in content_languages:
        if tag not in choices and base_language(tag) not in choices:
            choices[tag] = native_name(tag)
    return [
        {
            "code": code,
            "name": name,
            "url": f"{path}?{urlencode([*kept, ('lang', code)])}",
            "current": code == current or (code == supported(current) and current not in choices),
        }
        for code, name in choices.items()
    ]


@lru_cache(maxsize=256)
def native_name(tag: str) -> str:
    """A language's name in itself (``tr`` -> ``Türkçe``), for the language menu."""
    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return tag
    return (name[:1].upper() + name[1:]) if name else tag


def _template_context() -> dict[str, Any]:
    if not has_request_context():
        return {}
    lang = current_language()
    return {
        "lang": lang,
        "text_dir": text_direction(lang),
        "language_links": language_links,
    }


def language_name(tag: str, in_language: str | None = None) -> str:
    """The name of a content language in the interface language (``eu`` -> ``euskera``)."""
    return _display_name(tag, in_language or current_language())


# Babel parses a locale and loads its data afresh on every call; names, locales and
# number patterns never change while the process runs, so each is worked out once.
@lru_cache(maxsize=1024)
def _display_name(tag: str, ui: str) -> str:
    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name(ui) or tag
    except (ValueError, UnknownLocaleError):
        name = babel_locale(ui).languages.get(tag.split("-", 1)[0].lower())
        return name or tag


@lru_cache(maxsize=64)
def babel_locale(tag: str) -> Locale:
    return Locale.parse(tag)


@lru_cache(maxsize=256)
def _number_pattern(tag: str, pattern: str | None) -> NumberPattern:
    return parse_pattern(
        pattern if pattern is not None else babel_locale(tag).decimal_formats[None]
    )


def format_number(number: float, pattern: str | None = None) -> str:
    """``number`` as this request's locale writes it (``2,3`` in Spanish, ``2.3`` in English),
    with the locale's own decimal pattern unless ``pattern`` is given (``#,##0.0``)."""
    tag = str(get_locale() or default_language())
    return _number_pattern(tag, pattern).apply(number, babel_locale(tag))


def format_distance(metres: float) -> str:
    """``350 m`` under a kilometre (to 10 m), else kilometres to one decimal (``2,3 km``)."""
    if metres < 995:
        return gettext("%(metres)s m", metres=format_number(int(round(metres / 10.0) * 10)))
    return gettext("%(km)s km", km=format_number(metres / 1000.0, "#,##0.0"))


def format_duration(minutes: float) -> str:
    """Whole minutes, with hours from an hour on: ``45 min``, ``1 h 30 min``."""
    # A short walk still takes a minute: "0 min" would read as "no walk at all".
    total = max(1, round(minutes)) if minutes > 0 else 0
    hours, rest = divmod(total, 60)
    if not hours:
        return ngettext("%(num)s min", "%(num)s min", rest)
    if not rest:
        return gettext("%(hours)s h", hours=format_number(hours))
    return gettext(
        "%(hours)s h %(minutes)s min", hours=format_number(hours), minutes=format_number(rest)
    )


def format_price(price: Price | None) -> str:
    """The tour's price in this request's locale: ``Gratis``, ``12,00 €`` per person…"""
    if price is None:
        return ""
    tag = str(get_locale() or default_language())
    amount = (
        format_currency(price.amount, price.currency, locale=babel_locale(tag))
        if price.amount is not None and price.currency
        else None
    )
    if price.model == "free":
        return gettext("Free")
    if price.model == "fixed" and amount:
        return gettext("%(amount)s per person", amount=amount)
    if amount:
        return gettext("Pay what you want (suggested: %(amount)s per person)", amount=amount)
    return gettext("Pay what you want")


def translation_directories(app: Flask) -> list[Path]:
    names = app.config["BABEL_TRANSLATION_DIRECTORIES"]
    return [Path(app.root_path) / name for name in names.split(";") if name]


def ensure_compiled(directories: list[Path]) -> list[Path]:
    """Compile every ``.po`` whose ``.mo`` is missing or older; returns the ``.mo`` written.

    ``.mo`` files are build products (gitignored), so a fresh checkout run without
    ``make`` compiles here.  Each is written to a temporary file and renamed into place,
    so a process reading the catalogue never sees half a file.
    """
    written = []
    for directory in directories:
        for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            fd, tmp = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
            try:
                with os.fdopen(fd, "wb") as mo_file:
                    write_mo(mo_file, catalog)
                # mkstemp makes the file private; a catalogue is readable like the .po.
                os.chmod(tmp, po_path.stat().st_mode & 0o777)
                os.replace(tmp, mo_path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written.append(mo_path)
    return written
