"""The map of an import's preview: the route, the districts and the stops numbered in the
computed order, drawn by the public ``map.js`` from an escaped JSON data island
(:mod:`webapp.common.maps`), so stop names from the files never become HTML."""

from __future__ import annotations

from flask import current_app, g
from flask_babel import gettext
from markupsafe import Markup

from tours.content.workflows.preview import ImportPreview
from tours.coords import LonLat
from webapp.common.maps import (
    TOUR_ZOOM,
    LabelledMarker,
    RouteLine,
    _map_labels,
    _new_map,
    district_outlines,
    fit_to_box,
    render_fragment,
)
from webapp.common.route_preview import route_preview
from webapp.common.tiles import tiles_from_config


def preview_map_html(preview: ImportPreview) -> Markup | None:
    """The preview's map, or None when there is no route to show."""
    if not preview.route:
        return None
    points = [p for line in preview.route for p in line] + [[s.lon, s.lat] for s in preview.stops]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    labels = _map_labels(gettext, gettext("Map of the imported route and stops"))
    tiles = tiles_from_config(current_app.config)
    fmap = _new_map(LonLat((west + east) / 2, (south + north) / 2), TOUR_ZOOM, tiles, labels)
    for district in preview.districts:
        label = {"text": district["name"]} if district["name"] else None
        for outline in district_outlines(district["geometry"], label):  # type: ignore[arg-type]
            outline.add_to(fmap)
    # A long route is shown simplified (within a few metres): a preview need not be exact.
    RouteLine(route_preview(preview.route), None).add_to(fmap)
    for stop in preview.stops:
        title = f"{stop.position}. {stop.name}"
        popup = [
            {"role": "number", "text": gettext("Stop %(number)d", number=stop.position)},
            {"role": "title", "text": stop.name or stop.id},
            {
                "role": "text",
                "text": gettext("Position in the files: %(number)d", number=stop.source_position),
            },
        ]
        LabelledMarker(LonLat(stop.lon, stop.lat), str(stop.position), title, popup).add_to(fmap)
    fit_to_box(fmap, (west, south, east, north))
    return render_fragment(fmap, "tour").html(getattr(g, "csp_nonce", None))
