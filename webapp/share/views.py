"""Blueprint ``share``: "Share a place or a story", at ``/share`` (any tour, or none; a
district from the catalogue's link) and at ``/tours/<slug>/share`` (the tour chosen), and
the page that says it was received.

A proposal is never lost: the page's script keeps the text fields in the browser
(``localStorage``) until the received page clears them, and the form carries a one-time
``submission_key``, so a second send of the same form finds the first contribution
instead of making another.  Photos and the recording are stored before the one
transaction that stores the contribution (``receiving.receive``); when that transaction
fails, or finds the form already received, the files it added are removed again.

A form whose field people never see was filled in (a robot) is thanked like anyone and
stored nowhere.  The consent summary is shown back before sending: live, by the page's
script; without it, "Check my choices" sends the form to be checked and shown again with
the summary, storing nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from werkzeug.exceptions import RequestEntityTooLarge

from guides.audit import Actor
from tours.stories.contributions import ConsentGiven, Proposal
from webapp.actions.contributions import Place, withdrawal_link
from webapp.common.database import get_db
from webapp.common.errors import keep_out_of_caches
from webapp.common.forms.consent import wording
from webapp.common.forms.csrf import expired_form_note
from webapp.common.i18n import current_language, format_number
from webapp.common.limits import body_limit, body_limit_bytes
from webapp.common.maps import json_for_script
from webapp.mail import worker
from webapp.share import places
from webapp.share.forms import (
    MAX_PHOTOS,
    OTHER_LANGUAGE,
    ShareForm,
    language_choices,
    new_submission_key,
)
from webapp.share.limiter import share_budget
from webapp.share.receiving import receive
from webapp.share.uploads import Stored, Stores, store_uploads
from webapp.share.wording import summary_lines, summary_templates

bp = Blueprint("share", __name__, template_folder="templates")
keep_out_of_caches(bp)  # forms with their tokens; the received page's withdrawal link

LIMIT_KEY = "SHARE_UPLOAD_MB"
#: Where the page's script keeps the text of a form not yet received.
STORAGE_KEY = "bidean.share.draft"
#: The flask session's note of the contribution just received, for the received page.
RECEIVED = "share_received"
FORM_ENDPOINTS = ("share.share_form", "share.tour_share_form")


def _too_large_message() -> str:
    mb = format_number(float(current_app.config[LIMIT_KEY]), "#,##0.##")
    return gettext(
        "The photos and recording together are larger than %(mb)s MB: choose fewer or smaller"
        " photos, or a shorter recording.",
        mb=mb,
    )


def _page_data(where: places.Where, restore: bool) -> str:
    """What share.js needs, as JSON for a data island (escaped for it)."""
    urls = {"": url_for("share.share_form")}
    urls.update({s.slug: url_for("share.tour_share_form", slug=s.slug) for s in where.tours})
    return json_for_script(
        {
            "storageKey": STORAGE_KEY,
            "restore": restore,  # a fresh form: fill it from the browser's copy
            "summary": summary_templates(where.district),
            "maxBytes": body_limit_bytes(LIMIT_KEY),
            "maxPhotos": MAX_PHOTOS,
            "tourUrls": urls,
            "messages": {
                "tooLarge": _too_large_message(),
                "tooManyPhotos": gettext("Choose at most 5 photos."),
                "pinAt": gettext("Your pin is at %(lat)s, %(lon)s.", lat="%(lat)s", lon="%(lon)s"),
                "noPin": gettext("No pin on the map yet."),
                "pin": gettext("Your pin"),
            },
        }
    )


def _where(form: ShareForm, slug: str | None, lang: str) -> places.Where:
    """The place choices for this form; 404 for an unknown tour in the address."""
    posted = form.is_submitted()
    district = form.district.data if posted else request.args.get("district")
    chosen = (form.tour.data or None) if posted else slug
    with get_db().transaction() as db_session:
        if chosen == slug:
            return places.find(db_session, slug, district, lang)
        if slug:
            places.find(db_session, slug, None, lang)  # an unknown tour's form is not there
        return places.tour_or_none(db_session, chosen, district, lang)


def _offer_choices(form: ShareForm, where: places.Where, lang: str) -> None:
    form.tour.choices = [("", gettext("No particular tour"))] + [
        (summary.slug, summary.title_in(lang).text) for summary in where.tours
    ]
    form.stop.choices = [("", gettext("No stop")), *where.stops]
    form.language.choices = [
        *language_choices(lang, where.content_languages),
        (OTHER_LANGUAGE, gettext("Another language…")),
    ]


def _prepared(slug: str | None) -> tuple[ShareForm, places.Where]:
    lang = current_language()
    form = ShareForm(tour=slug or "")
    form.interface_language = lang
    where = _where(form, slug, lang)
    _offer_choices(form, where, lang)
    if not form.is_submitted():
        form.language.data = lang
        form.district.data = where.district if where.chosen is None else ""
    if not form.key():
        form.submission_key.data = new_submission_key()
    return form, where


def _render(
    form: ShareForm, where: places.Where, slug: str | None, status: int, **extra: Any
) -> tuple[str, int]:
    lang = current_language()
    page = render_template(
        "share/form.html",
        form=form,
        where=where,
        slug=slug,
        tour_title=where.chosen.summary.title_in(lang).text if where.chosen else None,
        map_html=places.pin_map_html(where, lang),
        page_data=_page_data(where, restore=request.method == "GET" or status == 413),
        summary=summary_lines(form.choices(), where.district),
        story_language=form.story_language() or lang,
        expired_note=expired_form_note(form),
        **extra,
    )
    return page, status


def _received(form: ShareForm, where: places.Where, stored: Stored, stores: Stores) -> Response:
    lang = current_language()
    choices = form.choices()
    pin = form.pin()
    stop = form.stop.data or None
    proposal = Proposal(
        language=form.story_language() or lang,
        interface_language=lang,
        title=" ".join((form.title.data or "").split()),
        story=(form.story.data or "").replace("\r\n", "\n").strip(),
        tour_slug=where.chosen.stored.slug if where.chosen else None,
        stop_id=stop,
        lon=pin[0] if pin else None,
        lat=pin[1] if pin else None,
        contact_email=form.email.data or None,
        media=stored.media,
    )
    consent = ConsentGiven(
        choices=choices, wording=wording(choices, where.district), wording_language=lang
    )
    place = places_in_words(form, where)
    try:
        with get_db().transaction(write_lock=True) as db_session:
            contribution, created = receive(
                db_session,
                Actor.public(),
                proposal,
                consent,
                place,
                submission_key=submission_key(form.key(), proposal),
            )
            public_id = contribution.public_id
            kept = [media.key for media in contribution.media]
    except BaseException:
        stored.discard(stores.images, stores.audio)  # nothing of it was kept
        raise
    if not created:
        stored.discard(stores.images, stores.audio, keep=kept)  # the first send's are kept
    session[RECEIVED] = public_id
    worker.wake()
    return redirect(url_for("share.received"), code=303)


def submission_key(form_key: str | None, proposal: Proposal) -> str | None:
    """The key a contribution is stored under: the form's, with its title and story.

    The same form sent twice finds the first contribution; a browser that kept an old
    form's key (its received page never loaded) and now sends another story makes a new one.
    """
    if form_key is None:
        return None
    text = f"{proposal.title}\0{proposal.story}".encode()
    return f"{form_key}.{hashlib.sha256(text).hexdigest()[:16]}"


def places_in_words(form: ShareForm, where: places.Where) -> Place:
    lang = current_language()
    return Place(
        tour_title=where.chosen.summary.title_in(lang).text if where.chosen else None,
        stop_name=dict(where.stops).get(form.stop.data or "") if form.stop.data else None,
        pin=form.pin(),
    )


def _share(slug: str | None) -> Response | tuple[str, int]:
    form, where = _prepared(slug)
    if not form.is_submitted():
        return _render(form, where, slug, 200)
    sent_files = bool(form.photo_files() or form.audio.data)
    if "check" in request.form:  # "Check my choices", without the page's script
        form.validate()
        return _render(form, where, slug, 200, checked=True, files_again=sent_files)
    if form.validate_on_submit():
        if form.is_robot():
            return redirect(url_for("share.received"), code=303)
        stores = Stores.of_app()
        stored = store_uploads(form, stores)
        if stored is not None:
            return _received(form, where, stored, stores)
    return _render(form, where, slug, 422, files_again=sent_files)


@bp.route("/share", methods=["GET", "POST"])
@body_limit(LIMIT_KEY)
@share_budget
def share_form() -> Response | tuple[str, int]:
    """Share a place or a story: any tour, or none."""
    return _share(None)


@bp.route("/tours/<slug>/share", methods=["GET", "POST"])
@body_limit(LIMIT_KEY)
@share_budget
def tour_share_form(slug: str) -> Response | tuple[str, int]:
    """Share a place or a story of this tour."""
    return _share(slug)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Any:
    """A proposal over the size limit gets the form again, saying so beside the photos
    (its text comes back from the browser's copy)."""
    if request.endpoint not in FORM_ENDPOINTS:
        raise error
    slug = (request.view_args or {}).get("slug")
    form = ShareForm(formdata=None, tour=slug or "")
    lang = current_language()
    form.interface_language = lang
    with get_db().transaction() as db_session:
        where = places.find(db_session, slug, None, lang)
    _offer_choices(form, where, lang)
    form.language.data = lang
    form.submission_key.data = new_submission_key()
    form.photos.errors = [_too_large_message()]
    return _render(form, where, slug, 413, files_again=True)


@bp.get("/share/received")
def received() -> str:
    """Thanks, what happens next, and (once) the personal withdrawal link."""
    public_id = session.pop(RECEIVED, None)
    link = withdrawal_link(public_id) if isinstance(public_id, str) else None
    data = json_for_script({"storageKey": STORAGE_KEY, "clear": True})
    return render_template("share/received.html", withdrawal_link=link, page_data=data)
