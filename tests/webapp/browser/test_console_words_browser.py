"""The console's language switcher and accounts page in Chromium on a 360 px phone
(issue #24): switching the language needs no script and never scrolls sideways; the
accounts page passes axe."""

from __future__ import annotations

import pytest

from guides.accounts import create_account
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import PHONE
from tours.db import make_engine, make_sessionmaker, transaction

pytestmark = pytest.mark.browser

PASSWORD = "a walk by the river at noon"
COORDINATOR = "words-coordinator@example.org"
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def words_server(start_live_server):
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    with transaction(make_sessionmaker(engine), write_lock=True) as db_session:
        create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
        create_account(db_session, "a-guide@example.org", "guide", guide_id="youssef",
                       password=PASSWORD)  # fmt: skip
    yield server
    engine.dispose()


@pytest.fixture(params=[True, False], ids=["script", "no-script"])
def phone(browser, request):
    """A 360x740 phone reading English, with or without JavaScript."""
    context = browser.new_context(**{**PHONE, "locale": "en-GB"}, java_script_enabled=request.param)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, server) -> None:
    page.goto(f"{server.url}/console/login")
    page.fill("#email", COORDINATOR)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/console/")


@pytest.mark.parametrize("language", ["eu", "ar"])
def test_switching_the_consoles_language_on_a_phone(words_server, phone, language):
    log_in(phone, words_server)
    phone.goto(f"{words_server.url}/console/admin/accounts")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.evaluate(SIDEWAYS) == 0
    menu = phone.locator(".console-header .language-switcher")
    menu.locator("summary").click()
    # Open, the list stays inside the screen.
    assert phone.evaluate(SIDEWAYS) == 0
    box = menu.locator("ul").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
    menu.locator(f'a[hreflang="{language}"]').click()
    phone.wait_for_url(f"**/console/admin/accounts?lang={language}")
    assert phone.locator("html").get_attribute("lang") == language
    assert phone.evaluate(SIDEWAYS) == 0
    # The next page remembers it, and says so in the menu.
    phone.goto(f"{words_server.url}/console/tours")
    assert phone.locator("html").get_attribute("lang") == language
    current = phone.locator('.console-header .language-switcher a[aria-current="true"]')
    assert current.get_attribute("hreflang") == language
    assert phone.evaluate(SIDEWAYS) == 0


def test_the_accounts_page_passes_axe_on_a_phone(words_server, browser):
    context = browser.new_context(**{**PHONE, "locale": "en-GB"})
    page = context.new_page()
    try:
        log_in(page, words_server)
        page.goto(f"{words_server.url}/console/admin/accounts")
        assert axe_violations(page) == []
        page.locator(".console-header .language-switcher summary").click()
        assert axe_violations(page) == []
        page.goto(f"{words_server.url}/console/admin/accounts?lang=ar")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.evaluate(SIDEWAYS) == 0
        assert axe_violations(page) == []
    finally:
        context.close()


def test_a_guides_tour_list_passes_axe_on_a_phone(words_server, browser):
    context = browser.new_context(**{**PHONE, "locale": "es-ES"})
    page = context.new_page()
    try:
        log_in(page, words_server)
        page.goto(f"{words_server.url}/console/admin/guides/youssef")
        assert page.locator('.check-list input[type="checkbox"]').count() >= 3
        assert page.evaluate(SIDEWAYS) == 0
        assert axe_violations(page) == []
    finally:
        context.close()


def test_a_guides_languages_are_chosen_in_rows_on_a_phone(words_server, browser):
    """Spanish on a 360 px phone: a language chosen twice is refused beside its row, the
    page stays inside the screen and passes axe; then a new language is saved."""
    context = browser.new_context(**{**PHONE, "locale": "es-ES"})
    page = context.new_page()
    try:
        log_in(page, words_server)
        page.goto(f"{words_server.url}/console/admin/guides/youssef")
        rows = page.locator(".language-row")
        assert rows.count() >= 6
        kept = page.locator("#languages-0-tag").input_value()
        assert kept  # the profile's first language, as it was stored
        free = next(
            i for i in range(rows.count()) if not page.locator(f"#languages-{i}-tag").input_value()
        )
        page.select_option(f"#languages-{free}-tag", kept)
        page.click("form.stack:not([enctype]) button[type=submit]")
        error = page.locator(f"#languages-{free}-error")
        assert error.is_visible() and "ya está elegido en otra fila" in error.inner_text()
        assert page.locator(f"#languages-{free}-tag").get_attribute("aria-invalid") == "true"
        assert page.evaluate(SIDEWAYS) == 0
        assert axe_violations(page) == []
        page.select_option(f"#languages-{free}-tag", "wo")
        page.select_option(f"#languages-{free}-level", "conversational")
        page.click("form.stack:not([enctype]) button[type=submit]")
        page.wait_for_url(f"{words_server.url}/console/admin/guides/youssef")
        assert page.locator(".flash.success").is_visible()
        assert page.locator(f"#languages-{free}-tag").input_value() == "wo"
        assert page.locator(f"#languages-{free}-level").input_value() == "conversational"
    finally:
        context.close()
