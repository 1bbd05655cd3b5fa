"""``GET /tours/<slug>/kit.zip``: published tours only, nothing private in it, and its
GeoJSON imports back (through the real ``bidean import``) into an equal tour."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from tests.tours.tourdoc import encode, stop, tour
from tours.booking.bookings import Party, book
from tours.booking.departures import DepartureRequest, schedule
from tours.tour.domain import Tour, without_scripts
from tours.tour.store import get_tour
from webapp.commands.samples import load_sample_routes
from webapp.common.database import get_db

SLUG = "san-francisco-voices"
SCRIPT = "Unique-script-5d2b: count the group twice"
BOOKER = "Unique-booker-9e1c Zubiaurre"
BOOKER_EMAIL = "unique-booker-9e1c@example.org"
DRAFT_STOP = "Unique-draft-stop-0a77"


def import_tour(runner, tmp_path: Path) -> None:
    doc = tour(credits={"es": "Asociación del barrio"})
    doc["features"][1]["properties"]["script"] = {"es": SCRIPT, "en": SCRIPT + " (en)"}
    doc["features"].append(
        stop("hidden", -2.9249, 43.2548, status="draft", name={"es": DRAFT_STOP})
    )
    path = tmp_path / "tour.geojson"
    path.write_bytes(encode(doc))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output


def book_someone(app) -> None:
    start = (datetime.now() + timedelta(days=3)).replace(hour=11, minute=0, second=0)
    with get_db(app).transaction(write_lock=True) as db_session:
        (departure,) = schedule(db_session, DepartureRequest(SLUG, start, "es", 10))
        departure_id = departure.id
    with get_db(app).transaction(write_lock=True) as db_session:
        book(db_session, departure_id, Party(BOOKER, BOOKER_EMAIL, 2, "es", notes="Unique-note-77"))


def kit(client, slug: str = SLUG) -> zipfile.ZipFile:
    response = client.get(f"/tours/{slug}/kit.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert f'filename="{slug}-kit-v' in response.headers["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_the_kit_has_no_scripts_no_bookers_and_no_draft_stops(app, client, runner, tmp_path):
    import_tour(runner, tmp_path)
    book_someone(app)
    archive = kit(client)
    names = archive.namelist()
    assert f"{SLUG}/{SLUG}.geojson" in names and f"{SLUG}/stops.html" in names
    assert f"{SLUG}/translations/{SLUG}.eu.csv" in names
    everything = b"".join(archive.read(n) for n in names).decode("utf-8")
    for secret in (SCRIPT, BOOKER, BOOKER_EMAIL, "Unique-note-77", DRAFT_STOP, '"script"'):
        assert secret not in everything, secret
    assert "Asociación del barrio" in everything  # the credits are in


def test_drafts_withdrawn_and_unknown_tours_have_no_kit(client, runner, tmp_path):
    import_tour(runner, tmp_path)
    assert runner.invoke(args=["fork", SLUG, "--city", "Wrocław"]).exit_code == 0
    assert client.get(f"/tours/{SLUG}-wroclaw/kit.zip").status_code == 404
    assert client.get("/tours/nope/kit.zip").status_code == 404
    assert runner.invoke(args=["withdraw", SLUG]).exit_code == 0
    assert client.get(f"/tours/{SLUG}/kit.zip").status_code == 404


def test_the_kit_geojson_imports_into_an_equal_tour(app, client, runner, tmp_path):
    import_tour(runner, tmp_path)
    with get_db(app).transaction() as db_session:
        original = get_tour(db_session, SLUG)
    archive = kit(client)
    archive.extractall(tmp_path / "kit")
    path = tmp_path / "kit" / SLUG / f"{SLUG}.geojson"
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"stored {SLUG} version 2" in result.output
    with get_db(app).transaction() as db_session:
        imported = get_tour(db_session, SLUG)
    # Equal to the public tour: the same minus the guides' scripts and the draft stop.
    public = Tour.from_document(
        without_scripts(original.tour.to_document(published_only=True, with_scripts=True))
    )
    # The draft stop was number 2: the kit numbers the public stops 1, 2 in walking order.
    walking = [s.id for s in public.ordered_public_stops()]
    public = replace(
        public,
        stops=tuple(replace(s, order=walking.index(s.id) + 1) for s in public.stops),
    )
    assert imported.version == 2 and imported.tour == public
    assert imported.tour != original.tour  # the scripts and the draft stop really differ
    # And the kit of the imported version has the same GeoJSON.
    again = kit(client).read(f"{SLUG}/{SLUG}.geojson")
    assert again == path.read_bytes()


def test_sample_tour_kit_round_trips_and_prints_every_language(app, client, runner, tmp_path):
    load_sample_routes(app)
    archive = kit(client)
    html = archive.read(f"{SLUG}/stops.html").decode("utf-8")
    assert '<section class="language" lang="ar" dir="rtl">' in html
    assert "<h2>Paradas</h2>" in html  # the headings in each section's own language
    with get_db(app).transaction() as db_session:
        original = get_tour(db_session, SLUG)
    archive.extractall(tmp_path / "kit")
    result = runner.invoke(args=["import", str(tmp_path / "kit" / SLUG / f"{SLUG}.geojson")])
    assert result.exit_code == 0, result.output
    with get_db(app).transaction() as db_session:
        imported = get_tour(db_session, SLUG)
    expected = Tour.from_document(
        without_scripts(original.tour.to_document(published_only=True, with_scripts=True))
    )
    assert imported.tour == expected


def test_the_tour_page_links_to_its_kit(client, runner, tmp_path):
    import_tour(runner, tmp_path)
    page = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert f'href="/tours/{SLUG}/kit.zip"' in page
    assert "download the replication kit" in page
