"""A contribution's marks in a tour document: credit, withdrawal, uses."""

from __future__ import annotations

from tests.tours.tourdoc import tour
from tours.stories.consent import USE_GUIDE_SCRIPTS, USE_KITS, USE_TOUR_PAGES
from tours.stories.document import (
    Allowed,
    contribution_ids,
    credits,
    for_use,
    mark,
    without,
)

CTB = "ctb-aaaaaaaaaaaaaaaa"


def contributed() -> dict:
    document = tour()
    stop = next(f for f in document["features"] if f["geometry"]["type"] == "Point")
    props = stop["properties"]
    props["story"]["ar"] = "قصة"
    props["media"] = [
        {"url": "media:" + "a" * 32, "type": "image", "contribution": CTB},
        {
            "url": "audio:" + "b" * 32,
            "type": "audio",
            "contribution": CTB,
            "transcript": {"ar": "نص"},
        },
        {"url": "media:" + "c" * 32, "type": "image"},
    ]
    return mark(
        document, props["id"], CTB, ["story.ar"], credit="Amina", neighbourhood="San Francisco"
    )


def stop_props(document: dict) -> dict:
    return next(f for f in document["features"] if f["geometry"]["type"] == "Point")["properties"]


def test_mark_and_credit():
    document = contributed()
    assert contribution_ids(document) == {CTB}
    [credit] = credits(stop_props(document))
    assert (credit.name, credit.neighbourhood) == ("Amina", "San Francisco")


def test_without_removes_texts_and_media_and_keeps_the_rest():
    document = contributed()
    gone = stop_props(without(document, CTB))
    assert "ar" not in gone["story"] and gone["story"]["es"] == "Una historia."
    assert [m["url"] for m in gone["media"]] == ["media:" + "c" * 32]
    assert "contributions" not in gone
    assert stop_props(document)["story"]["ar"] == "قصة"  # the input is left alone


def test_history_keeps_a_placeholder_not_the_text():
    old = stop_props(without(contributed(), CTB, placeholder="[withdrawn]"))
    assert old["story"]["ar"] == "[withdrawn]"
    assert old["contributions"] == [{"id": CTB, "withdrawn": True}]
    assert all(m.get("contribution") != CTB for m in old["media"])
    assert credits(old) == []


def test_a_use_shows_what_consent_allows():
    site_only = {
        CTB: Allowed(frozenset({USE_TOUR_PAGES, USE_GUIDE_SCRIPTS}), photos=True, audio=False)
    }
    page, left = for_use(contributed(), USE_TOUR_PAGES, site_only)
    props = stop_props(page)
    assert props["story"]["ar"] == "قصة"
    assert [m["type"] for m in props["media"]] == ["image", "image"]
    assert [(x.what, x.reason) for x in left] == [("audio", "media")]
    kit, left = for_use(contributed(), USE_KITS, site_only)
    assert "ar" not in stop_props(kit)["story"] and "contributions" not in stop_props(kit)
    assert [(x.contribution, x.what) for x in left] == [(CTB, "story")]
    foreign, left = for_use(contributed(), USE_KITS, {})
    assert stop_props(foreign)["story"]["ar"] == "قصة" and left == []
