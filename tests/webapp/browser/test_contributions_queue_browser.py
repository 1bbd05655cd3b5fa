"""Residents' stories in the console, in Chromium on a 360 px phone: axe-core finds no
violation on the queue nor on a story's page (its photo, its recording's player, the
consent record and the coordinator's forms), for a coordinator and a facilitator; and
nothing sticks out sideways."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from guides.accounts import create_account
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.conftest import LOCALE, PHONE
from tests.webapp.browser.console_steps import log_in
from tests.webapp.console.contribution_support import png_bytes, wav_bytes
from tours.db import make_engine, make_sessionmaker, transaction
from tours.stories.consent import ConsentChoices
from tours.stories.contributions import ConsentGiven, Proposal, StoredMedia, submit
from tours.stories.models import AUDIO, IMAGE
from webapp.media.audio import AudioStore
from webapp.media.store import MediaStore

pytestmark = pytest.mark.browser

PASSWORD = "a walk by the river at noon"
COORDINATOR = "coordinator@example.org"
FACILITATOR = "facilitator@example.org"
SLUG = "san-francisco-voices"
# The page's player asked for its recording's length (an async function: the page's CSP
# refuses strings evaluated as code, so no wait_for_function with a string).
LOAD_METADATA = """async () => {
  const player = document.querySelector("audio");
  if (player.readyState < 1) {
    await new Promise((done, failed) => {
      player.addEventListener("loadedmetadata", done, {once: true});
      player.addEventListener("error", () => failed(new Error("no recording")), {once: true});
      player.preload = "metadata";
      player.load();
    });
  }
  return player.duration;
}"""


@pytest.fixture(scope="module")
def stories_server(start_live_server, tmp_path_factory):
    """A server with a coordinator, a facilitator, and two stories: one in Arabic with a
    photo and a recording on disk, one entered at a workshop."""
    media = tmp_path_factory.mktemp("stories-media")
    server = start_live_server(
        env={"BIDEAN_SAMPLE_DEPARTURES": "false", "BIDEAN_MEDIA_DIR": str(media)}
    )
    photo = MediaStore(media).add(png_bytes(640, 480), "photo.png")
    recording = AudioStore(media / "audio").add(wav_bytes(2.0))
    engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
    factory = make_sessionmaker(engine)
    with transaction(factory, write_lock=True) as db_session:
        create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
        create_account(db_session, FACILITATOR, "facilitator", password=PASSWORD)
        choices = ConsentChoices(
            "first_name", "Amina", True, True, False, True, True, "site-only", True
        )
        arabic, _ = submit(
            db_session,
            Proposal(
                language="ar",
                interface_language="ar",
                title="بيت جدتي",
                story="كانت جدتي تسكن في هذا الشارع وتبيع الخبز كل صباح.",
                tour_slug=SLUG,
                stop_id="sf-02",
                lon=-2.9269,
                lat=43.2561,
                contact_email="amina@example.org",
                media=[
                    StoredMedia(IMAGE, photo.key, "image/webp", 5000),
                    StoredMedia(
                        AUDIO,
                        recording.key,
                        recording.mime,
                        recording.size_bytes,
                        recording.duration_seconds,
                    ),
                ],
            ),
            ConsentGiven(
                choices, wording="Tu historia se acredita a “Amina”.", wording_language="es"
            ),
        )
        submit(
            db_session,
            Proposal(language="es", interface_language="es", title="El frontón", story="…"),
            ConsentGiven(
                ConsentChoices(
                    "anonymous", None, True, False, False, False, False, "CC-BY-4.0", True
                ),
                wording="No se te nombra.",
                wording_language="es",
                method="paper",
                paper_reference="KOOP-7",
            ),
            entered_by=FACILITATOR,
        )
        server.arabic = arabic.id  # type: ignore[attr-defined]
    yield server
    engine.dispose()


@pytest.mark.parametrize("who", [COORDINATOR, FACILITATOR])
def test_the_queue_and_a_storys_page_pass_axe_on_a_phone(browser, stories_server, who):
    context = browser.new_context(**{**PHONE, "locale": LOCALE})
    page = context.new_page()
    try:
        log_in(page, stories_server.url, who)
        page.goto(f"{stories_server.url}/console/contributions")
        assert page.locator("html").get_attribute("lang") == "es"
        expect(page.locator(".contribution")).to_have_count(2)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)

        page.goto(f"{stories_server.url}/console/contributions/{stories_server.arabic}")
        expect(page.locator(".story-text[lang=ar]").first).to_be_visible()
        expect(page.locator("audio[controls]")).to_have_count(1)
        # The photo and the recording come from the stores, not broken links.
        photo = page.locator(".contribution-photo img").first
        photo.scroll_into_view_if_needed()
        page.wait_for_function(
            "() => { const img = document.querySelector('.contribution-photo img');"
            " return img.complete && img.naturalWidth > 0; }"
        )
        # The player reads the recording's length from the audio route (range requests).
        duration = page.evaluate(LOAD_METADATA)
        assert duration == pytest.approx(2.0, abs=0.1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        forms = page.locator("#accept-form, #edit-form, #decline-form, #withdraw-form")
        expect(forms).to_have_count(4 if who == COORDINATOR else 0)
    finally:
        context.close()


def test_the_workshop_form_and_the_printable_form_pass_axe_on_a_phone(browser, stories_server):
    context = browser.new_context(**{**PHONE, "locale": LOCALE})
    page = context.new_page()
    try:
        log_in(page, stories_server.url, FACILITATOR)
        page.goto(f"{stories_server.url}/console/contributions/new")
        page.click("#entry-form button[type=submit]")
        expect(page.locator("#credit-error")).to_be_visible()
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.goto(f"{stories_server.url}/console/contributions/consent-form?lang=ar")
        assert page.locator("html").get_attribute("dir") == "rtl"
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        page.emulate_media(media="print")
        expect(page.locator(".console-header")).to_be_hidden()
        expect(page.locator(".screen-only")).to_be_hidden()
        expect(page.locator(".reference-box")).to_be_visible()
    finally:
        context.close()
