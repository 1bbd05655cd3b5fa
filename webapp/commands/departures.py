"""``bidean sessions (or departures) add|list|cancel|expire-offers``, ``bidean mail``, ``purge``.

Thin commands over the departure and booking actions (``webapp.actions``, which write the
audit records, naming the operating-system user): a mistake is reported with what to
change, never a traceback, and nothing is half written.  Commands that cause emails send
them at once after their transaction (they are not on a visitor's request path);
whatever cannot be sent now is left to the mail worker.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from guides.assignment import leads_tour
from guides.audit import Actor
from guides.clashes import meeting_point_warnings
from tours.booking import departures as deps
from tours.booking.models import Departure
from tours.booking.purge import parse_age, purge_personal_data, vacuum_tables
from tours.db import utcnow
from tours.errors import BideanError
from tours.stories.traces import purge_contacts
from tours.text import counted
from tours.tour.store import current_versions
from webapp.actions import booking as booking_actions
from webapp.actions import departures as departure_actions
from webapp.common.database import get_db
from webapp.mail import transport, worker


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


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
def departures_group() -> None:
    """Schedule, list and cancel departures (walks); `sessions` and `departures` are one group."""


@departures_group.command("add")
@click.argument("slug")
@click.option(
    "--at", "at", required=True, help="Local start in the tour's timezone: 2027-03-06T11:00"
)
@click.option("--language", required=True, help="Language the walk is guided in (es, eu, ar...).")
@click.option(
    "--capacity", required=True, type=click.IntRange(max=10_000), help="Seats for visitors."
)
@click.option("--guide", default=None, help="Guide's id; they must speak --language.")
@click.option("--max-party", default=deps.DEFAULT_MAX_PARTY, show_default=True,
              type=click.IntRange(max=1_000),
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
    """Schedule a departure of SLUG, or a weekly series with --every and --until."""
    start = _parse_local(at)
    if (every is None) != (until is None):
        _fail("--every and --until go together: give both for a series, or neither.")
    request = deps.DepartureRequest(
        slug=slug,
        local_start=start,
        language=language,
        capacity=capacity,
        guide_id=guide,
        max_party=max_party,
        meeting_stop_id=meeting_stop,
    )
    try:
        with get_db().transaction(write_lock=True) as db_session:
            dates = None
            if every and until:
                dates = deps.series_dates(start.date(), _parse_date(until).date(), every.split(","))
            created = departure_actions.schedule_departures(
                db_session, Actor.command_line(), request, dates=dates
            )
            lines = [_line(d, slug) for d in created]
            warnings = _warnings(db_session, created, guide)
    except BideanError as error:
        _fail(str(error))
    for line in lines:
        click.echo(line)
    click.echo(f"{counted(len(lines), 'session')} scheduled.")
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


def _warnings(db_session, created: list[Departure], guide: str | None) -> list[str]:
    """What was scheduled but deserves a second look (never a refusal)."""
    found = []
    if guide and created and not leads_tour(db_session, guide, created[0].tour_id):
        found.append(f"{guide} does not lead this tour (their profile lists other tours).")
    for warning in meeting_point_warnings(db_session, created):
        other = warning.other
        local = other.starts_at.astimezone(deps.tour_zone(other.timezone))
        found.append(
            f"session {warning.departure.id} meets where session {other.id} "
            f"({deps.slug_of(db_session, other)}, {local:%Y-%m-%d %H:%M}) meets, "
            "within 30 minutes of it."
        )
    return found


def _line(departure: Departure, slug: str) -> str:
    local = departure.starts_at.astimezone(deps.tour_zone(departure.timezone))
    seats = f"{departure.seats_taken + departure.seats_held}/{departure.capacity}"
    guide = f" guide {departure.guide_id}" if departure.guide_id else ""
    private = " private (a group's)" if departure.private else ""
    return (
        f"{departure.id:>6}  {slug}  {local:%Y-%m-%d %H:%M %Z}  {departure.language:<5} "
        f"{seats:>7} seats  {departure.status}{guide}{private}"
    )


@departures_group.command("assign")
@click.argument("departure_id", type=int)
@click.option("--guide", default=None, help="Guide's id; they must speak the session's language.")
@click.option("--none", "unassign", is_flag=True, help="Leave the session without a guide.")
@with_appcontext
def assign_command(departure_id: int, guide: str | None, unassign: bool) -> None:
    """Give departure DEPARTURE_ID its guide."""
    if bool(guide) == unassign:
        _fail("Give --guide GUIDE_ID, or --none to leave the session without a guide.")
    try:
        with get_db().transaction(write_lock=True) as db_session:
            assigned = departure_actions.assign_guide(
                db_session, Actor.command_line(), departure_id, guide
            )
            line = _line(assigned.departure, deps.slug_of(db_session, assigned.departure))
            outside = bool(guide) and not leads_tour(
                db_session, guide or "", assigned.departure.tour_id
            )
    except BideanError as error:
        _fail(str(error))
    click.echo(line)
    if outside:
        click.echo(f"Warning: {guide} does not lead this tour.", err=True)


@departures_group.command("list")
@click.option("--tour", "slug", default=None, help="Only this tour's sessions.")
@click.option("--all", "show_all", is_flag=True, help="Include cancelled sessions.")
@with_appcontext
def list_command(slug: str | None, show_all: bool) -> None:
    """Upcoming departures with seats taken (confirmed + held for offers) / capacity."""
    with get_db().transaction() as db_session:
        if slug is not None and slug not in dict(current_versions(db_session)):
            _fail(f"There is no tour {slug!r}. `bidean tours` lists the tours there are.")
        found = deps.upcoming(
            db_session, slug=slug, include_cancelled=show_all, include_private=True
        )
        lines = [_line(d, deps.slug_of(db_session, d)) for d in found]
    if not lines:
        click.echo("No upcoming sessions.")
    for line in lines:
        click.echo(line)


@departures_group.command("cancel")
@click.argument("departure_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def cancel_command(departure_id: int) -> None:
    """Cancel a departure; everyone booked or waiting is emailed."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            result = departure_actions.cancel_departure(
                db_session, Actor.command_line(), departure_id
            )
    except BideanError as error:
        _fail(str(error))
    if not result.changed:
        _fail(f"Session {departure_id} was already cancelled; nothing was changed or sent.")
    outcomes = worker.drain(_app(), result.message_ids)
    sent = sum(1 for o in outcomes if o.result == worker.SENT)
    waiting = len(result.message_ids) - sent
    later = f" ({waiting} left to the mail worker)" if waiting else ""
    click.echo(
        f"Session {departure_id} cancelled: {counted(result.bookings, 'booking')} and "
        f"{counted(result.waiting, 'waiting-list entry', 'waiting-list entries')} closed, "
        f"{counted(sent, 'email')} sent{later}."
    )


@departures_group.command("expire-offers")
@with_appcontext
def expire_offers_command() -> None:
    """Release lapsed waiting-list offers and offer the seats on (run from cron)."""
    with get_db().transaction(write_lock=True) as db_session:
        offers = booking_actions.expire_lapsed_offers(db_session, utcnow())
    worker.drain(_app())
    click.echo(f"{counted(len(offers), 'new offer')} made.")


@click.group("mail")
def mail_group() -> None:
    """Outgoing email."""


@mail_group.command("retry")
@with_appcontext
def retry_command() -> None:
    """Send now every message that failed or waits for its next attempt."""
    outcomes = worker.retry_all(_app())
    failed = [o for o in outcomes if o.result != worker.SENT]
    click.echo(f"{counted(len(outcomes) - len(failed), 'message')} sent, {len(failed)} failed.")
    for outcome in failed:
        click.echo(f"  message {outcome.message_id}: {outcome.error}", err=True)
    if failed:
        raise SystemExit(1)


@mail_group.command("worker")
@click.option("--once", is_flag=True, help="Send what is due, then stop (for cron or tests).")
@with_appcontext
def worker_command(once: bool) -> None:
    """Send queued email until stopped (SIGTERM or Ctrl+C); run one or more per site."""
    app = _app()
    if once:
        worker.purge_imports(app)  # what the running worker does every minute
        worker.run_periodic(app)
        outcomes = worker.drain(app)
        sent = sum(1 for o in outcomes if o.result == worker.SENT)
        click.echo(f"{counted(sent, 'message')} sent, {len(outcomes) - sent} not sent.")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo("Mail worker running (Ctrl+C or SIGTERM to stop).")
    with contextlib.suppress(KeyboardInterrupt):
        worker.run(app, stop)
    click.echo("Mail worker stopped.")


@click.command("purge")
@click.option("--older-than", "older_than", required=True, help="Age of sessions, e.g. 90d.")
@with_appcontext
def purge_command(older_than: str) -> None:
    """Remove personal data of departures older than --older-than, keeping counts.

    Whatever their age, residents who told a story lose their contact address once the
    story is declined or withdrawn and its last email has left, and those emails go too
    (a pending or accepted story keeps it, for its withdrawal link).

    Out of its reach are the copies on guides' phones: the console keeps the rosters a
    guide opened (names, phone numbers) for offline use until Log out, until the server
    next answers that phone without a session, or, after the end of the day after the
    walk, until the console next opens on that phone; a phone that never opens the
    console again keeps them until its browser's site data is cleared. Roster CSV files
    already downloaded are out of its reach too. See docs/reliability.md, "Forgetting
    people".
    """
    try:
        age = parse_age(older_than)
    except ValueError as error:
        _fail(str(error))
    with get_db().transaction(write_lock=True) as db_session:
        result = purge_personal_data(db_session, age)
        # Tellers' addresses follow their own rule (status, not age): tours.stories.traces.
        contacts = purge_contacts(db_session)
    # After the commit: a rolled-back purge must not have deleted anything.
    files = transport.forget_files(_app(), [*result.message_files, *contacts.message_files])
    vacuum_tables(
        get_db().engine, dict.fromkeys([*result.touched_tables(), *contacts.touched_tables()])
    )
    entries = counted(result.waitlist_entries, "waiting-list entry", "waiting-list entries")
    click.echo(
        f"Purged {counted(result.bookings, 'booking')} and {entries} of "
        f"{counted(result.departures, 'session')}; deleted {counted(result.messages, 'message')}"
        f" and {counted(files, 'outbox file')}."
    )
    if result.feedback:
        answers = counted(result.feedback, "feedback answer")
        click.echo(f"Emptied the free text and credit of {answers} not allowed to be quoted.")
    if result.group_requests:
        click.echo(f"Forgot {counted(result.group_requests, 'group request')}.")
    if contacts.contributions or contacts.messages:
        click.echo(
            f"Removed the address of {counted(contacts.contributions, 'teller')} of declined or"
            f" withdrawn stories; deleted {counted(contacts.messages, 'email')} to tellers."
        )
