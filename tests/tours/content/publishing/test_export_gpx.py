"""The GPX export's metadata: who made the tour and its licence; Bidean only creates."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest
from lxml import etree

from tests.tours.tourdoc import tour
from tours.content.publishing.export import to_gpx

# The GPX 1.1 schema (Topografix), as the ``gpx`` package of the dev extra ships it.
GPX_XSD = Path(find_spec("gpx").submodule_search_locations[0]) / "gpx.xsd"

NS = {"g": "http://www.topografix.com/GPX/1/1"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(GPX_XSD)))


def metadata(document: dict, schema: etree.XMLSchema) -> etree._Element:
    root = etree.fromstring(to_gpx(document, "en").encode())
    schema.assertValid(root)
    assert root.get("creator") == "Bidean"
    return root.find("g:metadata", NS)


def test_without_an_author_bidean_claims_no_copyright_and_links_the_licence(schema):
    meta = metadata(tour(), schema)
    assert meta.find("g:copyright", NS) is None and meta.find("g:author", NS) is None
    link = meta.find("g:link", NS)
    assert link.get("href") == "https://spdx.org/licenses/CC-BY-SA-4.0.html"
    assert link.findtext("g:text", namespaces=NS) == "Licence: CC-BY-SA-4.0"


def test_the_credits_are_the_author_and_the_copyright_keeps_its_holder_and_year(schema):
    meta = metadata(tour(credits={"en": "Voices collective", "es": "Colectivo"}), schema)
    assert meta.findtext("g:author/g:name", namespaces=NS) == "Voices collective"
    copyright = meta.find("g:copyright", NS)
    assert copyright.get("author") == "Voices collective"
    assert copyright.find("g:year", NS) is None
    assert copyright.findtext("g:license", namespaces=NS) == "CC-BY-SA-4.0"
    held = tour(copyright={"author": "Ría Viva", "year": 2019}, licence="CC0-1.0")
    copyright = metadata(held, schema).find("g:copyright", NS)
    assert copyright.get("author") == "Ría Viva"
    assert copyright.findtext("g:year", namespaces=NS) == "2019"
