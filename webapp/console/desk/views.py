"""The booking desk (coordinators only): ``/console/admin/bookings`` finds bookings across
walks, takes one for someone who phoned, wrote or came by, and moves, resizes or cancels
one; ``/console/admin/departures/<id>/waitlist`` shows a walk's waiting list.

Every write is one action of ``webapp.actions`` in one transaction (audited, emails in
the outbox), the mail worker woken after the commit.  Guides see their own walks' bookings
on their roster; nothing here is theirs (403).
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy.orm import Session

from tours.booking import departures as deps
from tours.booking import waitlist
from tours.booking.bookings import BookingNotFound, BookingRefused, BookingResult, Party
from tours.booking.changes import ChangeRefused
from tours.booking.idempotency import KeyReused
from tours.booking.models import Booking, Departure
from tours.booking.search import MIN_QUERY, get_booking_by_id, search_bookings
from tours.booking.waitlist import WaitlistRefused
from tours.db import run_transaction, utcnow
from webapp.actions import booking as booking_actions
from webapp.actions import booking_desk as desk_actions
from webapp.common.database import get_db
from webapp.common.departure_views import departure_date, departure_time, load_departure_view
from webapp.common.i18n import LANGUAGES, current_language
from webapp.console.auth import coordinator_required
from webapp.console.desk.forms import MoveForm, PartyForm, SearchForm, TakeBookingForm
from webapp.console.desk.pages import booking_lines, walk_choices
from webapp.console.forms import choices
from webapp.console.views import bp
from webapp.mail import worker

PAGE_SIZE = 25
MAX_QUERY = 100  # characters: no name, address or phone is longer
WALKS_LISTED = 200


def refusal_message(refused: BookingRefused | WaitlistRefused, party_size: int) -> str:
    """Why the seats could not be taken, in interface words."""
    if refused.reason == "cancelled":
        return gettext("This walk is cancelled: choose another one.")
    if refused.reason == "started":
        return gettext("This walk has already started: choose another one.")
    if refused.reason == "party_too_large":
        return gettext(
            "At most %(max)s people can book together for this walk.", max=refused.max_party
        )
    return ngettext(
        "This walk is full: %(num)d seat is left, not enough for %(party)d people.",
        "This walk is full: %(num)d seats are left, not enough for %(party)d people.",
        refused.seats_left,
        party=party_size,
    )


def _change_message(refused: ChangeRefused) -> str:
    if refused.reason == "other_tour":
        return gettext("A booking can only move to another walk of the same tour.")
    return gettext("This booking is cancelled: it cannot be changed.")


# --- search -----------------------------------------------------------------------------


@bp.route("/admin/bookings", methods=["GET", "POST"])
@coordinator_required
def admin_bookings() -> tuple[str, int]:
    """Find bookings by name, email, phone or reference, across every walk.

    The search is posted, not put in the address: a name or a phone number in a URL
    would stay in access logs and the browser's history.
    """
    form = SearchForm(request.form)
    text = (form.q.data or "").strip() if request.method == "POST" else ""
    before = request.form.get("before", type=int)
    lines, next_before = [], None
    status = 200
    if request.method == "POST" and len(text) < MIN_QUERY:
        form.q.errors = [gettext("Type at least two characters.")]
        status = 400
    elif len(text) > MAX_QUERY:
        form.q.errors = [gettext("Type at most 100 characters.")]
        status = 400
    elif text:
        with get_db().transaction() as db_session:
            found = search_bookings(db_session, text, limit=PAGE_SIZE, before=before)
            lines = booking_lines(db_session, found.bookings, current_language())
            next_before = found.next_before
    page = render_template(
        "console/admin_bookings.html",
        form=form,
        searched=status == 200 and bool(text),
        lines=lines,
        next_before=next_before,
    )
    return page, status


# --- taking a booking -------------------------------------------------------------------


def _take_form() -> TakeBookingForm:
    form = TakeBookingForm()
    lang = current_language()
    with get_db().transaction() as db_session:
        walks = deps.upcoming(db_session, limit=WALKS_LISTED)
        form.departure.choices = choices(walk_choices(db_session, walks, lang))
    form.language.choices = choices(LANGUAGES.items())
    if request.method == "GET":
        form.departure.data = request.args.get("departure", type=int)
        form.language.data = lang
    return form


@bp.route("/admin/bookings/new", methods=["GET", "POST"])
@coordinator_required
def admin_booking_new() -> Response | tuple[str, int]:
    """Take a booking for someone who phoned, wrote or came by, as online."""
    form = _take_form()
    status = 200
    full = False
    if request.method == "POST":
        status = 400
        if form.validate():
            if request.form.get("waitlist"):
                return _wait(form)
            try:
                result = _take(form)
            except BookingRefused as refused:
                form.departure.errors = [refusal_message(refused, form.party_size.data or 0)]
                full = refused.reason == "full"
                status = 409
            except KeyReused:
                flash(
                    gettext("This form was already sent for another booking: fill in a new one."),
                    "error",
                )
                return redirect(url_for("console.admin_booking_new"))
            else:
                worker.wake()
                if result.replayed:
                    flash(gettext("This booking was already taken: here it is."))
                elif form.email.data:
                    flash(gettext("Booking taken; the confirmation is on its way."))
                else:
                    flash(gettext("Booking taken; without an email address, nothing is sent."))
                return redirect(url_for("console.admin_booking", booking_id=result.booking.id))
    return render_template("console/admin_booking_new.html", form=form, full=full), status


def _wait(form: TakeBookingForm) -> Response | tuple[str, int]:
    """Put the party on the full walk's waiting list instead (offers go out by email)."""
    if not form.email.data:
        form.email.errors = [
            gettext("The waiting list offers seats by email: enter an email address.")
        ]
        return render_template("console/admin_booking_new.html", form=form, full=True), 400
    departure_id = int(form.departure.data)
    try:
        with get_db().transaction(write_lock=True) as db_session:
            joined = booking_actions.join_waitlist(
                db_session,
                current_user.actor,
                departure_id,
                _party(form),
                form.key.data or "",
                endpoint="console",
            )
    except WaitlistRefused as refused:
        form.departure.errors = [
            gettext("This walk has free seats for them: take the booking instead.")
            if refused.reason == "seats_available"
            else refusal_message(refused, form.party_size.data or 0)
        ]
        return render_template("console/admin_booking_new.html", form=form), 409
    except KeyReused:
        flash(
            gettext("This form was already sent for another booking: fill in a new one."),
            "error",
        )
        return redirect(url_for("console.admin_booking_new"))
    worker.wake()
    flash(
        gettext(
            "On the waiting list, in place %(position)d; they are sent an email.",
            position=joined.position,
        )
    )
    return redirect(url_for("console.admin_waitlist", departure_id=departure_id))


def _party(form: TakeBookingForm) -> Party:
    return Party(
        name=(form.name.data or "").strip(),
        email=(form.email.data or "").strip(),
        party_size=form.party_size.data or 0,
        language=form.language.data or current_language(),
        phone=(form.phone.data or "").strip() or None,
        notes=(form.notes.data or "").strip() or None,
    )


def _take(form: TakeBookingForm) -> BookingResult:
    """The booking's one transaction (again when a reference was drawn twice); when full,
    lapsed offers are closed (as online) and the booking tried once more."""
    departure_id = int(form.departure.data)
    party = _party(form)
    origin = booking_actions.Origin(form.source.data or "", bool(form.contact_consent.data))

    def attempt(db_session: Session) -> BookingResult:
        return booking_actions.place_booking(
            db_session,
            current_user.actor,
            departure_id,
            party,
            form.key.data or "",
            endpoint="console",
            origin=origin,
        )

    factory = get_db().sessions
    try:
        return run_transaction(factory, attempt, write_lock=True)
    except BookingRefused as refused:
        if refused.reason != "full" or not _closed_lapsed_offers(departure_id):
            raise
        return run_transaction(factory, attempt, write_lock=True)


def _closed_lapsed_offers(departure_id: int) -> bool:
    """Close the walk's lapsed offers (their seats offered on); False when none had lapsed."""
    db = get_db()
    with db.transaction() as db_session:
        if not booking_actions.lapsed_offers(db_session, utcnow(), departure_id):
            return False
    with db.transaction(write_lock=True) as db_session:
        booking_actions.expire_lapsed_offers(db_session, utcnow(), departure_id)
    return True


# --- one booking: move, party size, cancel ----------------------------------------------


def _booking_page(
    booking_id: int,
    move: MoveForm | None = None,
    party: PartyForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    lang = current_language()
    with get_db().transaction() as db_session:
        booking = _booking_or_404(db_session, booking_id)
        (line,) = booking_lines(db_session, [booking], lang)
        move_choices = choices(walk_choices(db_session, _move_targets(db_session, booking), lang))
    move = move or MoveForm(formdata=None)
    move.departure.choices = move_choices
    party = party or PartyForm(formdata=None, party_size=line.party_size)
    page = render_template(
        "console/admin_booking.html",
        line=line,
        move=move,
        party=party,
        editable=line.status == "confirmed",
    )
    return page, status


def _move_targets(db_session: Session, booking: Booking) -> list[Departure]:
    """The walks a booking may move to: the other upcoming walks of its tour."""
    slug = deps.slug_of(db_session, booking.departure)
    walks = deps.upcoming(db_session, slug=slug, limit=WALKS_LISTED)
    return [walk for walk in walks if walk.id != booking.departure_id]


@bp.get("/admin/bookings/<int:booking_id>")
@coordinator_required
def admin_booking(booking_id: int) -> tuple[str, int]:
    """One booking: who, how many, which walk; move it, change its size, cancel it."""
    return _booking_page(booking_id)


def _booking_or_404(db_session: Session, booking_id: int) -> Booking:
    try:
        return get_booking_by_id(db_session, booking_id)
    except BookingNotFound:
        abort(404)


def _reference(booking_id: int) -> str:
    with get_db().transaction() as db_session:
        return _booking_or_404(db_session, booking_id).reference


@bp.post("/admin/bookings/<int:booking_id>/move")
@coordinator_required
def admin_booking_move(booking_id: int) -> Response | tuple[str, int]:
    """Move the booking to another walk of its tour; the booker gets one email."""
    form = MoveForm()
    with get_db().transaction() as db_session:
        booking = _booking_or_404(db_session, booking_id)
        reference, party_size = booking.reference, booking.party_size
        # Its own walk too: a second submit of a move that was done changes nothing.
        allowed = [walk.id for walk in _move_targets(db_session, booking)]
        allowed.append(booking.departure_id)
    form.departure.choices = choices((walk_id, str(walk_id)) for walk_id in allowed)
    if not form.validate():
        return _booking_page(booking_id, move=form, status=400)
    try:
        with get_db().transaction(write_lock=True) as db_session:
            moved = desk_actions.move_booking(
                db_session, current_user.actor, reference, int(form.departure.data)
            )
            view = load_departure_view(db_session, moved.departure, current_language())
    except BookingRefused as refused:
        form.departure.errors = [refusal_message(refused, party_size)]
        return _booking_page(booking_id, move=form, status=409)
    except (ChangeRefused, deps.DepartureNotFound) as refused:
        message = (
            _change_message(refused)
            if isinstance(refused, ChangeRefused)
            else gettext("Choose one of the walks in the list.")
        )
        form.departure.errors = [message]
        return _booking_page(booking_id, move=form, status=409)
    worker.wake()
    if not moved.changed:
        flash(gettext("The booking already is on that walk: nothing changed or sent."))
    else:
        flash(
            gettext(
                "Booking moved to %(date)s, %(time)s; the booker is sent one email about it.",
                date=departure_date(view.starts_at),
                time=departure_time(view.starts_at),
            )
        )
    return redirect(url_for("console.admin_booking", booking_id=booking_id))


@bp.post("/admin/bookings/<int:booking_id>/party")
@coordinator_required
def admin_booking_party(booking_id: int) -> Response | tuple[str, int]:
    """Change the number of people, by the seat rule."""
    reference = _reference(booking_id)
    form = PartyForm()
    if not form.validate():
        return _booking_page(booking_id, party=form, status=400)
    size = form.party_size.data or 0
    try:
        with get_db().transaction(write_lock=True) as db_session:
            resized = desk_actions.resize_booking(db_session, current_user.actor, reference, size)
    except BookingRefused as refused:
        form.party_size.errors = [refusal_message(refused, size)]
        return _booking_page(booking_id, party=form, status=409)
    except ChangeRefused as refused:
        form.party_size.errors = [_change_message(refused)]
        return _booking_page(booking_id, party=form, status=409)
    worker.wake()
    if resized.changed:
        flash(gettext("Number of people changed; the booker is sent the confirmation again."))
    else:
        flash(gettext("The booking already was for that many people: nothing changed."))
    return redirect(url_for("console.admin_booking", booking_id=booking_id))


@bp.post("/admin/bookings/<int:booking_id>/cancel")
@coordinator_required
def admin_booking_cancel(booking_id: int) -> Response:
    """Cancel the booking as the booker would: seats to the waiting list, an email."""
    reference = _reference(booking_id)
    with get_db().transaction(write_lock=True) as db_session:
        result = booking_actions.cancel_booking(db_session, current_user.actor, reference)
    worker.wake()
    if result.changed:
        flash(gettext("Booking cancelled; the booker is sent an email."))
    else:
        flash(gettext("This booking was already cancelled: nothing was changed or sent."))
    return redirect(url_for("console.admin_booking", booking_id=booking_id))


# --- a walk's waiting list --------------------------------------------------------------


@bp.get("/admin/departures/<int:departure_id>/waitlist")
@coordinator_required
def admin_waitlist(departure_id: int) -> str:
    """The walk's waiting list in order, and its free seats to offer now."""
    with get_db().transaction() as db_session:
        try:
            departure = deps.get_departure(db_session, departure_id)
        except deps.DepartureNotFound:
            abort(404)
        view = load_departure_view(db_session, departure, current_language())
        entries = waitlist.open_entries(db_session, departure_id)
    return render_template("console/admin_waitlist.html", view=view, entries=entries)


@bp.post("/admin/departures/<int:departure_id>/waitlist/offer")
@coordinator_required
def admin_waitlist_offer(departure_id: int) -> Response:
    """Offer the walk's free seats to the waiting list now, in order, by email."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            offers = desk_actions.offer_seats_now(db_session, current_user.actor, departure_id)
    except deps.DepartureNotFound:
        abort(404)
    worker.wake()
    if offers:
        flash(
            ngettext(
                "Seats offered to %(num)d party; they are sent an email.",
                "Seats offered to %(num)d parties; they are sent an email.",
                len(offers),
            )
        )
    else:
        flash(gettext("No one on the list fits the free seats: nothing was offered."))
    return redirect(url_for("console.admin_waitlist", departure_id=departure_id))
