"""Content in any BCP 47 language: German or Turkish content with the best interface."""

from __future__ import annotations

import pytest

from tests.tours.tourdoc import stop, tour
from tests.webapp.pages_support import INTERFACE, Page, store_document


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
    assert "Angezeigt auf Englisch" in html  # the market's story fell back, said per stop
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
