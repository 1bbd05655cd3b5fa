"""Blueprint ``console``: login, the guide's departures, roster, check-in and scripts.

A guide reaches only the departures they lead: anything else answers 404, exactly like
a departure that does not exist.  Coordinators (role ``admin``) reach every departure;
their own pages are in ``webapp.console.admin``.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from guides import debriefs, walk_messages
from guides.accounts import (
    EMAIL_NAME,
    MIN_PASSWORD_LENGTH,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    AccountError,
    HashingBusy,
    PasswordRejected,
    account_for_token,
    authenticate,
    end_sessions,
)
from guides.roster import CheckInRejected, departure_for
from guides.scripts import ScriptConflict, ScriptRejected, shared_script
from tours.booking.departures import DepartureNotFound, slug_of
from tours.errors import TourNotFound
from webapp.actions import accounts as account_actions
from webapp.actions import guides as guide_actions
from webapp.common.assets import asset_url
from webapp.common.database import get_db
from webapp.common.i18n import current_language
from webapp.common.maps import tour_map_html
from webapp.console.auth import console_user, guard_console, open_to_facilitators
from webapp.console.forms import LoginForm, ScriptForm, SetPasswordForm
from webapp.console.pages import SESSION_HEADER, departure_screen, find_stop, kept_until
from webapp.console.throttle import BUSY_RETRY_SECONDS, hash_slots, login_budget

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
bp.before_request(guard_console)


@bp.after_request
def private(response: Response) -> Response:
    """Console pages hold bookers' data: no shared or HTTP cache may keep them.

    An answer given without a session tells the service worker so: it then deletes the
    pages it kept, which a session ended by the idle timeout, a logout elsewhere or a
    disabled account would otherwise leave readable on the phone.
    """
    response.headers.setdefault("Cache-Control", "private, no-store")
    if not current_user.is_authenticated:
        response.headers[SESSION_HEADER] = "none"
    return response


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an absolute URL in ``next`` would be an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("console.index")


@bp.route("/login", methods=["GET", "POST"])
@login_budget
def login() -> Response | str:
    """Log in with email and password; one message for every failure."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            with get_db().transaction(write_lock=True) as db_session:
                result = authenticate(
                    db_session,
                    form.email.data or "",
                    form.password.data or "",
                    _client(),
                    slots=hash_slots(),
                )
                user = console_user(result.account) if result.account else None
        except HashingBusy:
            return _busy(form)
        if user is not None:
            # A new session: nothing from before the login (or from a planted cookie) stays.
            session.clear()
            login_user(user)
            session["seen"] = _now()
            return redirect(_safe_next(request.args.get("next")))
        flash(
            gettext(
                "That email and password do not match, or there were too many attempts. "
                "Check them, or wait a few minutes and try again."
            ),
            "error",
        )
    elif request.method == "POST":
        flash(gettext("Write your email and your password."), "error")
    return render_template("console/login.html", form=form)


def _busy(form: LoginForm) -> Response:
    """Every hash slot of this worker is taken: come back in a few seconds (503)."""
    flash(
        gettext("Many logins are being checked right now. Wait a few seconds and try again."),
        "error",
    )
    response = make_response(render_template("console/login.html", form=form), 503)
    response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
    return response


def _client() -> str:
    return request.remote_addr or "unknown"


def _now() -> int:
    return int(time.time())


@bp.post("/logout")
@open_to_facilitators
def logout() -> Response:
    """Log out: this session and every other session of the account end."""
    with get_db().transaction() as db_session:
        end_sessions(db_session, current_user.account_id)
    logout_user()
    session.clear()
    flash(gettext("You are logged out."))
    return redirect(url_for("console.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Response | str:
    """Choose a password with a one-time link (valid 48 hours)."""
    form = SetPasswordForm()
    with get_db().transaction() as db_session:
        valid = account_for_token(db_session, token) is not None
    if not valid:
        return render_template("console/set_password.html", form=None), 404  # type: ignore[return-value]
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            flash(gettext("The two passwords are not the same."), "error")
        else:
            try:
                with get_db().transaction(write_lock=True) as db_session:
                    account_actions.set_password(db_session, token, form.password.data or "")
            except AccountError as error:
                flash(_password_message(error), "error")
            else:
                flash(gettext("Your password is set. Log in with it."))
                return redirect(url_for("console.login"))
    return render_template("console/set_password.html", form=form)


def _password_message(error: AccountError) -> str:
    """The reason a password was refused, in the interface's language."""
    reason = error.reason if isinstance(error, PasswordRejected) else None
    if reason == TOO_SHORT:
        return ngettext(
            "The password needs at least %(num)d character.",
            "The password needs at least %(num)d characters.",
            MIN_PASSWORD_LENGTH,
        )
    if reason == TOO_LONG:
        return gettext("The password is too long.")
    if reason == TOO_COMMON:
        return gettext(
            "That password is too common or too easy to guess; choose a longer phrase of your own."
        )
    if reason == EMAIL_NAME:
        return gettext(
            "The password is mostly the name of your email address, which is easy to guess."
            " Add words of your own, or choose another phrase."
        )
    return gettext("This link has expired or was used already; ask your coordinator for a new one.")


def _departure_or_404(db_session, departure_id: int):
    try:
        return departure_for(db_session, departure_id, current_user.sees_guide)
    except DepartureNotFound:
        abort(404)


@bp.get("/departures/<int:departure_id>")
def departure(departure_id: int) -> Response:
    """A walk: the roster with check-in, then the stops with the scripts in its language."""
    with get_db().transaction() as db_session:
        found = _departure_or_404(db_session, departure_id)
        try:
            screen = departure_screen(db_session, found)
        except TourNotFound:
            abort(404)
        messages = walk_messages.history(db_session, departure_id)
        debrief = debriefs.debrief_of(db_session, departure_id)
    map_html = tour_map_html(screen.public.stored, found.language)
    page = render_template(
        "console/departure.html",
        screen=screen,
        map_html=map_html,
        can_edit_scripts=bool(current_user.guide_id) and found.guide_id == current_user.guide_id,
        walk_messages=messages,
        debrief=debrief,
        debrief_open=not debriefs.why_not(found),
    )
    return kept_until(make_response(page), found)


@bp.get("/csrf")
def csrf_token() -> Response:
    """A fresh CSRF token for check-ins queued while offline (the page's may be stale)."""
    response = jsonify(token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/departures/<int:departure_id>/check-ins")
def check_in(departure_id: int) -> Response:
    """Mark a booking arrived or no-show; a repeated idempotency key is stored once."""
    data = request.get_json(silent=True) or request.form
    try:
        booking_id = int(data.get("booking_id", ""))
    except (TypeError, ValueError):
        return jsonify(error=gettext("Which booking? The request names none."), code="invalid"), 400
    try:
        with get_db().transaction(write_lock=True) as db_session:
            _departure_or_404(db_session, departure_id)
            mark, new = guide_actions.check_in(
                db_session,
                current_user.actor,
                departure_id,
                booking_id,
                str(data.get("state", "")),
                str(data.get("key", "")),
                current_user.account_id,
            )
            state = mark.state
    except CheckInRejected:
        return jsonify(error=gettext("This check-in cannot be recorded."), code="rejected"), 400
    if not request.is_json:
        return redirect(url_for("console.departure", departure_id=departure_id))
    return jsonify(booking_id=booking_id, state=state, new=new)


@bp.route("/departures/<int:departure_id>/stops/<stop_id>/script", methods=["GET", "POST"])
def edit_script(departure_id: int, stop_id: str) -> Response | str:
    """The guide's own version of a stop's script in the walk's language."""
    with get_db().transaction() as db_session:
        found = _departure_or_404(db_session, departure_id)
        if not current_user.guide_id or found.guide_id != current_user.guide_id:
            abort(403)
        screen = departure_screen(db_session, found)
    stop = find_stop(screen.cached, stop_id)
    if stop is None:
        abort(404)
    language = found.language
    current_shared = shared_script(stop, language)
    own = next(s for s in screen.stops if s.stop.id == stop_id).script
    form = ScriptForm()
    conflict = None
    if request.method == "GET":
        form.text.data = own.text if own.own else current_shared
        form.based_on.data = current_shared
    elif form.validate_on_submit():
        try:
            with get_db().transaction(write_lock=True) as db_session:
                guide_actions.save_script(
                    db_session,
                    current_user.actor,
                    current_user.guide_id,
                    slug_of(db_session, found),
                    stop,
                    language,
                    form.text.data or "",
                    form.based_on.data or "",
                    departure_id=departure_id,
                )
        except ScriptConflict as error:
            conflict = error.current_shared
            form.based_on.data = error.current_shared
        except ScriptRejected:
            flash(gettext("A script may have at most 8000 characters."), "error")
        else:
            flash(gettext("Your version of the script is saved."))
            return redirect(
                url_for("console.departure", departure_id=departure_id) + f"#stop-{stop_id}"
            )
    return render_template(
        "console/script.html",
        screen=screen,
        stop=stop,
        form=form,
        conflict=conflict,
        language=language,
    )


# --- offline: the service worker and the web app manifest -----------------------------


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served under /console/ so that it controls the console."""
    body = render_template("console/sw.js")
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    # A worker obeys the policy it is served with: it must fetch from this site.
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest: the console can be added to a phone's home screen."""
    data = {
        "name": "Bidean — " + gettext("Guide console"),
        "short_name": "Bidean",
        "start_url": url_for("console.index"),
        "scope": url_for("console.index"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#14325c",
        "lang": current_language(),
        "icons": [
            {
                "src": asset_url("app", "img/console-icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    response = jsonify(data)
    response.mimetype = "application/manifest+json"
    return response
