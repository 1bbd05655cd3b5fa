"""The impact report's pages: figures as the domain computes them, filters, the CSV, the
year page, errors beside fields, and who may see them."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from sqlalchemy import update

from guides.impact import impact_report, report_rows
from tests.impact_support import COORDINATOR, GUIDE_EMAIL, YEAR, build_year
from tests.webapp.console.support import log_in
from tours.booking.impact import ImpactQuery
from tours.booking.models import CONFIRMED, SCHEDULED, WalkFeedback
from webapp.common.database import get_db


def _figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert found, name
    return found.group(1)


def _rows(app, query):
    with get_db(app).transaction() as db_session:
        return report_rows(impact_report(db_session, query))


def test_the_report_page_shows_the_domain_figures(app, client):
    build_year(app)
    log_in(client, COORDINATOR)
    response = client.get(f"/console/impact?period=year&year={YEAR}&district=Zabala")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    with get_db(app).transaction() as db_session:
        report = impact_report(db_session, ImpactQuery.for_year(YEAR, district="Zabala"))
    assert _figure(html, "walks_held") == f"{report.walks.held:,}"
    assert _figure(html, "people_booked") == f"{report.total.booked:,}"
    assert _figure(html, "people_came") == f"{report.total.came:,}"
    assert 'role="img"' in html and '<title id="chart-months-title">' in html
    assert 'id="chart-ratings-table"' in html
    assert "@example.org" not in html and "Walker " not in html
    assert '<option value="Zabala" selected>' in html


def test_csv_holds_the_same_figures_with_formulas_escaped(app, client):
    build_year(app)
    log_in(client, COORDINATOR)
    response = client.get(f"/console/impact.csv?period=quarter&year={YEAR}&quarter=2&language=es")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    expected = _rows(app, ImpactQuery.for_quarter(YEAR, 2, language="es"))
    assert rows[0] == ["section", "item", "measure", "value"]
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in expected]
    assert ["filter", "", "language", "es"] in rows


def test_csv_escapes_a_quote_that_starts_a_formula(app, client):
    year = build_year(app)
    held = {w["id"] for w in year.walks if w["status"] == SCHEDULED and w["starts_at"].year == YEAR}
    confirmed = {
        b["id"] for b in year.bookings if b["status"] == CONFIRMED and b["departure_id"] in held
    }
    chosen = next(f for f in year.feedback if f["quote_consent"] and f["booking_id"] in confirmed)
    with get_db(app).transaction() as db_session:
        db_session.execute(
            update(WalkFeedback)
            .where(WalkFeedback.booking_id == chosen["booking_id"])
            .values(learned='=HYPERLINK("http://evil")', credit="chosen", credit_name="@me",
                    answered_at=datetime(YEAR, 12, 1, tzinfo=UTC))
        )  # fmt: skip
    log_in(client, COORDINATOR)
    text = client.get(f"/console/impact.csv?period=year&year={YEAR}").get_data(as_text=True)
    assert "'=HYPERLINK" in text and "quote,'@me,text," in text


def test_a_wrong_filter_is_refused_beside_its_field(app, client):
    build_year(app)
    log_in(client, COORDINATOR)
    response = client.get("/console/impact?period=year&district=Atlantis&from=x")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="impact-district-error" role="alert"' in html and 'class="flash error"' in html
    custom = client.get("/console/impact?period=custom&from=2027-05-01&to=2027-01-01")
    assert custom.status_code == 400 and 'id="impact-to-error"' in custom.get_data(as_text=True)
    assert client.get("/console/impact.csv?guide=nobody").status_code == 400


def test_the_year_page_in_another_language(app, client):
    build_year(app)
    log_in(client, COORDINATOR)
    response = client.get(f"/console/impact/year?year={YEAR}&lang=fr")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fr"' in html
    assert f"{YEAR}" in html and "@media print" not in html  # print rules live in console.css


def test_guides_get_403(app, client):
    build_year(app)
    log_in(client, GUIDE_EMAIL)
    for url in ("/console/impact", "/console/impact.csv", "/console/impact/year"):
        assert client.get(url).status_code == 403


def test_a_small_cell_reads_fewer_than_5_on_the_page_in_the_csv_and_the_cli(app, client, runner):
    year = build_year(app, walks_per_month=3)
    held = {
        w["id"]: w for w in year.walks if w["status"] == SCHEDULED and w["starts_at"].year == YEAR
    }
    people: dict[tuple[int, str, str], int] = {}
    for b in year.bookings:
        walk = held.get(b["departure_id"])
        if walk and b["status"] == CONFIRMED and walk["guide_id"]:
            key = (walk["starts_at"].month, walk["guide_id"], walk["language"])
            people[key] = people.get(key, 0) + b["party_size"]
    (month, guide, language), count = next((k, n) for k, n in sorted(people.items()) if 0 < n < 5)
    log_in(client, COORDINATOR)
    query = f"period=month&year={YEAR}&month={month}&guide={guide}&language={language}"
    html = client.get(f"/console/impact?{query}").get_data(as_text=True)
    assert _figure(html, "people_booked") == "fewer than 5"
    assert "fewer than 5" in client.get(f"/console/impact?{query}&lang=fr").get_data(
        as_text=True
    ).replace("moins de 5", "fewer than 5")
    text = client.get(f"/console/impact.csv?{query}").get_data(as_text=True)
    assert "people,,people_booked,fewer than 5" in text
    assert f"people,,people_booked,{count}\r" not in text
    last_day = ImpactQuery.for_month(YEAR, month).end.isoformat()
    cli = runner.invoke(
        args=["impact", "--from", f"{YEAR}-{month:02d}-01", "--to", last_day,
              "--guide", guide, "--language", language]
    )  # fmt: skip
    assert "people: people_booked: fewer than 5" in cli.output
