"""Content in any BCP 47 language: German or Turkish content with the best interface."""

from __future__ import annotations

import pytest

from tests.tours.tourdoc import stop, tour
from tests.webapp.pages_support import INTERFACE, Page, store_document, walk_document
from webapp.public.pagecache import page_cache


@pytest.fixture
def multilingual(app):
    document = tour(
        slug="anatolian-kitchens",
        title={"en": "Anatolian kitchens", "de": "Anatolische Küchen", "tr": "Anadolu mutfakları"},
        summary={"en": "A walk.", "de": "Ein Spaziergang.", "tr": "Bir yürüyüş."},
        languages=["en", "de", "tr"],
    )
    document["features"][1:] = [
        stop(
            "bakery",
            -2.92615,
            43.25555,
            name={"en": "Bakery", "de": "Bäckerei", "tr": "Fırın"},
            story={"en": "Bread story.", "de": "Brotgeschichte.", "tr": "Ekmek hikâyesi."},
        ),
        stop("market", -2.92485, 43.25478, name={"en": "Market"}, story={"en": "Only English."}),
    ]
    return store_document(app, document)


def test_lang_de_shows_german_content_and_the_german_interface(client, multilingual):
    page = Page(client.get("/tours/anatolian-kitchens?lang=de").get_data(as_text=True))
    assert page.html_element().attrs["lang"] == "de"
    html = page.root.text
    assert "Anatolische Küchen" in html and "Brotgeschichte." in html
    # The market's story fell back: said once, at the top, not beside the stop.
    (note,) = page.root.find_all("p", "fallback-note")
    assert note.attrs["id"] == "content-note"
    assert (
        note.text == "Einige Texte werden auf Englisch angezeigt: noch nicht auf Deutsch übersetzt"
    )
    assert not page.root.find_all("p", "interface-note")  # the interface speaks German


def test_accept_language_de_picks_german_content_and_interface(client, multilingual):
    response = client.get(
        "/tours/anatolian-kitchens", headers={"Accept-Language": "de-AT,de;q=0.9"}
    )
    page = Page(response.get_data(as_text=True))
    assert page.html_element().attrs["lang"] == "de"
    assert "Brotgeschichte." in page.root.text


def test_turkish_content_with_an_english_interface_said_once(client, multilingual):
    page = Page(client.get("/tours/anatolian-kitchens?lang=tr").get_data(as_text=True))
    assert page.html_element().attrs["lang"] == "en"  # the interface: exact, base, English
    text = page.root.text
    assert "Anadolu mutfakları" in text and "Ekmek hikâyesi." in text
    notes = page.root.find_all("p", "interface-note")
    assert len(notes) == 1
    assert "English" in notes[0].text and "Turkish" in notes[0].text
    # The menu lists the interface languages and then the tour's other content languages.
    links = page.root.find("nav", "language-switcher").find_all("a")
    assert [a.attrs["hreflang"] for a in links] == [*INTERFACE, "tr"]
    assert links[-1].attrs.get("aria-current") == "true"
    assert links[-1].text == "Türkçe"


def test_the_chosen_content_language_is_remembered(client, multilingual):
    client.get("/tours/anatolian-kitchens?lang=tr")
    page = Page(client.get("/tours/anatolian-kitchens").get_data(as_text=True))
    assert "Ekmek hikâyesi." in page.root.text
    assert page.html_element().attrs["lang"] == "en"


def stories(page: Page) -> dict[str, tuple[str, str | None]]:
    """``{stop id: (story text, its lang attribute)}`` of a tour page."""
    items = page.root.find("ol", "stops").find_all("li", "stop")
    return {
        li.attrs["id"]: (li.find("div", "story").text, li.find("div", "story").attrs.get("lang"))
        for li in items
    }


def test_the_fallback_follows_accept_language_and_the_cache_keeps_visitors_apart(app, client):
    store_document(app, walk_document())  # es (default), eu, en; stop "second" lacks eu
    cache = page_cache(app)
    assert cache.enabled

    htmls: dict[str, str] = {}

    def visit(accept: str) -> Page:
        response = client.get("/tours/hidden-walk", headers={"Accept-Language": accept})
        htmls[accept] = response.get_data(as_text=True)
        return Page(htmls[accept])

    english = visit("de-DE,de;q=0.9,en;q=0.8")
    assert english.html_element().attrs["lang"] == "de"  # the interface speaks German
    assert english.root.find("h1").text == "Hidden walk"
    assert stories(english)["stop-second"] == ("Story in English.", "en")
    assert stories(english)["stop-first"][1] == "en"
    (note,) = english.root.find_all("p", "fallback-note")  # one note for the whole page
    assert "Englisch" in note.text and "Spanisch" not in note.text

    basque = visit("de,eu;q=0.9")
    assert basque.root.find("h1").text == "Ibilbide ezkutua"
    assert stories(basque)["stop-first"][1] == "eu"
    # No Basque for this stop: the tour's default, Spanish, not English.
    assert stories(basque)["stop-second"] == ("Historia solo en castellano y en inglés.", "es")
    (note,) = basque.root.find_all("p", "fallback-note")
    assert "Baskisch und Spanisch" in note.text
    # The map's labels too (a fragment cached apart from the page) follow each visitor.
    assert "Calle sin euskera" not in htmls["de-DE,de;q=0.9,en;q=0.8"]
    assert "Street without Basque" not in htmls["de,eu;q=0.9"]

    # The q-values order the list, not the header's order; an unacceptable (q=0) one is
    # no choice, and a tag the tour lacks (fr) is skipped.
    reordered = visit("de;q=1, en;q=0.5, fr;q=0.7, eu;q=0.6")
    assert reordered.root.find("h1").text == "Ibilbide ezkutua"
    refused = visit("de, en;q=0, eu;q=0.5")
    assert refused.root.find("h1").text == "Ibilbide ezkutua"

    # Each chain, (en), (eu) and (eu, en), has its own cached shell; a repeat is served
    # from its own, unchanged.
    assert cache.page_count == 3
    assert visit("de-DE,de;q=0.9,en;q=0.8").root.find("h1").text == "Hidden walk"
    assert visit("de,eu;q=0.9").root.find("h1").text == "Ibilbide ezkutua"
    assert cache.page_count == 3


def test_the_cache_key_is_bounded_by_the_tour_languages(app, client):
    store_document(app, walk_document())
    cache = page_cache(app)
    noise = ",".join(f"x{i:02d};q=0.{i % 9 + 1}" for i in range(40))
    headers = ("de,en;q=0.9", f"de,{noise},en;q=0.05", "de,en-GB;q=0.9", "de,EN;q=0.9,tr;q=0.8")
    for accept in headers:
        response = client.get("/tours/hidden-walk", headers={"Accept-Language": accept})
        assert "Story in English." in response.get_data(as_text=True)
    assert cache.page_count == 1  # languages the tour lacks and regional tags change nothing


def test_catalogue_cards_follow_the_accept_language_list(app, client):
    store_document(app, walk_document())

    def card_title(accept: str) -> tuple[str, str | None]:
        response = client.get("/", headers={"Accept-Language": accept})
        link = Page(response.get_data(as_text=True)).root.find("h4").find("a")
        return link.text, link.attrs.get("lang")

    assert card_title("de,en;q=0.9") == ("Hidden walk", "en")
    assert card_title("de,eu;q=0.9") == ("Ibilbide ezkutua", "eu")
    assert card_title("de") == ("Paseo escondido", "es")  # nothing else asked: the default
