"""Residents' contributions where the public sees a tour: the page shows each credit as
chosen and plays a recording with its transcript; a contribution whose consent lacks
tour pages is absent from the page, its map, the API, the ``.geojson``, the ``.gpx`` and
every cache; photos and recordings not consented are absent too."""

from __future__ import annotations

import json
from typing import Any

from tests.stories_support import AUDIO_KEYS, IMAGE_KEYS, MARK, SLUG, contribute_all
from tests.stories_support import contributed_document as document_of
from tours.content.checking.pipeline import ValidationOptions, validate_document
from tours.stories.models import WITHDRAWN
from tours.tour.store import save_tour
from webapp.common.bytecache import byte_cache
from webapp.common.database import get_db
from webapp.common.httpcache import Encoded, PiecedBody
from webapp.common.tourcache import tour_cache
from webapp.public.pagecache import PageShell

HIDDEN = (
    MARK["guides"],
    f"{MARK['nophotos']}-photo",
    f"{MARK['nophotos']}-t",
    IMAGE_KEYS["nophotos"],
    AUDIO_KEYS["nophotos"],
)


def publish(app, **statuses: str) -> dict[str, str]:
    with get_db(app).transaction(write_lock=True) as db_session:
        ids = contribute_all(db_session, **statuses)
        result = validate_document(document_of(ids), "t.geojson", ValidationOptions())
        assert result.valid, result.report.to_text()
        save_tour(db_session, result.tour, source_name="test")
    return ids


def cached_text(app) -> str:
    """Everything the app's byte-bounded cache holds, as text."""
    cache = byte_cache(app)
    texts = []
    for value, _ in list(cache._items.values()):
        texts.append(text_of(value))
    return "\n".join(texts)


def text_of(value: Any) -> str:
    if isinstance(value, Encoded):
        return value.body.decode("utf-8", "replace")
    if isinstance(value, PageShell):
        return "".join(value.parts)
    if isinstance(value, PiecedBody):
        return b"".join(value.data).decode("utf-8", "replace")
    if hasattr(value, "body") and isinstance(value.body, PiecedBody):
        return text_of(value.body)
    return repr(value)


def test_the_page_shows_each_credit_as_chosen_and_plays_the_recording(app, client):
    publish(app)
    page = client.get(f"/tours/{SLUG}?lang=ar").get_data(as_text=True)
    # Named, escaped (the teller's name is text, not markup), and anonymous.
    assert "رواية <bdi>Amina &lt;b&gt;Haddad&lt;/b&gt;</bdi>" in page
    assert "<b>Haddad" not in page
    assert "رواية أحد سكان <bdi>San Francisco</bdi>" in page
    key = AUDIO_KEYS["named"]
    assert f'<audio controls preload="none" src="/media/audio/{key}.mp3"' in page
    # The transcript is beside the player, visible, in Arabic, its markup escaped.
    transcript = page.split(f"/media/audio/{key}.mp3", 1)[1].split("</li>", 1)[0]
    assert 'class="transcript"' in transcript and "hidden" not in transcript
    assert "نص التسجيل" in transcript and f"{MARK['named']}-t" in transcript
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in transcript
    assert "<script>alert(1)" not in page
    # The photo and story the teller allowed are there; what was not consented is not.
    assert f"{MARK['named']}-photo" in page and MARK["anonymous"] in page
    for hidden in HIDDEN:
        assert hidden not in page, hidden


def test_a_transcript_in_another_language_is_marked(app, client):
    publish(app)
    page = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert "Told by <bdi>Amina &lt;b&gt;Haddad&lt;/b&gt;</bdi>" in page
    assert "Told by a neighbour of <bdi>San Francisco</bdi>" in page
    assert "Transcript, in Arabic" in page
    assert 'lang="ar" dir="rtl"' in page.split("Transcript, in Arabic", 1)[1][:300]


def test_what_tour_pages_may_not_show_is_in_no_public_answer_and_no_cache(app, client):
    publish(app)
    answers = {
        "page": client.get(f"/tours/{SLUG}"),
        "page-en": client.get(f"/tours/{SLUG}?lang=en"),
        "api": client.get(f"/api/tours/{SLUG}"),
        "list": client.get("/api/tours"),
        "geojson": client.get(f"/api/tours/{SLUG}.geojson"),
        "gpx": client.get(f"/api/tours/{SLUG}.gpx"),
        "catalogue": client.get("/"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        body = response.get_data(as_text=True)
        for hidden in HIDDEN:
            assert hidden not in body, (name, hidden)
    # What tour pages may show is there: the site-only story is this site's to show, on
    # its pages and API, but not in the files anyone may take away.
    assert MARK["anonymous"] in answers["api"].get_data(as_text=True)
    for download in ("geojson", "gpx"):
        assert MARK["anonymous"] not in answers[download].get_data(as_text=True), download
    assert MARK["named"] in answers["geojson"].get_data(as_text=True)
    detail = answers["api"].get_json()
    assert [stop["id"] for stop in detail["stops"]] == ["plaza", "cortes"]
    geojson = answers["geojson"].get_json()
    cortes = next(f for f in geojson["features"] if f["properties"].get("id") == "cortes")
    assert "media" not in cortes["properties"]
    held = cached_text(app)
    assert MARK["named"] in held and MARK["anonymous"] in held  # the caches were filled
    for hidden in HIDDEN:
        assert hidden not in held, hidden


def test_a_withdrawn_contribution_is_shown_nowhere_even_in_its_version(app, client):
    publish(app, named=WITHDRAWN)
    page = client.get(f"/tours/{SLUG}?lang=ar").get_data(as_text=True)
    geojson = client.get(f"/api/tours/{SLUG}.geojson").get_data(as_text=True)
    for body in (page, geojson, json.dumps(client.get(f"/api/tours/{SLUG}").get_json())):
        assert MARK["named"] not in body and AUDIO_KEYS["named"] not in body
    assert "Amina" not in page and "<audio" not in page


def test_forget_drops_every_entry_a_tour_left_in_the_caches(app, client):
    """For a change that makes no new version (the withdrawal helper's hook)."""
    publish(app)
    for url in (f"/tours/{SLUG}", f"/api/tours/{SLUG}.geojson", "/"):
        assert client.get(url).status_code == 200
    kinds = {"tour", "summary", "geojson", "page", "fragment", "map", "tour-for-guides"}

    def entries() -> list:
        return [
            key
            for key in byte_cache(app)._items
            if isinstance(key, tuple) and key[0] in kinds and SLUG in key[1:3]
        ]

    held = entries()
    assert {key[0] for key in held} >= {"tour", "geojson", "page", "fragment", "map"}
    with app.app_context():
        assert tour_cache().forget(SLUG) == len(held)
    assert entries() == []
    assert MARK["named"] not in cached_text(app)
