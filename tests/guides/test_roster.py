"""How long a phone keeps a walk's roster."""

from __future__ import annotations

from datetime import UTC, datetime

from guides.roster import roster_kept_until
from tours.booking.models import Departure


def test_a_roster_is_kept_through_the_day_after_its_walk_in_the_walks_timezone():
    # 23:30 in Madrid on Saturday 28 March 2026 (22:30 UTC); the clocks go forward that
    # night, so the Monday midnight that ends Sunday is 22:00 UTC.
    late = Departure(starts_at=datetime(2026, 3, 28, 22, 30, tzinfo=UTC), timezone="Europe/Madrid")
    assert roster_kept_until(late) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
