"""Forking a tour document and building the replication kit, without a database."""

from __future__ import annotations

import csv
import io
import zipfile

from tests.tours.tourdoc import encode, stop, tour
from tours.content.checking.pipeline import validate_bytes, validate_document
from tours.content.publishing.kit import build_kit
from tours.content.publishing.kit_html import printable_html
from tours.content.translation.translation_csv import HEADER, read_csv
from tours.content.workflows.fork import fork_document, fork_slug

SCRIPT = "Unique-script-7f3a: gather the group"


def source_document():
    doc = tour(credits={"es": "Textos de la asociación.", "en": "Texts by the association."})
    doc["features"][1]["properties"]["script"] = {"es": SCRIPT}
    doc["features"][1]["properties"]["media"] = [
        {"url": "https://example.org/a.jpg", "type": "image"}
    ]
    doc["features"].append(stop("gone", -2.9256, 43.2552, status="withdrawn"))
    return doc


def test_fork_slug_transliterates_the_city():
    assert fork_slug("san-francisco-voices", "Wrocław") == "san-francisco-voices-wroclaw"
    assert fork_slug("a", "Łódź") == "a-lodz"
    assert fork_slug("x" * 64, "Kraków").endswith("-krakow") and len(fork_slug("x" * 64, "K")) <= 64


def test_fork_keeps_structure_and_attribution_and_marks_the_rest_to_do():
    fork, todo = fork_document(
        source_document(), city="Wrocław", slug="voices-wroclaw", source_version=3
    )
    route = fork["features"][0]["properties"]
    assert (route["slug"], route["city"], route["districts"]) == ("voices-wroclaw", "Wrocław", [])
    assert route["licence"] == "CC-BY-SA-4.0" and route["languages"] == ["es", "eu", "en"]
    assert route["credits"]["es"].startswith("Textos de la asociación.\nAdaptado de «Voces")
    assert route["credits"]["en"].endswith("Forked from «Voices» (Bilbao, san-francisco-voices v3)")
    assert route["credits"]["eu"].startswith("Oinarria: «San Frantziskoko ahotsak»")
    assert route["forked_from"] == {
        "slug": "san-francisco-voices",
        "version": 3,
        "city": "Bilbao",
        "title": {"es": "Voces de San Francisco", "eu": "San Frantziskoko ahotsak", "en": "Voices"},
        "licence": "CC-BY-SA-4.0",
    }
    stops = [f["properties"] for f in fork["features"][1:]]
    assert [(s["id"], s["order"], s["status"]) for s in stops] == [
        ("plaza", 1, "draft"),
        ("cortes", 2, "draft"),
    ]
    assert stops[0]["story"] == {"es": "Una historia.", "eu": "Istorio bat.", "en": "A story."}
    assert "script" not in stops[0] and "media" not in stops[0]
    assert SCRIPT not in repr(fork)
    assert [t["code"] for t in todo] == ["fork.route", "fork.districts", "fork.stop", "fork.stop"]
    assert todo[2]["pointer"] == "/features/1" and "plaza" in todo[2]["message"]
    # The fork is a valid document whose publication is refused until a stop is published.
    result = validate_document(fork)
    assert [p.code for p in result.report.errors] == ["profile.no-published-stop"]


def test_fork_copies_scripts_only_when_asked():
    fork, _ = fork_document(
        source_document(), city="Wrocław", slug="v-w", source_version=1, with_scripts=True
    )
    assert fork["features"][1]["properties"]["script"] == {"es": SCRIPT}


def kit_tour():
    doc = source_document()
    doc["features"].append(
        stop("draft-stop", -2.9249, 43.2548, status="draft", name={"es": "Borrador secreto"})
    )
    doc["features"][0]["properties"]["languages"] = ["es", "eu", "en", "ar"]
    doc["features"][1]["properties"]["story"]["ar"] = "قصة <b>الساحة</b>\n\nفقرة ثانية"
    doc["features"][1]["properties"]["name"]["es"] = "Plaza <script>alert(1)</script> & co"
    result = validate_bytes(encode(doc), "tour.geojson")
    assert result.tour is not None, result.report.to_text()
    return result.tour


def test_the_kit_holds_every_part_and_nothing_private():
    data = build_kit(kit_tour(), 7, source_url="https://bidean.example/tours/san-francisco-voices")
    archive = zipfile.ZipFile(io.BytesIO(data))
    slug = "san-francisco-voices"
    assert sorted(archive.namelist()) == sorted(
        f"{slug}/{name}"
        for name in (
            "README.md",
            f"{slug}.geojson",
            f"{slug}.gpx",
            "stops.html",
            "CREDITS.txt",
            f"translations/{slug}.eu.csv",
            f"translations/{slug}.en.csv",
            f"translations/{slug}.ar.csv",
        )
    )
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
    assert SCRIPT not in everything and '"script"' not in everything
    assert "Borrador secreto" not in everything and "draft-stop" not in everything
    readme = archive.read(f"{slug}/README.md").decode()
    assert "bidean import san-francisco-voices.geojson" in readme
    assert "/console/tours/import" in readme and "version 7" in readme
    assert "https://bidean.example/tours/san-francisco-voices" in readme
    credits = archive.read(f"{slug}/CREDITS.txt").decode()
    assert "Texts by the association." in credits and "CC-BY-SA-4.0" in credits
    # The translation files are the ones `bidean translations import` reads.
    ar = archive.read(f"{slug}/translations/{slug}.ar.csv")
    parsed = read_csv(
        ar,
        slug=slug,
        version=7,
        stop_ids=["plaza", "cortes"],
        fields=("name", "story"),
        limits={},
    )
    assert parsed.ok and parsed.language == "ar"
    assert parsed.texts == {("plaza", "story"): "قصة <b>الساحة</b>\n\nفقرة ثانية"}
    header = next(csv.reader(io.StringIO(ar.decode("utf-8-sig"))))
    assert tuple(header) == HEADER
    # The same tour version gives the same bytes.
    assert build_kit(kit_tour(), 7, source_url="https://bidean.example/tours/" + slug) == data


def test_the_kit_geojson_is_the_public_tour():
    tour_ = kit_tour()
    archive = zipfile.ZipFile(io.BytesIO(build_kit(tour_, 1)))
    data = archive.read("san-francisco-voices/san-francisco-voices.geojson")
    result = validate_bytes(data, "kit.geojson")
    assert result.report.valid and result.tour is not None
    public = validate_document(tour_.to_document(published_only=True)).tour
    assert result.tour == public


def test_printable_list_escapes_and_sets_direction_per_language():
    html = printable_html(kit_tour(), {"es": {"stops": "Paradas"}})
    assert "<script>" not in html and "Plaza &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert '<section class="language" lang="ar" dir="rtl">' in html
    assert '<section class="language" lang="es" dir="ltr">' in html
    assert "<p>قصة &lt;b&gt;الساحة&lt;/b&gt;</p><p>فقرة ثانية</p>" in html
    assert "<h2>Paradas</h2>" in html and "<h2>Stops</h2>" in html  # English where not given
    assert "@page { size: A4" in html
    for external in ("http://", "https://", "<link", "src=", "@import", "url("):
        assert external not in html, external
    # Walking order, published stops only.
    assert html.index("Plaza &lt;script") < html.index("Parada cortes")
    assert "Borrador secreto" not in html


def test_the_kit_credits_keep_a_source_copyright_and_link_a_licence_url():
    doc = tour(
        credits={"es": "Miren Zabala"},
        copyright={"author": "Asociación Ría Viva", "year": 2019},
        licence="https://creativecommons.org/licenses/by/4.0/",
    )
    kit_source = validate_bytes(encode(doc), "tour.geojson").tour
    archive = zipfile.ZipFile(io.BytesIO(build_kit(kit_source, 1, source_url=None)))
    credits = archive.read("san-francisco-voices/CREDITS.txt").decode()
    assert "Copyright © 2019 Asociación Ría Viva" in credits
    assert "(https://creativecommons.org/licenses/by/4.0/)" in credits and "spdx" not in credits
