"""``bidean sessions add|list|cancel|expire-offers``, ``bidean mail retry``, ``bidean purge``.

Thin commands over ``tours.booking.departures`` and ``webapp.booking.services``: a mistake is
reported with what to change, never a traceback, and nothing is half written.
"""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from tours.booking import departures as deps
from tours.booking.models import Departure
from tours.booking.purge import parse_age, purge_personal_data
from tours.errors import BideanError
from tours.tour.store import current_versions
from webapp.booking import mail
from webapp.booking import services as service
from webapp.common.database import get_db


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _parse_local(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"--at {text!r} is not a date and time: write it like 2027-03-06T11:00.")
    if moment.tzinfo is not None:
        _fail("--at takes the tour's local time without an offset, like 2027-03-06T11:00.")
    return moment


def _parse_date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        _fail(f"--until {text!r} is not a date: write it like 2027-06-26.")
        raise


@click.group("sessions")
def sessions_group() -> None:
    """Schedule, list and cancel tour sessions (departures)."""


@sessions_group.command("add")
@click.argument("slug")
@click.option(
    "--at", "at", required=True, help="Local start in the tour's timezone: 2027-03-06T11:00"
)
@click.option("--language", required=True, help="Language the walk is guided in (es, eu, ar...).")
@click.option("--capacity", required=True, type=int, help="Seats for visitors.")
@click.option("--guide", default=None, help="Guide's id (optional).")
@click.option("--max-party", default=deps.DEFAULT_MAX_PARTY, show_default=True, type=int,
              help="Largest party one booking may bring.")  # fmt: skip
@click.option("--meeting-stop", default=None, help="Stop id to meet at (default: the first stop).")
@click.option("--every", default=None, help="Repeat weekly: saturday, 'saturday,sunday' or day.")
@click.option("--until", default=None, help="Last date of a repeating series: 2027-06-26.")
@with_appcontext
def add_command(
    slug: str,
    at: str,
    language: str,
    capacity: int,
    guide: str | None,
    max_party: int,
    meeting_stop: str | None,
    every: str | None,
    until: str | None,
) -> None:
    """Schedule a session of SLUG, or a weekly series with --every and --until."""
    start = _parse_local(at)
    if (every is None) != (until is None):
        _fail("--every and --until go together: give both for a series, or neither.")
    request = deps.DepartureRequest(
        slug=slug,
        local_start=start,
        language=language,
        capacity=capacity,
        guide=guide,
        max_party=max_party,
        meeting_stop_id=meeting_stop,
    )
    try:
        with get_db().transaction(write_lock=True) as session:
            dates = None
            if every and until:
                dates = deps.series_dates(start.date(), _parse_date(until).date(), every.split(","))
            created = deps.schedule(session, request, dates=dates)
            lines = [_line(d, slug) for d in created]
    except BideanError as error:
        _fail(str(error))
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} session(s) scheduled.")


def _line(departure: Departure, slug: str) -> str:
    local = departure.starts_at.astimezone(deps.tour_zone(departure.timezone))
    seats = f"{departure.seats_taken + departure.seats_held}/{departure.capacity}"
    guide = f" guide {departure.guide}" if departure.guide else ""
    return (
        f"{departure.id:>6}  {slug}  {local:%Y-%m-%d %H:%M %Z}  {departure.language:<5} "
        f"{seats:>7} seats  {departure.status}{guide}"
    )


@sessions_group.command("list")
@click.option("--tour", "slug", default=None, help="Only this tour's sessions.")
@click.option("--all", "show_all", is_flag=True, help="Include cancelled sessions.")
@with_appcontext
def list_command(slug: str | None, show_all: bool) -> None:
    """Upcoming sessions with seats taken (confirmed + held for offers) / capacity."""
    with get_db().transaction() as session:
        if slug is not None and slug not in dict(current_versions(session)):
            _fail(f"There is no tour {slug!r}. `bidean tours` lists the tours there are.")
        found = deps.upcoming(session, slug=slug, include_cancelled=show_all)
        lines = [_line(d, deps.slug_of(session, d)) for d in found]
    if not lines:
        click.echo("No upcoming sessions.")
    for line in lines:
        click.echo(line)


@sessions_group.command("cancel")
@click.argument("departure_id", type=int)
@with_appcontext
def cancel_command(departure_id: int) -> None:
    """Cancel a session; everyone booked or waiting is emailed."""
    try:
        result = service.cancel_departure(departure_id)
    except BideanError as error:
        _fail(str(error))
    if not result.changed:
        _fail(f"Session {departure_id} was already cancelled; nothing was changed or sent.")
    click.echo(
        f"Session {departure_id} cancelled: {result.bookings} booking(s) and "
        f"{result.waiting} waiting-list entr(y/ies) closed, {result.messages} email(s) sent."
    )


@sessions_group.command("expire-offers")
@with_appcontext
def expire_offers_command() -> None:
    """Release lapsed waiting-list offers and offer the seats on (run from cron)."""
    offers = service.expire_lapsed_offers()
    click.echo(f"{len(offers)} new offer(s) made.")


@click.group("mail")
def mail_group() -> None:
    """Outgoing email."""


@mail_group.command("retry")
@with_appcontext
def retry_command() -> None:
    """Send again every message that is pending or failed."""
    results = mail.retry(current_app._get_current_object())  # type: ignore[attr-defined]
    failed = {k: v for k, v in results.items() if v}
    click.echo(f"{len(results) - len(failed)} message(s) sent, {len(failed)} failed.")
    for message_id, error in failed.items():
        click.echo(f"  message {message_id}: {error}", err=True)
    if failed:
        raise SystemExit(1)


@click.command("purge")
@click.option("--older-than", "older_than", required=True, help="Age of sessions, e.g. 90d.")
@with_appcontext
def purge_command(older_than: str) -> None:
    """Remove personal data of sessions older than --older-than, keeping counts."""
    try:
        age = parse_age(older_than)
    except ValueError as error:
        _fail(str(error))
    with get_db().transaction(write_lock=True) as session:
        result = purge_personal_data(session, age)
    click.echo(
        f"Purged {result.bookings} booking(s) and {result.waitlist_entries} waiting-list "
        f"entr(y/ies) of {result.departures} session(s); deleted {result.messages} message(s)."
    )


COMMANDS = [sessions_group, mail_group, purge_command]
