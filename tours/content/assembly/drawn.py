"""Stops without a route: straight lines through them (``--draw-route``), and the advice.

A city's file often holds its stops only.  Rather than sending the coordinator to another
tool to draw a route, the importer can join the stops in their order with straight
lines; the route is marked approximate (``approximate_route``), which keeps it on the
to-do list until the coordinator redraws it in the editor.
"""

from __future__ import annotations

from tours.content.assembly.assembly_order import AssembledStop
from tours.content.assembly.sources import SourceFeature
from tours.content.checking.profile_route import APPROXIMATE
from tours.text import counted


def no_route_message(stop_count: int, draw_route: bool) -> str:
    """The error for files without a route, with the way out that fits what they hold."""
    if stop_count and not draw_route:
        advice = (
            f" The files hold {counted(stop_count, 'stop')}: give the route's file with"
            " --route, or --draw-route to join the stops in their order with straight lines"
            " (an approximate route, to redraw in the editor)."
        )
    elif stop_count == 1:
        advice = " One stop is not enough to draw a route: give the route's file with --route."
    else:
        advice = " Give the route's file with --route."
    return (
        "None of the files has a route (a LineString or MultiLineString, a GPX track or"
        f" route, a KML LineString).{advice}"
    )


def drawn_route(stops: list[SourceFeature]) -> SourceFeature:
    """The route ``--draw-route`` draws; its line is filled in once the order is known."""
    return SourceFeature(
        {"type": "LineString", "coordinates": []},
        {APPROXIMATE: True},
        stops[0].file,
        "the route drawn through the stops (--draw-route)",
    )


def draw_through(route: SourceFeature, stops: list[AssembledStop]) -> str:
    """Straight lines from stop to stop, in the tour's order; the note that says so."""
    route.geometry["coordinates"] = [
        list(stop.feature.geometry["coordinates"][:2]) for stop in stops
    ]
    return (
        f"No file has a route: it was drawn through the {len(stops)} stops in their order with"
        " straight lines (--draw-route). It is marked approximate (approximate_route) and"
        " stays on the to-do list until the route is redrawn in the editor."
    )
