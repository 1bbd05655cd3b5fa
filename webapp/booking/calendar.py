"""Calendar files (.ics) for bookings: one VEVENT in the tour's own timezone.

The UID is derived from the booking reference (``booking-<reference>@<domain>``) so a
calendar that imported the confirmation recognises the cancellation as the same event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

PRODID = "-//Bidean//Walking tour bookings//EN"


@dataclass(frozen=True)
class CalendarEvent:
    reference: str
    domain: str
    starts_at: datetime
    timezone: str
    duration_minutes: int
    summary: str
    description: str
    location_name: str
    lon: float
    lat: float
    url: str
    cancelled: bool = False
    revised: bool = False  # replaces the event of an earlier file (the booking moved)

    @property
    def uid(self) -> str:
        return f"booking-{self.reference}@{self.domain}"

    @property
    def sequence(self) -> int:
        """A revision or a cancellation must outrank the published event it replaces."""
        return 1 if self.cancelled or self.revised else 0


def booking_calendar(event: CalendarEvent, *, now: datetime | None = None) -> bytes:
    """An iCalendar file: METHOD PUBLISH (or CANCEL), a VTIMEZONE and the VEVENT."""
    zone = ZoneInfo(event.timezone)
    start = event.starts_at.astimezone(zone)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if event.cancelled else "PUBLISH")
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    vevent.add("dtstart", start)
    vevent.add("dtend", start + timedelta(minutes=max(event.duration_minutes, 1)))
    vevent.add("summary", event.summary)
    vevent.add("description", event.description)
    vevent.add("location", f"{event.location_name} ({event.lat:.6f}, {event.lon:.6f})")
    vevent.add("geo", (event.lat, event.lon))  # iCalendar's GEO is latitude first
    vevent.add("url", event.url)
    vevent.add("sequence", event.sequence)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    # The VTIMEZONE is the same for every booking in a zone and year: splice in its
    # cached bytes where icalendar would write it, between the calendar's properties
    # and the event (``tests/webapp/test_mail.py`` checks the result is byte-identical).
    head = cal.to_ical()
    assert head.endswith(_CALENDAR_END)
    return (
        head[: -len(_CALENDAR_END)]
        + _vtimezone_ical(event.timezone, start.year)
        + vevent.to_ical()
        + _CALENDAR_END
    )


_CALENDAR_END = b"END:VCALENDAR\r\n"


@lru_cache(maxsize=64)
def _vtimezone_ical(tzid: str, year: int) -> bytes:
    return _vtimezone(tzid, year).to_ical()


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, year: int) -> icalendar.Timezone:
    """The zone's transitions around ``year`` only: a few hundred bytes, not 68 years.

    Cached: working out the transitions is the slowest step of writing a calendar file.
    """
    return icalendar.Timezone.from_tzid(
        tzid, first_date=date(year - 1, 1, 1), last_date=date(year + 1, 12, 31)
    )
