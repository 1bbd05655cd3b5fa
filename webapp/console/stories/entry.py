"""Workshops: a facilitator enters a story a resident told, with how consent was given
(``/console/contributions/new``), and the printable consent form in every interface
language, in the same words as the web form (``/console/contributions/consent-form``).

The photos go through the media store (checked, re-encoded, metadata stripped) and the
recording through the audio store (type sniffed, length measured) before the
contribution is stored; the consent record keeps the summary in the language the
questions were asked in (``consent_language``), as the web form keeps the one it showed.
"""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice

from tours.stories.consent import CONSENT_VERSION
from tours.stories.contributions import (
    ConsentGiven,
    ConsentRefused,
    Proposal,
    StoredMedia,
)
from tours.stories.models import AUDIO, IMAGE
from webapp.actions import contributions as actions
from webapp.common.database import get_db
from webapp.common.forms import consent as words
from webapp.common.i18n import LANGUAGES, current_language
from webapp.common.limits import body_limit
from webapp.console.auth import contributions_required
from webapp.console.forms import choices
from webapp.console.stories import pages
from webapp.console.stories.forms import EntryForm, new_submission_key
from webapp.console.views import bp
from webapp.console.wording import interface_languages, language_choices
from webapp.media.audio import (
    NOT_AUDIO,
    TOO_LARGE,
    TOO_LONG,
    AudioError,
    audio_store,
)
from webapp.media.store import MediaError, store_for

UPLOAD_LIMIT_KEY = "CONSOLE_CONTRIBUTION_MB"


def _form(places: pages.Places) -> EntryForm:
    form = EntryForm()
    form.stop.choices = [
        SelectChoice("", "—"),
        *(SelectChoice(v, name, optgroup=title) for v, name, title in places.stop_choices()),
    ]
    form.language.choices = choices(language_choices())
    form.interface_language.choices = choices(interface_languages())
    form.consent_language.choices = choices(interface_languages())
    if not form.is_submitted():
        here = current_language()
        form.submission_key.data = new_submission_key()
        form.language.data = form.interface_language.data = form.consent_language.data = here
    return form


def _page(form: EntryForm, status: int = 200) -> tuple[str, int]:
    return render_template("console/contribution_new.html", form=form, words=words), status


def _audio_refusal(error: AudioError) -> str:
    if error.code == TOO_LARGE:
        return gettext("This recording is larger than 20 MB: record a shorter one.")
    if error.code == TOO_LONG:
        return gettext("This recording lasts more than 10 minutes: record a shorter one.")
    if error.code == NOT_AUDIO:
        return gettext("This file is not a recording Bidean takes: use Ogg, WebM, MP3, M4A or WAV.")
    return gettext("This recording is damaged or cut short: record or export it again.")


def _files(form: EntryForm) -> tuple[list[FileStorage], FileStorage | None]:
    photos = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
    audio = request.files.get(form.audio.name)
    return photos, audio if audio and audio.filename else None


def _stored_media(form: EntryForm) -> list[StoredMedia] | None:
    """Store the photos and the recording; None (errors beside the fields) when refused."""
    photos, audio = _files(form)
    stored: list[StoredMedia] = []
    images = store_for(current_app)
    for upload in photos:
        data = upload.read()
        try:
            image = images.add(data, upload.filename or "photo")
        except MediaError:
            form.photos.errors = [
                gettext(
                    "%(name)s cannot be used: send a JPEG, PNG, WebP or GIF photo of at most "
                    "20 MB and 40 megapixels.",
                    name=upload.filename or "",
                )
            ]
            return None
        stored.append(StoredMedia(IMAGE, image.key, "image/webp", len(data)))
    if audio is not None:
        try:
            recording = audio_store(current_app).add(audio.read())
        except AudioError as error:
            form.audio.errors = [_audio_refusal(error)]
            return None
        stored.append(
            StoredMedia(
                AUDIO,
                recording.key,
                recording.mime,
                recording.size_bytes,
                recording.duration_seconds,
            )
        )
    return stored


def _consent(form: EntryForm, district: str | None) -> ConsentGiven:
    """The choices and the words they were asked in, in the language they were asked in."""
    language = form.consent_language.data if form.consent_language.data in LANGUAGES else "en"
    choices_given = form.choices_given()
    with force_locale(language):
        text = words.wording(choices_given, district)
    return ConsentGiven(
        choices=choices_given,
        wording=text,
        wording_language=language,
        method=form.method.data or "",
        paper_reference=form.paper_reference.data or None,
        witness=form.witness.data or None,
        wording_version=CONSENT_VERSION,
    )


@bp.route("/contributions/new", methods=["GET", "POST"])
@body_limit(UPLOAD_LIMIT_KEY)
@contributions_required
def contribution_new() -> Response | tuple[str, int]:
    """A story told at a workshop, entered on the teller's behalf with their consent."""
    with get_db().transaction() as db_session:
        places = pages.Places(db_session)
        form = _form(places)
        slug, _, stop_id = (form.stop.data or "").partition(":")
        district = places.district(slug) if form.is_submitted() else None
    if not form.is_submitted():
        return _page(form)
    valid = form.validate()
    refused = form.consent_errors()
    if not valid or refused:
        return _page(form, 422)
    media = _stored_media(form)
    if media is None:
        return _page(form, 422)
    proposal = Proposal(
        language=form.language.data or "",
        interface_language=form.interface_language.data or current_language(),
        title=form.title.data or "",
        story=form.story.data or "",
        tour_slug=slug or None,
        stop_id=stop_id or None,
        lon=form.lon.data,
        lat=form.lat.data,
        contact_email=form.contact_email.data or None,
        media=media,
    )
    try:
        with get_db().transaction(write_lock=True) as db_session:
            found, created = actions.enter_for_resident(
                db_session,
                current_user.actor,
                proposal,
                _consent(form, district),
                submission_key=form.submission_key.data or None,
            )
            contribution_id = found.id
    except ConsentRefused:  # the same rules as the form's: only a form changed in between
        form.consent_errors()
        return _page(form, 422)
    flash(
        gettext("The story is entered and waits for a coordinator's decision.")
        if created
        else gettext("This form was sent already: the story was entered once."),
        "success",
    )
    return redirect(url_for("console.contribution", contribution_id=contribution_id))


@bp.get("/contributions/consent-form")
@contributions_required
def consent_form() -> str:
    """The consent form to print for a workshop, in the page's language (``?lang=xx``):
    the web form's questions and options, boxes to tick, lines to fill, a reference."""
    return render_template(
        "console/consent_form.html",
        words=words,
        version=CONSENT_VERSION,
        languages=interface_languages(),
        here=current_language(),
    )
