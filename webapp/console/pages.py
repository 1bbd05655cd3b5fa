"""View models of the guide console: a departure with its roster, stops and scripts."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response
from sqlalchemy.orm import Session

from guides.roster import Roster, roster, roster_kept_until
from guides.scripts import ScriptView, own_scripts, script_for
from tours.booking.departures import slug_of
from tours.booking.models import Departure
from tours.i18n import Resolved
from tours.stories.document import Credit
from tours.stories.uses import told_by
from tours.tour.domain import Stop
from tours.tour.geometry import Leg
from webapp.common.departure_views import DepartureView, departure_view
from webapp.common.tourcache import CachedTour, tour_cache


@dataclass(frozen=True)
class StopScreen:
    number: int
    stop: Stop
    name: Resolved | None
    script: ScriptView
    story: Resolved | None
    leg: Leg | None
    next_name: Resolved | None
    told_by: tuple[Credit, ...] = ()  # the residents who told it, credited as they chose


@dataclass(frozen=True)
class DepartureScreen:
    departure: Departure
    view: DepartureView
    cached: CachedTour  # as the guide console may show it (residents' consent)
    roster: Roster
    stops: list[StopScreen]
    public: CachedTour  # as tour pages show it: its map is the tour page's


def _resolved(text, lang: str, default: str) -> Resolved | None:
    found = text.resolve(lang, default)
    return found if found is not None and found.text.strip() else None


def stop_screens(cached: CachedTour, language: str, own: dict) -> list[StopScreen]:
    """The published stops in walking order, texts in the departure's ``language``."""
    default = cached.tour.default_language
    ordered = cached.ordered_stops()
    screens = []
    for index, (stop, leg) in enumerate(ordered):
        following = ordered[index + 1][0] if index + 1 < len(ordered) else None
        screens.append(
            StopScreen(
                number=index + 1,
                stop=stop,
                name=_resolved(stop.name, language, default),
                script=script_for(stop, language, default, own),
                story=_resolved(stop.story, language, default),
                leg=leg,
                next_name=_resolved(following.name, language, default) if following else None,
                told_by=told_by(stop, cached.tour),
            )
        )
    return screens


def departure_screen(db_session: Session, departure: Departure) -> DepartureScreen:
    """Everything the departure page shows; scripts are the departure's guide's versions."""
    slug = slug_of(db_session, departure)
    cached = tour_cache().for_guides(db_session, slug)
    own = own_scripts(db_session, departure.guide_id, slug)
    view = departure_view(departure, departure.language, slug, cached)
    return DepartureScreen(
        departure=departure,
        view=view,
        cached=cached,
        roster=roster(db_session, departure.id),
        stops=stop_screens(cached, departure.language, own),
        public=tour_cache().get(db_session, slug),
    )


def find_stop(cached: CachedTour, stop_id: str) -> Stop | None:
    return next((s for s in cached.tour.public_stops if s.id == stop_id), None)


# The service worker reads these two response headers (console/sw.js).
KEEP_UNTIL_HEADER = "Bidean-Keep-Until"
SESSION_HEADER = "Bidean-Session"


def kept_until(response: Response, departure: Departure) -> Response:
    """A page showing this departure's roster: phones drop their copy after this time."""
    response.headers[KEEP_UNTIL_HEADER] = roster_kept_until(departure).isoformat()
    return response
