"""The report's period and filters, read from the query string: each one a list to choose
from (a custom period's two dates excepted); a wrong value is kept with its error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy.orm import Session

from guides.overview import guide_roll
from tours.booking import impact
from tours.booking.impact import CUSTOM, MONTH, PERIODS, QUARTER, YEAR, ImpactQuery, PeriodError
from webapp.common.i18n import language_name
from webapp.console.wording import title_in

FILTERS = ("city", "tour", "district", "language", "guide")
#: Years the period list offers, back from next year.
YEARS_BACK = 10


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass
class Chosen:
    """What the form asked for, as typed, and the errors beside its fields."""

    period: str
    year: int
    month: int
    quarter: int
    start: str = ""
    end: str = ""
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name, "") if name in FILTERS else getattr(self, name)

    def args(self) -> dict[str, Any]:
        """The query string of this choice (links to the CSV and the year page)."""
        found: dict[str, Any] = {"period": self.period, "year": self.year}
        if self.period == MONTH:
            found["month"] = self.month
        elif self.period == QUARTER:
            found["quarter"] = self.quarter
        elif self.period == CUSTOM:
            found.update({"from": self.start, "to": self.end})
        found.update({name: value for name, value in self.values.items() if value})
        return found


def choices(db_session: Session, lang: str, today: date) -> dict[str, list[Choice]]:
    """The lists of the form: periods, years, months, quarters and every filter's values."""
    places = impact.tour_places(db_session).values()
    return {
        "period": [
            Choice(MONTH, gettext("Month")),
            Choice(QUARTER, gettext("Quarter")),
            Choice(YEAR, gettext("Year")),
            Choice(CUSTOM, gettext("Dates of your choice")),
        ],
        "year": [
            Choice(str(y), str(y)) for y in range(today.year + 1, today.year - YEARS_BACK, -1)
        ],
        "month": [Choice(str(m), str(m)) for m in range(1, 13)],
        "quarter": [Choice(str(q), f"Q{q}") for q in range(1, 5)],
        "city": [Choice(c, c) for c in sorted({p.city for p in places})],
        "district": [Choice(d, d) for d in sorted({p.district for p in places if p.district})],
        "tour": sorted(
            (Choice(p.slug, title_in(p.title, lang, p.slug)) for p in places),
            key=lambda c: c.label.casefold(),
        ),
        "language": [
            Choice(tag, language_name(tag)) for tag in impact.walk_language_choices(db_session)
        ],
        "guide": [Choice(guide_id, name) for guide_id, name in guide_roll(db_session)],
    }


def _number(args: Any, name: str, allowed: list[Choice], default: int, errors: dict) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if raw not in {c.value for c in allowed}:
        errors[name] = gettext("Choose one of the list.")
        return default
    return int(raw)


def read_query(
    args: Any, lists: dict[str, list[Choice]], today: date
) -> tuple[Chosen, ImpactQuery]:
    """The choice the query string makes and the query to run: the query of this year
    without filters while any field is wrong (the errors say which)."""
    errors: dict[str, str] = {}
    period = (args.get("period") or YEAR).strip()
    if period not in PERIODS:
        errors["period"] = gettext("Choose one of the list.")
        period = YEAR
    chosen = Chosen(
        period=period,
        year=_number(args, "year", lists["year"], today.year, errors),
        month=_number(args, "month", lists["month"], today.month, errors),
        quarter=_number(args, "quarter", lists["quarter"], (today.month - 1) // 3 + 1, errors),
        start=(args.get("from") or "").strip(),
        end=(args.get("to") or "").strip(),
        errors=errors,
    )
    for name in FILTERS:
        value = (args.get(name) or "").strip()
        chosen.values[name] = value
        if value and value not in {c.value for c in lists[name]}:
            errors[name] = gettext("Choose one of the list.")
    query = _query(chosen)
    if errors or query is None:
        return chosen, ImpactQuery.for_year(today.year)
    return chosen, query


def _query(chosen: Chosen) -> ImpactQuery | None:
    filters = {
        "city": chosen.values.get("city") or None,
        "tour": chosen.values.get("tour") or None,
        "district": chosen.values.get("district") or None,
        "language": chosen.values.get("language") or None,
        "guide_id": chosen.values.get("guide") or None,
    }
    if chosen.period == MONTH:
        return ImpactQuery.for_month(chosen.year, chosen.month, **filters)
    if chosen.period == QUARTER:
        return ImpactQuery.for_quarter(chosen.year, chosen.quarter, **filters)
    if chosen.period == YEAR:
        return ImpactQuery.for_year(chosen.year, **filters)
    dates = {}
    for name, raw in (("from", chosen.start), ("to", chosen.end)):
        try:
            dates[name] = date.fromisoformat(raw)
        except ValueError:
            chosen.errors[name] = gettext("Write a date such as %(example)s.", example="2027-01-31")
    if chosen.errors:
        return None
    try:
        return ImpactQuery(dates["from"], dates["to"], CUSTOM, **filters)
    except PeriodError as error:
        chosen.errors["to"] = (
            gettext("The period ends before it starts.")
            if error.code == "period_reversed"
            else gettext("Choose a period of five years at most.")
        )
        return None
