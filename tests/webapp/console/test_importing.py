"""The console's import page: upload, preview (stores nothing), fix, confirm or cancel."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from guides.accounts import create_account
from guides.profiles import add_guide
from tests.tours.content.assembly.test_lines import ZIGZAG, segments
from tests.webapp.actions.support import audit_log
from tests.webapp.console.support import PASSWORD, log_in
from tours.tour.models import TourRecord, TourVersionRecord
from tours.tour.store import get_document
from webapp import create_app
from webapp.common.database import get_db
from webapp.console import importing

ADMIN = "coordinator@example.org"
OTHER_ADMIN = "second@example.org"
GUIDE = "guide@example.org"
LINE = [[16.3600, 48.2000], [16.3650, 48.2050], [16.3700, 48.2100]]


def route_file(name: str = "old town walk") -> bytes:
    feature = {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": "LineString", "coordinates": LINE},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}, indent=1).encode()


def stops_file() -> bytes:
    """Three stops, in the file not in walking order: Market, Bridge, Church."""
    points = [("Market", LINE[2]), ("Bridge", LINE[1]), ("Church", LINE[0])]
    features = [
        {
            "type": "Feature",
            "properties": {"name": name, "description": f"The story of the {name.lower()}.",
                           "built": 1900 + i},
            "geometry": {"type": "Point", "coordinates": position},
        }
        for i, (name, position) in enumerate(points)
    ]  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=1).encode()


COMPLETE = {
    "city": "Wien",
    "timezone": "Europe/Vienna",
    "licence": "CC-BY-4.0",
    "language": "en",
    "title": "Old town",
    "summary": "Three places.",
}


def upload(client, files: dict | None = None, headers: dict | None = None, **options):
    files = (
        files
        if files is not None
        else {"route": (route_file(), "route.geojson"), "stops": [(stops_file(), "stops.geojson")]}
    )
    data: dict = dict(options)
    for role, value in files.items():
        items = value if isinstance(value, list) else [value]
        data[role] = [(io.BytesIO(content), name) for content, name in items]
    # Built here so its temporary file (for a large body) is closed after the request.
    builder = EnvironBuilder(
        path="/console/tours/import",
        method="POST",
        data=data,
        content_type="multipart/form-data",
        environ_base=client.environ_base,
        headers=headers,
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def token_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[-1]


def staged(app) -> list[Path]:
    root = Path(app.instance_path) / "import-staging"
    return [p for p in root.iterdir() if p.is_dir()] if root.exists() else []


def tours(app) -> list[tuple[str, str, int]]:
    with get_db(app).transaction() as db_session:
        rows = db_session.execute(select(TourRecord.slug, TourRecord.status, TourRecord.id)).all()
        return [
            (
                slug,
                status,
                db_session.scalar(select(func.count()).where(TourVersionRecord.tour_id == tour_id)),
            )
            for slug, status, tour_id in rows
        ]


@pytest.fixture
def accounts(app):
    with get_db(app).transaction(write_lock=True) as db_session:
        create_account(db_session, ADMIN, "coordinator", password=PASSWORD)
        create_account(db_session, OTHER_ADMIN, "coordinator", password=PASSWORD)
        add_guide(db_session, "ane", "Ane", "es:native")
        create_account(db_session, GUIDE, "guide", guide_id="ane", password=PASSWORD)


@pytest.fixture
def coordinator(client, accounts):
    assert log_in(client, ADMIN).status_code == 302
    return client


def test_only_coordinators_reach_the_import_pages(app, client, accounts):
    assert "/console/login" in client.get("/console/tours/import").headers["Location"]
    log_in(client, GUIDE)
    assert client.get("/console/tours/import").status_code == 403
    assert upload(client).status_code == 403
    assert staged(app) == []
    client.post("/console/logout")
    log_in(client, ADMIN)
    page = client.get("/console/tours/import").get_data(as_text=True)
    assert 'name="route"' in page and 'name="stops"' in page and "multipart/form-data" in page
    assert 'href="/console/tours/import"' in client.get("/console/").get_data(as_text=True)


def test_the_upload_needs_the_csrf_token(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k",
            "RATELIMIT_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    with get_db(app).transaction(write_lock=True) as db_session:
        create_account(db_session, ADMIN, "coordinator", password=PASSWORD)
    client = app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    login = {"email": ADMIN, "password": PASSWORD, "csrf_token": token}
    assert client.post("/console/login", data=login).status_code == 302
    assert upload(client).status_code == 400
    assert staged(app) == []
    form = client.get("/console/tours/import").get_data(as_text=True)
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    response = upload(client, csrf_token=fresh)
    assert response.status_code == 302 and len(staged(app)) == 1
    app.extensions["bidean.db"].engine.dispose()


def test_preview_shows_the_order_fields_and_problems_and_stores_nothing(app, coordinator):
    token = token_of(upload(coordinator, city="Wien"))
    assert len(staged(app)) == 1
    page = coordinator.get(f"/console/tours/import/{token}").get_data(as_text=True)
    # Along the route: Church, Bridge, Market; the files had them the other way round.
    names = re.findall(r'<td class="stop-name">([^<]*)</td>', page)
    assert names == ["Church", "Bridge", "Market"]
    sources = re.findall(r'<tr data-source="(\d+)">', page)
    assert sources == ["3", "2", "1"]
    assert "name ← name; story ← description" in page and "built" in page
    assert "A new tour, “old town walk” (version 1)." in page and "It will be a draft" in page
    # The to-do items say where they are and which field of the form fixes them.
    assert "route.geojson, line 4, column 3" in page
    assert "fill in “Time zone, such as Europe/Vienna” below" in page
    assert "Import again with" not in page  # the command line's hint is not the page's
    assert 'data-bidean-map="' in page and 'type="application/json"' in page
    assert tours(app) == []


def test_confirm_stores_one_draft_and_lands_on_it(app, coordinator):
    token = token_of(upload(coordinator, city="Wien"))
    response = coordinator.post(f"/console/tours/import/{token}/confirm")
    assert response.status_code == 302
    assert tours(app) == [("old-town-walk-wien", "draft", 1)]
    assert staged(app) == []
    assert response.headers["Location"] == "/console/tours/old-town-walk-wien"  # on to the editor
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "“old town walk”, version 1, is stored as a draft." in page and "timezone" in page
    with get_db(app).transaction() as db_session:
        document = get_document(db_session, "old-town-walk-wien")
    names = [f["properties"]["name"] for f in document["features"][1:4]]
    assert [next(iter(name.values())) for name in names] == ["Church", "Bridge", "Market"]
    # The token is used up: a second confirmation stores nothing more.
    again = coordinator.post(f"/console/tours/import/{token}/confirm")
    assert again.status_code == 302 and tours(app) == [("old-town-walk-wien", "draft", 1)]


def test_cancel_leaves_nothing(app, coordinator):
    token = token_of(upload(coordinator))
    response = coordinator.post(f"/console/tours/import/{token}/cancel")
    assert response.status_code == 302 and response.headers["Location"] == "/console/tours/import"
    assert staged(app) == [] and tours(app) == []
    assert coordinator.get(f"/console/tours/import/{token}").status_code == 302


def test_reimport_gives_a_new_version(app, coordinator):
    first = token_of(upload(coordinator, city="Wien"))
    coordinator.post(f"/console/tours/import/{first}/confirm")
    second = token_of(upload(coordinator, city="Wien"))
    page = coordinator.get(f"/console/tours/import/{second}").get_data(as_text=True)
    assert "A new version of “old town walk”: version 2." in page
    coordinator.post(f"/console/tours/import/{second}/confirm")
    assert tours(app) == [("old-town-walk-wien", "draft", 2)]


def test_options_and_order_are_fixed_in_the_preview_then_published(app, coordinator):
    token = token_of(upload(coordinator))
    url = f"/console/tours/import/{token}"
    # Move Market (first in the files, third along the route) to position 1; the other
    # boxes keep the positions the page showed.
    form = {**COMPLETE, "order": "", "position-3": "1", "position-2": "2", "position-1": "1"}
    form["publish"] = "y"
    assert coordinator.post(url, data=form).status_code == 302
    page = coordinator.get(url).get_data(as_text=True)
    assert re.findall(r'<td class="stop-name">([^<]*)</td>', page) == [
        "Market",
        "Church",
        "Bridge",
    ]
    assert "Order: as set by hand." in page and "It will be published." in page
    assert "To do before publishing" not in page
    # Another rule drops the order set by hand.
    assert coordinator.post(url, data={**COMPLETE, "order": "source"}).status_code == 302
    report = coordinator.get(url, query_string={"format": "json"}).get_json()
    assert [s["name"] for s in report["order"]["stops"]] == ["Market", "Bridge", "Church"]
    assert report["will_store"]["status"] == "draft"  # publish was not ticked this time
    coordinator.post(url, data={**COMPLETE, "order": "source", "publish": "y"})
    response = coordinator.post(f"{url}/confirm")
    assert response.status_code == 302 and tours(app) == [("old-town-wien", "published", 1)]
    assert "Old town" in coordinator.get("/tours/old-town-wien").get_data(as_text=True)


def test_the_report_is_available_as_json(app, coordinator):
    token = token_of(upload(coordinator, city="Wien"))
    url = f"/console/tours/import/{token}"
    for response in (
        coordinator.get(url, query_string={"format": "json"}),
        coordinator.get(url, headers={"Accept": "application/json"}),
    ):
        assert response.status_code == 200 and response.mimetype == "application/json"
        report = response.get_json()
        assert report["token"] == token
        assert report["will_store"] == {
            "action": "create",
            "slug": "old-town-walk-wien",
            "version": 1,
            "status": "draft",
            "existing_status": None,
            "existing_version": None,
        }
        timezone = next(p for p in report["todo"] if p["field"] == "timezone")
        assert (timezone["file"], timezone["line"], timezone["column"]) == ("route.geojson", 4, 3)
        assert timezone["pointer"] == "/features/0/properties/timezone"
        assert [s["source_position"] for s in report["order"]["stops"]] == [3, 2, 1]
        assert report["order"]["stops"][0]["fields"]["story"] == "description"
    assert tours(app) == []


def test_an_upload_can_answer_with_the_json_report(app, coordinator):
    response = upload(coordinator, headers={"Accept": "application/json"}, city="Wien")
    assert response.status_code == 201
    report = response.get_json()
    assert report["preview"] == f"/console/tours/import/{report['token']}"
    assert report["order"]["movable"] and len(report["order"]["stops"]) == 3
    assert len(staged(app)) == 1 and tours(app) == []
    stored = coordinator.post(report["confirm"], headers={"Accept": "application/json"})
    assert stored.get_json()["status"] == "draft"
    assert tours(app) == [("old-town-walk-wien", "draft", 1)]
    empty = upload(coordinator, {}, headers={"Accept": "application/json"})
    assert empty.status_code == 400 and "Choose at least one file" in empty.get_json()["error"]


def test_a_broken_file_gives_errors_with_line_and_column_and_cannot_be_confirmed(app, coordinator):
    broken = b'{"type": "FeatureCollection",\n  "features": [\n    {"type": "Feature",,}\n  ]\n}'
    token = token_of(upload(coordinator, {"route": (broken, "broken.geojson")}))
    report = coordinator.get(f"/console/tours/import/{token}?format=json").get_json()
    assert report["will_store"]["action"] == "refused" and not report["valid"]
    [error] = report["errors"]
    assert (error["file"], error["line"], error["column"]) == ("broken.geojson", 3, 24)
    page = coordinator.get(f"/console/tours/import/{token}").get_data(as_text=True)
    assert "broken.geojson, line 3, column 24" in page and 'id="confirm-form"' not in page
    assert coordinator.post(f"/console/tours/import/{token}/confirm").status_code == 302
    assert tours(app) == []


def test_an_upload_over_the_limit_gets_a_page_in_the_users_language(app, coordinator):
    app.config["CONSOLE_IMPORT_MB"] = 0.001  # about 1 KB
    big = {"route": (route_file("x" * 2000), "route.geojson")}
    response = upload(coordinator, big)
    assert response.status_code == 413
    assert "larger than the import limit of 0.001 MB" in response.get_data(as_text=True)
    coordinator.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    spanish = upload(coordinator, big).get_data(as_text=True)
    assert "límite" in spanish and 'name="route"' in spanish
    assert staged(app) == []
    app.config["CONSOLE_IMPORT_MB"] = 2  # over the site's 1 MiB limit for other pages
    large = {"route": (route_file("y" * 1_200_000), "route.geojson")}
    assert upload(coordinator, large).status_code == 302


def test_an_upload_belongs_to_its_account(app, client, accounts):
    log_in(client, ADMIN)
    token = token_of(upload(client))
    client.post("/console/logout")
    log_in(client, OTHER_ADMIN)
    assert client.get(f"/console/tours/import/{token}").status_code == 302
    assert client.get(f"/console/tours/import/{token}?format=json").status_code == 404
    client.post(f"/console/tours/import/{token}/cancel")
    client.post(f"/console/tours/import/{token}/confirm")
    assert len(staged(app)) == 1 and tours(app) == []


def test_images_named_by_a_local_path_are_not_read(app, coordinator):
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "profile": "bidean-tour/1",
                    "slug": "with-image",
                    "title": {"en": "With an image"},
                    "summary": {"en": "One stop."},
                    "city": "Wien",
                    "timezone": "Europe/Vienna",
                    "districts": [],
                    "languages": ["en"],
                    "licence": "CC-BY-4.0",
                },
                "geometry": {"type": "LineString", "coordinates": LINE},
            },
            {
                "type": "Feature",
                "properties": {
                    "id": "bridge",
                    "name": {"en": "Bridge"},
                    "story": {"en": "A story."},
                    "media": [{"url": "https://example.org/bridge.jpg", "type": "image"},
                              {"url": "images/bridge.png", "type": "image"}],
                },
                "geometry": {"type": "Point", "coordinates": LINE[1]},
            },
        ],
    }  # fmt: skip
    data = json.dumps(document, indent=1).encode()
    token = token_of(upload(coordinator, {"tour": (data, "with-image.geojson")}, publish="y"))
    report = coordinator.get(f"/console/tours/import/{token}?format=json").get_json()
    skipped = [p for p in report["warnings"] if p["code"] == "media.local-file-not-read"]
    assert [p["pointer"] for p in skipped] == ["/features/1/properties/media/1/url"]
    assert skipped[0]["line"] is not None
    assert report["will_store"]["status"] == "published"
    coordinator.post(f"/console/tours/import/{token}/confirm")
    with get_db(app).transaction() as db_session:
        stored = db_session.scalars(select(TourVersionRecord)).one().document
    assert "images/bridge.png" not in json.dumps(stored)
    assert "https://example.org/bridge.jpg" in json.dumps(stored)
    assert not (Path(app.instance_path) / "media").exists()  # nothing was read or stored


def test_a_nul_in_a_file_name_is_cleaned_and_the_import_is_stored(app, coordinator):
    """A NUL in a file name once answered 500 at the confirmation and lost the upload."""
    files = {"route": (route_file(), "ro\x00ute.geojson"), "stops": (stops_file(), "\x00")}
    token = token_of(upload(coordinator, files, city="Wien"))
    page = coordinator.get(f"/console/tours/import/{token}")
    assert page.status_code == 200 and "\x00" not in page.get_data(as_text=True)
    response = coordinator.post(f"/console/tours/import/{token}/confirm")
    assert response.status_code == 302 and tours(app) == [("old-town-walk-wien", "draft", 1)]
    (entry,) = [e for e in audit_log(app) if e[1] == "tour.import"]
    assert entry[3]["files"] == ["ro ute.geojson", "stops"]


def test_an_upload_that_fails_to_store_is_kept_for_another_try(app, coordinator, monkeypatch):
    token = token_of(upload(coordinator, city="Wien"))

    def fail(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(importing.imports, "confirm_upload", fail)
    with pytest.raises(RuntimeError):
        coordinator.post(f"/console/tours/import/{token}/confirm")
    assert [p.name for p in staged(app)] == [token] and tours(app) == []
    monkeypatch.undo()
    assert coordinator.post(f"/console/tours/import/{token}/confirm").status_code == 302
    assert tours(app) == [("old-town-walk-wien", "draft", 1)] and staged(app) == []


def _count_form_parses(app, monkeypatch) -> list[int]:
    """Every time a request's form (and its files) is parsed, one more item."""
    parses: list[int] = []
    real = app.request_class._load_form_data

    def counted(request) -> None:
        parses.append(1)
        real(request)

    monkeypatch.setattr(app.request_class, "_load_form_data", counted)
    return parses


def test_an_anonymous_upload_is_sent_to_the_login_page_unread(app, client, monkeypatch):
    """A 9 MB upload from nobody was parsed before the login redirect."""
    parses = _count_form_parses(app, monkeypatch)
    monkeypatch.setattr(importing.staging, "stage", lambda *a, **k: pytest.fail("staged"))
    big = b'{"type": "FeatureCollection", "features": []}' + b" " * (9 * 1024 * 1024)
    response = upload(client, {"route": (big, "route.geojson")})
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert parses == [] and staged(app) == []


def test_a_coordinators_upload_is_read_and_its_form_still_checked(app, coordinator, monkeypatch):
    parses = _count_form_parses(app, monkeypatch)
    assert upload(coordinator, city="Wi\x00en").status_code == 400
    assert parses == [1] and staged(app) == []
    assert upload(coordinator, city="Wien").status_code == 302 and len(staged(app)) == 1


def test_a_kmz_bomb_is_refused_in_the_report_and_cannot_be_confirmed(app, coordinator):
    """A KMZ of 200 MB of zeros (200 kB uploaded) is refused before it is inflated."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("doc.kml", "w", force_zip64=True) as stream,
    ):
        for _ in range(200):
            stream.write(bytes(1024 * 1024))
    files = {"route": (route_file(), "route.geojson"), "stops": (buffer.getvalue(), "map.kmz")}
    token = token_of(upload(coordinator, files))
    report = coordinator.get(f"/console/tours/import/{token}?format=json").get_json()
    assert report["will_store"]["action"] == "refused"
    [error] = [e for e in report["errors"] if e["code"] == "kml.too-large"]
    assert error["file"] == "map.kmz" and "doc.kml" in error["message"]
    page = coordinator.get(f"/console/tours/import/{token}").get_data(as_text=True)
    assert "doc.kml in this KMZ archive inflates to more than 50 MB" in page
    assert coordinator.post(f"/console/tours/import/{token}/confirm").status_code == 302
    assert tours(app) == []


def test_another_citys_walk_of_the_same_title_is_refused_and_the_title_fixes_it(app, coordinator):
    """Same-named files of another place once became version 2 of the first city's tour."""
    first = token_of(upload(coordinator, city="Wien"))
    coordinator.post(f"/console/tours/import/{first}/confirm")
    far = json.loads(route_file())
    far["features"][0]["geometry"]["coordinates"] = [[lon + 50, lat] for lon, lat in LINE]
    files = {"route": (json.dumps(far).encode(), "route.geojson")}
    token = token_of(upload(coordinator, files, city="Wien"))
    report = coordinator.get(f"/console/tours/import/{token}?format=json").get_json()
    assert report["will_store"]["action"] == "refused"
    [error] = report["errors"]
    assert error["code"] == "import.slug-taken" and "route is elsewhere" in error["message"]
    assert "--slug" not in error["message"] and error["field"] == "title"
    page = coordinator.get(f"/console/tours/import/{token}").get_data(as_text=True)
    assert "fill in “Title of the tour” below" in page
    coordinator.post(f"/console/tours/import/{token}/confirm")
    assert tours(app) == [("old-town-walk-wien", "draft", 1)]
    retitled = {**COMPLETE, "title": "Harbour walk"}
    assert coordinator.post(f"/console/tours/import/{token}", data=retitled).status_code == 302
    coordinator.post(f"/console/tours/import/{token}/confirm")
    assert sorted(tours(app)) == [
        ("harbour-walk-wien", "draft", 1),
        ("old-town-walk-wien", "draft", 1),
    ]


def test_several_lines_are_offered_as_a_choice_in_the_preview(app, coordinator):
    features = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {"type": "LineString", "coordinates": coords},
        }
        for name, coords in (("Old town", LINE), ("River bank", [[16.38, 48.21], [16.39, 48.22]]))
    ]
    two = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    token = token_of(upload(coordinator, {"tour": (two, "lines.geojson")}))
    url = f"/console/tours/import/{token}"
    report = coordinator.get(url, query_string={"format": "json"}).get_json()
    assert report["will_store"]["action"] == "refused"
    [error] = report["errors"]
    assert error["code"] == "assemble.several-lines" and error["field"] == "route_line"
    assert [line["name"] for line in report["lines"]] == ["Old town", "River bank"]
    page = coordinator.get(url).get_data(as_text=True)
    assert 'id="confirm-form"' not in page and "The files hold 2 separate lines." in page
    select = re.search(r'<select id="route_line".*?</select>', page, re.S)
    assert select is not None
    assert re.findall(r'<option (?:selected )?value="(\w*)">([^<]*)</option>', select[0]) == [
        ("", "Choose the route's line"),
        ("join", "All lines, joined in the files' order"),
        ("1", "1. Old town"),
        ("2", "2. River bank"),
    ]
    spanish = coordinator.get(url, query_string={"lang": "es"}).get_data(as_text=True)
    assert "Los archivos tienen 2 líneas separadas." in spanish
    assert coordinator.post(url, data={**COMPLETE, "route_line": "2"}).status_code == 302
    report = coordinator.get(url, query_string={"format": "json"}).get_json()
    assert report["will_store"]["action"] == "create" and report["options"]["route_line"] == "2"
    assert '<option selected value="2">' in coordinator.get(url).get_data(as_text=True)
    assert coordinator.post(url, data={**COMPLETE, "route_line": "join"}).status_code == 302
    report = coordinator.get(url, query_string={"format": "json"}).get_json()
    parts = [w for w in report["problems"] if w["code"] == "assemble.joined-line"]
    assert len(parts) == 2 and report["options"]["join"] is True
    assert coordinator.post(f"{url}/confirm").status_code == 302
    document = get_document_of(app, "old-town-wien")
    assert document["features"][0]["geometry"]["type"] == "MultiLineString"


def get_document_of(app, slug: str) -> dict:
    with get_db(app).transaction() as db_session:
        return get_document(db_session, slug)


def test_a_network_of_lines_is_not_offered_as_a_walk(app, coordinator):
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"Segment {i}"},
            "geometry": {"type": "LineString", "coordinates": piece},
        }
        for i, piece in enumerate(segments(ZIGZAG, 30, gaps=True), start=1)
    ]
    network = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    token = token_of(upload(coordinator, {"tour": (network, "network.geojson")}))
    url = f"/console/tours/import/{token}"
    report = coordinator.get(url, query_string={"format": "json"}).get_json()
    assert report["network"] and len(report["lines"]) == 30
    assert [e["code"] for e in report["errors"]] == ["assemble.line-network"]
    page = coordinator.get(url).get_data(as_text=True)
    assert "The files hold 30 separate lines, and most of them" in page
    assert 'id="confirm-form"' not in page and tours(app) == []


def test_name_variants_keep_their_languages_and_the_report_counts_them(app, coordinator):
    stops = json.loads(stops_file())
    for feature in stops["features"]:
        name = feature["properties"]["name"]
        feature["properties"].update({"name": f"{name}platz", "name:en": name, "name:de": name})
    files = {
        "route": (route_file(), "route.geojson"),
        "stops": (json.dumps(stops).encode(), "stops.geojson"),
    }
    report = upload(coordinator, files, headers={"Accept": "application/json"}, language="en")
    report = report.get_json()
    assert report["texts_per_language"] == {"en": 7, "de": 3}  # 3 names, 3 stories, 1 title
    assert "3 stops kept the plain 'name' as local_name" in " ".join(report["notes"])
    assert coordinator.post(report["confirm"]).status_code == 302
    with get_db(app).transaction() as db_session:
        market = get_document(db_session, "old-town-walk")["features"][3]["properties"]
    assert market["name"] == {"en": "Market", "de": "Market"}
    assert market["local_name"] == "Marketplatz"


# -- stops without a route (issue #21, point 9) ---------------------------------------------

POINTS_ONLY = "nypl-harlem_walk_points.geojson"  # five stops of a walk, no line


def test_a_stops_only_upload_offers_the_route_field_and_draws_straight_lines(
    app, coordinator, interop
):
    points = (interop / "real" / POINTS_ONLY).read_bytes()
    token = token_of(upload(coordinator, {"tour": (points, POINTS_ONLY)}))
    url = f"/console/tours/import/{token}"
    page = coordinator.get(url).get_data(as_text=True)
    assert "The files hold 5 stops but no route." in page
    # The page that says "fill in the route file" has that field, in a form that sends files.
    start = page.index('id="options-form"') - 200
    form = page[start : page.index("</form>", start)]
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    assert re.search(r'<input[^>]*id="route"[^>]*name="route"', form)
    assert 'id="draw-route-button"' in form
    assert "Draw straight lines between the stops" in form
    assert coordinator.post(url, data={"draw_route": "y"}).status_code == 302
    report = coordinator.get(url, query_string={"format": "json"}).get_json()
    assert report["will_store"]["action"] == "create" and report["route_drawn"]
    [todo] = [t for t in report["todo"] if t["code"] == "profile.approximate-route"]
    assert "route is approximate: redraw it in the editor" in todo["message"]
    # Another preview (an option changed) keeps the drawn route.
    assert coordinator.post(url, data={"draw_route": "y", "city": "New York"}).status_code == 302
    page = coordinator.get(url).get_data(as_text=True)
    assert 'id="route-drawn"' in page and 'name="draw_route" value="y"' in page
    response = coordinator.post(f"{url}/confirm")
    slug = "nypl-harlem-walk-points-new-york"
    assert response.status_code == 302 and tours(app) == [(slug, "draft", 1)]
    with get_db(app).transaction() as db_session:
        document = get_document(db_session, slug, 1)
    line = document["features"][0]["geometry"]
    stops = [f["geometry"]["coordinates"][:2] for f in document["features"][1:6]]
    assert line == {"type": "LineString", "coordinates": stops}
    assert document["features"][0]["properties"]["approximate_route"] is True


def test_a_route_file_given_in_the_preview_of_stops_joins_the_upload(app, coordinator, interop):
    real = interop / "real"
    points = (real / POINTS_ONLY).read_bytes()
    token = token_of(upload(coordinator, {"tour": (points, POINTS_ONLY)}))
    url = f"/console/tours/import/{token}"
    path = (real / "nypl-harlem_walk_path.geojson").read_bytes()
    response = coordinator.post(
        url,
        data={"route": (io.BytesIO(path), "nypl-harlem_walk_path.geojson"), "city": "New York"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    report = coordinator.get(url, query_string={"format": "json"}).get_json()
    assert [f["name"] for f in report["files"]] == [POINTS_ONLY, "nypl-harlem_walk_path.geojson"]
    assert report["will_store"]["action"] == "create" and not report["route_drawn"]
    assert len(report["order"]["stops"]) == 5 and report["stops_without_route"] == 0
    assert not [t for t in report["todo"] if t["code"] == "profile.approximate-route"]
    assert 'id="import-route"' not in coordinator.get(url).get_data(as_text=True)


def test_a_refused_whole_file_names_the_fields_that_keep_it_as_a_draft(app, coordinator):
    # A tour file in the profile with one error (no licence): refused as a whole tour.
    document = json.loads(route_file())
    props = document["features"][0]["properties"]
    props.update(profile="bidean-tour/1", slug="old-town", title={"en": "Old town"})
    props.update(summary={"en": "A walk."}, city="Wien", timezone="Europe/Vienna")
    props.update(languages=["en"], districts=[])
    document["features"] += json.loads(stops_file())["features"]
    content = json.dumps(document).encode()
    token = token_of(upload(coordinator, {"tour": (content, "old-town.geojson")}))
    report = coordinator.get(f"/console/tours/import/{token}?format=json").get_json()
    assert report["will_store"]["action"] == "refused"
    assert "import.as-draft" in [w["code"] for w in report["warnings"]]
    coordinator.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    page = coordinator.get(f"/console/tours/import/{token}").get_data(as_text=True)
    assert "erneut als Routendatei und als Stationsdatei hoch" in page
    assert "--route" not in page  # the command line's words stay on the command line
    # The advice works: the same file as the route file and as a stop file.
    again = {"route": (content, "old-town.geojson"), "stops": [(content, "old-town.geojson")]}
    token = token_of(upload(coordinator, again))
    report = coordinator.get(f"/console/tours/import/{token}?format=json").get_json()
    assert report["will_store"]["action"] == "create" and len(report["order"]["stops"]) == 3


GPX_TRACK = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="t"'
    ' xmlns="http://www.topografix.com/GPX/1/1">\n<metadata><name>Ring</name>'
    "<author><name>Miren Zabala</name></author></metadata>\n<trk><trkseg>"
    + "".join(f'<trkpt lat="{lat}" lon="{lon}"/>' for lon, lat in LINE)
    + "</trkseg></trk>\n"
    + "".join(
        f'<wpt lat="{lat}" lon="{lon}"><name>Stop {i}</name><desc>Story {i}.</desc></wpt>'
        for i, (lon, lat) in enumerate(LINE)
    )
    + "</gpx>\n"
).encode()


def test_a_gpx_file_alone_is_a_draft_with_the_given_title_and_its_author(app, coordinator):
    options = {"city": "Wien", "title": "Given title", "language": "en"}
    token = token_of(upload(coordinator, {"tour": (GPX_TRACK, "ring.gpx")}, **options))
    report = coordinator.get(f"/console/tours/import/{token}?format=json").get_json()
    assert report["will_store"]["action"] == "create", report["errors"]
    assert len(report["order"]["stops"]) == 3
    coordinator.post(f"/console/tours/import/{token}/confirm")
    with get_db(app).transaction() as db_session:
        props = get_document(db_session, "ring")["features"][0]["properties"]
    assert props["title"] == {"en": "Given title"}
    assert props["credits"] == {"en": "Miren Zabala"}
