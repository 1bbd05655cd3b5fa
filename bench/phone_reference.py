"""The phone bench's reference: Bidean's app plus one bare Leaflet page per tour.

    gunicorn 'phone_reference:create_app()'   (with bench/ on the Python path)

``/bench/reference/<slug>`` is the page a developer would write without Bidean: the same
vendored Leaflet (its stylesheet and script from ``/assets``), a box the size of the tour
page's map, and a few lines that fetch the tour's GeoJSON (``/api/tours/<slug>.geojson``,
published stops only), draw its route and a numbered marker per stop, fit the view to the
route, then set what ``map.js`` sets when the route and markers are drawn: the
``bidean-map-ready`` performance mark and ``<html data-map-ready>``.  Nothing else: no
tiles, no popups, no controls but Leaflet's defaults.  The GeoJSON is asked for from the
head, before Leaflet, so the two arrive together: the quickest a bare page can be.

It is served by the same gunicorn as the tour pages, so both go through the same server,
compression and (in the browser) the same emulated network.
"""

from __future__ import annotations

from flask import Flask, Response, url_for
from markupsafe import Markup

from webapp import create_app as create_bidean_app
from webapp.common.assets import asset_url
from webapp.common.errors import csp_nonce

PAGE = """<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bare Leaflet: {slug}</title>
<script nonce="{nonce}">
window.tourGeoJSON = fetch("{geojson}").then(function (r) {{ return r.json(); }});
</script>
<link rel="stylesheet" href="{leaflet_css}">
<style nonce="{nonce}">
body {{ margin: 0; font-family: sans-serif; }}
#map {{ width: 100%; height: min(60vh, 440px); min-height: 260px; }}
.badge {{ display: flex; align-items: center; justify-content: center; border-radius: 50%;
  background: #8f2d0b; color: #fff; font-weight: 700; font-size: 14px; }}
</style>
</head>
<body>
<div id="map"></div>
<script src="{leaflet_js}" nonce="{nonce}"></script>
<script nonce="{nonce}">
window.tourGeoJSON.then(function (geojson) {{
  var map = L.map("map");
  var stops = [];
  var route = null;
  geojson.features.forEach(function (feature) {{
    var type = feature.geometry && feature.geometry.type;
    if (type === "LineString" || type === "MultiLineString") {{ route = feature; }}
    if (type === "Point") {{ stops.push(feature); }}
  }});
  var line = L.geoJSON(route, {{ style: {{ color: "#8f2d0b", weight: 5, opacity: 0.9 }} }});
  map.fitBounds(line.getBounds(), {{ paddingTopLeft: [56, 40], paddingBottomRight: [40, 56] }});
  line.addTo(map);
  stops.sort(function (a, b) {{ return (a.properties.order || 0) - (b.properties.order || 0); }});
  stops.forEach(function (stop, index) {{
    var lonlat = stop.geometry.coordinates;
    L.marker([lonlat[1], lonlat[0]], {{
      icon: L.divIcon({{ className: "badge", html: String(index + 1), iconSize: [30, 30] }}),
      keyboard: true
    }}).addTo(map);
  }});
  document.documentElement.setAttribute("data-map-ready", "true");
  performance.mark("bidean-map-ready");
}});
</script>
</body>
</html>
"""


def reference_page(slug: str) -> Response:
    nonce = csp_nonce()
    html = PAGE.format(
        slug=Markup.escape(slug),
        nonce=nonce,
        geojson=url_for("api.tour_geojson", slug=slug),
        leaflet_css=asset_url("leaflet", "leaflet.css"),
        leaflet_js=asset_url("leaflet", "leaflet.js"),
    )
    return Response(html, mimetype="text/html")


def create_app() -> Flask:
    """Bidean's app from its ``BIDEAN_*`` environment, with the reference pages added."""
    app = create_bidean_app()
    app.add_url_rule("/bench/reference/<slug>", "bench_reference", reference_page)
    return app
