"""Coordinator pages of the impact report (endpoints ``admin_impact*``): the report with its
charts, the CSV of every figure, and the printable "year in numbers".

Views are thin: ``guides.impact.impact_report`` computes, ``filters`` reads the form,
``charts`` lays out the bars; every count leaves through ``guides.impact.protected``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from flask import Response, make_response, render_template, request, url_for
from flask_babel import get_locale, gettext
from sqlalchemy.orm import Session

from guides.impact import (
    FEWER_THAN_5,
    ImpactReport,
    impact_report,
    protected,
    protected_share,
    report_csv,
)
from tours.booking.impact import YEAR
from tours.db import utcnow
from webapp.actions import impact as stored_figures  # noqa: F401  (the worker stores them)
from webapp.common.database import get_db
from webapp.common.i18n import current_language, language_name
from webapp.console.auth import coordinator_required
from webapp.console.impact.charts import Chart, bar_chart
from webapp.console.impact.filters import Chosen, choices, read_query
from webapp.console.views import bp
from webapp.console.wording import title_in


def _locale() -> str:
    return str(get_locale() or "es")


def cell(value: int | str) -> str:
    """A protected count as the page shows it: "fewer than 5" in the reader's language."""
    if value == FEWER_THAN_5:
        return gettext("fewer than 5")
    return format_decimal(value, locale=_locale())


def people(count: int) -> str:
    """A count of people (or of their bookings or answers) through the small-cell rule."""
    return cell(protected(count))


def share(value: float | str | None) -> str:
    if value is None:
        return "–"
    if value == FEWER_THAN_5:
        return gettext("fewer than 5")
    return format_percent(value, locale=_locale())


def _month_label(month: str) -> str:
    return format_date(date(int(month[:4]), int(month[5:]), 1), "MMM y", locale=_locale())


def _charts(report: ImpactReport) -> list[Chart]:
    months = [(_month_label(m), t.booked) for m, t in report.by_month.items()]
    languages = [(language_name(tag), t.booked) for tag, t in report.by_walk_language.items()]
    ratings = [(str(r), report.feedback.ratings.get(r, 0)) for r in range(5, 0, -1)]
    return [
        bar_chart(
            "chart-months",
            gettext("People booked per month"),
            gettext("One bar per month of the period; the table below gives every figure."),
            months,
            cell,
        ),
        bar_chart(
            "chart-languages",
            gettext("People booked by walk language"),
            gettext("One bar per language the walks were led in."),
            languages,
            cell,
        ),
        bar_chart(
            "chart-ratings",
            gettext("Walkers' ratings"),
            gettext("Answers giving each rating, from 5 (best) to 1."),
            ratings,
            cell,
        ),
    ]


def _names(report: ImpactReport, lang: str) -> dict[str, Any]:
    return {
        "tours": {s: title_in(p.title, lang, s) for s, p in report.places.items()},
        "languages": {
            tag: language_name(tag)
            for tag in {*report.by_walk_language, *report.by_interface_language}
            | {t for g in report.guides for t in (*g.languages, *g.walk_languages)}
        },
        "months": {m: _month_label(m) for m in report.by_month},
    }


def _render(template: str, chosen: Chosen, report: ImpactReport, lists, status: int) -> Response:
    lang = current_language()
    args = chosen.args() if not chosen.errors else {}
    page = render_template(
        template,
        report=report,
        chosen=chosen,
        choices=lists,
        charts=_charts(report),
        names=_names(report, lang),
        cell=cell,
        people=people,
        share=share,
        period_title=_period_title(report),
        response_rate=protected_share(report.feedback.answered, report.feedback.asked),
        recommend=protected_share(report.feedback.recommend_yes, report.feedback.recommend_answers),
        district_label=lambda district: district or gettext("No district"),
        language_list=lambda tags: ", ".join(language_name(t) for t in tags) or "–",
        csv_url=url_for("console.admin_impact_csv", **args),
        year_url=url_for("console.admin_impact_year", **_year_args(chosen)),
        report_url=url_for("console.admin_impact", **args),
    )
    return make_response(page, status)


def _status(chosen: Chosen) -> int:
    """400 when a choice was refused (the page says which, beside its field)."""
    return 400 if chosen.errors else 200


def _year_args(chosen: Chosen) -> dict[str, Any]:
    return {"year": chosen.year, **{k: v for k, v in chosen.values.items() if v}}


def _period_title(report: ImpactReport) -> str:
    q = report.query
    locale = _locale()
    return gettext(
        "%(start)s to %(end)s",
        start=format_date(q.start, "medium", locale=locale),
        end=format_date(q.end, "medium", locale=locale),
    )


def _report(db_session: Session, args: Any) -> tuple[Chosen, ImpactReport, dict]:
    today = utcnow().date()
    lists = choices(db_session, current_language(), today)
    chosen, query = read_query(args, lists, today)
    return chosen, impact_report(db_session, query), lists


@bp.get("/impact")
@coordinator_required
def admin_impact() -> Response:
    """The impact report for a period, with its filters, charts and tables."""
    with get_db().transaction() as db_session:
        chosen, report, lists = _report(db_session, request.args)
    return _render("console/admin_impact.html", chosen, report, lists, _status(chosen))


@bp.get("/impact.csv")
@coordinator_required
def admin_impact_csv() -> Response:
    """Every figure of the report as CSV (the page with its errors when a filter is wrong)."""
    with get_db().transaction() as db_session:
        chosen, report, lists = _report(db_session, request.args)
    if chosen.errors:
        return _render("console/admin_impact.html", chosen, report, lists, 400)
    q = report.query
    response = make_response(report_csv(report))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="impact-{q.start.isoformat()}-{q.end.isoformat()}.csv"'
    )
    return response


@bp.get("/impact/year")
@coordinator_required
def admin_impact_year() -> Response:
    """The year in numbers: one printable A4 page, in the reader's interface language."""
    args = {**request.args.to_dict(), "period": YEAR}
    with get_db().transaction() as db_session:
        chosen, report, lists = _report(db_session, args)
    return _render("console/admin_impact_year.html", chosen, report, lists, _status(chosen))
