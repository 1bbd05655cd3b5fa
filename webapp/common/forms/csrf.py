"""What a form page says when its CSRF check failed, in the visitor's language."""

from __future__ import annotations

from flask_babel import gettext
from flask_wtf import FlaskForm


def expired_form_note(form: FlaskForm) -> str | None:
    """Flask-WTF's own CSRF message is not ours to translate: say it our way."""
    token_field = getattr(form, "csrf_token", None)
    if token_field is not None and token_field.errors:
        return gettext(
            "This page was open for a long time and its security check expired. "
            "Your details are still here: check them and send the form again."
        )
    return None
