"""Interface words in the console (issue #24): problem codes, command-line options and
slugs give way to sentences in the coordinator's language; the language switcher."""

from __future__ import annotations

import html
import json
import re

import pytest

from guides.accounts import create_account
from guides.models import GuideRecord
from tests.webapp.console.support import ADMIN, GUIDE_A, PASSWORD, SLUG, build_world, log_in
from tests.webapp.console.test_importing import LINE, route_file, token_of, upload
from webapp.common.database import get_db
from webapp.common.i18n import LANGUAGES
from webapp.console.wording import order_sentence, without_flags


def main_of(page: str) -> str:
    return page[page.index("<main") :] if "<main" in page else page


def text_of(page: str, folded: bool = True) -> str:
    """The main's text; without its folded details (``folded=False``): what a coordinator
    reads at first sight."""
    main = (
        main_of(page) if folded else re.sub(r"<details.*?</details>", "", main_of(page), flags=re.S)
    )
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def folded_away(page: str) -> str:
    return text_of(page, folded=False)


def stops_with_orders() -> bytes:
    """Three stops with an order of their own; the second has no story."""
    points = [("Market", LINE[2], 3), ("Bridge", LINE[1], 2), ("Church", LINE[0], None)]
    features = []
    for name, position, order in points:
        props = {"name": name}
        if name != "Bridge":
            props["description"] = f"The story of the {name.lower()}."
        if order:
            props["order"] = order
        features.append(
            {"type": "Feature", "properties": props,
             "geometry": {"type": "Point", "coordinates": position}}
        )  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.fixture
def coordinator(app, client):
    with get_db(app).transaction(write_lock=True) as db_session:
        create_account(db_session, ADMIN, "coordinator", password=PASSWORD)
    assert log_in(client, ADMIN).status_code == 302
    return client


SENTENCES = {
    # language: (a missing summary, a stop's missing story, the stop named, "Details")
    "en": ("The summary is missing.", "The story is missing.", "stop “Bridge”", "Details"),
    "es": ("Falta el resumen.", "Falta la historia.", "parada «Bridge»", "Detalles"),
    "fr": ("Le résumé manque.", "Le récit manque.", "arrêt « Bridge »", "Détails"),
}


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_the_import_preview_speaks_interface_words_not_codes_or_options(coordinator, language):
    files = {
        "route": (route_file(), "route.geojson"),
        "stops": [(stops_with_orders(), "stops.geojson")],
    }
    token = token_of(upload(coordinator, files=files, city="Wien"))
    page = coordinator.get(f"/console/tours/import/{token}?lang={language}").get_data(as_text=True)
    seen = folded_away(page)
    summary, story, stop, details = SENTENCES[language]
    assert summary in seen and story in seen and stop in seen
    # Before: "The tour needs "summary"… [profile.missing-property]", "/features/2",
    # and the notes' "(--order source to keep exactly that order, --order route …)".
    assert "profile.missing-property" not in seen and "[profile." not in seen
    assert "/features/" not in seen
    # No command-line option anywhere, not even in the folded details.
    assert not re.search(r"--[a-z]", text_of(page)), re.findall(r".{60}--[a-z].{20}", text_of(page))
    # The checker's words and code stay, folded, for a bug report.
    assert (
        f"<summary>{details}</summary>" in page and "<code>profile.missing-property</code>" in page
    )
    # The heading names the tour's title, not its slug.
    outcome = re.search(r'<section class="import-outcome".*?</section>', page, re.S)[0]
    assert "old town walk" in outcome and "old-town-walk-wien" not in outcome


def test_the_import_form_offers_languages_from_a_list(coordinator):
    page = coordinator.get("/console/tours/import").get_data(as_text=True)
    select = re.search(r'<select id="language" name="language">(.*?)</select>', page, re.S)
    assert select, "the language is chosen, not typed"
    values = re.findall(r'<option[^>]*value="([^"]*)"', select[1])
    assert values[0] == "" and {"en", "es", "eu", "tr", "ar"} <= set(values)


def test_editor_translations_and_history_headings_show_the_title(app, client):
    build_world(app)
    log_in(client, ADMIN)
    for path, heading in (
        (f"/console/tours/{SLUG}", "Edit “Voices of San Francisco”"),
        (f"/console/tours/{SLUG}/translations", "Translations of “Voices of San Francisco”"),
        (f"/console/tours/{SLUG}/history", "History of “Voices of San Francisco”"),
        (f"/console/tours/{SLUG}?lang=es", "Voces de San Francisco"),
    ):
        page = client.get(path).get_data(as_text=True)
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)[1]
        assert heading in h1 and SLUG not in h1, (path, h1)


def test_the_translations_page_offers_languages_from_a_list(app, client):
    build_world(app)
    log_in(client, ADMIN)
    page = client.get(f"/console/tours/{SLUG}/translations").get_data(as_text=True)
    assert re.search(r'<select id="language" name="language" required>', page)
    assert '<option value="pl">' in page and "such as pl" not in page


def test_the_console_switches_language_with_every_interface_language(app, client):
    build_world(app)
    log_in(client, ADMIN)
    page = client.get("/console/admin/accounts").get_data(as_text=True)
    menu = re.search(r'<nav class="language-switcher".*?</nav>', page, re.S)[0]
    assert "<details>" in menu  # a disclosure: it works without script
    hrefs = re.findall(r'href="([^"]+)" hreflang="([^"]+)"', menu)
    assert [code for _, code in hrefs] == list(LANGUAGES)
    basque = dict((code, href) for href, code in hrefs)["eu"]
    assert basque == "/console/admin/accounts?lang=eu"
    switched = client.get(basque)
    assert '<html lang="eu"' in switched.get_data(as_text=True)
    # The choice is remembered: the next page, without ?lang, is in Basque too.
    assert '<html lang="eu"' in client.get("/console/tours").get_data(as_text=True)
    assert "Kontuak" in client.get("/console/admin/accounts").get_data(as_text=True)


def test_the_login_page_has_the_switcher_too(client):
    page = client.get("/console/login?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in page and 'class="language-switcher"' in page


@pytest.mark.parametrize(
    ("language", "summary", "story"),
    [
        ("en", "The summary is missing.", "The story is missing. (stop “Bridge”)"),
        ("eu", "Laburpena falta da.", "Istorioa falta da. («Bridge» geldialdia)"),
    ],
)
def test_the_editors_to_do_list_speaks_interface_words(coordinator, language, summary, story):
    files = {
        "route": (route_file(), "route.geojson"),
        "stops": [(stops_with_orders(), "stops.geojson")],
    }
    token = token_of(upload(coordinator, files=files, city="Wien"))
    stored = coordinator.post(f"/console/tours/import/{token}/confirm")
    page = coordinator.get(f"{stored.headers['Location']}?lang={language}").get_data(as_text=True)
    todo = re.search(r'<ul id="todo-list">.*?</ul>', page, re.S)[0]
    seen = folded_away(todo)
    # Before: "The tour needs "summary": a language map such as {"en": "…"}." in English.
    assert summary in seen and " ".join(story.split()) in " ".join(seen.split())
    assert "needs" not in seen and "/features/" not in seen and "{" not in seen


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("along the route (--order route)", "along the route"),
        ("source order (--order source)", "the files' own order"),
        ("the source's order: 'n' (--order source)", "the files' own order"),
        ("set by hand in the preview", "as set by hand"),
        ("explicit order ('n'), then the earliest pass along the route", "the order given in"),
        ("the files' order (the route is drawn through the stops)", "the route is drawn"),
        ("along the route, at each stop's earliest pass (no order in the files)", "earliest"),
    ],
)
def test_each_order_rule_of_the_importer_has_interface_words(app, rule, said):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert said in order_sentence(rule) and "--" not in order_sentence(rule)


def test_notes_lose_the_command_lines_options_and_keep_the_rest():
    assert (
        without_flags(
            "The stops' 'n' gives their order: 2 of 3 have one (--order source to keep exactly"
            " that order, --order route to follow the route instead)."
        )
        == "The stops' 'n' gives their order: 2 of 3 have one."
    )
    assert without_flags("A slug from the title; --slug NAME chooses another.") == (
        "A slug from the title."
    )
    assert without_flags("Texts per language: en 7.") == "Texts per language: en 7."


def test_a_guides_script_page_names_its_stop_not_its_id(app, client):
    world = build_world(app)
    log_in(client, GUIDE_A)
    page = client.get(f"/console/departures/{world.walk_a}/stops/sf-03/script")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Muelle de Marzana, frente a La Ribera" in text and "· sf-03" not in text


GUIDE_REFUSALS = {
    # language: (an unknown tour)
    "en": "One of the tours is not stored",
    "es": "Uno de los recorridos no está guardado",
}


@pytest.mark.parametrize("language", sorted(GUIDE_REFUSALS))
def test_a_refused_guide_profile_says_why_in_interface_words(app, client, language):
    build_world(app)
    log_in(client, ADMIN)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    unknown_tour = GUIDE_REFUSALS[language]
    new = {"guide_id": "nadia", "display_name": "Nadia", "languages-0-tag": "es",
           "languages-0-level": "native", "tours": "no-such-tour"}  # fmt: skip
    page = html.unescape(client.post("/console/admin/guides", data=new).get_data(as_text=True))
    # Before: "No tour 'no-such-tour' is stored; list them with `bidean tours`."
    assert unknown_tour in page and "bidean tours" not in page and "`" not in page
    with get_db(app).transaction() as db_session:
        assert db_session.get(GuideRecord, "nadia") is None


def test_a_guides_tours_are_chosen_from_a_list_of_titles(app, client):
    build_world(app)
    log_in(client, ADMIN)
    page = client.get("/console/admin/guides/youssef").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*type="checkbox"[^>]*name="tours"[^>]*>', page) or re.findall(
        r'<input[^>]*name="tours"[^>]*type="checkbox"[^>]*>', page
    )
    assert boxes and any(f'value="{SLUG}"' in box and "checked" in box for box in boxes)
    assert "Voices of San Francisco" in page and "slugs, separated by commas" not in page
    form = {"display_name": "Youssef"}
    for index, tag in enumerate(("es", "ar", "fr")):
        form |= {f"languages-{index}-tag": tag, f"languages-{index}-level": "fluent"}
    saved = client.post("/console/admin/guides/youssef", data={**form, "tours": [SLUG]})
    assert saved.status_code == 302
    with get_db(app).transaction() as db_session:
        assert db_session.get(GuideRecord, "youssef").tours == [SLUG]
