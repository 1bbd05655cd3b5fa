"""Coordinator page (role ``admin``): fork a tour for another city.

``/console/tours/<slug>/fork`` asks for the city (and optionally the new slug and
whether to copy the guides' scripts) and stores the copy as a draft through
``webapp.actions.tours.fork_tour``, exactly as ``bidean fork`` does; see
``tours.content.workflows.fork`` for what is kept, what is marked to do and what is dropped.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from tours.content.workflows.fork import ForkError
from tours.errors import TourNotFound
from tours.tour.store import get_document
from webapp.actions import tours as tour_actions
from webapp.common.database import get_db
from webapp.console.auth import coordinator_required
from webapp.console.forms import ForkForm
from webapp.console.views import bp
from webapp.console.wording import heading_title


@bp.route("/tours/<slug>/fork", methods=["GET", "POST"])
@coordinator_required
def admin_tour_fork(slug: str) -> Response | str:
    """The fork form; a valid POST stores the draft and opens it in the editor."""
    with get_db().transaction() as db_session:
        try:
            get_document(db_session, slug)
        except TourNotFound:
            abort(404)
    form = ForkForm()
    if form.validate_on_submit():
        try:
            with get_db().transaction(write_lock=True) as db_session:
                result = tour_actions.fork_tour(
                    db_session,
                    current_user.actor,
                    slug,
                    form.city.data or "",
                    form.slug.data or None,
                    with_scripts=bool(form.with_scripts.data),
                )
        except TourNotFound:
            abort(404)
        except ForkError:
            flash(
                gettext(
                    "The fork was not made: give the city on one line, and a slug of lowercase"
                    " letters, digits and hyphens that no other tour has."
                ),
                "error",
            )
        else:
            flash(
                ngettext(
                    "Forked %(original)s as the draft %(slug)s for %(city)s, with %(num)d thing"
                    " to do before publishing: place and rewrite its stops here.",
                    "Forked %(original)s as the draft %(slug)s for %(city)s, with %(num)d things"
                    " to do before publishing: place and rewrite its stops here.",
                    len(result.todo),
                    original=slug,
                    slug=result.slug,
                    city=(form.city.data or "").strip(),
                )
            )
            # The fork's stops need placing and rewriting first: that is the editor's work.
            return redirect(url_for("console.admin_tour_edit", slug=result.slug))
    elif form.is_submitted():
        flash(gettext("Give the city of the new tour."), "error")
    try:
        with get_db().transaction() as db_session:
            title = heading_title(db_session, slug)
    except TourNotFound:
        abort(404)
    return render_template("console/admin_tour_fork.html", slug=slug, form=form, tour_title=title)
