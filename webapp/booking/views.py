"""Booking pages: the form, the confirmation, the signed manage link, the waiting list.

A booking's pages are reachable only through signed links (sent by email and shown
once after booking), never by reference or id, so nobody sees another booker's data.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from wtforms.fields.choices import SelectChoice

from tours.booking import departures as deps
from tours.booking.bookings import BookingRefused, Party, get_booking
from tours.booking.idempotency import KeyReused
from tours.booking.waitlist import (
    EntryNotFound,
    OfferUnavailable,
    WaitlistRefused,
    get_entry,
    get_offer,
)
from tours.db import utcnow
from webapp.actions import links
from webapp.booking import choices
from webapp.booking import transactions as run
from webapp.booking.forms import (
    BookingForm,
    CancelForm,
    ContactForm,
    LeaveWaitlistForm,
    OfferForm,
    WaitlistForm,
    new_idempotency_key,
)
from webapp.booking.limiter import booking_budget
from webapp.booking.messages import booking_ics
from webapp.common.database import get_db
from webapp.common.departure_views import (
    DepartureView,
    departure_date,
    departure_short_date,
    departure_time,
    load_departure_view,
    load_departure_views,
)
from webapp.common.errors import keep_out_of_caches
from webapp.common.forms.csrf import expired_form_note
from webapp.common.i18n import LANGUAGES, content_language, current_language, language_name
from webapp.common.limits import stored_id
from webapp.common.maps import point_map_html
from webapp.common.tourcache import tour_cache

bp = Blueprint("booking", __name__, template_folder="templates")
keep_out_of_caches(bp)  # manage, offer and confirmation pages carry signed links
bp.add_app_template_filter(departure_date, "departure_date")
bp.add_app_template_filter(departure_short_date, "departure_short_date")
bp.add_app_template_filter(departure_time, "departure_time")


def _departure_label(view: DepartureView) -> str:
    if view.full:
        return gettext(
            "%(date)s, %(time)s · %(language)s · full",
            date=departure_short_date(view.starts_at),
            time=departure_time(view.starts_at),
            language=language_name(view.language),
        )
    return ngettext(
        "%(date)s, %(time)s · %(language)s · %(num)d seat left",
        "%(date)s, %(time)s · %(language)s · %(num)d seats left",
        view.seats_left,
        date=departure_short_date(view.starts_at),
        time=departure_time(view.starts_at),
        language=language_name(view.language),
    )


def _prepare(
    form: ContactForm,
    views: list[DepartureView],
    bookable: bool,
    kept: DepartureView | None = None,
) -> DepartureView | None:
    """Fill the departure choices: open departures for booking, full ones for waiting.

    ``kept`` is a full walk the visitor asked for: it stays among the booking choices,
    selected and refused on submit, so that the form never books another one instead.
    Returns the walk the form shows selected."""
    chosen = [v for v in views if (not v.full) == bookable or v is kept]
    form.session.choices = [SelectChoice(str(v.id), _departure_label(v)) for v in chosen]
    form.limits = {str(v.id): v.max_party for v in chosen}
    form.closed = {str(kept.id)} if kept is not None else set()
    if request.method == "GET":
        wanted = request.args.get("session", "")
        if wanted not in form.limits:
            # No walk asked for: the earliest in the visitor's language, when there is one.
            preferred = choices.earliest_in_language(chosen, _walk_language(views))
            wanted = str(preferred.id) if preferred is not None and bookable else ""
        if wanted in form.limits:
            form.session.data = wanted
        if form.language.data not in LANGUAGES:
            form.language.data = current_language()
    return choices.asked_for(chosen, form.session.data) or (chosen[0] if chosen else None)


def _language_without_walks(views: list[DepartureView]) -> str | None:
    """The visitor's language when no walk with seats is guided in it but others are."""
    language = _walk_language(views)
    if request.method != "GET" or all(v.full for v in views):
        return None
    return language if choices.earliest_in_language(views, language) is None else None


def _walk_language(views: list[DepartureView]) -> str:
    """The language the visitor chose (``?lang=``, the cookie, else their browser's)."""
    return content_language(sorted({v.language for v in views}))


def _tour_and_departures(slug: str) -> tuple[object, list[DepartureView]]:
    lang = current_language()
    with get_db().transaction() as db_session:
        cached = tour_cache().get(db_session, slug)
        views = load_departure_views(db_session, deps.upcoming(db_session, slug=slug), lang, slug)
    return cached, views


def _key_reused_note(form: ContactForm) -> str:
    """The form's one-time token was used for other details: a fresh token, and why."""
    form.idempotency_key.data = new_idempotency_key()
    return gettext(
        "This form was already sent with other details. Check them and send the form "
        "again to make a new booking."
    )


@bp.route("/tours/<slug>/book", methods=["GET", "POST"])
@booking_budget
def book(slug: str) -> Response | str | tuple[str, int]:
    """The booking form for a tour's upcoming departures."""
    cached, views = _tour_and_departures(slug)
    form = BookingForm(language=current_language())
    requested = choices.asked_for(views, request.args.get("session"))
    posted = choices.asked_for(views, request.form.get("session"))
    full = next((v for v in (posted, requested) if v is not None and v.full), None)
    shown = _prepare(form, views, bookable=True, kept=full)
    cancelled_request = _cancelled_request(slug, views) if requested is None else None
    waitlist_departure = full.id if full is not None else None
    note = None
    if form.validate_on_submit():
        try:
            result = run.place_booking(
                int(form.session.data),
                Party(**form.party()),
                form.idempotency_key.data,
                endpoint="form",
            )
        except BookingRefused as refused:
            waitlist_departure = _refusal_to_form(form, refused)
        except KeyReused:
            note = _key_reused_note(form)
        except deps.DepartureNotFound:
            form.session.errors = [gettext("Choose one of the dates in the list.")]
        else:
            token = links.manage_token(result.booking, result.departure)
            return redirect(url_for("booking.confirmation", token=token), code=303)
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "booking/form.html",
        details=shown,
        map_html=_meeting_map(shown) if shown else None,
        form=form,
        tour=cached.tour,
        views=views,
        full_walk=full,
        open_walks=[v for v in views if not v.full],
        cancelled_request=cancelled_request,
        waitlist_departure=waitlist_departure,
        no_walk_in=_language_without_walks(views) if requested is None else None,
        expired_note=note or expired_form_note(form),
    )
    return page, status


def _cancelled_request(slug: str, views: list[DepartureView]) -> DepartureView | None:
    """The session named in ``?session=`` when it is one of this tour's cancelled ones."""
    wanted = stored_id(request.args.get("session"))
    if wanted is None:
        return None
    with get_db().transaction() as db_session:
        try:
            departure = deps.get_public_departure(db_session, wanted)
        except deps.DepartureNotFound:
            return None
        view = load_departure_view(db_session, departure, current_language())
    return view if view.cancelled and view.slug == slug else None


def _refusal_to_form(form: ContactForm, refused: BookingRefused) -> int | None:
    """Put the refusal next to the field it concerns; the departure to wait for, if full."""
    if refused.reason == "full" and refused.seats_left <= 0:
        form.session.errors = [_full_walk_message()]
        return refused.departure_id
    if refused.reason == "full":
        form.party_size.errors = [
            ngettext(
                "Only %(num)d seat is left on this session. Book fewer seats, "
                "choose another date, or join the waiting list.",
                "Only %(num)d seats are left on this session. Book fewer seats, "
                "choose another date, or join the waiting list.",
                refused.seats_left,
            )
        ]
        return refused.departure_id
    _common_refusal_to_form(form, refused.reason, refused.max_party)
    return None


def _full_walk_message() -> str:
    return gettext("This walk is full: join its waiting list, or choose another date.")


def _common_refusal_to_form(form: ContactForm, reason: str, max_party: int) -> None:
    """Refusals bookings and waiting-list entries share: too large a group, or no departure."""
    if reason == "party_too_large":
        form.party_size.errors = [
            gettext("At most %(max)s people can book together for this session.", max=max_party)
        ]
    else:
        form.session.errors = [
            gettext("This session has been cancelled or has already started: choose another date.")
        ]


def _booking_from_token(token: str):
    try:
        reference = links.read_manage_token(token)
    except links.LinkExpired:
        abort(410, gettext("This link has expired: the tour has already taken place."))
    except links.LinkInvalid:
        abort(404, gettext("This link is not valid. Check that you copied the whole link."))
    lang = current_language()
    with get_db().transaction() as db_session:
        booking = get_booking(db_session, reference)
        departure = deps.get_departure(db_session, booking.departure_id)
        view = load_departure_view(db_session, departure, lang)
    if departure.starts_at + links.MANAGE_GRACE < utcnow():
        abort(410, gettext("This link has expired: the tour has already taken place."))
    return booking, departure, view


def _meeting_map(view: DepartureView) -> str:
    label = view.meeting.text if view.meeting else view.title.text
    return point_map_html(view.meeting_lonlat, label, current_language())


@bp.get("/bookings/<token>/confirmed")
def confirmation(token: str) -> str:
    """Shown once after booking: reference, date, meeting point and how to cancel."""
    booking, _departure, view = _booking_from_token(token)
    return render_template(
        "booking/confirmation.html",
        booking=booking,
        view=view,
        token=token,
        map_html=_meeting_map(view),
    )


@bp.route("/bookings/<token>", methods=["GET", "POST"])
@booking_budget
def manage(token: str) -> Response | str:
    """The booker's own page (signed link): see the booking, cancel it."""
    booking, departure, view = _booking_from_token(token)
    can_cancel = booking.status == "confirmed" and departure.starts_at > utcnow()
    if request.method == "POST":
        # Cancelling cannot be undone: a post here only leads to the page that asks first.
        return redirect(url_for("booking.cancel", token=token), code=303)
    return render_template(
        "booking/manage.html",
        booking=booking,
        view=view,
        token=token,
        can_cancel=can_cancel,
        just_cancelled=request.args.get("cancelled") == "1",
        map_html=_meeting_map(view) if booking.status == "confirmed" else None,
    )


@bp.route("/bookings/<token>/cancel", methods=["GET", "POST"])
@booking_budget
def cancel(token: str) -> Response | str:
    """Asks before cancelling, since a cancelled booking cannot be restored."""
    booking, departure, view = _booking_from_token(token)
    if booking.status != "confirmed" or departure.starts_at <= utcnow():
        return redirect(url_for("booking.manage", token=token), code=303)
    form = CancelForm()
    if form.validate_on_submit():
        run.cancel_booking(booking.reference)
        return redirect(url_for("booking.manage", token=token, cancelled=1), code=303)
    return render_template(
        "booking/cancel.html", booking=booking, view=view, form=form, token=token
    )


@bp.get("/bookings/<token>/calendar.ics")
def calendar(token: str) -> Response:
    """The booking as a calendar file."""
    booking, departure, view = _booking_from_token(token)
    ics = booking_ics(booking, departure, view, booking.status != "confirmed")
    return Response(
        ics,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="bidean-{booking.reference}.ics"'},
    )


@bp.route("/tours/<slug>/waitlist", methods=["GET", "POST"])
@booking_budget
def join_waitlist(slug: str) -> Response | str | tuple[str, int]:
    """Join the waiting list of a full departure."""
    cached, views = _tour_and_departures(slug)
    form = WaitlistForm(language=current_language())
    _prepare(form, views, bookable=False)
    note = None
    if form.validate_on_submit():
        try:
            joined = run.join_waitlist(
                int(form.session.data),
                Party(**form.party()),
                form.idempotency_key.data,
                endpoint="form",
            )
        except WaitlistRefused as refused:
            _waitlist_refusal_to_form(form, refused)
        except KeyReused:
            note = _key_reused_note(form)
        except deps.DepartureNotFound:
            form.session.errors = [gettext("Choose one of the dates in the list.")]
        else:
            view = next((v for v in views if v.id == joined.entry.departure_id), None)
            return render_template(
                "booking/waitlist_joined.html",
                tour=cached.tour,
                view=view,
                joined=joined,
                leave_token=links.leave_token(joined.entry),
            )
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "booking/waitlist_form.html",
        form=form,
        tour=cached.tour,
        views=views,
        hold_minutes=links.hold_time().total_seconds() / 60,
        # A walk with seats asked for is not swapped silently for a full one: it is named.
        open_walk=next(
            (v for v in views if str(v.id) == request.args.get("session") and not v.full), None
        ),
        expired_note=note or expired_form_note(form),
    )
    return page, status


def _waitlist_refusal_to_form(form: ContactForm, refused: WaitlistRefused) -> None:
    if refused.reason == "seats_available":
        form.party_size.errors = [
            gettext("There are enough seats for your group on this session: book them instead.")
        ]
    else:
        _common_refusal_to_form(form, refused.reason, refused.max_party)


@bp.route("/waitlist/<token>/leave", methods=["GET", "POST"])
@booking_budget
def leave_waitlist(token: str) -> Response | str:
    """Leave a waiting list from the link on its page and in its email, after asking."""
    try:
        entry_id = links.read_leave_token(token)
    except links.LinkInvalid:
        abort(404, gettext("This link is not valid. Check that you copied the whole link."))
    form = LeaveWaitlistForm()
    left = None
    if form.validate_on_submit():
        try:
            left = run.leave_waitlist(entry_id)
        except EntryNotFound:
            abort(404, gettext("This link is not valid. Check that you copied the whole link."))
    with get_db().transaction() as db_session:
        try:
            entry = get_entry(db_session, entry_id)
        except EntryNotFound:
            abort(404, gettext("This link is not valid. Check that you copied the whole link."))
        view = load_departure_view(db_session, entry.departure, current_language())
    return render_template(
        "booking/waitlist_leave.html", entry=entry, view=view, form=form, left=left
    )


@bp.route("/waitlist/offers/<token>", methods=["GET", "POST"])
@booking_budget
def offer(token: str) -> Response | str:
    """Seats offered from the waiting list: take them or let the next party have them."""
    try:
        entry_id, number = links.read_offer_token(token)
    except links.LinkExpired:
        abort(410, gettext("This offer has expired and the seats went to the next in line."))
    except links.LinkInvalid:
        abort(404, gettext("This link is not valid. Check that you copied the whole link."))
    run.expire_lapsed_offers()
    form = OfferForm()
    problem = None
    if form.validate_on_submit():
        try:
            if form.claim.data:
                result = run.claim_offer(entry_id, number)
                booking_token = links.manage_token(result.booking, result.departure)
                return redirect(url_for("booking.confirmation", token=booking_token), code=303)
            run.decline_offer(entry_id, number)
            problem = gettext("You have let the seats go. Thank you for telling us.")
        except (OfferUnavailable, BookingRefused):
            problem = gettext("This offer is no longer open: it was used, declined or expired.")
    with get_db().transaction() as db_session:
        found = get_offer(db_session, entry_id)
        view = load_departure_view(db_session, found.departure, current_language())
    is_open = found.open and found.entry.offer_count == number
    return render_template(
        "booking/offer.html", entry=found.entry, view=view, form=form, open=is_open, problem=problem
    )
