"""The impact report: who came, in which languages, what they said, how the guides fared.

``impact_report`` composes the booking side (``tours.booking.impact``) with what lives in
``guides``: check-ins (a booking's newest mark counts), guides and their languages, and the
guides' debriefs. Every figure is an aggregate statement; Python merges grouped rows only.

Privacy: the report holds exact counts, and every way out of it (page, CSV, command line)
shows them through ``protected``: a count of 1 to 4 people is "fewer than 5" (none is
0: it identifies no one). Quotes are only those their author allowed, with the credit they
chose, never contact data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, delete, func, insert, select, union_all, update
from sqlalchemy.orm import Session

from guides.models import ARRIVED, NO_SHOW, CheckIn, Debrief, GuideRecord, WalkBookingFigures
from tours.booking import impact
from tours.booking.impact import (
    BY_MONTH,
    GUIDE,
    INTERFACE_LANGUAGE,
    TOUR,
    WALK_LANGUAGE,
    Dimensions,
    FeedbackFigures,
    ImpactQuery,
    Scope,
    Tally,
    TourPlace,
    UnmetDemand,
    WalkTotals,
)
from tours.booking.models import CONFIRMED, SCHEDULED, Booking, Departure
from tours.db import utcnow
from tours.text import spreadsheet_cell

#: Counts of people under this are never shown, only "fewer than 5".
SMALL_CELL = 5
FEWER_THAN_5 = "fewer than 5"


def protected(count: int) -> int | str:
    """The one small-cell rule: ``count`` people as shown anywhere outside the database."""
    return FEWER_THAN_5 if 0 < count < SMALL_CELL else count


def protected_share(part: int, whole: int) -> float | str | None:
    """``part / whole`` as a share (0 to 1), hidden like a small cell when ``whole`` or
    ``part`` is 1 to 4 people; None when there is no one to divide by."""
    if whole == 0:
        return None
    if 0 < whole < SMALL_CELL or 0 < part < SMALL_CELL:
        return FEWER_THAN_5
    return part / whole


@dataclass(frozen=True)
class GuideLine:
    guide_id: str | None  # None: walks without a guide
    name: str
    languages: tuple[str, ...]  # languages the guide's profile offers
    walk_languages: tuple[str, ...]  # languages of the walks they led in the period
    tally: Tally
    debriefs: int
    debrief_rating: float | None  # mean of their debriefs' ratings


@dataclass(frozen=True)
class DebriefFigures:
    filed: int  # walks held with a debrief
    headcount: int  # people the guides counted
    ratings: dict[int, int]  # {1..5: debriefs}
    incidents: int  # debriefs that noted an incident
    route_changes: int  # debriefs asking for a route change


@dataclass(frozen=True)
class ImpactReport:
    query: ImpactQuery
    generated_at: datetime
    walks: WalkTotals
    total: Tally
    by_walk_language: dict[str, Tally]
    by_interface_language: dict[str, Tally]
    by_tour: dict[str, Tally]  # by slug
    by_district: dict[str, Tally]
    by_month: dict[str, Tally]  # every month of the period, YYYY-MM
    unmet: UnmetDemand
    feedback: FeedbackFigures
    guides: tuple[GuideLine, ...]
    debriefs: DebriefFigures
    places: dict[str, TourPlace]  # the tours named in by_tour, by slug

    @property
    def fill_rate(self) -> float | str | None:
        return protected_share(self.total.booked, self.total.seats)


#: What ``walk_booking_figures`` stores per walk and booker's language, in its columns' order.
BOOKING_COUNTS = ("bookings", "people", "came", "no_show")
#: A walk's figures are stored once it started this long ago (check-ins are done by then;
#: later changes bump its version, and it is stored again).
STORE_AFTER = timedelta(days=1)
#: Walks stored per transaction by ``store_walk_figures``.
STORE_BATCH = 500


def booking_counts(walks: ColumnElement[bool]) -> Select:
    """(departure id, booker's language, ``BOOKING_COUNTS``) of the confirmed bookings of
    ``walks`` (a condition on ``Booking.departure_id``); a booking's newest check-in counts
    (found on the index ``(booking_id, id)``)."""
    newest = (
        select(CheckIn.state)
        .where(CheckIn.booking_id == Booking.id)
        .order_by(CheckIn.id.desc())
        .limit(1)
        .correlate(Booking)
        .scalar_subquery()
    )
    return (
        select(
            Booking.departure_id.label("departure_id"),
            Booking.language.label("booker"),
            func.count().label("bookings"),
            func.sum(Booking.party_size).label("people"),
            func.sum(case((newest == ARRIVED, Booking.party_size), else_=0)).label("came"),
            func.sum(case((newest == NO_SHOW, Booking.party_size), else_=0)).label("no_show"),
        )
        .where(Booking.status == CONFIRMED, walks)
        .group_by(Booking.departure_id, Booking.language)
    )


def booking_cube(db_session: Session, scope: Scope) -> dict[Dimensions, tuple[int, int, int, int]]:
    """``{dimensions with the booker's language: (bookings, people booked, arrived, not
    come)}`` in one grouped statement.  Walks with current stored figures are summed from
    those, the others from their bookings, in the same statement (so one snapshot)."""
    # Summed per walk and booker's language first (the bookings' index on departure_id
    # streams that grouping), then per dimensions: twice as fast as one grouping.
    stored = select(
        WalkBookingFigures.departure_id,
        WalkBookingFigures.booker_language,
        *(getattr(WalkBookingFigures, name) for name in BOOKING_COUNTS),
    ).where(WalkBookingFigures.departure_id.in_(scope.walk_ids(stored=True)))
    live = booking_counts(Booking.departure_id.in_(scope.walk_ids(stored=False)))
    per_walk = union_all(live, stored).subquery()
    keys = (*scope.dimensions(), per_walk.c.booker)
    rows = db_session.execute(
        select(*keys, *(func.sum(per_walk.c[name]) for name in BOOKING_COUNTS))
        .join(per_walk, per_walk.c.departure_id == Departure.id)
        .group_by(*keys)
    )
    return {Dimensions(*row[:5]): tuple(int(n) for n in row[5:]) for row in rows}


def store_walk_figures(db_session: Session, batch: int = STORE_BATCH) -> int:
    """Store the figures of up to ``batch`` walks held that started over a day ago and
    whose stored figures are missing or stale; how many walks.  One transaction's work.

    The walks are marked first (``figures_rolled`` := their version), then their rows are
    counted: a change committed after the mark bumps the version (a trigger), so these
    figures are not used; one committed before it is counted.  On PostgreSQL the mark waits
    for a transaction that already bumped the walk."""
    walk_ids = list(
        db_session.scalars(
            select(Departure.id)
            .where(
                Departure.status == SCHEDULED,
                Departure.starts_at < utcnow() - STORE_AFTER,
                impact.figures_current(False),
            )
            .order_by(Departure.id)
            .limit(batch)
        )
    )
    if not walk_ids:
        return 0
    db_session.execute(
        update(Departure)
        .where(Departure.id.in_(walk_ids))
        .values(figures_rolled=Departure.figures_version)
        .execution_options(synchronize_session=False)
    )
    db_session.execute(
        delete(WalkBookingFigures).where(WalkBookingFigures.departure_id.in_(walk_ids))
    )
    db_session.execute(
        insert(WalkBookingFigures).from_select(
            ["departure_id", "booker_language", *BOOKING_COUNTS],
            booking_counts(Booking.departure_id.in_(walk_ids)),
        )
    )
    impact.store_rating_figures(db_session, walk_ids)
    return len(walk_ids)


@dataclass(frozen=True)
class Cubes:
    """The report's two grouped statements, which every breakdown sums."""

    walks: dict[Dimensions, tuple[int, int]]
    bookings: dict[Dimensions, tuple[int, int, int, int]]

    def tallies(self, key: str | None) -> dict[Any, Tally]:
        """Walks, bookings and people by the breakdown ``key`` (None: the totals)."""
        sums: dict[Any, list[int]] = {}
        if key != INTERFACE_LANGUAGE:  # walks have no booker
            for dims, (walks, seats) in self.walks.items():
                line = sums.setdefault(dims.key(key), [0] * 6)
                line[0] += walks
                line[1] += seats
        for dims, counts in self.bookings.items():
            line = sums.setdefault(dims.key(key), [0] * 6)
            for at, count in enumerate(counts, start=2):
                line[at] += count
        return {value: Tally(*line) for value, line in sums.items()}


def _sum(parts: Iterator[Tally]) -> Tally:
    fields = ("walks", "seats", "bookings", "booked", "came", "no_show")
    totals = dict.fromkeys(fields, 0)
    for part in parts:
        for name in fields:
            totals[name] += getattr(part, name)
    return Tally(**totals)


def debrief_figures(
    db_session: Session, scope: Scope
) -> tuple[DebriefFigures, dict[Any, tuple[int, float | None]]]:
    """The debriefs of the walks held, and ``{guide id: (debriefs, mean rating)}``: one
    statement grouped by guide and rating, summed here."""
    rows = db_session.execute(
        select(
            Departure.guide_id,
            Debrief.rating,
            func.count(Debrief.id),
            func.coalesce(func.sum(Debrief.headcount), 0),
            func.coalesce(func.sum(case((Debrief.incidents != "", 1), else_=0)), 0),
            func.coalesce(func.sum(case((Debrief.route_change_needed.is_(True), 1), else_=0)), 0),
        )
        .select_from(Debrief)
        .join(Departure, Departure.id == Debrief.departure_id)
        .where(*scope.walks())
        .group_by(Departure.guide_id, Debrief.rating)
    )
    ratings: dict[int, int] = {}
    guides: dict[Any, list[int]] = {}  # {guide id: [debriefs, sum of ratings]}
    headcount = incidents = changes = 0
    for guide_id, rating, count, people, noted, asked in rows:
        ratings[int(rating)] = ratings.get(int(rating), 0) + int(count)
        mine = guides.setdefault(guide_id, [0, 0])
        mine[0] += int(count)
        mine[1] += int(rating) * int(count)
        headcount, incidents, changes = (
            headcount + int(people),
            incidents + int(noted),
            changes + int(asked),
        )
    figures = DebriefFigures(sum(ratings.values()), headcount, ratings, incidents, changes)
    per_guide = {guide_id: (count, total / count) for guide_id, (count, total) in guides.items()}
    return figures, per_guide


def guide_lines(
    db_session: Session,
    scope: Scope,
    cubes: Cubes,
    per_guide: Mapping[Any, tuple[int, float | None]],
) -> tuple[GuideLine, ...]:
    """Walks and people per guide who led a walk held in the period, by name."""
    by_guide = cubes.tallies(GUIDE)
    led: dict[str | None, set[str]] = {}  # the languages of the walks each guide led
    for dims in cubes.walks:
        led.setdefault(dims.guide_id, set()).add(dims.walk_language)
    profiles = {
        guide_id: (name, tuple(_tag(language) for language in languages or ()))
        for guide_id, name, languages in db_session.execute(
            select(GuideRecord.id, GuideRecord.display_name, GuideRecord.languages).where(
                GuideRecord.id.in_([g for g in by_guide if g is not None])
            )
        )
    }
    lines = [
        GuideLine(
            guide_id,
            profiles.get(guide_id, ("", ()))[0] if guide_id else "",
            profiles.get(guide_id, ("", ()))[1] if guide_id else (),
            tuple(sorted(led.get(guide_id, ()))),
            tally,
            *per_guide.get(guide_id, (0, None)),
        )
        for guide_id, tally in by_guide.items()
    ]
    return tuple(
        sorted(
            lines,
            key=lambda line: (line.guide_id is None, line.name.casefold(), line.guide_id or ""),
        )
    )


def _tag(language: Any) -> str:
    """A profile's language as its tag (profiles store ``{"tag": ..., "level": ...}``)."""
    return str(language.get("tag", "")) if isinstance(language, Mapping) else str(language)


def impact_report(
    db_session: Session, query: ImpactQuery, now: datetime | None = None
) -> ImpactReport:
    """The whole report for ``query``: about twenty aggregate statements, whatever the size."""
    now = now or utcnow()
    places = impact.tour_places(db_session)
    scope = impact.scope_for(db_session, query, now, places)
    cubes = Cubes(impact.walk_cube(db_session, scope), booking_cube(db_session, scope))
    total = cubes.tallies(None).get("all", Tally())
    by_tour_id = cubes.tallies(TOUR)
    by_tour = {
        places[tour_id].slug: tally for tour_id, tally in by_tour_id.items() if tour_id in places
    }
    districts: dict[str, list[Tally]] = {}
    for tour_id, tally in by_tour_id.items():
        districts.setdefault(places[tour_id].district if tour_id in places else "", []).append(
            tally
        )
    months = cubes.tallies(BY_MONTH)
    walks = impact.walk_totals(db_session, scope)
    debriefs, per_guide = debrief_figures(db_session, scope)
    return ImpactReport(
        query=query,
        generated_at=now,
        walks=walks,
        total=total,
        by_walk_language=dict(sorted(cubes.tallies(WALK_LANGUAGE).items())),
        by_interface_language=dict(sorted(cubes.tallies(INTERFACE_LANGUAGE).items())),
        by_tour=dict(sorted(by_tour.items())),
        by_district={name: _sum(iter(parts)) for name, parts in sorted(districts.items())},
        by_month={month: months.get(month, Tally()) for month in query.months},
        unmet=impact.unmet_demand(db_session, scope, walks.full),
        feedback=impact.feedback_figures(db_session, scope),
        guides=guide_lines(db_session, scope, cubes, per_guide),
        debriefs=debriefs,
        places={places[t].slug: places[t] for t in by_tour_id if t in places},
    )


# The figures as rows (section, item, measure, value), values already protected: the CSV,
# the command line's JSON and the page's download are all made of these.

_TALLY_MEASURES = ("walks", "bookings", "people_booked", "people_came", "no_shows")


def _tally_rows(
    section: str, item: str, tally: Tally, walks: bool = True
) -> Iterator[tuple[str, str, str, Any]]:
    if walks:
        yield section, item, "walks", tally.walks
    yield section, item, "bookings", protected(tally.bookings)
    yield section, item, "people_booked", protected(tally.booked)
    yield section, item, "people_came", protected(tally.came)
    yield section, item, "no_shows", protected(tally.no_show)


def _share(value: float | str | None) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def report_rows(report: ImpactReport) -> list[tuple[str, str, str, Any]]:
    """Every figure of ``report``, protected, as (section, item, measure, value)."""
    q, w, t = report.query, report.walks, report.total
    rows: list[tuple[str, str, str, Any]] = [
        ("period", "", "from", q.start.isoformat()),
        ("period", "", "to", q.end.isoformat()),
        ("period", "", "kind", q.period),
    ]
    for name in ("city", "tour", "district", "language", "guide_id"):
        rows.append(("filter", "", name, getattr(q, name) or ""))
    rows += [
        ("walks", "", "held", w.held),
        ("walks", "", "private_held", w.private),
        ("walks", "", "cancelled", w.cancelled),
        ("walks", "", "full", w.full),
        ("people", "", "bookings", protected(t.bookings)),
        ("people", "", "people_booked", protected(t.booked)),
        ("people", "", "people_came", protected(t.came)),
        ("people", "", "no_shows", protected(t.no_show)),
        ("people", "", "not_checked_in", protected(t.unrecorded)),
        ("people", "", "seats", t.seats),
        ("people", "", "fill_rate", _share(report.fill_rate)),
    ]
    for language, tally in report.by_walk_language.items():
        rows += _tally_rows("walk_language", language, tally)
    for language, tally in report.by_interface_language.items():
        rows += _tally_rows("interface_language", language, tally, walks=False)
    for slug, tally in report.by_tour.items():
        rows += _tally_rows("tour", slug, tally)
    for district, tally in report.by_district.items():
        rows += _tally_rows("district", district, tally)
    for month, tally in report.by_month.items():
        rows += _tally_rows("month", month, tally)
    u, f = report.unmet, report.feedback
    rows += [
        ("unmet_demand", "", "waiting_entries_never_seated", protected(u.entries)),
        ("unmet_demand", "", "people_never_seated", protected(u.people)),
        ("unmet_demand", "", "full_walks", u.full_walks),
        ("feedback", "", "asked", protected(f.asked)),
        ("feedback", "", "answered", protected(f.answered)),
        ("feedback", "", "response_rate", _share(protected_share(f.answered, f.asked))),
        (
            "feedback",
            "",
            "would_recommend",
            _share(protected_share(f.recommend_yes, f.recommend_answers)),
        ),
    ]
    for rating in range(1, 6):
        rows.append(("rating", str(rating), "answers", protected(f.ratings.get(rating, 0))))
    for quote in f.quotes:
        rows.append(("quote", quote.credit, "text", quote.text))
    rows.append(("feedback", "", "quotes_allowed", f.quotes_total))
    for line in report.guides:
        item = line.guide_id or "(none)"
        rows += _tally_rows("guide", item, line.tally)
        rows.append(("guide", item, "languages_offered", " ".join(line.languages)))
        rows.append(("guide", item, "walk_languages", " ".join(line.walk_languages)))
        rows.append(("guide", item, "debriefs", line.debriefs))
    d = report.debriefs
    rows += [
        ("debriefs", "", "filed", d.filed),
        ("debriefs", "", "headcount", protected(d.headcount)),
        ("debriefs", "", "incidents", d.incidents),
        ("debriefs", "", "route_changes", d.route_changes),
    ]
    for rating in range(1, 6):
        rows.append(("debrief_rating", str(rating), "debriefs", d.ratings.get(rating, 0)))
    rows.append(("stories", "", "published", "none exist yet"))
    return rows


CSV_HEADER = ("section", "item", "measure", "value")


def report_csv(report: ImpactReport) -> bytes:
    """Every figure as CSV (UTF-8 with a byte order mark, like the roster), no formulas."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in report_rows(report):
        writer.writerow(spreadsheet_cell(value) for value in row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def report_json(report: ImpactReport) -> list[dict[str, Any]]:
    """Every figure as JSON objects, the same rows as the CSV."""
    return [dict(zip(CSV_HEADER, row, strict=True)) for row in report_rows(report)]
