"""One guide cannot lead two walks at once; two walks meeting at one place are flagged."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from guides.assignment import assign_guide, schedule_with_guide
from guides.clashes import DEFAULT_DURATION, Durations, GuideClash, meeting_point_warnings
from guides.profiles import GuideError
from tests.booking_support import SLUG
from tests.guides.planning_support import LONDON, at, build, walk
from tours.booking.departures import DepartureRequest, cancel, get_departure
from tours.booking.models import Departure


def _count(db_transaction) -> int:
    with db_transaction() as db_session:
        return db_session.scalar(select(func.count()).select_from(Departure))


def test_an_overlapping_walk_is_refused_naming_the_other_and_nothing_is_stored(db_transaction):
    build(db_transaction)
    first = walk(db_transaction, at(11), guide="ana")
    before = _count(db_transaction)
    with pytest.raises(GuideClash) as refused:
        walk(db_transaction, at(12, 29), guide="ana")
    assert refused.value.other_id == first
    assert SLUG in str(refused.value) and "Ana" in str(refused.value)
    assert _count(db_transaction) == before


def test_a_walk_starting_when_the_other_ends_does_not_clash(db_transaction):
    build(db_transaction)
    walk(db_transaction, at(11), guide="ana")  # the Bilbao tour lasts 90 minutes
    walk(db_transaction, at(12, 30), guide="ana")
    walk(db_transaction, at(9, 30), guide="ana")  # ends at 11:00


def test_cancelled_walks_are_ignored(db_transaction):
    build(db_transaction)
    first = walk(db_transaction, at(11), guide="ana")
    with db_transaction() as db_session:
        cancel(db_session, first)
    walk(db_transaction, at(11), guide="ana")


def test_another_guide_at_the_same_time_is_no_clash(db_transaction):
    build(db_transaction)
    walk(db_transaction, at(11), guide="ana")
    walk(db_transaction, at(11, 15), guide="bea")


def test_a_tour_without_a_duration_lasts_two_hours(db_transaction):
    build(db_transaction)
    first = walk(db_transaction, at(11), guide="ana", slug=LONDON)
    with db_transaction() as db_session:
        departure = get_departure(db_session, first)
        assert Durations(db_session)(departure.tour_id) == DEFAULT_DURATION == timedelta(hours=2)
    with pytest.raises(GuideClash):
        walk(db_transaction, at(12, 59), guide="ana", slug=LONDON)
    walk(db_transaction, at(13), guide="ana", slug=LONDON)


def test_walks_in_other_timezones_are_compared_in_real_time(db_transaction):
    build(db_transaction)
    # 11:00 in Bilbao is 10:00 in London: the Bilbao walk runs until 11:30 London time.
    walk(db_transaction, at(11), guide="ana")
    with pytest.raises(GuideClash):
        walk(db_transaction, at(11, 15), guide="ana", slug=LONDON)  # 12:15 in Bilbao
    walk(db_transaction, at(11, 30), guide="ana", slug=LONDON)  # 12:30 in Bilbao: adjacent
    # Its wall time (08:30) is hours before 11:00, but it ends at 10:30 London = 11:30 Bilbao.
    with pytest.raises(GuideClash):
        walk(db_transaction, at(8, 30), guide="ana", slug=LONDON)


def test_a_weekly_series_with_one_clash_is_refused_whole(db_transaction):
    build(db_transaction)
    walk(db_transaction, at(11, ahead=47), guide="ana")
    before = _count(db_transaction)
    request = DepartureRequest(SLUG, at(11), "es", 10, guide_id="ana")
    dates = [at(11).date() + timedelta(days=7 * n) for n in range(3)]
    with db_transaction() as db_session, pytest.raises(GuideClash):
        schedule_with_guide(db_session, request, dates=dates)
    assert _count(db_transaction) == before


def test_assigning_a_busy_guide_is_refused_and_the_same_guide_again_is_not(db_transaction):
    build(db_transaction)
    busy = walk(db_transaction, at(11), guide="ana")
    other = walk(db_transaction, at(11, 30))
    with db_transaction() as db_session, pytest.raises(GuideClash) as refused:
        assign_guide(db_session, other, "ana")
    assert refused.value.other_id == busy
    with db_transaction() as db_session:
        assert get_departure(db_session, other).guide_id is None
        assign_guide(db_session, busy, "ana")  # it has that guide: nothing to refuse
        assert assign_guide(db_session, other, "bea").guide_id == "bea"


def test_a_guide_who_does_not_speak_the_language_is_still_refused(db_transaction):
    build(db_transaction)
    english = walk(db_transaction, at(11), language="en")
    with db_transaction() as db_session, pytest.raises(GuideError, match="does not guide in"):
        assign_guide(db_session, english, "ana")


def test_two_walks_meeting_at_one_place_within_30_minutes_are_flagged(db_transaction):
    build(db_transaction)
    first = walk(db_transaction, at(11), guide="ana")
    near = walk(db_transaction, at(11, 30), guide="bea")
    far = walk(db_transaction, at(12, 1), guide="carmen")
    with db_transaction() as db_session:
        found = meeting_point_warnings(db_session, [get_departure(db_session, near)])
        assert [(w.departure.id, w.other.id) for w in found] == [(near, first)]
        assert meeting_point_warnings(db_session, [get_departure(db_session, far)]) == []
        cancel(db_session, first)
        assert meeting_point_warnings(db_session, [get_departure(db_session, near)]) == []


def test_racing_assignments_of_one_guide_to_overlapping_walks_give_her_only_one(db_transaction):
    """Eight coordinators give Ana eight overlapping walks at the same moment: one wins."""
    build(db_transaction)
    walks = [walk(db_transaction, at(11, 5 * n)) for n in range(8)]
    barrier = threading.Barrier(len(walks), timeout=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(walk_id: int) -> None:
        barrier.wait()
        try:
            with db_transaction(write_lock=True) as db_session:
                assign_guide(db_session, walk_id, "ana")
            outcome = "assigned"
        except GuideClash:
            outcome = "clash"
        except Exception as exc:  # anything else is a bug the test must show
            outcome = f"error: {exc!r}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(w,)) for w in walks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(outcomes) == {"assigned": 1, "clash": 7}
    with db_transaction() as db_session:
        led = select(func.count()).select_from(Departure).where(Departure.guide_id == "ana")
        assert db_session.scalar(led) == 1
