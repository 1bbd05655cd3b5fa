"""What the planning pages say about a refusal or a warning, in the reader's language.

The domain's errors carry what the message needs (the other walk, the guide's mark);
the words are chosen here, with the other walk named by its title, date and time.
"""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy.orm import Session

from guides import availability as avail
from guides.assignment import WithdrawalRefused
from guides.availability import AvailabilityError, GuideUnavailable
from guides.clashes import GuideClash, MeetingWarning
from tours.booking.departures import ScheduleError, get_departure
from tours.booking.models import Departure
from tours.errors import BideanError
from webapp.common.departure_views import departure_date, departure_time, load_departure_view
from webapp.common.i18n import current_language
from webapp.console.wording import schedule_refusal


def walk_name(db_session: Session, departure: Departure) -> dict[str, str]:
    """The title, date and time of a walk, as the reader reads them."""
    view = load_departure_view(db_session, departure, current_language())
    return {
        "title": view.title.text,
        "date": departure_date(view.starts_at),
        "time": departure_time(view.starts_at),
    }


def refusal(db_session: Session, error: BideanError) -> str:
    """Why scheduling or assigning was refused."""
    if isinstance(error, GuideClash):
        return gettext(
            "%(guide)s already leads “%(title)s” on %(date)s at %(time)s. A guide cannot lead "
            "two walks at once: choose another guide or another time.",
            guide=error.guide.display_name,
            **walk_name(db_session, get_departure(db_session, error.other_id)),
        )
    if isinstance(error, GuideUnavailable):
        return unavailable(error)
    if isinstance(error, ScheduleError):
        return schedule_refusal(error)
    return str(error)


def unavailable(error: GuideUnavailable) -> str:
    found = error.unavailable
    names = {
        "guide": error.guide.display_name,
        "date": departure_date(found.local_start),
        "time": departure_time(found.local_start),
    }
    if found.only_other_times:
        message = gettext(
            "%(guide)s is not available on %(date)s at %(time)s: they can guide that day only "
            "at other times.",
            **names,
        )
    else:
        message = gettext(
            "%(guide)s is not available on %(date)s at %(time)s: they said they cannot guide then.",
            **names,
        )
    if found.note:
        message += " " + gettext("Their note: %(note)s", note=found.note)
    return message


def meeting_warning(db_session: Session, warning: MeetingWarning) -> str:
    return gettext(
        "“%(title)s” on %(date)s at %(time)s meets at the same place within 30 minutes: "
        "two groups will wait at one meeting point.",
        **walk_name(db_session, warning.other),
    )


def outside_tours(guide_name: str) -> str:
    return gettext(
        "%(guide)s does not lead this tour (it is not among the tours of their profile): "
        "check that they know it.",
        guide=guide_name,
    )


def mark_refusal(error: AvailabilityError) -> str:
    """Why a mark was not stored."""
    return {
        avail.DAYS_REVERSED: gettext("The last day is before the first day."),
        avail.IN_THE_PAST: gettext("Those days are in the past."),
        avail.TOO_LONG: gettext("Mark at most a year ahead."),
        avail.TIMES_INCOMPLETE: gettext(
            "Give both times of the range, or neither for the whole day."
        ),
        avail.TIMES_REVERSED: gettext("The range must end after it starts."),
        avail.NOTE_TOO_LONG: gettext("The note is too long."),
    }.get(error.reason, str(error))


def withdrawal_refusal(error: WithdrawalRefused) -> str:
    if error.reason == "cancelled":
        return gettext("This walk is cancelled: there is nothing to give back.")
    return gettext("This walk has started: it can no longer be given back.")
