"""The impact report in Chromium on a desktop (locale en-GB): a coordinator opens the
report, filters it by district, downloads the CSV, opens the year in numbers and prints
it; axe-core finds no violation on the report nor on the year page."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.impact_support import COORDINATOR, YEAR, insert_year
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import DESKTOP
from tests.webapp.browser.console_steps import log_in
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

LOCALE = "en-GB"


@pytest.fixture(scope="module")
def impact_server(start_live_server):
    """A server with the sample tours and guides and a year of walks, bookings, check-ins,
    waiting lists, feedback and debriefs."""
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    factory = make_sessionmaker(make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}"))
    with transaction(factory, write_lock=True) as db_session:
        insert_year(db_session)
    return server


def test_a_coordinator_reads_filters_downloads_and_prints_the_report(browser, impact_server):
    base = impact_server.origin
    context = browser.new_context(**{**DESKTOP, "locale": LOCALE}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, COORDINATOR)
    page.get_by_role("navigation").get_by_role("link", name="Impact report").click()
    page.wait_for_url(re.compile(r".*/console/impact$"))
    assert page.locator("svg[role=img]").count() == 3
    assert axe_violations(page) == []

    page.select_option("#impact-period", "year")
    page.select_option("#impact-year", str(YEAR))
    page.select_option("#impact-district", "Zabala")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*district=Zabala.*"))
    held = page.locator('[data-figure="walks_held"]').inner_text()
    came = page.locator('[data-figure="people_came"]').inner_text()
    assert int(held) > 0
    assert page.locator("#by-district tbody th").all_inner_texts() == ["Zabala"]
    assert axe_violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="Download every figure (CSV)").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "item", "measure", "value"]
    assert ["filter", "", "district", "Zabala"] in rows
    assert ["walks", "", "held", held] in rows
    assert ["people", "", "people_came", came.replace(",", "")] in rows
    assert [r[1] for r in rows if r[0] == "district"] and {
        r[1] for r in rows if r[0] == "district"
    } == {"Zabala"}
    assert "@example.org" not in text

    page.get_by_role("link", name="The year in numbers (printable)").click()
    page.wait_for_url(re.compile(r".*/console/impact/year\?.*"))
    assert page.get_by_role("heading", level=1).inner_text() == f"The year in numbers: {YEAR}"
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    assert page.locator(".console-header").is_hidden()
    assert page.locator("form.no-print").is_hidden()
    assert page.locator("svg[role=img]").first.is_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    context.close()
