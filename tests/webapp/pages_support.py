"""Helpers for the page, API and error tests: a tour document with a draft, a withdrawn
stop and a stop not translated into Basque; storing through the real importer; a small
HTML reader."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from flask import Flask

from tours.content.checking.pipeline import validate_document, validate_path
from tours.i18n import LocalizedText
from tours.tour.store import StoredTour, save_tour
from webapp.common.database import get_db

INTERFACE = ("es", "eu", "en", "fr", "ar", "pl", "de", "pt", "it")
# Unique strings that must never reach the public: names and stories of hidden stops.
SECRETS = (
    "DRAFTNAME-q7v",
    "DRAFTSTORY-k2p",
    "WITHDRAWNNAME-z9m",
    "WITHDRAWNSTORY-x4c",
    "draft-stop-id",
    "withdrawn-stop-id",
)


def walk_document(slug: str = "hidden-walk") -> dict[str, Any]:
    """A Bilbao tour whose file lists stops out of order (explicit ``order`` 3, 1, 2),
    with a stop lacking Basque, a draft and a withdrawn stop with unique strings."""
    route = [[-2.9262, 43.2556], [-2.9249, 43.2548], [-2.9236, 43.2541], [-2.9220, 43.2533]]

    def stop(ident: str, position: list[float], order: int | None, **props: Any) -> dict:
        properties = {"id": ident, **props}
        if order is not None:
            properties["order"] = order
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": position},
            "properties": properties,
        }

    route_props = {
        "profile": "bidean-tour/1",
        "slug": slug,
        "title": {"es": "Paseo escondido", "eu": "Ibilbide ezkutua", "en": "Hidden walk"},
        "summary": {"es": "Un paseo de prueba.", "eu": "Proba-ibilbidea.", "en": "A test walk."},
        "city": "Bilbao",
        "timezone": "Europe/Madrid",
        "districts": ["Zabala", "San Francisco"],
        "languages": ["es", "eu", "en"],
        "licence": "CC-BY-SA-4.0",
    }
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": route},
            "properties": route_props,
        },
        stop(
            "third",
            route[3],
            3,
            name={"es": "Parque final", "eu": "Azken parkea", "en": "Last park"},
            story={"es": "Historia tercera.", "eu": "Hirugarren istorioa.", "en": "Third story."},
        ),
        stop(
            "first",
            route[0],
            1,
            name={"es": "Plaza primera", "eu": "Lehen plaza", "en": "First square"},
            story={
                "es": "Primera historia.\n\nSegundo párrafo.",
                "eu": "Lehen istorioa.\n\nBigarren paragrafoa.",
                "en": "First story.\n\nSecond paragraph.",
            },
            community={"es": "Vecindad senegalesa", "eu": "Senegaldar auzokideak"},
            credits="Told by Awa",
            accessibility={"es": "Sin escalones.", "eu": "Eskailerarik gabe.", "en": "Step-free."},
            media=[
                {
                    "url": "https://example.org/photo.jpg",
                    "type": "image",
                    "caption": {"es": "Foto de la plaza", "eu": "Plazaren argazkia"},
                    "credit": "Awa",
                }
            ],
        ),
        stop(
            "second",
            route[1],
            2,
            name={"es": "Calle sin euskera", "en": "Street without Basque"},
            story={"es": "Historia solo en castellano y en inglés.", "en": "Story in English."},
        ),
        stop(
            "draft-stop-id",
            route[2],
            None,
            name={"es": "DRAFTNAME-q7v"},
            story={"es": "DRAFTSTORY-k2p"},
            status="draft",
        ),
        stop(
            "withdrawn-stop-id",
            route[2],
            None,
            name={"es": "WITHDRAWNNAME-z9m"},
            story={"es": "WITHDRAWNSTORY-x4c"},
            status="withdrawn",
        ),
    ]
    return {"type": "FeatureCollection", "features": features}


def store_document(app: Flask, document: dict[str, Any]) -> StoredTour:
    """Validate with the real importer and store, as an import would."""
    result = validate_document(document, "test-document.geojson")
    assert result.valid, result.report.to_text()
    with get_db(app).transaction(write_lock=True) as db_session:
        return save_tour(db_session, result.tour, "test-document.geojson")


def sample_titles(sample_routes: list[Path]) -> dict[str, tuple[LocalizedText, str]]:
    """``slug -> (title, default language)`` read from the sample files themselves."""
    titles = {}
    for path in sample_routes:
        tour = validate_path(path).tour
        assert tour is not None
        titles[tour.slug] = (tour.title, tour.default_language)
    return titles


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and (cls is None or cls in child.classes()):
                found.append(child)
            found.extend(child.find_all(tag, cls))
        return found

    def find(self, tag: str | None = None, cls: str | None = None) -> Element:
        found = self.find_all(tag, cls)
        assert found, f"no <{tag} class={cls}> in the page"
        return found[0]


class Page(HTMLParser):
    """Just enough of a DOM for assertions: elements, attributes and their text."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "source", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        node: Element | None = self.current
        while node is not None:
            node.parts.append(data)
            node = node.parent

    def html_element(self) -> Element:
        return self.root.find("html")
