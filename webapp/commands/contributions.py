"""``bidean contributions list|show|withdraw``: residents' contributions for coordinators.

``withdraw`` is the action a teller's personal link runs (``webapp.actions.withdrawal``),
for a teller who asks a coordinator instead: the audit record names the operating-system
user (``cli:<user>``); it asks for confirmation unless ``--yes``, and sends the teller's
confirmation at once (what cannot be sent now is left to the mail worker).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from guides.audit import Actor
from tours.stories.contributions import ContributionNotFound, get, listed
from tours.stories.models import STATUSES, Contribution
from tours.text import counted
from webapp.actions.withdrawal import MediaStores, WithdrawalResult, withdraw_contribution
from webapp.commands import with_database
from webapp.common.database import get_db
from webapp.mail import worker
from webapp.media.audio import audio_store
from webapp.media.store import store_for


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


@click.group("contributions")
def contributions_group() -> None:
    """Residents' contributions: list, show, withdraw on the teller's request."""


@contributions_group.command("list")
@click.option(
    "--status",
    type=click.Choice([*STATUSES, "all"]),
    default="all",
    show_default=True,
    help="Only contributions of this status.",
)
@with_database
def list_command(status: str) -> None:
    """List contributions: id, public id, status, date, language, title; oldest first."""
    with get_db().transaction() as db_session:
        rows = listed(db_session, None if status == "all" else status, limit=10_000)
        lines = [
            "\t".join(
                (
                    str(c.id),
                    c.public_id,
                    c.status,
                    c.created_at.strftime("%Y-%m-%d"),
                    c.language,
                    _one_line(c.title) or "-",
                )
            )
            for c in rows
        ]
    if not lines:
        click.echo("No contributions." if status == "all" else f"No {status} contributions.")
        return
    click.echo("id\tpublic id\tstatus\tdate\tlanguage\ttitle")
    for line in lines:
        click.echo(line)


def _show_lines(c: Contribution) -> Iterable[str]:
    place = ", ".join(
        part
        for part in (
            f"tour {c.tour_slug}" if c.tour_slug else "",
            f"stop {c.stop_id}" if c.stop_id else "",
            f"pin {c.lon}, {c.lat}" if c.lon is not None and c.lat is not None else "",
        )
        if part
    )
    fields: list[tuple[str, Any]] = [
        ("id", c.id),
        ("public id", c.public_id),
        ("status", c.status),
        ("sent", _when(c.created_at)),
        ("decided", _when(c.decided_at)),
        ("withdrawn", _when(c.withdrawn_at)),
        ("place", place or "-"),
        ("language", c.language),
        ("interface language", c.interface_language),
        ("contact", c.contact_email or "-"),
        ("entered by", c.entered_by or "-"),
        ("accepted into", " ".join(filter(None, (c.accepted_tour, c.accepted_stop))) or "-"),
        ("decline reason", c.decline_reason or "-"),
        ("title", c.title or "-"),
    ]
    yield from (f"{name}: {value}" for name, value in fields)
    yield "story:"
    yield from (f"  {line}" for line in (c.story or "-").splitlines() or ["-"])
    for tag, text in sorted((c.transcript or {}).items()):
        yield f"transcript ({tag}):"
        yield from (f"  {line}" for line in str(text).splitlines())
    yield f"media: {len(c.media)}"
    for m in c.media:
        duration = f", {m.duration_seconds:.0f} s" if m.duration_seconds else ""
        yield f"  {m.kind} {m.url} {m.mime}, {m.size_bytes} bytes{duration}"
    yield f"edits: {len(c.edits)}"
    for edit in c.edits:
        yield f"  {_when(edit.edited_at)} by {edit.actor}"
    consent = c.consent
    if consent is None:
        yield "consent: none recorded"
        return
    uses = [
        use
        for use, given in (
            ("tour pages", consent.tour_pages),
            ("guides' scripts", consent.guide_scripts),
            ("kits and exports", consent.kits),
        )
        if given
    ]
    yield "consent:"
    yield f"  credit: {consent.credit}" + (
        f" ({consent.credit_name})" if consent.credit_name else ""
    )
    yield f"  may appear in: {', '.join(uses) or 'nowhere'}"
    yield f"  photos: {_yes(consent.photos)}; audio: {_yes(consent.audio)}"
    yield f"  licence: {consent.licence}"
    age = "yes" if consent.age_16_or_over else f"no, guardian: {consent.guardian_name or '-'}"
    yield f"  16 or over: {age}"
    how = consent.method
    if consent.paper_reference:
        how += f", paper form {consent.paper_reference}"
    if consent.witness:
        how += f", witnessed by {consent.witness}"
    yield f"  given: {how}, {_when(consent.recorded_at)}"
    yield f"  wording ({consent.wording_language}, version {consent.wording_version}):"
    yield from (f"    {line}" for line in consent.wording.splitlines())


@contributions_group.command("show")
@click.argument("ident")
@with_database
def show_command(ident: str) -> None:
    """Show one contribution (its number or ctb-… id) with its consent record and media."""
    with get_db().transaction() as db_session:
        try:
            contribution = get(db_session, ident)
        except (ContributionNotFound, ValueError):
            raise click.ClickException(f"No contribution {ident}.") from None
        lines = list(_show_lines(contribution))
    for line in lines:
        click.echo(line)


def _summary(result: WithdrawalResult) -> str:
    changes = []
    for change in result.tours:
        made = [f"v{change.published} published"] if change.published else []
        made += [f"v{change.draft} draft"] if change.draft else []
        made += [f"{len(change.rewritten)} earlier versions with a placeholder"]
        if change.emptied_stops:
            made.append(
                f"stops left without a story, now drafts: {', '.join(change.emptied_stops)}"
            )
        if change.removed_stops:
            made.append(f"its own stops removed: {', '.join(change.removed_stops)}")
        if change.unpublished:
            made.append("no published stop left: the tour is a draft")
        changes.append(f"  {change.slug}: {'; '.join(made)}")
    files = counted(len(result.image_keys), "photo") + " and "
    files += counted(len(result.audio_keys), "recording")
    lines = [
        f"Withdrew contribution {result.contribution_id} ({result.public_id}).",
        f"Tours changed: {len(result.tours)}",
        *changes,
        f"Deleted {files} ({counted(result.files_deleted, 'file')} removed from disk).",
    ]
    if result.kept_keys:
        lines.append(f"Kept {counted(len(result.kept_keys), 'file')} still used elsewhere.")
    lines.append(f"Deleted {counted(result.messages_deleted, 'email')} about it from the outbox.")
    return "\n".join(lines)


@contributions_group.command("withdraw")
@click.argument("ident")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def withdraw_command(ident: str, yes: bool) -> None:
    """Withdraw a contribution everywhere, as its teller asked; cannot be undone."""
    app = _app()
    with get_db().transaction() as db_session:
        try:
            contribution = get(db_session, ident)
        except (ContributionNotFound, ValueError):
            raise click.ClickException(f"No contribution {ident}.") from None
        label = f"{contribution.id} ({contribution.public_id})"
        withdrawn_at = contribution.withdrawn_at
    if withdrawn_at is not None:
        click.echo(f"Contribution {label} was already withdrawn on {_when(withdrawn_at)}.")
        return
    if not yes:
        click.confirm(
            f"Withdraw contribution {label}? Its text, photos and recording leave every tour"
            " and are deleted; this cannot be undone.",
            abort=True,
        )
    stores = MediaStores(images=store_for(app), audio=audio_store(app))
    with get_db().transaction(write_lock=True) as db_session:
        result = withdraw_contribution(db_session, Actor.command_line(), ident, media_stores=stores)
    if result.already:
        click.echo(f"Contribution {label} was already withdrawn.")
        return
    click.echo(_summary(result))
    if result.confirmation is None:
        click.echo("The teller gave no email address: no confirmation sent.")
        return
    outcomes = worker.drain(app, [result.confirmation])
    sent = any(o.result == worker.SENT for o in outcomes)
    click.echo(
        "Confirmation sent to the teller; their address is deleted."
        if sent
        else "Confirmation left to the mail worker; the teller's address is deleted."
    )
