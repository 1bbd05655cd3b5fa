"""Check-ins, own scripts, the roster CSV, photos and the language rule."""

from __future__ import annotations

import csv
import io

import pytest
from PIL import Image

from guides.models import CheckIn
from guides.photos import PhotoRejected, reencode_photo
from guides.roster import roster_kept_until
from tests.image_support import png_with_text_bomb
from tests.webapp.console.support import ADMIN, GUIDE_A, build_world, log_in
from tours.booking.models import Departure
from tours.text import spreadsheet_cell
from webapp.common.database import get_db


def test_a_check_in_sent_twice_is_stored_once(app, client):
    world = build_world(app)
    log_in(client, GUIDE_A)
    url = f"/console/departures/{world.walk_a}/check-ins"
    body = {"booking_id": world.booking_ids[0], "state": "arrived", "key": "offline-key-0001"}
    first = client.post(url, json=body).get_json()
    again = client.post(url, json=body).get_json()
    assert (first["new"], again["new"]) == (True, False)
    with get_db(app).transaction() as db_session:
        assert db_session.query(CheckIn).filter_by(idempotency_key="offline-key-0001").count() == 1
    page = client.get(f"/console/departures/{world.walk_a}").get_data(as_text=True)
    assert 'id="count-arrived">2<' in page and 'id="count-expected">3<' in page
    other = client.post(url, json={**body, "booking_id": 999999, "key": "offline-key-0002"})
    assert other.status_code == 400


def test_pages_tell_the_service_worker_what_to_keep_and_when_no_session_is_left(app, client):
    world = build_world(app)
    walk = f"/console/departures/{world.walk_a}"
    for url in (walk, "/console/login"):
        assert client.get(url).headers["Bidean-Session"] == "none"
    log_in(client, GUIDE_A)
    page = client.get(walk)
    assert "Bidean-Session" not in page.headers
    with get_db(app).transaction() as db_session:
        until = roster_kept_until(db_session.get(Departure, world.walk_a))
    assert page.headers["Bidean-Keep-Until"] == until.isoformat()
    client.post("/console/logout")
    log_in(client, ADMIN)
    admin_page = client.get(f"/console/admin/departures/{world.walk_a}")
    assert admin_page.headers["Bidean-Keep-Until"] == until.isoformat()


def test_own_script_overrides_and_a_changed_shared_script_is_a_conflict(app, client):
    world = build_world(app)
    log_in(client, GUIDE_A)
    url = f"/console/departures/{world.walk_a}/stops/sf-01/script"
    form = client.get(url).get_data(as_text=True)
    assert "Reúne al grupo bajo los árboles" in form
    shared = "Reúne al grupo bajo los árboles"
    stale = client.post(url, data={"text": "Mi versión", "based_on": shared})
    assert stale.status_code == 200
    assert "changed while you were editing" in stale.get_data(as_text=True)
    full = (
        "Reúne al grupo bajo los árboles, lejos de los columpios. Preséntate y di de dónde "
        "vienes. Señala el lado de la plaza donde estuvo el convento. Pregunta: ¿qué plaza es "
        "el cuarto de estar de vuestro barrio?"
    )
    saved = client.post(url, data={"text": "Mi versión: empezad por el quiosco.", "based_on": full})
    assert saved.status_code == 302
    page = client.get(f"/console/departures/{world.walk_a}").get_data(as_text=True)
    assert "Mi versión: empezad por el quiosco." in page


def test_roster_csv_neutralises_formulas(app, client):
    world = build_world(app)
    log_in(client, ADMIN)
    response = client.get(f"/console/admin/departures/{world.walk_a}/roster.csv")
    assert response.mimetype == "text/csv"
    assert response.mimetype_params == {"charset": "utf-8"}
    data = response.get_data()
    # A byte order mark: Excel reads the file as UTF-8 only with one (accents, Arabic).
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "reference"
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {"'=HYPERLINK(1)", "Ane Visitor"}
    # A phone number is no formula: it stays as the booker wrote it.
    assert by_name["Ane Visitor"][3] == "+34 600 000 001"
    assert all(
        not cell.startswith(("=", "@")) and not cell.startswith("+S")
        for row in rows[1:]
        for cell in row
    )


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("+34 600 000 000", "+34 600 000 000"),
        ("(+34) 944-000-000", "(+34) 944-000-000"),
        ("600000000", "600000000"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("=1+1", "'=1+1"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t+34 600", "'\t+34 600"),
        ("\r600", "'\r600"),
        ("+", "'+"),
        ("-", "'-"),
        ("José", "José"),
        (None, ""),
    ],
)
def test_spreadsheet_cells_keep_phone_numbers_and_neutralise_formulas(value, cell):
    assert spreadsheet_cell(value) == cell


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (1200, 900), "orange")
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photos_are_reencoded_without_metadata_and_checked(app, client):
    data = _jpeg_with_exif()
    assert b"SecretCamera" in data
    clean = reencode_photo(data)
    assert b"SecretCamera" not in clean and b"Exif" not in clean
    assert max(Image.open(io.BytesIO(clean)).size) == 800
    for bad in (b"", b"GIF89a" + b"0" * 100, b"%PDF-1.4 not an image"):
        try:
            reencode_photo(bad)
        except PhotoRejected:
            continue
        raise AssertionError(f"accepted {bad[:10]!r}")
    build_world(app)
    log_in(client, ADMIN)
    upload = client.post(
        "/console/admin/guides/mei/photo",
        data={"photo": (io.BytesIO(data), "me.jpg")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    photo = client.get("/guides/mei/photo.jpg")
    assert photo.mimetype == "image/jpeg" and b"SecretCamera" not in photo.data


@pytest.mark.parametrize("chunk", ["zTXt", "iTXt"])
def test_a_photo_whose_text_chunk_inflates_past_the_limit_is_refused(app, client, chunk):
    data = png_with_text_bomb(chunk)
    with pytest.raises(PhotoRejected):
        reencode_photo(data)
    build_world(app)
    log_in(client, ADMIN)
    upload = client.post(
        "/console/admin/guides/mei/photo?lang=en",
        data={"photo": (io.BytesIO(data), "me.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert upload.status_code == 200
    assert "That file was not accepted" in upload.get_data(as_text=True)
    assert client.get("/guides/mei/photo.jpg").status_code == 404


def test_a_guide_who_does_not_speak_the_language_is_refused(app, runner, client):
    world = build_world(app)
    refused = runner.invoke(args=["sessions", "assign", str(world.walk_b), "--guide", "mei"])
    assert refused.exit_code != 0 and "does not guide in 'fr'" in refused.output
    accepted = runner.invoke(args=["sessions", "assign", str(world.walk_b), "--guide", "youssef"])
    assert accepted.exit_code != 0  # Youssef guides in ar, es, en: not French either
    added = runner.invoke(
        args=[
            "sessions",
            "add",
            "san-francisco-voices",
            "--at",
            "2031-03-06T11:00",
            "--language",
            "fr",
            "--capacity",
            "10",
            "--guide",
            "aminata",
        ]
    )
    assert added.exit_code == 0, added.output
    wrong = runner.invoke(
        args=[
            "sessions",
            "add",
            "san-francisco-voices",
            "--at",
            "2031-03-07T11:00",
            "--language",
            "eu",
            "--capacity",
            "10",
            "--guide",
            "aminata",
        ]
    )
    assert wrong.exit_code != 0 and "Aminata" in wrong.output
    log_in(client, ADMIN)
    page = client.get(f"/console/admin/departures/{world.walk_b}").get_data(as_text=True)
    assert 'value="aminata"' in page and 'value="mei"' not in page  # only French speakers
    client.post(f"/console/admin/departures/{world.walk_b}/guide", data={"guide": "mei"})
    assert "does not guide in" in client.get(f"/console/admin/departures/{world.walk_b}").get_data(
        as_text=True
    )
