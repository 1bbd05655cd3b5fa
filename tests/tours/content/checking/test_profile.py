"""The tour profile rules (profile.*) and normalisation."""

from __future__ import annotations

import pytest

from tests.booking_support import tour_document
from tests.tours.tourdoc import ROUTE, codes, problem, stop, tour
from tours.content.checking.pipeline import ValidationOptions, validate_document
from tours.content.checking.profile import apply_profile, normalize
from tours.content.report import Severity
from tours.text import slugify


def check(document, **options):
    return validate_document(document, "tour.geojson", ValidationOptions(**options))


def route_props(document):
    return document["features"][0]["properties"]


def test_the_reference_tour_is_valid_without_warnings():
    result = check(tour())
    assert result.report.problems == []
    assert result.valid
    assert result.tour is not None and result.tour.slug == "san-francisco-voices"


def test_normalised_document_shape():
    document = tour()
    document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC::CRS84"}}
    document["bbox"] = [-3, 43, -2, 44]
    document["features"][0]["geometry"]["coordinates"][0] = [-2.926212345678, 43.255612345678]
    document["features"][1]["properties"]["status"] = "draft"
    district = {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",  # clockwise: rewound on import
            "coordinates": [[[-2.93, 43.25], [-2.93, 43.26], [-2.92, 43.26], [-2.93, 43.25]]],
        },
        "properties": {"name": {"es": "S.F.", "eu": "S.F.", "en": "S.F."}, "colour": "red"},
    }
    document["features"].insert(1, district)
    result = check(document)
    assert result.valid, result.report.to_text()
    assert set(codes(result)) == {"geojson.crs-legacy", "geojson.ring-winding"}
    normalised = result.document
    assert set(normalised) == {"type", "features"}
    kinds = [f["geometry"]["type"] for f in normalised["features"]]
    assert kinds == ["LineString", "Point", "Point", "Polygon"]
    assert normalised["features"][0]["geometry"]["coordinates"][0] == [-2.926212, 43.255612]
    assert [f["properties"]["order"] for f in normalised["features"][1:3]] == [1, 2]
    assert normalised["features"][1]["properties"]["status"] == "draft"
    ring = normalised["features"][3]["geometry"]["coordinates"][0]
    assert ring == [[-2.93, 43.25], [-2.92, 43.26], [-2.93, 43.26], [-2.93, 43.25]]
    assert normalised["features"][3]["properties"]["colour"] == "red"
    assert result.tour.to_document() == normalised


def test_normalize_returns_none_on_errors():
    assert normalize(tour(slug="Bad Slug")) is None
    assert normalize(tour())["type"] == "FeatureCollection"


@pytest.mark.parametrize("root_kind", ["Feature", "Geometry"])
def test_feature_and_geometry_roots_are_read(root_kind):
    route = tour()["features"][0]
    root = route if root_kind == "Feature" else route["geometry"]
    result = check(root)
    assert not result.valid
    assert "profile.no-published-stop" in codes(result)
    if root_kind == "Geometry":
        missing = problem(result, "profile.missing-property")
        assert missing.pointer.startswith("/") and "bare geometry" in missing.message
    else:
        assert problem(result, "profile.no-published-stop").pointer == ""


def test_no_route_and_several_routes():
    document = tour()
    del document["features"][0]
    assert problem(check(document), "profile.no-route").pointer == ""
    document = tour()
    document["features"].append(document["features"][0])
    second = problem(check(document), "profile.multiple-routes")
    assert second.pointer == "/features/3/geometry"
    assert "/features/0/geometry" in second.message


@pytest.mark.parametrize(
    "key", ["slug", "title", "summary", "city", "timezone", "districts", "languages", "licence"]
)
def test_required_route_properties(key):
    document = tour()
    del route_props(document)[key]
    missing = problem(check(document), "profile.missing-property")
    assert missing.pointer == f"/features/0/properties/{key}"


def test_a_misspelt_property_is_pointed_out():
    document = tour()
    route_props(document)["license"] = route_props(document).pop("licence")
    assert '"license"' in problem(check(document), "profile.missing-property").message


@pytest.mark.parametrize("slug", ["San Francisco", "a--b", "-a", "ñandú", "x" * 65, ""])
def test_bad_slugs(slug):
    result = check(tour(slug=slug))
    assert {"profile.slug", "profile.property-type"} & set(codes(result))


def test_slug_hint_and_slugify():
    assert (
        '"voces-de-san-francisco"'
        in problem(check(tour(slug="Voces de San Francisco")), "profile.slug").message
    )
    assert slugify("Plaza Corazón de María!") == "plaza-corazon-de-maria"


@pytest.mark.parametrize(("zone", "hint"), [("europe/madrid", "Europe/Madrid"), ("CET+1", "")])
def test_timezone_must_be_iana(zone, hint):
    message = problem(check(tour(timezone=zone)), "profile.timezone").message
    assert hint in message


@pytest.mark.parametrize(
    ("languages", "code", "ptr"),
    [
        ([], "profile.languages", "/features/0/properties/languages"),
        ("es", "profile.languages", "/features/0/properties/languages"),
        (["es", "english"], "profile.invalid-language-tag", "/features/0/properties/languages/1"),
        (
            ["es", "eu", "en", "ES"],
            "profile.duplicate-language",
            "/features/0/properties/languages/3",
        ),
    ],
)
def test_languages(languages, code, ptr):
    assert problem(check(tour(languages=languages)), code).pointer == ptr


def test_language_tags_are_canonicalised():
    document = tour(languages=["es", "EU", "en"])
    route_props(document)["title"] = {"es": "Voces", "EU": "Ahotsak", "EN": "Voices"}
    result = check(document)
    assert result.valid
    assert result.tour.languages == ("es", "eu", "en")
    assert list(result.tour.title) == ["es", "eu", "en"]


def test_plain_string_text_is_accepted_with_a_warning():
    result = check(tour(summary="Un paseo."))
    warning = problem(result, "profile.text-not-localized")
    assert warning.severity is Severity.WARNING
    assert warning.pointer == "/features/0/properties/summary"
    assert result.valid and dict(result.tour.summary) == {"es": "Un paseo."}


@pytest.mark.parametrize(
    ("title", "code", "ptr"),
    [
        ({"es": ""}, "profile.empty-text", "/features/0/properties/title/es"),
        ({"es": "   "}, "profile.empty-text", "/features/0/properties/title/es"),
        ({"es": 5}, "profile.empty-text", "/features/0/properties/title/es"),
        ({}, "profile.empty-text", "/features/0/properties/title"),
        (
            {"spanish": "Voces"},
            "profile.invalid-language-tag",
            "/features/0/properties/title/spanish",
        ),
        ({"es": "a", "ES": "b"}, "profile.duplicate-language", "/features/0/properties/title/ES"),
        (["Voces"], "profile.text-type", "/features/0/properties/title"),
        ("", "profile.empty-text", "/features/0/properties/title"),
    ],
)
def test_bad_language_maps(title, code, ptr):
    assert problem(check(tour(title=title)), code).pointer == ptr


def test_profile_version_warnings():
    document = tour()
    del route_props(document)["profile"]
    result = check(document)
    assert result.valid and codes(result) == ["profile.profile-missing"]
    result = check(tour(profile="bidean-tour/2"))
    assert result.valid and codes(result) == ["profile.profile-version"]


def test_stop_rules():
    document = tour()
    features = document["features"]
    features.append(stop("plaza", -2.9255, 43.2551))  # duplicate id
    features.append(stop("bad id!", -2.9255, 43.2551))
    features.append(stop("s4", -2.9255, 43.2551, status="hidden"))
    features.append(stop("s5", -2.9255, 43.2551, order=0))
    features.append(stop("s6", -2.9255, 43.2551, order=True))
    features.append(stop("s7", -2.9255, 43.2551, order=2))
    features.append(stop("s8", -2.9255, 43.2551, order=2))
    features.append(stop("s9", -2.9255, 43.2551, dwell_minutes=-1))
    features.append(stop("s10", -2.9255, 43.2551, media=[{"url": "ftp://x/y.jpg", "type": "gif"}]))
    features.append(stop("s11", -2.9255, 43.2551, story=None))
    features.append(stop("s12", -2.9255, 43.2551, story=None, status="draft"))
    features.append(stop("s13", -2.9255, 43.2551, id=None))
    found = {(p.code, p.pointer) for p in check(document).report.errors}
    assert found == {
        ("profile.duplicate-stop-id", "/features/3/properties/id"),
        ("profile.stop-id", "/features/4/properties/id"),
        ("profile.stop-status", "/features/5/properties/status"),
        ("profile.stop-order", "/features/6/properties/order"),
        ("profile.stop-order", "/features/7/properties/order"),
        ("profile.duplicate-stop-order", "/features/9/properties/order"),
        ("profile.dwell-minutes", "/features/10/properties/dwell_minutes"),
        ("profile.media-url", "/features/11/properties/media/0/url"),
        ("profile.media-type", "/features/11/properties/media/0/type"),
        ("profile.missing-property", "/features/12/properties/story"),
        ("profile.missing-property", "/features/14/properties/id"),
    }


def test_duplicate_stop_id_names_the_first():
    document = tour()
    document["features"].append(stop("plaza", -2.9255, 43.2551))
    message = problem(check(document), "profile.duplicate-stop-id").message
    assert "/features/1" in message


def test_numeric_stop_id_gets_a_hint():
    document = tour()
    document["features"][1]["properties"]["id"] = 7
    assert 'Write it as text: "7"' in problem(check(document), "profile.stop-id").message


def test_a_tour_needs_a_published_stop():
    document = tour()
    for feature in document["features"][1:]:
        feature["properties"]["status"] = "withdrawn"
    assert problem(check(document), "profile.no-published-stop").severity is Severity.ERROR


def test_media_are_kept():
    media = [
        {"url": "https://example.org/a.jpg", "type": "image", "caption": "Plaza", "credit": "A."}
    ]
    document = tour()
    document["features"][1]["properties"]["media"] = media
    result = check(document)
    assert result.valid
    [item] = result.tour.stops[0].media
    assert (item.url, item.type, dict(item.caption)) == (media[0]["url"], "image", {"es": "Plaza"})


def test_unknown_properties_end_up_in_extra():
    document = tour(website="https://bidean.example")
    document["features"][1]["properties"]["wheelchair"] = "partial"
    result = check(document)
    assert result.valid
    assert result.tour.extra == {"website": "https://bidean.example"}
    assert result.tour.stops[0].extra == {"wheelchair": "partial"}


def test_unsupported_geometries_and_dropped_members():
    document = tour()
    document["features"].append(
        {
            "type": "Feature",
            "geometry": {"type": "MultiPoint", "coordinates": [[0, 0]]},
            "properties": {},
        }
    )
    document["features"][1]["id"] = "plaza"
    document["name"] = "export"
    result = check(document)
    assert problem(result, "profile.unsupported-geometry").pointer == "/features/3/geometry"
    dropped = [
        p.pointer for p in result.report.problems if p.code == "profile.foreign-member-dropped"
    ]
    assert dropped == ["", "/features/1"]


def test_missing_translations_are_one_warning_per_feature():
    document = tour()
    props = document["features"][1]["properties"]
    del props["name"]["eu"], props["story"]["eu"], props["story"]["en"]
    result = check(document)
    assert result.valid
    [warning] = [p for p in result.report.problems if p.code == "profile.missing-translation"]
    assert warning.pointer == "/features/1/properties"
    assert "name (eu)" in warning.message and "story (eu, en)" in warning.message
    assert 'Stop "plaza"' in warning.message


def test_texts_in_undeclared_languages_are_kept_as_partial_translations():
    document = tour()
    document["features"][1]["properties"]["story"]["fr"] = "Une histoire."
    document["features"][2]["properties"]["name"]["de"] = "Markt"
    result = check(document)
    assert result.valid
    [note] = [p for p in result.report.problems if p.code == "profile.partial-language"]
    assert note.pointer == "/features/1/properties"
    assert "de, fr (2 features)" in note.message and "declare" in note.message
    assert not any(p.code == "profile.undeclared-language" for p in result.report.problems)
    assert result.document["features"][1]["properties"]["story"]["fr"] == "Une histoire."
    assert result.document["features"][2]["properties"]["name"]["de"] == "Markt"


def test_self_crossing_route_warns_with_the_place():
    route = [[-2.9262, 43.2556], [-2.9240, 43.2545], [-2.9240, 43.2556], [-2.9262, 43.2545]]
    document = tour()
    document["features"][0]["geometry"]["coordinates"] = route
    result = check(document)
    assert result.valid
    warning = problem(result, "profile.route-self-crossing")
    assert warning.pointer == "/features/0/geometry"
    assert "longitude -2.925" in warning.message and "latitude 43.25" in warning.message


def test_stop_far_from_route_warns_with_the_distance():
    document = tour()
    document["features"][2]["geometry"]["coordinates"] = [-2.9249, 43.2538]  # ~110 m south
    result = check(document)
    assert result.valid
    warning = problem(result, "profile.stop-far-from-route")
    assert warning.pointer == "/features/2/geometry"
    assert " m from the route" in warning.message and "50 m" in warning.message
    assert "profile.stop-far-from-route" not in codes(check(document, stop_distance_m=200))


def test_stops_are_ordered_along_the_route_unless_ordered_explicitly():
    document = tour()
    features = document["features"]
    features[1:] = [
        stop("end", *ROUTE[3]),
        stop("middle", *ROUTE[2]),
        stop("start", *ROUTE[0]),
    ]
    result = check(document)
    assert [s.id for s in result.tour.stops] == ["start", "middle", "end"]
    assert [s.order for s in result.tour.stops] == [1, 2, 3]
    features[1]["properties"]["order"] = 1  # "end" first, then the rest by the route
    result = check(document)
    assert [(s.id, s.order) for s in result.tour.stops] == [("end", 1), ("start", 2), ("middle", 3)]


def test_city_option_overrides_the_document():
    document = tour()
    del route_props(document)["city"]
    result = check(document, city="Bilbo")
    assert result.valid and result.tour.city == "Bilbo"


def test_apply_profile_reports_without_raising_on_odd_values():
    document = tour(districts="San Francisco", duration_minutes=-5, sample="yes", credits=3)
    result = apply_profile(document)
    assert result.document is None
    assert {p.code for p in result.problems} >= {
        "profile.districts",
        "profile.duration-minutes",
        "profile.property-type",
        "profile.text-type",
    }


def test_every_code_is_documented():
    """Each code the importer can emit has a row in docs/geojson-profile.md."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[4]
    modules = [
        "reading/jsonload", "reading/gpx", "reading/csvread", "reading/kml", "reading/limits",
        "checking/validate", "checking/geojson_positions", "checking/geojson_members",
        "checking/profile", "checking/profile_features", "checking/profile_route",
        "checking/profile_price", "checking/profile_stops", "checking/profile_geometry",
        "checking/textmaps", "checking/pipeline", "checking/licences", "assembly/sources",
        "assembly/assemble", "workflows/storing", "workflows/uploads", "reading/xmltext",
        "workflows/intake",
    ]  # fmt: skip
    source = "".join(
        (root / "tours" / "content" / f"{m}.py").read_text(encoding="utf-8") for m in modules
    )
    emitted = set(
        re.findall(
            r'"((?:json|geojson|profile|gpx|file|store|import|assemble|format|csv|kml|media)\.[a-z-]+)"',
            source,
        )
    )
    emitted |= {f"geojson.{kind}-members" for kind in ("feature", "collection", "geometry")}
    documented = set(
        re.findall(
            r"^\| `([a-z]+\.[a-z-]+)` \|", (root / "docs" / "geojson-profile.md").read_text(), re.M
        )
    )
    assert emitted - documented == set()
    assert documented - emitted == set()


def test_the_example_in_the_docs_is_valid():
    import re
    from pathlib import Path

    from tours.content.checking.pipeline import validate_bytes

    text = (Path(__file__).resolve().parents[4] / "docs" / "geojson-profile.md").read_text()
    example = re.search(r"## Example\n\n```json\n(.*?)```", text, re.S).group(1)
    result = validate_bytes(example.encode(), "example.geojson")
    assert result.valid, result.report.to_text()


@pytest.mark.parametrize(
    "price",
    [
        {"model": "free"},
        {"model": "pay-what-you-want"},
        {"model": "pay-what-you-want", "suggested": 10, "currency": "EUR"},
        {"model": "fixed", "amount": 12.5, "currency": "EUR"},
        {"model": "fixed", "amount": 0, "currency": "GBP"},
    ],
)
def test_price_models_are_kept_and_read(price):
    result = check(tour(price=price))
    assert result.report.problems == []
    assert result.tour.extra["price"] == price
    assert result.tour.price.model == price["model"]
    assert result.tour.price.amount == price.get("amount", price.get("suggested"))


@pytest.mark.parametrize(
    ("price", "code", "pointer"),
    [
        ("12 EUR", "profile.price-model", "/price"),
        ({"model": "donation"}, "profile.price-model", "/price"),
        ({"model": "fixed", "currency": "EUR"}, "profile.price-amount", "/price/amount"),
        ({"model": "fixed", "amount": -1, "currency": "EUR"}, "profile.price-amount",
         "/price/amount"),
        ({"model": "fixed", "amount": "12", "currency": "EUR"}, "profile.price-amount",
         "/price/amount"),
        ({"model": "fixed", "amount": 12}, "profile.price-currency", "/price/currency"),
        ({"model": "pay-what-you-want", "suggested": 5, "currency": "eur"},
         "profile.price-currency", "/price/currency"),
    ],
)  # fmt: skip
def test_bad_prices_say_where_and_how_to_fix(price, code, pointer):
    result = check(tour(price=price))
    assert not result.valid
    assert problem(result, code).pointer == "/features/0/properties" + pointer


def test_a_city_longer_than_its_column_is_an_error():
    document = tour_document()
    document["features"][0]["properties"]["city"] = "B" * 121
    result = validate_document(document)
    assert result.tour is None
    assert "profile.too-long" in codes(result)
    document["features"][0]["properties"]["city"] = "B" * 120
    assert validate_document(document).tour is not None


def test_line_breaks_in_titles_and_stop_names_are_warned_about():
    document = tour_document()
    document["features"][0]["properties"]["title"]["es"] = "Paseo\npor Zabala"
    document["features"][1]["properties"]["name"]["en"] = "Zabalburu\u2028Square"
    result = validate_document(document)
    assert result.tour is not None  # a warning: the tour is still imported
    found = [p for p in result.report.problems if p.code == "profile.control-characters"]
    assert [p.pointer for p in found] == [
        "/features/0/properties/title",
        "/features/1/properties/name",
    ]
    assert all(p.severity is Severity.WARNING for p in found)


def test_an_approximate_route_is_a_warning_kept_in_the_document_and_must_be_a_boolean():
    drawn = check(tour(approximate_route=True))
    assert codes(drawn) == ["profile.approximate-route"]
    found = problem(drawn, "profile.approximate-route")
    assert found.pointer == "/features/0/properties/approximate_route"
    assert "The route is approximate: redraw it in the editor" in found.message
    assert route_props(drawn.document)["approximate_route"] is True
    assert codes(check(tour(approximate_route=False))) == []
    wrong = check(tour(approximate_route="yes"))
    assert codes(wrong, "error") == ["profile.property-type"] and not wrong.valid
