"""``bidean impact``: the impact report's figures on the terminal, as the console shows
them (the same domain functions, the same small-cell rule, the same CSV)."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from guides.impact import impact_report, report_csv, report_json, report_rows
from tours.booking.impact import ImpactQuery, PeriodError
from tours.db import utcnow
from webapp.commands import with_database
from webapp.common.database import get_db


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date such as 2027-01-31") from None


@click.command("impact")
@click.option(
    "--from",
    "start",
    metavar="YYYY-MM-DD",
    callback=_day,
    help="First day (default: 1 January this year).",
)
@click.option(
    "--to",
    "end",
    metavar="YYYY-MM-DD",
    callback=_day,
    help="Last day, included (default: 31 December).",
)
@click.option("--city", help="Only the tours of this city.")
@click.option("--tour", metavar="SLUG", help="Only this tour.")
@click.option(
    "--district", help="Only the tours of this district (the first their catalogue names)."
)
@click.option("--language", help="Only walks led in this language.")
@click.option("--guide", "guide_id", metavar="ID", help="Only this guide's walks.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@click.option(
    "--csv", "as_csv", is_flag=True, help="Print every figure as CSV (the console's download)."
)
@with_database
def impact_command(
    start: date | None,
    end: date | None,
    city: str | None,
    tour: str | None,
    district: str | None,
    language: str | None,
    guide_id: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Print the impact report of a period: walks, people, languages, feedback, guides.

    Aggregates only: a count of 1 to 4 people prints as "fewer than 5".
    """
    if as_json and as_csv:
        raise click.UsageError("choose --json or --csv, not both")
    this_year = utcnow().year
    try:
        query = ImpactQuery(
            start or date(this_year, 1, 1),
            end or date(this_year, 12, 31),
            city=city,
            tour=tour,
            district=district,
            language=language,
            guide_id=guide_id,
        )
    except PeriodError as error:
        raise click.BadParameter(str(error), param_hint="--to") from None
    with get_db().transaction() as db_session:
        report = impact_report(db_session, query)
    if as_csv:
        sys.stdout.buffer.write(report_csv(report))
        sys.stdout.buffer.flush()
    elif as_json:
        click.echo(json.dumps(report_json(report), ensure_ascii=False, indent=1))
    else:
        for section, item, measure, value in report_rows(report):
            label = f"{section} {item}".strip() if item else section
            click.echo(f"{label}: {measure}: {'' if value is None else value}")
