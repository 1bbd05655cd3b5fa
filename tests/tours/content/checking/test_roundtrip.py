"""Round trips: normalise -> Tour -> to_document -> validate again gives the same Tour.

The property test generates small valid tours (random slugs, texts in a few languages,
stops near a random route, explicit orders or not, extra properties) and checks that
normalisation is a fixed point, through Python objects and through JSON bytes.
"""

from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tours.content.checking.pipeline import (
    ValidationOptions,
    validate_bytes,
    validate_document,
    validate_path,
)

LANGUAGES = ["es", "eu", "en", "fr", "ar", "pt-BR", "zh-Hant"]
slugs = st.from_regex(r"\A[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,3}\Z")
words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
).filter(str.strip)
coordinate = st.floats(min_value=-1e-3, max_value=1e-3, allow_nan=False)


@st.composite
def texts(draw, languages):
    """A language map in some of the tour's languages (at least one), or a plain string."""
    if draw(st.integers(0, 9)) == 0:
        return draw(words)
    chosen = draw(st.lists(st.sampled_from(languages), min_size=1, unique=True))
    return {tag: draw(words) for tag in chosen}


contribution_ids = st.from_regex(r"\Actb-[a-z0-9]{1,20}\Z")


@st.composite
def contributed_media(draw, languages):
    """A resident's photo and/or recording (with its transcript and type)."""
    public_id = draw(contribution_ids)
    media = []
    if draw(st.booleans()):
        media.append({"url": "media:" + "a" * 32, "type": "image", "contribution": public_id})
    recording = {
        "url": "audio:" + draw(st.sampled_from(["b" * 32, "c" * 64])),
        "type": "audio",
        "contribution": public_id,
        "mime": draw(st.sampled_from(["audio/ogg", "audio/mpeg", "audio/webm"])),
    }
    chosen = draw(st.lists(st.sampled_from(languages), min_size=1, unique=True))
    recording["transcript"] = {tag: draw(words) for tag in chosen}
    return [*media, recording]


@st.composite
def contributions(draw, languages):
    """A stop's contributions: named, anonymous (with a neighbourhood) or withdrawn."""
    entries = []
    for public_id in draw(st.lists(contribution_ids, min_size=1, max_size=3, unique=True)):
        kind = draw(st.sampled_from(["named", "anonymous", "withdrawn"]))
        if kind == "withdrawn":
            entries.append({"id": public_id, "withdrawn": True})
            continue
        texts = draw(st.lists(st.sampled_from(["story", "name"]), min_size=1, unique=True))
        entry = {
            "id": public_id,
            "texts": [f"{field}.{draw(st.sampled_from(languages))}" for field in texts],
            "credit": draw(words) if kind == "named" else None,
        }
        if kind == "anonymous":
            entry["neighbourhood"] = draw(words)
        entries.append(entry)
    return entries


@st.composite
def routes(draw):
    """A route of 2..20 vertices near Bilbao, each step long enough to stay distinct."""
    lon, lat = draw(st.floats(-3.0, -2.8)), draw(st.floats(43.2, 43.3))
    steps = draw(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=19))
    coords = [[lon, lat]]
    for dx, dy in steps:
        lon, lat = lon + dx + 2e-5, lat + dy
        coords.append([lon, lat])
    if draw(st.booleans()):
        coords = [[*c, draw(st.floats(-10, 500, allow_nan=False))] for c in coords]
    return coords


@st.composite
def tours(draw):
    languages = draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=3, unique=True))
    route = draw(routes())
    extra_keys = st.text(string.ascii_lowercase, min_size=3, max_size=8).map(lambda k: f"x_{k}")
    extra = draw(st.dictionaries(extra_keys, st.integers() | words, max_size=2))
    properties = {
        "profile": "bidean-tour/1",
        "slug": draw(slugs),
        "title": draw(texts(languages)),
        "summary": draw(texts(languages)),
        "city": draw(words),
        "timezone": draw(st.sampled_from(["Europe/Madrid", "UTC", "America/Argentina/Cordoba"])),
        "districts": draw(st.lists(words, max_size=3)),
        "languages": languages,
        "licence": "CC-BY-SA-4.0",
        **extra,
    }
    if draw(st.booleans()):
        properties["credits"] = draw(texts(languages))
    if draw(st.booleans()):
        properties["duration_minutes"] = draw(st.integers(1, 600))
    if draw(st.booleans()):
        properties["sample"] = draw(st.booleans())
    n = draw(st.integers(1, 6))
    orders = draw(st.lists(st.integers(1, 20), min_size=n, max_size=n, unique=True))
    explicit = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": route},
            "properties": properties,
        }
    ]
    for i in range(n):
        base = draw(st.sampled_from(route))
        status = (
            "published" if i == 0 else draw(st.sampled_from(["published", "draft", "withdrawn"]))
        )
        props = {"id": f"s{i}", "name": draw(texts(languages)), "status": status}
        if status == "published" or draw(st.booleans()):
            props["story"] = draw(texts(languages))
        if explicit[i]:
            props["order"] = orders[i]
        if draw(st.booleans()):
            props["dwell_minutes"] = draw(st.integers(0, 60) | st.floats(0, 60))
        if draw(st.booleans()):
            props["media"] = [{"url": "https://example.org/a.jpg", "type": "image"}]
        if draw(st.booleans()):
            props["media"] = [*props.get("media", ()), *draw(contributed_media(languages))]
            props["contributions"] = draw(contributions(languages))
        position = [base[0] + draw(coordinate) / 10, base[1] + draw(coordinate) / 10]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": position},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


OPTIONS = ValidationOptions(stop_distance_m=1e6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tours())
def test_normalise_to_document_and_back_is_a_fixed_point(document):
    first = validate_document(document, "generated", OPTIONS)
    assert first.valid, first.report.to_text()
    assert first.tour.to_document() == first.document

    again = validate_document(first.tour.to_document(), "again", OPTIONS)
    assert again.valid, again.report.to_text()
    assert again.tour == first.tour
    assert again.document == first.document
    assert not [p for p in again.report.problems if p.code == "profile.text-not-localized"]

    data = json.dumps(first.tour.to_document(), ensure_ascii=False).encode("utf-8")
    through_bytes = validate_bytes(data, "again.geojson", OPTIONS)
    assert through_bytes.tour == first.tour


def test_sample_routes_are_valid_and_round_trip(sample_routes):
    assert sample_routes, "data/routes ships the sample tours"
    for path in sample_routes:
        result = validate_path(path)
        assert result.report.errors == [], result.report.to_text()
        assert result.tour is not None
        # The sample tours carry guide scripts, which only an explicit request writes out.
        assert result.tour.to_document(with_scripts=True) == result.document
        again = validate_document(result.tour.to_document(with_scripts=True), str(path))
        assert again.tour == result.tour
