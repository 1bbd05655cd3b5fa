"""``bidean impact`` prints the console's figures: its JSON and CSV match the page's."""

from __future__ import annotations

import json

from tests.impact_support import COORDINATOR, YEAR, build_year
from tests.webapp.console.support import log_in


def test_json_and_csv_match_the_console(app, client, runner):
    build_year(app)
    log_in(client, COORDINATOR)
    period = ["--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31", "--district", "Zabala"]
    page_csv = client.get(f"/console/impact.csv?period=year&year={YEAR}&district=Zabala")
    assert page_csv.status_code == 200

    as_csv = runner.invoke(args=["impact", *period, "--csv"])
    assert as_csv.exit_code == 0, as_csv.output
    # The same bytes but the period's kind: the page chose "year", the command two dates.
    assert as_csv.stdout_bytes.replace(b"kind,custom", b"kind,year") == page_csv.data

    as_json = runner.invoke(args=["impact", *period, "--json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.output)
    lines = page_csv.get_data(as_text=True).lstrip("\ufeff").splitlines()[1:]
    assert len(rows) == len(lines)
    held = next(r for r in rows if r["section"] == "walks" and r["measure"] == "held")
    assert f"walks,,held,{held['value']}" in lines
    assert {"section": "filter", "item": "", "measure": "district", "value": "Zabala"} in rows

    text = runner.invoke(args=["impact", *period])
    assert text.exit_code == 0 and f"walks: held: {held['value']}" in text.output


def test_a_reversed_period_is_refused(app, runner):
    result = runner.invoke(args=["impact", "--from", "2027-02-01", "--to", "2027-01-01"])
    assert result.exit_code == 2 and "ends before it starts" in result.output
    result = runner.invoke(args=["impact", "--from", "soon"])
    assert result.exit_code == 2 and "2027-01-31" in result.output
