"""Stop scripts are never public: page, map, API, GeoJSON, page cache; export only on request."""

from __future__ import annotations

import json

from webapp.commands.samples import load_sample_routes
from webapp.public.pagecache import FRAGMENT, PAGE, page_cache

SCRIPT = "Reúne al grupo bajo los árboles"  # the Spanish script of san-francisco-voices' stop 1
SCRIPT_EN = "Gather the group under the trees"
SLUG = "san-francisco-voices"


def test_no_public_response_contains_a_script(app, client):
    load_sample_routes(app)
    for url in (
        f"/tours/{SLUG}",
        f"/tours/{SLUG}?lang=en",
        f"/tours/{SLUG}",
        "/",
        "/api/tours",
        f"/api/tours/{SLUG}",
        f"/api/tours/{SLUG}?lang=en",
        f"/api/tours/{SLUG}.geojson",
        f"/api/tours/{SLUG}.gpx",
        f"/api/tours/{SLUG}.gpx?lang=en",
        "/api/sessions",
    ):
        body = client.get(url).get_data(as_text=True)
        # (a JSON key; `<link rel="preload" as="script">` is the page asking for Leaflet early)
        assert SCRIPT not in body and SCRIPT_EN not in body and '"script":' not in body, url
    geojson = client.get(f"/api/tours/{SLUG}.geojson").get_json()
    assert all("script" not in f["properties"] for f in geojson["features"])


def test_the_page_cache_holds_no_script(app, client):
    load_sample_routes(app)
    app.jinja_env.auto_reload = False
    client.get(f"/tours/{SLUG}")
    client.get(f"/tours/{SLUG}?lang=en")
    with app.app_context():
        cache = page_cache()
        assert cache.page_count >= 2
        kept = ["".join(shell.parts) for shell in cache.held(PAGE)]
        # A tour page's fragment: its shell with the walks filled in, as served (bytes).
        kept += [b"".join(page.body.data).decode() for page in cache.held(FRAGMENT)]
    assert kept and not any(SCRIPT in html or SCRIPT_EN in html for html in kept)


def test_export_leaves_scripts_out_unless_asked(app, runner):
    load_sample_routes(app)
    public = runner.invoke(args=["export", SLUG])
    assert public.exit_code == 0 and SCRIPT not in public.output and '"script"' not in public.output
    full = runner.invoke(args=["export", SLUG, "--with-scripts"])
    assert full.exit_code == 0
    stops = [f for f in json.loads(full.output)["features"] if f["geometry"]["type"] == "Point"]
    assert all(set(f["properties"]["script"]) >= {"es", "en"} for f in stops)
