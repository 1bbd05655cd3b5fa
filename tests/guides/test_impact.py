"""The impact report against counts the test makes itself over the rows it inserted."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from statistics import mean

import pytest

from guides.impact import FEWER_THAN_5, impact_report, protected, protected_share, report_rows
from tests.impact_support import DISTRICTS, NOW, YEAR, build_year
from tours.booking.impact import ImpactQuery, PeriodError
from tours.booking.models import CLAIMED, CONFIRMED, SCHEDULED
from webapp.actions.impact import store_due_figures
from webapp.common.database import get_db


def _report(app, query):
    with get_db(app).transaction() as db_session:
        return impact_report(db_session, query, now=NOW)


class Expected:
    """The figures worked out in plain Python over the inserted rows."""

    def __init__(self, year, start: date, end: date, walk=lambda w: True):
        lo = datetime(start.year, start.month, start.day, tzinfo=UTC)
        hi = datetime.fromordinal(end.toordinal() + 1).replace(tzinfo=UTC)
        self.year = year
        in_period = [w for w in year.walks if lo <= w["starts_at"] < hi and walk(w)]
        self.held = {
            w["id"]: w for w in in_period if w["status"] == SCHEDULED and w["starts_at"] < NOW
        }
        self.cancelled = [w for w in in_period if w["status"] != SCHEDULED]
        self.bookings = [
            b for b in year.bookings if b["departure_id"] in self.held and b["status"] == CONFIRMED
        ]
        newest = {}
        for mark in year.check_ins:  # inserted in order: the last one of a booking is its newest
            newest[mark["booking_id"]] = mark["state"]
        self.state = newest

    def tally(self, group=lambda walk, booking: "all", walks=True):
        out = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
        if walks:
            for w in self.held.values():
                out[group(w, None)][0] += 1
                out[group(w, None)][1] += w["capacity"]
        for b in self.bookings:
            line = out[group(self.held[b["departure_id"]], b)]
            line[2] += 1
            line[3] += b["party_size"]
            state = self.state.get(b["id"])
            line[4] += b["party_size"] if state == "arrived" else 0
            line[5] += b["party_size"] if state == "no_show" else 0
        return {key: tuple(value) for key, value in out.items()}


def _as_tuple(tally):
    return (tally.walks, tally.seats, tally.bookings, tally.booked, tally.came, tally.no_show)


def _tallies(mapping, walks=True):
    return {k: _as_tuple(v) if walks else (0, 0, *_as_tuple(v)[2:]) for k, v in mapping.items()}


@pytest.mark.parametrize("stored", [False, True], ids=["counted", "stored"])
def test_every_figure_of_a_year(app, stored):
    year = build_year(app)
    if stored:  # as the mail worker does: every walk of 2025 is over
        assert store_due_figures(app) > 100
    report = _report(app, ImpactQuery.for_year(YEAR))
    expect = Expected(year, date(YEAR, 1, 1), date(YEAR, 12, 31))
    slug = lambda w: year.slugs[w["tour_id"]]  # noqa: E731

    assert len(expect.held) > 100 and expect.bookings
    # walks
    assert report.walks.held == len(expect.held)
    assert report.walks.private == sum(w["private"] for w in expect.held.values()) > 0
    assert report.walks.cancelled == len(expect.cancelled) > 0
    full = sum(w["seats_taken"] >= w["capacity"] for w in expect.held.values())
    assert report.walks.full == report.unmet.full_walks == full > 0
    # people
    assert _as_tuple(report.total) == expect.tally()["all"]
    assert report.total.unrecorded == sum(
        b["party_size"] for b in expect.bookings if b["id"] not in expect.state
    )
    seats = sum(w["capacity"] for w in expect.held.values())
    assert report.fill_rate == pytest.approx(sum(b["party_size"] for b in expect.bookings) / seats)
    # breakdowns
    assert _tallies(report.by_walk_language) == expect.tally(lambda w, b: w["language"])
    by_booker = expect.tally(lambda w, b: b["language"] if b else None, walks=True)
    by_booker.pop(None)
    assert _tallies(report.by_interface_language, walks=False) == {
        k: (0, 0, *v[2:]) for k, v in by_booker.items()
    }
    assert _tallies(report.by_tour) == expect.tally(lambda w, b: slug(w))
    assert _tallies(report.by_district) == expect.tally(lambda w, b: DISTRICTS[slug(w)])
    months = expect.tally(lambda w, b: w["starts_at"].strftime("%Y-%m"))
    assert list(report.by_month) == [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    assert _tallies(report.by_month) == {m: months.get(m, (0,) * 6) for m in report.by_month}
    # guides
    by_guide = expect.tally(lambda w, b: w["guide_id"])
    assert {line.guide_id: _as_tuple(line.tally) for line in report.guides} == by_guide
    youssef = next(line for line in report.guides if line.guide_id == "youssef")
    assert youssef.languages == ("ar", "es", "en")
    assert youssef.walk_languages == tuple(
        sorted({w["language"] for w in expect.held.values() if w["guide_id"] == "youssef"})
    )
    # unmet demand
    unmet = [e for e in year.waiting if e["departure_id"] in expect.held and e["status"] != CLAIMED]
    assert report.unmet.entries == len(unmet) > 0
    assert report.unmet.people == sum(e["party_size"] for e in unmet)
    # feedback
    booked_ids = {b["id"] for b in expect.bookings}
    asked = [f for f in year.feedback if f["booking_id"] in booked_ids]
    answered = [f for f in asked if f["answered_at"]]
    assert report.feedback.asked == len(asked)
    assert report.feedback.answered == len(answered)
    assert report.feedback.ratings == dict(Counter(f["rating"] for f in answered))
    assert report.feedback.recommend_yes == sum(f["recommend"] is True for f in answered)
    assert report.feedback.recommend_answers == sum(f["recommend"] is not None for f in answered)
    quotable = [f for f in answered if f["quote_consent"]]
    assert report.feedback.quotes_total == len(quotable)
    newest = sorted(quotable, key=lambda f: f["answered_at"], reverse=True)[:30]
    assert [q.text for q in report.feedback.quotes] == [f["learned"] for f in newest]
    assert [q.credit for q in report.feedback.quotes] == [
        "" if f["credit"] == "anonymous" else f["credit_name"] for f in newest
    ]
    # debriefs
    debriefs = [d for d in year.debriefs if d["departure_id"] in expect.held]
    assert report.debriefs.filed == len(debriefs)
    assert report.debriefs.headcount == sum(d["headcount"] for d in debriefs)
    assert report.debriefs.ratings == dict(Counter(d["rating"] for d in debriefs))
    assert report.debriefs.incidents == sum(bool(d["incidents"]) for d in debriefs)
    assert report.debriefs.route_changes == sum(d["route_change_needed"] for d in debriefs)
    for line in report.guides:
        mine = [
            d["rating"]
            for d in debriefs
            if expect.held[d["departure_id"]]["guide_id"] == line.guide_id
        ]
        assert line.debriefs == len(mine)
        assert line.debrief_rating == (pytest.approx(mean(mine)) if mine else None)


def test_filters_by_district_language_and_guide(app):
    year = build_year(app)
    slug = lambda w: year.slugs[w["tour_id"]]  # noqa: E731
    cases = [
        (dict(district="Zabala"), lambda w: DISTRICTS[slug(w)] == "Zabala"),
        (dict(language="fr"), lambda w: w["language"] == "fr"),
        (dict(guide_id="aminata"), lambda w: w["guide_id"] == "aminata"),
        (
            dict(tour="san-francisco-voices", city="Bilbao"),
            lambda w: slug(w) == "san-francisco-voices",
        ),
        (dict(city="Donostia"), lambda w: False),
    ]
    for filters, keep in cases:
        report = _report(app, ImpactQuery.for_quarter(YEAR, 2, **filters))
        expect = Expected(year, date(YEAR, 4, 1), date(YEAR, 6, 30), keep)
        assert report.walks.held == len(expect.held), filters
        assert report.walks.cancelled == len(expect.cancelled), filters
        assert _as_tuple(report.total) == expect.tally().get("all", (0,) * 6), filters
        assert _tallies(report.by_walk_language) == expect.tally(lambda w, b: w["language"])
        assert list(report.by_month) == [f"{YEAR}-04", f"{YEAR}-05", f"{YEAR}-06"]


def test_a_month_ends_at_midnight_utc_and_walks_after_now_are_not_held(app):
    year = build_year(app)
    january = _report(app, ImpactQuery.for_month(YEAR, 1))
    first = [w for w in year.walks if w["starts_at"] == datetime(YEAR, 1, 1, 0, 30, tzinfo=UTC)]
    assert first and january.walks.held == len(
        Expected(year, date(YEAR, 1, 1), date(YEAR, 1, 31)).held
    )
    december = _report(app, ImpactQuery.for_month(YEAR, 12))
    later = [w for w in year.walks if w["starts_at"] >= NOW and w["starts_at"].year == YEAR]
    assert later  # scheduled after "now": not held, not counted
    assert december.walks.held == len(Expected(year, date(YEAR, 12, 1), date(YEAR, 12, 31)).held)


def test_small_cells_are_shown_as_fewer_than_5():
    assert [protected(n) for n in (0, 1, 4, 5, 17)] == [0, FEWER_THAN_5, FEWER_THAN_5, 5, 17]
    assert protected_share(3, 10) == FEWER_THAN_5
    assert protected_share(5, 4) == FEWER_THAN_5
    assert protected_share(5, 10) == 0.5
    assert protected_share(0, 0) is None


def test_no_exported_cell_counts_one_to_four_people(app):
    year = build_year(app, walks_per_month=2)
    report = _report(app, ImpactQuery.for_month(YEAR, 3, guide_id="aminata"))
    people = {
        "bookings",
        "people_booked",
        "people_came",
        "no_shows",
        "answers",
        "asked",
        "answered",
    }
    rows = report_rows(report)
    assert any(value == FEWER_THAN_5 for *_, value in rows) or report.total.booked == 0
    for section, item, measure, value in rows:
        if measure in people:
            assert not (isinstance(value, int) and 0 < value < 5), (section, item, measure)
    assert year


def test_only_quotes_with_consent_and_never_contact_data(app):
    year = build_year(app)
    report = _report(app, ImpactQuery.for_year(YEAR))
    texts = {q.text for q in report.feedback.quotes}
    refused = {f["learned"] for f in year.feedback if f["answered_at"] and not f["quote_consent"]}
    assert texts and not texts & refused
    shown = " ".join(str(value) for row in report_rows(report) for value in row)
    assert "@example.org" not in shown and "Walker " not in shown
    anonymous = [f for f in year.feedback if f["credit"] == "anonymous"]
    credits = {item for section, item, *_ in report_rows(report) if section == "quote"}
    assert anonymous and not credits & {f["credit_name"] for f in anonymous}


def test_a_period_must_not_end_before_it_starts():
    with pytest.raises(PeriodError):
        ImpactQuery(date(YEAR, 2, 1), date(YEAR, 1, 1))
    with pytest.raises(PeriodError):
        ImpactQuery(date(2020, 1, 1), date(2027, 1, 1))
    assert ImpactQuery.for_quarter(YEAR, 4).end == date(YEAR, 12, 31)
    assert ImpactQuery.for_month(YEAR, 2).end == date(YEAR, 2, 28)
