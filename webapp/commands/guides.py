"""``bidean guides add|list|update|remove`` and
``bidean users add|list|disable|enable|reset-password``.

Thin commands over ``webapp.actions``: the coordinator pages call the same functions, and
every change is written to the audit log, in its transaction, with the actor
``cli:<operating-system user>``.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from guides import accounts
from guides import profiles as prof
from guides.audit import Actor
from guides.models import ROLE_COORDINATOR
from tours.errors import BideanError
from webapp.actions import accounts as account_actions
from webapp.actions import guides as guide_actions
from webapp.common.database import get_db, upgrade
from webapp.common.i18n import LANGUAGES
from webapp.mail.messages import external_url

# `--role admin` was the coordinator role's name until it took the interface's word.
ROLE_ALIASES = {"admin": ROLE_COORDINATOR}


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _texts(pairs: tuple[str, ...], option: str) -> dict[str, str] | None:
    """``("es=Hola", "en=Hello")`` as ``{"es": "Hola", "en": "Hello"}``; None when not given."""
    if not pairs:
        return None
    texts = {}
    for pair in pairs:
        tag, sep, text = pair.partition("=")
        if not sep:
            _fail(f"{option} {pair!r}: write it as LANG=TEXT, for example {option} 'es=Hola'.")
        texts[tag.strip()] = text
    return texts


def _tours(value: str | None) -> list[str] | None:
    return None if value is None else [s.strip() for s in value.split(",") if s.strip()]


@click.group("guides")
@with_appcontext
def guides_group() -> None:
    """Guide profiles: who guides, in which languages, which tours."""
    upgrade(get_db().engine)  # the first account may be made before the first `serve`


@guides_group.command("add")
@click.argument("guide_id")
@click.option("--name", required=True, help="Display name visitors see.")
@click.option("--languages", required=True, help="Languages and levels: es:native,en:fluent")
@click.option("--origin", multiple=True, help="Where they come from: LANG=TEXT (repeatable).")
@click.option("--bio", multiple=True, help="Short biography: LANG=TEXT (repeatable).")
@click.option("--tours", default=None, help="Tours they lead: slug,slug")
@with_appcontext
def add_command(
    guide_id: str, name: str, languages: str, origin: tuple, bio: tuple, tours: str | None
) -> None:
    """Create the profile of guide GUIDE_ID."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            guide = guide_actions.add_guide(
                db_session,
                Actor.command_line(),
                guide_id,
                name,
                languages,
                origin=_texts(origin, "--origin"),
                bio=_texts(bio, "--bio"),
                tours=_tours(tours) or (),
            )
    except BideanError as error:
        _fail(str(error))
    click.echo(f"Guide {guide.id!r} ({guide.display_name}) added.")


@guides_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every guide: id, name, languages with levels, tours."""
    with get_db().transaction() as db_session:
        found = prof.list_guides(db_session)
    if not found:
        click.echo("No guides yet: add one with `bidean guides add`.")
    for guide in found:
        spoken = ",".join(f"{lang.tag}:{lang.level}" for lang in guide.languages)
        click.echo(f"{guide.id}\t{guide.display_name}\t{spoken}\t{','.join(guide.tours)}")


@guides_group.command("update")
@click.argument("guide_id")
@click.option("--name", default=None, help="New display name.")
@click.option("--languages", default=None, help="All languages and levels: es:native,en:fluent")
@click.option("--origin", multiple=True, help="Replace the origin: LANG=TEXT (repeatable).")
@click.option("--bio", multiple=True, help="Replace the biography: LANG=TEXT (repeatable).")
@click.option("--tours", default=None, help="Replace the tours: slug,slug")
@with_appcontext
def update_command(
    guide_id: str,
    name: str | None,
    languages: str | None,
    origin: tuple,
    bio: tuple,
    tours: str | None,
) -> None:
    """Change the given fields of guide GUIDE_ID."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            update = guide_actions.update_guide(
                db_session,
                Actor.command_line(),
                guide_id,
                display_name=name,
                languages=languages,
                origin=_texts(origin, "--origin"),
                bio=_texts(bio, "--bio"),
                tours=_tours(tours),
            )
    except BideanError as error:
        _fail(str(error))
    if update.changed:
        click.echo(f"Guide {update.guide.id!r} updated.")
    else:
        click.echo(f"Guide {update.guide.id!r} already had these values; nothing changed.")


@guides_group.command("remove")
@click.argument("guide_id")
@with_appcontext
def remove_command(guide_id: str) -> None:
    """Delete guide GUIDE_ID (refused while sessions name them)."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            guide_actions.remove_guide(db_session, Actor.command_line(), guide_id)
    except BideanError as error:
        _fail(str(error))
    click.echo(f"Guide {guide_id!r} removed.")


# --- accounts ----------------------------------------------------------------------------


def set_password_url(token: str) -> str:
    return external_url("console.set_password", token=token)


@click.group("users")
@with_appcontext
def users_group() -> None:
    """Console accounts of guides and coordinators."""
    upgrade(get_db().engine)  # the first account may be made before the first `serve`


def _canonical_role(role: str) -> str:
    """The stored role for a ``--role`` value (``admin`` is the old name of ``coordinator``)."""
    return ROLE_ALIASES.get(role, role)


@users_group.command("add")
@click.option("--email", required=True, help="The address they log in with.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["guide", "facilitator", "coordinator", "admin"]),
    callback=lambda _ctx, _param, value: _canonical_role(value),
    help="guide (sees their own walks), facilitator (enters and sees residents' stories)"
    " or coordinator (sees all; `admin` is the old name).",
)
@click.option("--guide", "guide_id", default=None, help="The guide's id (role guide).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--language",
    type=click.Choice(list(LANGUAGES)),
    default=None,
    help="The interface language of the emails the console sends them.",
)
@with_appcontext
def users_add_command(
    email: str, role: str, guide_id: str | None, password_stdin: bool, language: str | None
) -> None:
    """Create an account; without --password-stdin print a one-time set-password link."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        with get_db().transaction(write_lock=True) as db_session:
            new = account_actions.create_account(
                db_session,
                Actor.command_line(),
                email,
                role,
                guide_id=guide_id,
                password=password,
                language=language,
            )
    except BideanError as error:
        _fail(str(error))
    click.echo(f"Account {new.account.email} ({role}) created.")
    if new.token:
        click.echo("Send them this link to choose a password (valid 48 hours, once):")
        click.echo(set_password_url(new.token))


@users_group.command("list")
@with_appcontext
def users_list_command() -> None:
    """Every account: email, role, guide, state."""
    with get_db().transaction() as db_session:
        found = accounts.list_accounts(db_session)
        lines = [
            f"{a.email}\t{a.role}\t{a.guide_id or '-'}\t"
            f"{'active' if a.active else 'disabled'}"
            f"{'' if a.password_hash else ' (no password yet)'}"
            for a in found
        ]
    if not lines:
        click.echo("No accounts yet: create the first with `bidean users add --role coordinator`.")
    for line in lines:
        click.echo(line)


@users_group.command("disable")
@click.argument("email")
@with_appcontext
def users_disable_command(email: str) -> None:
    """Disable the account EMAIL: its sessions end and it cannot log in."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            account, changed = account_actions.disable_account(
                db_session, Actor.command_line(), email
            )
    except BideanError as error:
        _fail(str(error))
    if changed:
        click.echo(f"Account {account.email} disabled.")
    else:
        click.echo(f"Account {account.email} was disabled already; nothing changed.")


@users_group.command("enable")
@click.argument("email")
@with_appcontext
def users_enable_command(email: str) -> None:
    """Enable the account EMAIL again: it can log in with its password."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            account, changed = account_actions.enable_account(
                db_session, Actor.command_line(), email
            )
    except BideanError as error:
        _fail(str(error))
    if changed:
        click.echo(f"Account {account.email} enabled.")
    else:
        click.echo(f"Account {account.email} was enabled already; nothing changed.")


@users_group.command("reset-password")
@click.argument("email")
@with_appcontext
def users_reset_command(email: str) -> None:
    """Forget EMAIL's password and print a new one-time set-password link."""
    try:
        with get_db().transaction(write_lock=True) as db_session:
            account, token = account_actions.reset_password(db_session, Actor.command_line(), email)
    except BideanError as error:
        _fail(str(error))
    click.echo(f"Password of {account.email} reset. Link (valid 48 hours, once):")
    click.echo(set_password_url(token))
