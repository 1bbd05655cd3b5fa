"""The date writer of lists writes what babel writes, in every interface language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_skeleton, format_time

from webapp.common.departure_views import DateWriter

LANGUAGES = ("ar", "de", "en", "es", "eu", "fr", "it", "pl", "pt")


@pytest.mark.parametrize("locale", LANGUAGES)
def test_dates_and_times_as_babel_writes_them(locale):
    writer = DateWriter(locale)
    first = datetime(2027, 3, 6, 9, 5, tzinfo=UTC)
    # Across a change of summer time, in two zones, some walks at the same time of day.
    for hours in (0, 3, 14, 24, 24 * 21, 24 * 21 + 3, 24 * 200 + 17):
        for zone in ("Europe/Madrid", "America/Lima"):
            moment = (first + timedelta(hours=hours)).astimezone(ZoneInfo(zone))
            for _twice in range(2):  # the second time from what the writer kept
                assert writer.short_date(moment) == format_skeleton(
                    "MMMEd", moment, tzinfo=moment.tzinfo, locale=locale
                )
                assert writer.time(moment) == format_time(
                    moment, "short", tzinfo=moment.tzinfo, locale=locale
                )
