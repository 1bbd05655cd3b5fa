"""The accounts pages: create an account (its set-password link mailed in its language),
a new link, disable after a confirmation, enable again.

They call the same actions as ``bidean users``; a refusal is shown in interface words
(``sentences.account_refusal``), never in the command line's.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from guides import accounts
from guides import profiles as prof
from guides.accounts import AccountError, AccountExists
from guides.models import UserAccount
from webapp.actions import accounts as account_actions
from webapp.common.database import get_db
from webapp.common.i18n import current_language
from webapp.common.urls import public_url_for
from webapp.console.auth import coordinator_required
from webapp.console.forms import AccountForm, ConfirmForm, choices
from webapp.console.views import bp
from webapp.console.wording import account_refusal, interface_languages
from webapp.mail import messages, worker

messages.register_subjects(
    {"set_password": lazy_gettext("Your Bidean console account: choose a password")}
)


def _account_form(db_session, *, empty: bool = False) -> AccountForm:
    """The new-account form; ``empty`` after an account was made, so nothing is kept."""
    form = AccountForm(formdata=None) if empty else AccountForm()
    guides = [(g.id, g.display_name) for g in prof.list_guides(db_session)]
    form.guide.choices = choices([("", "—"), *guides])
    form.language.choices = choices(interface_languages())
    if empty or not form.is_submitted():
        form.language.data = current_language()
    return form


def _link(token: str) -> str:
    # Built on PUBLIC_URL, never on the request's Host: the link is also emailed.
    return public_url_for("console.set_password", token=token)


def _mail_link(db_session, account: UserAccount, link: str) -> None:
    """Queue the set-password link in the account's language, in the caller's transaction."""
    # An account made before accounts had a language: the coordinator's, as it was.
    language = account.language or current_language()
    message = messages.compose(
        "set_password", account.email, language, {"email": account.email, "link": link}
    )
    messages.record(db_session, "set_password", message, None)
    flash(gettext("The set-password link was emailed to %(email)s.", email=account.email))


def _page(form: AccountForm, status: int = 200, **context: Any) -> tuple[str, int]:
    with get_db().transaction() as db_session:
        found = accounts.list_accounts(db_session)
        # A guide's account names the guide, not the profile's id.
        guide_names = {g.id: g.display_name for g in prof.list_guides(db_session)}
    page = render_template(
        "console/admin_accounts.html",
        accounts=found,
        guide_names=guide_names,
        form=form,
        confirm=ConfirmForm(),
        me=current_user.email,
        **{"link": None, "refusal": None, "disabled_match": None, **context},
    )
    return page, status


@bp.route("/admin/accounts", methods=["GET", "POST"])
@coordinator_required
def admin_accounts() -> tuple[str, int]:
    """Every account; create one and get its set-password link."""
    with get_db().transaction() as db_session:
        form = _account_form(db_session)
    if not form.validate_on_submit():
        return _page(form, 422 if form.errors else 200)
    try:
        with get_db().transaction(write_lock=True) as db_session:
            new = account_actions.create_account(
                db_session,
                current_user.actor,
                form.email.data or "",
                form.role.data or "",
                guide_id=form.guide.data or None,
                language=form.language.data or current_language(),
            )
            assert new.token is not None  # no password is given here
            _mail_link(db_session, new.account, _link(new.token))
    except AccountExists as error:
        # A disabled account's address: offer to enable it rather than a dead end.
        match = error.account_id if not error.active else None
        return _page(form, 409, refusal=account_refusal(error), disabled_match=match)
    except AccountError as error:
        return _page(form, 422, refusal=account_refusal(error))
    worker.wake()
    with get_db().transaction() as db_session:
        fresh = _account_form(db_session, empty=True)
    return _page(fresh, link=_link(new.token))


def _account(db_session, account_id: int) -> UserAccount:
    account = db_session.get(UserAccount, account_id)
    if account is None:
        abort(404)
    return account


@bp.post("/admin/accounts/<int:account_id>/link")
@coordinator_required
def admin_account_link(account_id: int) -> tuple[str, int]:
    """A new one-time set-password link (the old password stops working)."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            email = _account(db_session, account_id).email
            account, token = account_actions.reset_password(db_session, current_user.actor, email)
            _mail_link(db_session, account, _link(token))
    except AccountError as error:
        with get_db().transaction() as db_session:
            form = _account_form(db_session, empty=True)
        return _page(form, 409, refusal=account_refusal(error), disabled_match=account_id)
    worker.wake()
    with get_db().transaction() as db_session:
        form = _account_form(db_session, empty=True)
    return _page(form, link=_link(token))


@bp.route("/admin/accounts/<int:account_id>/disable", methods=["GET", "POST"])
@coordinator_required
def admin_account_disable(account_id: int) -> Response | tuple[str, int]:
    """Disable an account after a confirmation: it cannot log in, and its sessions end."""
    form = ConfirmForm()
    with get_db().transaction() as db_session:
        account = _account(db_session, account_id)
        email, active = account.email, account.active
    if not form.validate_on_submit():
        return render_template(
            "console/admin_account_disable.html", email=email, active=active, confirm=form
        ), 200
    try:
        with get_db().transaction(write_lock=True) as db_session:
            _, changed = account_actions.disable_account(db_session, current_user.actor, email)
    except AccountError as error:
        with get_db().transaction() as db_session:
            fresh = _account_form(db_session, empty=True)
        return _page(fresh, 409, refusal=account_refusal(error))
    flash(
        gettext("Account disabled.") if changed else gettext("This account was disabled already.")
    )
    return redirect(url_for("console.admin_accounts"))


@bp.post("/admin/accounts/<int:account_id>/enable")
@coordinator_required
def admin_account_enable(account_id: int) -> Response:
    """Enable a disabled account again: it can log in with the password it had."""
    with get_db().transaction(write_lock=True) as db_session:
        email = _account(db_session, account_id).email
        _, changed = account_actions.enable_account(db_session, current_user.actor, email)
    flash(
        gettext("Account %(email)s enabled: it can log in again.", email=email)
        if changed
        else gettext("This account was enabled already.")
    )
    return redirect(url_for("console.admin_accounts"))
