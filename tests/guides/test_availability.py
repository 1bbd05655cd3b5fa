"""Guides' availability marks, the walks they rule out, and withdrawing from a walk."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from guides import availability as avail
from guides.assignment import (
    WithdrawalRefused,
    assign_guide,
    offered_guides,
    planned_spans,
    recent_withdrawals,
    withdraw,
)
from guides.audit import Actor
from guides.availability import (
    AvailabilityError,
    GuideUnavailable,
    MarkNotFound,
    add_mark,
    marks_of,
    remove_mark,
)
from guides.models import AuditEntry, AvailabilityMark
from tests.booking_support import SLUG
from tests.guides.planning_support import LONDON, at, build, day, walk
from tours.booking.departures import DepartureNotFound, cancel, get_departure
from tours.booking.models import Departure
from webapp.actions.departures import withdraw_guide


def _mark(db_transaction, guide="ana", ahead=40, **fields):
    fields.setdefault("available", False)
    with db_transaction() as db_session:
        return add_mark(db_session, guide, day(ahead), today=day(0), **fields).id


def test_a_day_marked_unavailable_refuses_that_days_walks_only(db_transaction):
    build(db_transaction)
    _mark(db_transaction, note="dentist")
    with pytest.raises(GuideUnavailable) as refused:
        walk(db_transaction, at(11), guide="ana")
    assert not refused.value.unavailable.only_other_times
    assert "dentist" in str(refused.value)
    with db_transaction() as db_session:
        assert db_session.scalar(select(func.count()).select_from(Departure)) == 0
    walk(db_transaction, at(11, ahead=41), guide="ana")
    walk(db_transaction, at(11), guide="bea")


def test_a_time_range_refuses_only_walks_that_overlap_it(db_transaction):
    build(db_transaction)
    _mark(db_transaction, from_time=time(13), until_time=time(17))
    with pytest.raises(GuideUnavailable):
        walk(db_transaction, at(12), guide="ana")  # until 13:30
    walk(db_transaction, at(11, 30), guide="ana")  # until 13:00: adjacent
    walk(db_transaction, at(17), guide="ana")


def test_on_a_day_with_can_marks_only_walks_inside_them_are_accepted(db_transaction):
    build(db_transaction)
    _mark(db_transaction, available=True, from_time=time(16), until_time=time(20))
    with pytest.raises(GuideUnavailable) as refused:
        walk(db_transaction, at(11), guide="ana")
    assert refused.value.unavailable.only_other_times
    with pytest.raises(GuideUnavailable):
        walk(db_transaction, at(19), guide="ana")  # would end at 20:30
    walk(db_transaction, at(16), guide="ana")
    walk(db_transaction, at(11, ahead=41), guide="ana")  # other days are not limited


def test_marks_are_wall_times_of_the_walks_own_city(db_transaction):
    build(db_transaction)
    # Unavailable from 10:00 to 12:00 on that day: in London that is London's 10:00.
    _mark(db_transaction, from_time=time(10), until_time=time(12))
    with pytest.raises(GuideUnavailable):
        walk(db_transaction, at(10, 30), guide="ana", slug=LONDON)
    walk(db_transaction, at(12), guide="ana", slug=LONDON)
    # 12:00 in London is 13:00 in Bilbao, after the range: a comparison in UTC would refuse
    # a Bilbao walk at 08:00 local (07:00 UTC) only if it got the zones wrong.
    walk(db_transaction, at(8, 30), guide="bea")


def test_a_walk_after_midnight_belongs_to_its_local_day(db_transaction):
    build(db_transaction)
    _mark(db_transaction, ahead=41)  # the whole next day
    # 00:30 in Bilbao on day 41 is 23:30 UTC on day 40: the local day is what counts.
    with pytest.raises(GuideUnavailable):
        walk(db_transaction, at(0, 30, ahead=41), guide="ana")
    walk(db_transaction, at(22), guide="ana")  # day 40 until 23:30: before the mark


def test_marks_across_several_days(db_transaction):
    build(db_transaction)
    with db_transaction() as db_session:
        add_mark(db_session, "ana", day(40), last_day=day(42), available=False, today=day(0))
    for ahead in (40, 41, 42):
        with pytest.raises(GuideUnavailable):
            walk(db_transaction, at(11, ahead=ahead), guide="ana")
    walk(db_transaction, at(11, ahead=43), guide="ana")


def test_assigning_an_unavailable_guide_is_refused(db_transaction):
    build(db_transaction)
    free = walk(db_transaction, at(11))
    _mark(db_transaction)
    with db_transaction() as db_session, pytest.raises(GuideUnavailable):
        assign_guide(db_session, free, "ana")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"last_day": -1}, avail.DAYS_REVERSED),
        ({"from_time": time(10)}, avail.TIMES_INCOMPLETE),
        ({"from_time": time(12), "until_time": time(10)}, avail.TIMES_REVERSED),
        ({"from_time": time(12), "until_time": time(12)}, avail.TIMES_REVERSED),
        ({"note": "x" * 201}, avail.NOTE_TOO_LONG),
        ({"first": -8, "last_day": 1}, avail.IN_THE_PAST),
        ({"last_day": 400}, avail.TOO_LONG),
    ],
)
def test_marks_that_break_a_rule_are_refused_with_the_reason(db_transaction, fields, reason):
    build(db_transaction)
    fields = dict(fields)
    first = day(5 + fields.pop("first", 0))
    if "last_day" in fields:
        fields["last_day"] = first + timedelta(days=fields["last_day"])
    with db_transaction() as db_session, pytest.raises(AvailabilityError) as refused:
        add_mark(db_session, "ana", first, available=False, today=day(0), **fields)
    assert refused.value.reason == reason
    with db_transaction() as db_session:
        assert db_session.scalar(select(func.count()).select_from(AvailabilityMark)) == 0


def test_a_guide_removes_only_their_own_marks(db_transaction):
    build(db_transaction)
    mark = _mark(db_transaction)
    with db_transaction() as db_session, pytest.raises(MarkNotFound):
        remove_mark(db_session, "bea", mark)
    with db_transaction() as db_session:
        assert [m.id for m in marks_of(db_session, "ana", day(0))] == [mark]
        remove_mark(db_session, "ana", mark)
        assert marks_of(db_session, "ana", day(0)) == []


def test_only_free_available_guides_who_speak_the_language_are_offered(db_transaction):
    build(db_transaction)
    walk(db_transaction, at(10), guide="bea")  # Bea is busy at 11:00
    _mark(db_transaction, guide="ana")  # Ana cannot that day
    with db_transaction() as db_session:
        spans, zone = planned_spans(db_session, SLUG, at(11))
        offers = offered_guides(db_session, SLUG, "es", spans, zone)
        assert [(o.guide.id, o.leads_tour) for o in offers] == [("carmen", False)]
        later, zone = planned_spans(db_session, SLUG, at(11, ahead=41))
        offers = offered_guides(db_session, SLUG, "es", later, zone)
        assert [(o.guide.id, o.leads_tour) for o in offers] == [
            ("ana", True),
            ("bea", True),
            ("carmen", False),
        ]
        english = offered_guides(db_session, SLUG, "en", later, zone)
        assert [o.guide.id for o in english] == ["bea"]


def test_a_guide_withdraws_and_the_dashboard_reads_it(db_transaction):
    build(db_transaction)
    led = walk(db_transaction, at(11), guide="ana")
    since = datetime.now(UTC) - timedelta(minutes=1)
    with db_transaction() as db_session, pytest.raises(DepartureNotFound):
        withdraw(db_session, led, "bea")  # not hers: as if it did not exist
    with db_transaction() as db_session:
        withdraw_guide(db_session, Actor("ana@example.org"), led, "ana", "My daughter is ill")
    with db_transaction() as db_session:
        assert get_departure(db_session, led).guide_id is None
        entry = db_session.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action, entry.target) == (
            "ana@example.org",
            "departure.withdraw",
            f"departure:{led}",
        )
        (found,) = recent_withdrawals(db_session, since)
        assert (found.departure_id, found.guide_id, found.guide_name, found.reason) == (
            led,
            "ana",
            "Ana",
            "My daughter is ill",
        )
        assert found.guideless and found.slug == SLUG and found.starts_at.hour == 11
        assert recent_withdrawals(db_session, datetime.now(UTC) + timedelta(minutes=1)) == []


def test_a_cancelled_walk_cannot_be_given_back(db_transaction):
    build(db_transaction)
    led = walk(db_transaction, at(11), guide="ana")
    with db_transaction() as db_session:
        cancel(db_session, led)
    with db_transaction() as db_session, pytest.raises(WithdrawalRefused):
        withdraw(db_session, led, "ana")
