"""Checking a debrief as written: every wrong field named at once, text tidied, a route
change kept only when one is asked for."""

from __future__ import annotations

import pytest

from guides import debriefs
from guides.debriefs import Answers, DebriefRejected, check_answers


def test_a_good_debrief_is_tidied():
    answers = check_answers(
        {
            "headcount": " 12 ",
            "rating": "5",
            "notes": "  Sunny.\r\nGood questions.\r ",
            "incidents": "",
            "route_change_needed": "1",
            "route_change": "Skip the closed bridge.",
        }
    )
    assert answers == Answers(12, 5, "Sunny.\nGood questions.", "", True, "Skip the closed bridge.")


def test_a_route_change_not_asked_for_is_dropped():
    answers = check_answers({"headcount": "0", "rating": "1", "route_change": "leftover"})
    assert answers.headcount == 0 and not answers.route_change_needed
    assert answers.route_change == ""


@pytest.mark.parametrize(
    ("written", "problems"),
    [
        ({}, {"headcount": debriefs.HEADCOUNT_MISSING, "rating": debriefs.RATING_MISSING}),
        ({"headcount": "two", "rating": "3"}, {"headcount": debriefs.HEADCOUNT_NOT_NUMBER}),
        ({"headcount": "2.5", "rating": "3"}, {"headcount": debriefs.HEADCOUNT_NOT_NUMBER}),
        ({"headcount": "-1", "rating": "3"}, {"headcount": debriefs.HEADCOUNT_RANGE}),
        ({"headcount": "1000", "rating": "3"}, {"headcount": debriefs.HEADCOUNT_RANGE}),
        ({"headcount": "٣", "rating": "3"}, {"headcount": debriefs.HEADCOUNT_NOT_NUMBER}),
        ({"headcount": "3", "rating": "0"}, {"rating": debriefs.RATING_MISSING}),
        ({"headcount": "3", "rating": "6"}, {"rating": debriefs.RATING_MISSING}),
        (
            {"headcount": "3", "rating": "3", "notes": "x" * 5001, "incidents": "a\x00b"},
            {"notes": debriefs.TOO_LONG, "incidents": debriefs.UNSTORABLE},
        ),
        (
            {"headcount": "3", "rating": "3", "route_change_needed": "1", "route_change": " "},
            {"route_change": debriefs.ROUTE_CHANGE_MISSING},
        ),
        (
            {
                "headcount": "3",
                "rating": "3",
                "route_change_needed": "1",
                "route_change": "y" * 2001,
            },
            {"route_change": debriefs.TOO_LONG},
        ),
    ],
)
def test_every_wrong_field_is_named(written, problems):
    with pytest.raises(DebriefRejected) as refused:
        check_answers(written)
    assert refused.value.problems == problems
    assert refused.value.walk == ""
