"""Sharing a story in Chromium on a 360 px phone: a resident writes in Arabic, sees the
consent summary follow their answers, puts a pin on the map, reloads without losing
anything, adds a photo and a recording and sends; what is stored is what they were shown.
axe-core checks /share at 360 px in Arabic and in English."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.audio_support import wav_bytes
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.chromium import launch_with_microphone
from tests.webapp.browser.conftest import PHONE
from tests.webapp.share.support import png_bytes
from tours.db import make_engine, make_sessionmaker, transaction
from tours.stories.models import Contribution

pytestmark = pytest.mark.browser

SLUG = "san-francisco-voices"
STORAGE = "bidean.share.draft"


@pytest.fixture(scope="module")
def share_server(start_live_server):
    server = start_live_server(env={"BIDEAN_SAMPLE_DEPARTURES": "false"})
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    server.factory = make_sessionmaker(engine)  # type: ignore[attr-defined]
    yield server
    engine.dispose()


def _phone(browser, locale: str):
    context = browser.new_context(**{**PHONE, "locale": locale})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _ready(page) -> None:
    page.wait_for_selector("form[data-share-ready='true']", state="attached")
    page.wait_for_function(
        "() => { const m = document.querySelector('[data-pin-map] [data-bidean-map]');"
        " return m && m.getAttribute('data-bidean-ready') === 'true'; }"
    )


def _summary(page) -> list[str]:
    return [line.strip() for line in page.locator("#consent-summary li").all_text_contents()]


def test_a_resident_shares_a_story_in_arabic_on_a_phone(browser, share_server, watch):
    context, page = _phone(browser, "ar")
    seen = watch(page, share_server.origin)
    base = share_server.url
    marker = "MARKER-share-7qz"
    try:
        page.goto(f"{base}/tours/{SLUG}")
        page.locator(f"a[href='/tours/{SLUG}/share']").click()
        page.wait_for_url(re.compile(rf".*/tours/{SLUG}/share$"))
        assert page.locator("html").get_attribute("lang") == "ar"
        assert page.locator("html").get_attribute("dir") == "rtl"
        _ready(page)
        assert page.locator("#language").input_value() == "ar"  # the interface's, first
        assert not page.locator("[data-language-other]").is_visible()
        assert not page.locator("button[name='check']").is_visible()  # the script shows it live

        page.fill("#title", "دكان أمي")
        page.fill("#story", f"هنا فتحت أمي أول دكان لها سنة ١٩٩٨. {marker}")
        page.check("#credit-1")  # first name only
        page.fill("#credit_name", "أمينة")
        page.check("#tour_pages")
        page.check("#photos_consent")
        page.check("#audio_consent")
        page.check("#licence-2")  # this site only
        page.check("#age_16_or_over")
        lines = _summary(page)
        assert len(lines) == 7
        assert "أمينة" in lines[0]
        assert "Not answered" not in " ".join(lines)
        page.check("#kits")  # a site-only story never goes into kits: the summary says so
        assert _summary(page)[1] == lines[1]
        page.uncheck("#kits")

        # A pin at the centre of the map; choosing a stop would remove it.
        page.click("[data-pin-centre]")
        lon = page.locator("#lon").input_value()
        assert lon and page.locator("#lat").input_value()
        expect(page.locator("#pin-status")).not_to_be_empty()

        # A reload loses nothing.
        page.reload()
        _ready(page)
        assert page.locator("#title").input_value() == "دكان أمي"
        assert marker in page.locator("#story").input_value()
        assert page.locator("#credit-1").is_checked() and page.locator("#licence-2").is_checked()
        assert page.locator("#lon").input_value() == lon
        assert _summary(page) == lines

        page.set_input_files(
            "#photos", files=[{"name": "shop.png", "mimeType": "image/png", "buffer": png_bytes()}]
        )
        page.set_input_files(
            "#audio",
            files=[{"name": "voice.wav", "mimeType": "audio/wav", "buffer": wav_bytes(3.0)}],
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
        page.click("[data-send]")
        page.wait_for_url(re.compile(r".*/share/received$"))
        expect(page.locator("[data-share-received]")).to_be_visible()
        assert "/share/withdraw/" in page.locator(".withdraw-link a").get_attribute("href")
        assert page.evaluate(f"() => localStorage.getItem('{STORAGE}')") is None

        with transaction(share_server.factory) as db_session:
            stored = db_session.scalars(
                select(Contribution).where(Contribution.story.contains(marker))
            ).one()
            assert (stored.language, stored.interface_language, stored.tour_slug) == (
                "ar",
                "ar",
                SLUG,
            )
            assert stored.lon is not None and stored.stop_id is None
            assert [m.kind for m in stored.media] == ["image", "audio"]
            # What is stored is what the live summary showed, word for word.
            assert stored.consent.wording.split("\n") == lines
            assert stored.consent.wording_language == "ar"
        assert seen.foreign_requests() == [] and seen.errors == [] and seen.dialogs == []
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["ar", "en"])
def test_the_share_form_passes_axe_on_a_phone(browser, share_server, locale):
    context, page = _phone(browser, locale)
    try:
        page.goto(f"{share_server.url}/share")
        assert page.locator("html").get_attribute("lang") == locale
        _ready(page)
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        page.click("[data-pin-centre]")  # the pin is a control of its own
        page.fill("#title", "x")
        page.click("[data-send]")
        expect(page.locator("#error-summary")).to_be_visible()
        assert page.locator("#credit-error").is_visible()
        _ready(page)
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_a_tour_chosen_on_the_form_opens_its_form_with_the_text(browser, share_server):
    context, page = _phone(browser, "en")
    try:
        page.goto(f"{share_server.url}/share")
        _ready(page)
        page.fill("#title", "The bridge")
        page.select_option("#tour", SLUG)
        page.wait_for_url(re.compile(rf".*/tours/{SLUG}/share$"))
        _ready(page)
        assert page.locator("#title").input_value() == "The bridge"
        assert page.locator("#stop option").count() > 2
        page.select_option("#language", "other")
        assert page.locator("[data-language-other]").is_visible()
        page.fill("#language_other", "ti")
        assert page.locator("#story").get_attribute("lang") == "ti"
    finally:
        context.close()


@pytest.fixture(scope="module")
def microphone_browser(browser, chromium_path, tmp_path_factory):
    """Another Chromium whose microphone plays a generated recording, allowed at once."""
    voice = tmp_path_factory.mktemp("microphone") / "voice.wav"
    voice.write_bytes(wav_bytes(3.0, rate=48_000, width=2))
    launched = launch_with_microphone(browser, chromium_path, voice)
    yield launched
    launched.close()


def test_a_story_recorded_on_the_phone_is_sent_with_the_form(microphone_browser, share_server):
    context = microphone_browser.new_context(**{**PHONE, "locale": "en"})
    page = context.new_page()
    page.set_default_timeout(15_000)
    title = "Recorded at the bridge REC-4kd"
    try:
        page.goto(f"{share_server.url}/tours/{SLUG}/share")
        _ready(page)
        page.fill("#title", title)
        page.select_option("#stop", "sf-03")
        page.check("#credit-3")  # anonymous
        page.check("#tour_pages")
        page.check("#audio_consent")
        page.check("#licence-0")
        page.check("#age_16_or_over")
        page.get_by_role("button", name="Record", exact=True).click()
        page.get_by_role("status").filter(has_text="Recording now…").wait_for()
        time.sleep(2.5)
        page.get_by_role("button", name="Stop recording").click()
        page.get_by_role("status").filter(has_text="Recorded: listen to it").wait_for()
        page.click("[data-send]")  # no text: the recording is the story
        page.wait_for_url(re.compile(r".*/share/received$"))
        with transaction(share_server.factory) as db_session:
            stored = db_session.scalars(
                select(Contribution).where(Contribution.title == title)
            ).one()
            assert (stored.stop_id, stored.story) == ("sf-03", "")
            (recording,) = stored.media
            assert recording.kind == "audio" and recording.mime in ("audio/webm", "audio/ogg")
            assert 1.5 < recording.duration_seconds < 4.0
            assert "a neighbour of San Francisco" in stored.consent.wording
    finally:
        context.close()
