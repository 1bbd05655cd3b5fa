"""Self-hosted assets: the real Leaflet and jQuery files, versioned and cacheable for a year."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
import xstatic.pkg.jquery
import xstatic.pkg.leaflet

from webapp.common import assets

LEAFLET = Path(xstatic.pkg.leaflet.BASE_DIR)
JQUERY = Path(xstatic.pkg.jquery.BASE_DIR)
LEAFLET_VERSION = xstatic.pkg.leaflet.PACKAGE_VERSION
JQUERY_VERSION = xstatic.pkg.jquery.PACKAGE_VERSION


def assert_cached_forever(response) -> None:
    directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert {"public", "max-age=31536000", "immutable"} <= directives


@pytest.mark.parametrize(
    ("url", "file", "content_type"),
    [
        (
            f"/assets/leaflet/{LEAFLET_VERSION}/leaflet.js",
            LEAFLET / "leaflet.js",
            "text/javascript; charset=utf-8",
        ),
        (
            f"/assets/leaflet/{LEAFLET_VERSION}/leaflet.css",
            LEAFLET / "leaflet.css",
            "text/css; charset=utf-8",
        ),
        (
            f"/assets/leaflet/{LEAFLET_VERSION}/images/marker-icon.png",
            LEAFLET / "images" / "marker-icon.png",
            "image/png",
        ),
        (
            f"/assets/jquery/{JQUERY_VERSION}/jquery.min.js",
            JQUERY / "jquery.min.js",
            "text/javascript; charset=utf-8",
        ),
    ],
)
def test_package_files_are_served_with_type_and_long_cache(client, url, file, content_type):
    with client.get(url) as response:
        response.get_data()
    assert response.status_code == 200
    assert response.data == file.read_bytes()
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert_cached_forever(response)


def test_asset_urls_carry_the_package_version(app):
    with app.test_request_context("/"):
        assert assets.asset_url("leaflet", "leaflet.js") == (
            f"/assets/leaflet/{LEAFLET_VERSION}/leaflet.js"
        )
        assert assets.asset_url("jquery", "jquery.min.js") == (
            f"/assets/jquery/{JQUERY_VERSION}/jquery.min.js"
        )
        map_js = assets.asset_url("app", "js/map.js")
    assert map_js == f"/assets/app/{assets.static_version(assets.APP_STATIC)}/js/map.js"


def test_the_apps_own_map_script_is_served(app, client):
    with app.test_request_context("/"):
        url = assets.asset_url("app", "js/map.js")
    with client.get(url) as response:
        response.get_data()
    assert response.status_code == 200
    assert response.data == (assets.APP_STATIC / "js" / "map.js").read_bytes()
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert_cached_forever(response)


def test_static_version_changes_with_any_file(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("one")
    before = assets.static_version(tmp_path)
    assert assets.static_version(tmp_path) == before
    (tmp_path / "js" / "a.js").write_text("two")
    assert assets.static_version(tmp_path) != before


def test_an_old_version_redirects_to_the_current_one_without_long_cache(client):
    response = client.get("/assets/leaflet/0.7.0/leaflet.js")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assets/leaflet/{LEAFLET_VERSION}/leaflet.js"
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "url",
    [
        f"/assets/bootstrap/{LEAFLET_VERSION}/bootstrap.js",
        f"/assets/leaflet/{LEAFLET_VERSION}/no-such-file.js",
        f"/assets/leaflet/{LEAFLET_VERSION}/../__init__.py",
        f"/assets/leaflet/{LEAFLET_VERSION}/%2e%2e/__init__.py",
        f"/assets/leaflet/{LEAFLET_VERSION}/..%2f..%2f..%2fxstatic/__init__.py",
    ],
)
def test_unknown_packages_files_and_escapes_are_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404


def test_revalidation_answers_not_modified(client):
    url = f"/assets/leaflet/{LEAFLET_VERSION}/leaflet.css"
    with client.get(url) as first:
        etag = first.headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
        assert again.data == b""


def test_the_tour_stylesheet_bundle_joins_its_parts_and_reaches_leaflets_images(app, client):
    with app.test_request_context("/"):
        url = assets.asset_url("bundle", "tour.css")
    with client.get(url) as response:
        text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert_cached_forever(response)
    # Each part in cascade order: the app's own files as they are.
    at = [text.index(f"/* {package}: {path} */") for package, path in assets.BUNDLES["tour.css"]]
    assert at == sorted(at)
    assert (assets.APP_STATIC / "css" / "map.css").read_text() in text
    # Leaflet's relative image URLs are rewritten to reach its files from the bundle's URL.
    images = re.findall(r"url\((?!#)([^)]+)\)", text)
    assert images
    for image in images:
        with client.get(urljoin(url, image.strip("'\""))) as found:
            assert found.status_code == 200, image


def test_an_old_bundle_redirects_and_an_unknown_one_is_not_found(client):
    response = client.get("/assets/bundle/000000000000/tour.css")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/tour.css")
    assert client.get("/assets/bundle/000000000000/other.css").status_code == 404
