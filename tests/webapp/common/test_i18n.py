"""Interface translations: complete catalogues, extraction coverage, locale formatting,
merging with the booking catalogue, and compiling stale catalogues."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po
from flask import Response
from flask_babel import get_locale, gettext

import webapp
from webapp.common.i18n import (
    LANGUAGES,
    add_vary,
    ensure_compiled,
    format_distance,
    format_duration,
    language_name,
    select_language,
    supported,
)

REPO = Path(__file__).resolve().parents[3]
TRANSLATIONS = Path(webapp.__file__).parent / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")

# Strings that are rightly the same as the English msgid in some language: units and
# words spelled alike.  Anything else left identical is an untranslated string.
SAME_AS_ENGLISH = {
    "%(hours)s h",
    "%(hours)s h %(minutes)s min",
    "%(km)s km",
    "%(metres)s m",
    "%(minutes)s min",
    "Actions",  # French (the accounts table)
    "Audio",
    "Latitude",  # French, Portuguese (the tour editor)
    "Longitude",  # French, Portuguese
    "Position",  # French, German
    "Status",  # German
    "Version",  # French, German
    "Distance",
    "Licence",  # French
    "script",  # French: the guide's script (and "Scripts")
    "Association",  # French (a type of group)
    "Delegation",  # German (a type of group)
    "Organisation",  # French, German (a group's)
    "Scripts",
    "source",  # French: the source language
    "Guide",  # French (issue 8), German
    "Guides",  # German (der Guide, die Guides)
    "Error %(status)s",
    "Image",
    "Map: %(place)s",
    "Password",  # Italian
    "Video",  # German and Italian
    "%(subject)s (%(tour)s, %(date)s)",  # a walk message's subject: the sender's words
    "%(language)s (%(level)s)",  # a guide's language and level, in a list of guides
    "Message",  # French (a message to a walk's group)
    "optional",  # German
    "Date",  # French (the calendar's date field)
    "version %(version)d",  # French (a dashboard line's tour version)
    "Photos",  # French (a story's photos, on the share form's receipt)
}


def key(message_id: str | tuple[str, ...]) -> str:
    """A message's id; a plural message is known by its singular."""
    return message_id if isinstance(message_id, str) else message_id[0]


def forms(string: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Every translated form of a message (one, or one per plural category)."""
    return (string,) if isinstance(string, str) else tuple(string)


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def extracted_ids() -> set[str]:
    with (REPO / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = dict(DEFAULT_KEYWORDS, lazy_gettext=None, _l=None)
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO), method_map, options_map, keywords=keywords
        )
    }


def test_the_template_covers_every_string_in_the_code_and_templates():
    template = {key(m.id) for m in read_catalog(TRANSLATIONS / "messages.pot") if m.id}
    found = extracted_ids()
    assert len(found) > 40
    assert found - template == set(), "run pybabel extract (see babel.cfg)"
    assert template - found == set(), "the template has strings no code uses any more"


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_language_translates_every_string(lang):
    template = {key(m.id) for m in read_catalog(TRANSLATIONS / "messages.pot") if m.id}
    catalog = read_catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", lang)
    assert str(catalog.locale) == lang
    messages = {key(m.id): m for m in catalog if m.id}
    assert set(messages) == template, "run pybabel update (see babel.cfg)"
    assert not catalog.obsolete
    for msgid, message in messages.items():
        translations = forms(message.string)
        assert all(text.strip() for text in translations), f"{lang}: {msgid!r} is untranslated"
        assert not message.fuzzy, f"{lang}: {msgid!r} is fuzzy"
        source = forms(message.id)[-1]  # a plural's forms follow its plural source
        wanted = set(PLACEHOLDER.findall(source))
        for text in translations:
            # The same placeholders, or formatting breaks at run time; a plural form may
            # leave out the count ("one seat" in Arabic says no number) but add none.
            used = set(PLACEHOLDER.findall(text))
            assert used <= wanted if len(translations) > 1 else used == wanted, f"{lang}: {msgid!r}"
            # Jinja formats every translated string with %, so a lone % would break the page.
            assert "%" not in PLACEHOLDER.sub("", text).replace("%%", "")
        if lang != "en" and isinstance(message.id, str):
            assert message.string != msgid or msgid in SAME_AS_ENGLISH, (
                f"{lang}: {msgid!r} is still in English"
            )
    assert [error for _message, errors in catalog.check() for error in errors] == []


def test_compiled_catalogues_are_current():
    for lang in LANGUAGES:
        mo = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
        with mo.open("rb") as handle:
            compiled = {key(m.id): forms(m.string) for m in read_mo(handle) if m.id}
        source = {
            key(m.id): forms(m.string) for m in read_catalog(mo.with_suffix(".po"), lang) if m.id
        }
        assert compiled == source


def test_ensure_compiled_writes_only_stale_catalogues(tmp_path):
    directory = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, directory, ignore=shutil.ignore_patterns("*.mo"))
    written = ensure_compiled([directory, tmp_path / "absent"])
    assert sorted(p.parent.parent.name for p in written) == sorted(LANGUAGES)
    for mo in written:  # readable by whoever can read the sources (a web server user)
        assert mo.stat().st_mode & 0o777 == mo.with_suffix(".po").stat().st_mode & 0o777
    assert ensure_compiled([directory]) == []
    po = directory / "eu" / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(po, "eu")
    catalog.get("Stops").string = "Geldialdiak (berria)"
    with po.open("wb") as handle:
        write_po(handle, catalog)
    mo = po.with_suffix(".mo")
    # Make the .po newer whatever the file system's timestamp resolution.
    stamp = mo.stat().st_mtime
    os.utime(po, (stamp + 10, stamp + 10))
    assert ensure_compiled([directory]) == [mo]
    with mo.open("rb") as handle:
        assert read_mo(handle).get("Stops").string == "Geldialdiak (berria)"
    assert list(directory.glob("*/LC_MESSAGES/*.tmp")) == []


def test_the_interface_has_one_catalogue(app):
    """Public and booking strings come from the one catalogue in ``webapp/translations``."""
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == "translations"
    assert not (TRANSLATIONS.parent / "translations_booking").exists()
    with app.test_request_context("/?lang=eu"):
        assert gettext("Stops") == "Geldialdiak"
        assert gettext("Book these seats") != "Book these seats"


@pytest.mark.parametrize(
    ("lang", "metres", "expected"),
    [
        ("es", 2345.0, "2,3 km"),
        ("eu", 2345.0, "2,3 km"),
        ("fr", 2345.0, "2,3 km"),
        ("en", 2345.0, "2.3 km"),
        ("ar", 2345.0, "2.3 كم"),
        ("es", 346.0, "350 m"),
        ("ar", 346.0, "350 م"),
        ("en", 994.0, "990 m"),
        ("en", 996.0, "1.0 km"),
        ("es", 12_345.0, "12,3 km"),
    ],
)
def test_distances_are_formatted_for_the_locale(app, lang, metres, expected):
    with app.test_request_context(f"/?lang={lang}"):
        assert format_distance(metres) == expected


@pytest.mark.parametrize(
    ("lang", "minutes", "expected"),
    [
        ("es", 45.4, "45 min"),
        ("es", 95.0, "1 h 35 min"),
        ("en", 120.0, "2 h"),
        ("ar", 95.0, "1 س 35 د"),
        ("en", 0.3, "1 min"),
        ("en", 0.0, "0 min"),
    ],
)
def test_durations_are_formatted_for_the_locale(app, lang, minutes, expected):
    with app.test_request_context(f"/?lang={lang}"):
        assert format_duration(minutes) == expected


def test_language_names_are_in_the_interface_language(app):
    with app.test_request_context("/?lang=es"):
        assert language_name("eu") == "euskera"
        assert language_name("pt-BR") == "portugués (Brasil)"
        assert language_name("wo") == "wólof"
    with app.test_request_context("/?lang=ar"):
        assert language_name("es") == "الإسبانية"
    with app.test_request_context("/?lang=en"):
        assert language_name("qaa-x-unknown") in ("qaa-x-unknown", "qaa")


def test_supported_reduces_tags_to_interface_languages():
    assert supported("fr-CA") == "fr"
    assert supported("EU") == "eu"
    assert supported("ar_MA") == "ar"
    assert supported("de-AT") == "de"
    assert supported("tr") is None
    assert supported("") is None
    assert supported(None) is None


def test_stylesheet_uses_logical_properties_so_rtl_mirrors():
    css = (Path(webapp.__file__).parent / "static" / "css" / "bidean.css").read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)\b|(?<![-\w])(?:left|right)\s*:|"
        r"text-align:\s*(?:left|right)|float:\s*(?:left|right)",
        css,
    )
    assert physical == []
    assert ":focus-visible" in css
    assert "@import" not in css and "url(http" not in css  # no external fonts or CDNs


# -- counts: every count goes through ngettext (issue 11, "1 people", "unos 1 min") -------

COUNT_PLACEHOLDER = re.compile(r"%\((num|count)\)")


def template_catalogue() -> Catalog:
    with (REPO / "webapp" / "translations" / "messages.pot").open("rb") as handle:
        return read_po(handle)


def test_no_count_outside_ngettext():
    """A string that carries a count must be a plural entry, so Babel picks its form."""
    singular_only = [
        m.id
        for m in template_catalogue()
        if isinstance(m.id, str) and COUNT_PLACEHOLDER.search(m.id)
    ]
    assert singular_only == []


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_count_bearing_string_renders_for_1_2_and_5(app, lang):
    from flask_babel import ngettext

    plurals = [m for m in template_catalogue() if isinstance(m.id, tuple)]
    assert len(plurals) >= 6, "the leg, seats, offers, waiting list, minutes, form problems"
    values = {
        "distance": "140 m",
        "number": "2",
        "date": "1 Jan",
        "time": "11:00",
        "zone": "Europe/Madrid",
    }
    values |= {"position": "3", "name": "X", "max": "6", "language": "Euskara", "party": 3}
    values |= {"slug": "a-walk", "version": "3", "original": "a-tour", "city": "Wrocław"}
    values |= {"when": "11:30"}  # until when a walk's group may not be written to
    values |= {"most": 100}  # the most walks one series may make
    with app.test_request_context(f"/?lang={lang}"):
        for message in plurals:
            singular, plural = message.id[0], message.id[1]
            rendered = {n: ngettext(singular, plural, n, **values) for n in (1, 2, 5)}
            for n, text in rendered.items():
                assert text and "%(" not in text, (lang, singular, n, text)
            if lang == "en":
                assert rendered[1] != rendered[2] or singular == plural, singular
                assert "1 people" not in rendered[1] and " 1 minutes" not in rendered[1]
            assert str(5) in rendered[5] or lang == "ar", (lang, singular, rendered[5])


@pytest.mark.parametrize("before", [None, "", "Origin", "accept-language", "Cookie, Origin"])
@pytest.mark.parametrize("names", [("Accept-Language",), ("Accept-Language", "Cookie")])
def test_add_vary_writes_what_werkzeugs_vary_set_writes(before, names):
    mine, theirs = Response("x"), Response("x")
    for response in (mine, theirs):
        if before is not None:
            response.headers["Vary"] = before
    add_vary(mine, names)
    theirs.vary.update(names)
    assert mine.headers.getlist("Vary") == theirs.headers.getlist("Vary")
    assert mine.headers.getlist("Vary") != []


def test_pages_and_the_api_vary_on_the_language(client):
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers.getlist("Vary") == ["Accept-Language, Cookie, Accept-Encoding"]
    api = client.get("/api/tours", headers={"Accept-Encoding": "gzip"})
    # Cookie: Flask-Login looks into the session (for its remember-me cookie) on every request.
    assert api.headers.getlist("Vary") == ["Accept-Language, Accept-Encoding, Cookie"]


def test_each_interface_language_has_one_locale_for_every_request(app):
    seen = {}
    headers = ["fr", "fr-CA,fr;q=0.9", "eu", "de,en;q=0.5", "en-GB", "xx", "", "fr"]
    for header in headers:
        with app.test_request_context("/", headers={"Accept-Language": header}):
            locale = get_locale()
            assert str(locale) == select_language(), header
            assert seen.setdefault(str(locale), locale) is locale, header
    assert {"fr", "eu", "de", "en"} <= set(seen)
    with app.test_request_context("/?lang=ar"):
        assert str(get_locale()) == "ar" and get_locale().text_direction == "rtl"
