"""A resident's story from the microphone to its withdrawal, in Chromium against a real
``bidean serve`` that sends its mail to a real SMTP server (aiosmtpd).

1. On a 360 px phone in Arabic a resident records their story with the (fake) microphone,
   adds a photo, writes a title and story holding a unique marker, puts a pin, chooses
   "first name only", "this site only", tour pages and guides' scripts, leaves an email,
   reads the live consent summary and sends.
2. A facilitator (made with ``bidean users add``) enters a story told at a workshop on
   paper, CC BY, kits allowed, with an uploaded recording and a marker of its own.
3. A coordinator accepts both into a draft as new stops, is refused publishing while a
   recording has no transcript, writes the transcripts and publishes.
4. The tour page in Arabic and in French shows each credit and a transcript beside each
   player, and the recording plays from range requests (206).
5. ``kit.zip`` holds the CC BY story and nothing of the "this site only" one, and its
   README says what was left out.
6. The guide of the tour's walk in Arabic sees the story with its credit in the console.
7. The resident withdraws from the link in the receipt the server mailed them.
8. At once (no mail worker run, no waiting): the first marker and the teller's name are in
   no row of the database (history included), no file of the server's folders, no public
   answer (page in both languages, API, GeoJSON, GPX, kit: each cached by the steps
   above) and not in the guide console; the photo's and recording's files are gone.  The
   facilitator's story is still where it was: the same searches find what is there.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.audio_support import wav_bytes
from tests.mail_support import Inbox, smtp_server
from tests.marker_search import files_holding, files_with_bytes, rows_holding, zip_texts
from tests.webapp.browser.chromium import launch_with_microphone
from tests.webapp.browser.conftest import DESKTOP, PHONE, REPO, LiveServer
from tests.webapp.browser.console_steps import PASSWORD, log_in
from tests.webapp.browser.site_steps import foreign_requests, http_get, run_bidean, wait_for_mail
from tours.booking.models import Departure
from tours.db import make_engine, make_sessionmaker, transaction
from tours.stories.models import Contribution

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "san-francisco-voices"
RESIDENT_EMAIL = "resident@example.org"
FACILITATOR = "facilitator@example.org"
COORDINATOR = "coordinator@example.org"
GUIDE, GUIDE_ID = "youssef@example.org", "youssef"  # he leads the sample walk in Arabic
NO_TRANSCRIPT = "A recording has no transcript yet: write what is said in at least one language."
WITHDRAW_LINK = re.compile(r"https?://[^\s<>\"]+/share/withdraw/[A-Za-z0-9_.\-]+")
# The page's player, played: its length once known, and how far it got (an async function:
# the page's CSP refuses strings evaluated as code).
PLAY = """async (player) => {
  player.preload = "auto";
  await player.play();
  await new Promise((done, failed) => {
    const check = () => (player.currentTime > 0.3 ? done() : null);
    player.addEventListener("timeupdate", check);
    player.addEventListener("error", () => failed(new Error("cannot play")), {once: true});
    check();
  });
  player.pause();
  return {duration: player.duration, played: player.currentTime, error: player.error};
}"""
RANGE_FETCH = """async (url) => {
  const answer = await fetch(url, {headers: {Range: "bytes=0-99"}});
  const body = await answer.arrayBuffer();
  return {status: answer.status, range: answer.headers.get("Content-Range"),
          length: body.byteLength};
}"""


@dataclass(frozen=True)
class Story:
    """What one teller told: its unique marker, the name it is credited with, and the
    texts holding the marker."""

    marker: str
    name: str
    title: str
    story: str
    transcript: str

    @property
    def needles(self) -> tuple[str, str]:
        return (self.marker, self.name)


def _resident() -> Story:
    marker = uuid.uuid4().hex
    return Story(
        marker=marker,
        name=f"Zineb-{marker[:6]}",  # first name only, unique to this run
        title=f"دكان أمي {marker}",
        story=f"هنا فتحت أمي أول دكان لها سنة ١٩٩٨، وكان الجيران يأتون كل صباح. {marker}",
        transcript=f"نص التسجيل: هنا فتحت أمي أول دكان لها. {marker}",
    )


def _workshop() -> Story:
    marker = uuid.uuid4().hex
    return Story(
        marker=marker,
        name=f"Mamadou Diallo-{marker[:6]}",
        title=f"El frontón {marker}",
        story=f"Jugábamos a pelota contra la pared de la iglesia los domingos. {marker}",
        transcript=f"Transcripción: jugábamos a pelota los domingos. {marker}",
    )


@dataclass
class Site:
    server: LiveServer
    inbox: Inbox
    disk: Path  # the media, outbox and import folders of the server
    env: dict[str, str]
    engine: Engine
    ids: dict[str, int] = field(default_factory=dict)  # contribution ids by teller
    stops: dict[str, str] = field(default_factory=dict)  # their new stops by teller

    @property
    def url(self) -> str:
        return self.server.url

    def folders(self) -> list[Path]:
        """Every folder the server writes: its instance (the database) and the others."""
        return [self.server.instance, self.disk]

    def transaction(self):
        return transaction(make_sessionmaker(self.engine))


@pytest.fixture(scope="module")
def site(start_live_server, tmp_path_factory) -> Iterator[Site]:
    disk = tmp_path_factory.mktemp("e2e-disk")
    with smtp_server() as (inbox, port):
        env = {
            "BIDEAN_SMTP_HOST": "127.0.0.1",
            "BIDEAN_SMTP_PORT": str(port),
            "BIDEAN_MEDIA_DIR": str(disk / "media"),
            "BIDEAN_OUTBOX_DIR": str(disk / "outbox"),
            "BIDEAN_IMPORT_STAGING_DIR": str(disk / "import-staging"),
        }
        server = start_live_server(env=env)
        engine = make_engine(f"sqlite:///{server.instance / 'bidean.sqlite3'}")
        try:
            yield Site(server, inbox, disk, env, engine)
        finally:
            engine.dispose()
            server.stop()


@pytest.fixture(scope="module")
def microphone_browser(browser, chromium_path, tmp_path_factory):
    """A Chromium whose microphone plays a WAV written here, allowed without asking."""
    voice = tmp_path_factory.mktemp("microphone") / "voice.wav"
    voice.write_bytes(wav_bytes(4.0, rate=48_000, width=2))
    launched = launch_with_microphone(browser, chromium_path, voice)
    yield launched
    launched.close()


def _context(browser, screen: dict[str, Any], locale: str):
    context = browser.new_context(**{**screen, "locale": locale})
    context.set_default_timeout(15_000)
    return context


def _photo() -> bytes:
    """A photo of noise: its re-encoded bytes are in no other file."""
    out = io.BytesIO()
    Image.frombytes("RGB", (96, 64), os.urandom(96 * 64 * 3)).save(out, "PNG")
    return out.getvalue()


# -- 1. the resident ------------------------------------------------------------------------


def _share_ready(page) -> None:
    page.wait_for_selector("form[data-share-ready='true']", state="attached")
    page.wait_for_function(
        "() => { const m = document.querySelector('[data-pin-map] [data-bidean-map]');"
        " return m && m.getAttribute('data-bidean-ready') === 'true'; }"
    )


def _record(page, seconds: int) -> None:
    """Record with the page's recorder until its clock shows ``seconds``, then stop."""
    labels = page.locator("#audio")
    page.get_by_role("button", name=labels.get_attribute("data-record"), exact=True).click()
    status = page.locator(".recorder-status")
    expect(status).to_have_text(labels.get_attribute("data-recording"))
    expect(page.locator(".recorder-time")).to_have_text(
        re.compile(rf"^0:0[{seconds}-9] /"), timeout=10_000
    )
    page.get_by_role("button", name=labels.get_attribute("data-stop"), exact=True).click()
    expect(status).to_have_text(labels.get_attribute("data-recorded"))


def share_by_phone(microphone_browser, site: Site, told: Story) -> None:
    context = _context(microphone_browser, PHONE, "ar")
    page = context.new_page()
    foreign = foreign_requests(page, site.server)
    try:
        page.goto(f"{site.url}/tours/{SLUG}/share")
        assert page.locator("html").get_attribute("dir") == "rtl"
        _share_ready(page)
        page.fill("#title", told.title)
        page.fill("#story", told.story)
        assert page.locator("#language").input_value() == "ar"
        page.click("[data-pin-centre]")
        assert page.locator("#lon").input_value() and page.locator("#lat").input_value()
        page.check("#credit-1")  # first name only
        page.fill("#credit_name", told.name)
        for box in ("#tour_pages", "#guide_scripts", "#photos_consent", "#audio_consent"):
            page.check(box)
        page.check("#licence-2")  # this site only
        page.check("#age_16_or_over")
        page.fill("#email", RESIDENT_EMAIL)
        summary = page.locator("#consent-summary li")
        expect(summary.first).to_contain_text(told.name)  # the live summary follows
        shown = [line.strip() for line in summary.all_text_contents()]
        page.set_input_files(
            "#photos", files=[{"name": "shop.png", "mimeType": "image/png", "buffer": _photo()}]
        )
        _record(page, 2)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.click("[data-send]")
        page.wait_for_url(re.compile(r".*/share/received$"))
        expect(page.locator("[data-share-received]")).to_be_visible()
        assert foreign == []
    finally:
        context.close()
    with site.transaction() as db_session:
        stored = db_session.scalars(
            select(Contribution).where(Contribution.story.contains(told.marker))
        ).one()
        # What is kept is what the resident read, and the recording is theirs, ~2 s long.
        assert stored.consent.wording.split("\n") == shown
        assert (stored.consent.credit, stored.consent.licence) == ("first_name", "site-only")
        assert [m.kind for m in stored.media] == ["image", "audio"]
        assert 1.5 < stored.media[1].duration_seconds < 4.0
        site.ids["resident"] = stored.id


# -- 2. the facilitator ---------------------------------------------------------------------


def _near_stop(stop_id: str) -> tuple[float, float]:
    sample = json.loads((REPO / "data" / "routes" / f"{SLUG}.geojson").read_text())
    for feature in sample["features"]:
        if feature["properties"].get("id") == stop_id:
            lon, lat = feature["geometry"]["coordinates"][:2]
            return lon + 0.0002, lat + 0.0001
    raise AssertionError(f"no stop {stop_id}")


def enter_at_workshop(browser, site: Site, told: Story) -> None:
    context = _context(browser, DESKTOP, "es-ES")
    page = context.new_page()
    try:
        log_in(page, site.url, FACILITATOR)
        page.goto(f"{site.url}/console/contributions/new")
        lon, lat = _near_stop("sf-05")
        page.fill("#lon", str(lon))
        page.fill("#lat", str(lat))
        page.select_option("#language", "es")
        page.fill("#title", told.title)
        page.fill("#story", told.story)
        recording = wav_bytes(3.0, rate=16_000, width=2)
        page.set_input_files(
            "#audio", files=[{"name": "taller.wav", "mimeType": "audio/wav", "buffer": recording}]
        )
        page.select_option("#interface_language", "es")
        page.check("#credit-0")  # full name
        page.fill("#credit_name", told.name)
        for box in ("#tour_pages", "#guide_scripts", "#kits", "#audio_allowed"):
            page.check(box)
        page.check("#licence-0")  # CC BY 4.0
        page.check("#age_16_or_over")
        page.check("#method-0")  # on paper
        page.select_option("#consent_language", "es")
        page.fill("#paper_reference", f"KOOP-{told.marker[:4]}")
        page.click("#entry-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/console/contributions/\d+$"))
        site.ids["workshop"] = int(page.url.rsplit("/", 1)[1])
        expect(page.locator(".consent-wording")).to_contain_text(told.name)
        expect(page.locator(".contribution-audio audio")).to_have_count(1)  # the upload
    finally:
        context.close()


# -- 3. the coordinator ---------------------------------------------------------------------


def _accept_as_new_stop(page, site: Site, who: str) -> None:
    page.goto(f"{site.url}/console/contributions/{site.ids[who]}")
    page.check("#accept-form input[name='accept-target'][value='new_stop']")
    page.select_option("#accept-tour", SLUG)
    page.click("#accept-form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/console/tours/{SLUG}$"))
    with site.transaction() as db_session:
        accepted = db_session.get(Contribution, site.ids[who])
        assert accepted is not None and accepted.accepted_tour == SLUG
        site.stops[who] = accepted.accepted_stop or ""


def _write_transcript(page, site: Site, who: str, language: str, text: str) -> None:
    page.goto(f"{site.url}/console/contributions/{site.ids[who]}")
    page.fill(f"#edit-transcript-{language}", text)
    page.click("#edit-form button[type=submit]")
    expect(page.locator(".transcript .story-text")).to_have_text(text)


def moderate_and_publish(browser, site: Site, resident: Story, workshop: Story) -> None:
    context = _context(browser, DESKTOP, "en")
    page = context.new_page()
    try:
        log_in(page, site.url, COORDINATOR)
        page.goto(f"{site.url}/console/contributions")
        for who in ("resident", "workshop"):
            expect(page.locator(f"[data-contribution='{site.ids[who]}']")).to_have_count(1)
        _accept_as_new_stop(page, site, "resident")
        _accept_as_new_stop(page, site, "workshop")
        # Two recordings without a transcript: the draft cannot be published yet.
        expect(page.locator("#todo-list")).to_contain_text(NO_TRANSCRIPT)
        expect(page.locator("#publish-button")).to_be_disabled()
        _write_transcript(page, site, "resident", "ar", resident.transcript)
        _write_transcript(page, site, "workshop", "es", workshop.transcript)
        page.goto(f"{site.url}/console/tours/{SLUG}")
        expect(page.locator("#todo-list")).to_have_count(0)
        page.click("#publish-button")
        expect(page.locator("#tour-state")).to_contain_text("Published")
    finally:
        context.close()


# -- 4. the public tour page ------------------------------------------------------------------


def _check_stop(page, site: Site, who: str, told: Story) -> None:
    """The stop shows its teller's credit, its story, and its transcript beside the player."""
    stop = page.locator(f"#stop-{site.stops[who]}")
    expect(stop.locator(".told-by bdi")).to_have_text(told.name)
    expect(stop).to_contain_text(told.story)
    player = stop.locator("audio")
    expect(player).to_have_count(1)
    transcript = stop.locator(".transcript")
    expect(transcript.locator(".transcript-text")).to_have_text(told.transcript)
    player.scroll_into_view_if_needed()
    expect(transcript).to_be_visible()
    above, below = player.bounding_box(), transcript.bounding_box()
    assert above and below and 0 <= below["y"] - (above["y"] + above["height"]) < 40


def read_tour_page(context, site: Site, language: str, resident: Story, workshop: Story) -> None:
    page = context.new_page()
    foreign = foreign_requests(page, site.server)
    recordings: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda answer: (
            recordings.append((answer.status, answer.request.headers.get("range", "")))
            if "/media/audio/" in answer.url
            else None
        ),
    )
    page.goto(f"{site.url}/tours/{SLUG}?lang={language}")
    assert page.locator("html").get_attribute("lang") == language
    _check_stop(page, site, "resident", resident)
    _check_stop(page, site, "workshop", workshop)
    player = page.locator(f"#stop-{site.stops['resident']} audio")
    played = player.evaluate(PLAY)
    assert played["error"] is None and played["played"] > 0.3, played
    # The player asked for ranges and the server answered with parts of the file.
    assert any(status == 206 and asked.startswith("bytes=") for status, asked in recordings)
    fetched = page.evaluate(RANGE_FETCH, player.get_attribute("src"))
    assert fetched["status"] == 206 and fetched["length"] == 100, fetched
    assert fetched["range"].startswith("bytes 0-99/"), fetched
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert foreign == []
    page.close()


# -- 5. the kit, and every public answer ----------------------------------------------------


def check_kit(site: Site, resident: Story, workshop: Story) -> None:
    files = zip_texts(http_get(f"{site.url}/tours/{SLUG}/kit.zip"))
    holding = [name for name, text in files.items() if any(n in text for n in resident.needles)]
    assert holding == [], f"the 'this site only' story is in {holding}"
    assert any(name.endswith(".geojson") and workshop.marker in t for name, t in files.items())
    assert any(name.endswith("stops.html") and workshop.name in t for name, t in files.items())
    (readme,) = [text for name, text in files.items() if name.endswith("README.md")]
    left_out = readme.split("## Left out", 1)[1]
    assert f"Stop `{site.stops['resident']}`" in left_out
    assert "the teller chose this site only" in left_out


def public_answers(site: Site) -> dict[str, str]:
    """What anyone gets of the tour: its page and API in Arabic and French, its GeoJSON and
    GPX exports and its kit, each as text (JSON read back, the kit's files joined)."""
    base, answers = site.url, {}
    for language in ("ar", "fr"):
        answers[f"page-{language}"] = http_get(f"{base}/tours/{SLUG}?lang={language}").decode()
        api = http_get(f"{base}/api/tours/{SLUG}", **{"Accept-Language": language})
        answers[f"api-{language}"] = json.dumps(json.loads(api), ensure_ascii=False)
    geojson = http_get(f"{base}/api/tours/{SLUG}.geojson")
    answers["geojson"] = json.dumps(json.loads(geojson), ensure_ascii=False)
    answers["gpx"] = http_get(f"{base}/api/tours/{SLUG}.gpx").decode()
    answers["kit"] = "\n".join(zip_texts(http_get(f"{base}/tours/{SLUG}/kit.zip")).values())
    return answers


def _holding(texts: dict[str, str], needles: tuple[str, ...]) -> set[str]:
    return {name for name, text in texts.items() if any(n in text for n in needles)}


# -- 6. the guide console -------------------------------------------------------------------


def _arabic_walk(site: Site) -> int:
    with site.transaction() as db_session:
        walk = db_session.scalars(
            select(Departure.id)
            .where(Departure.guide_id == GUIDE_ID, Departure.language == "ar")
            .order_by(Departure.starts_at)
        ).first()
    assert walk is not None, "the samples schedule Youssef's walk in Arabic"
    return walk


def guide_pages(page, site: Site, walk: int) -> dict[str, str]:
    """The walk's page and the script page of the resident's stop, as the guide sees them
    (``script-status``: how the server answered the latter)."""
    page.goto(f"{site.url}/console/departures/{walk}")
    seen = {"walk": page.content()}
    answer = page.goto(
        f"{site.url}/console/departures/{walk}/stops/{site.stops['resident']}/script"
    )
    assert answer is not None
    seen["script"], seen["script-status"] = page.content(), str(answer.status)
    return seen


def check_guide_console(page, site: Site, walk: int, resident: Story) -> dict[str, str]:
    page.goto(f"{site.url}/console/departures/{walk}")
    stop = page.locator(f"#stop-{site.stops['resident']}")
    expect(stop.locator(".told-by bdi")).to_have_text(resident.name)
    expect(stop.locator(".script")).to_be_visible()
    expect(stop.locator("details.story")).to_contain_text(resident.marker)
    return guide_pages(page, site, walk)


# -- 7. and 8. the withdrawal ---------------------------------------------------------------


@dataclass(frozen=True)
class Files:
    """The resident's photo and recording on disk, and a piece of each one's bytes."""

    paths: tuple[Path, ...]
    pieces: tuple[bytes, ...]


def media_files(site: Site) -> Files:
    with site.transaction() as db_session:
        found = db_session.get(Contribution, site.ids["resident"])
        assert found is not None
        keys = {m.kind: m.key for m in found.media}
    media = site.disk / "media"
    photo = media / keys["image"]
    (recording,) = (media / "audio").glob(f"{keys['audio']}.*")
    largest = max(photo.glob("*.webp"), key=lambda p: p.stat().st_size)
    pieces = []
    for path in (largest, recording):
        data = path.read_bytes()
        middle = len(data) // 2
        pieces.append(data[middle : middle + 48])
    return Files((photo, recording), tuple(pieces))


def withdraw_from_the_email(page, site: Site) -> None:
    link = wait_for_mail(site.inbox, RESIDENT_EMAIL, WITHDRAW_LINK).group(0)
    assert link.startswith(site.url + "/share/withdraw/")
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "ar"
    page.click("form button[type=submit]")
    expect(page.locator("[role=status]")).to_contain_text("تم سحب قصتك.")


def _everywhere_on_disk(site: Site, needles) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for folder in site.folders():
        for needle, paths in files_holding(folder, needles).items():
            found.setdefault(needle, set()).update(f"{folder.name}/{p}" for p in paths)
    return found


def test_a_story_recorded_on_a_phone_is_published_credited_and_withdrawn_everywhere(
    browser, microphone_browser, site
):
    started = time.monotonic()
    resident, workshop = _resident(), _workshop()
    accounts = [(FACILITATOR, "facilitator"), (COORDINATOR, "coordinator"), (GUIDE, "guide")]
    for email, role in accounts:
        more = ["--guide", GUIDE_ID] if role == "guide" else []
        run_bidean(site.server, "users", "add", "--email", email, "--role", role, *more,
                   "--password-stdin", env=site.env, stdin=PASSWORD + "\n")  # fmt: skip

    share_by_phone(microphone_browser, site, resident)
    enter_at_workshop(browser, site, workshop)
    moderate_and_publish(browser, site, resident, workshop)

    phone = _context(browser, PHONE, "ar")
    desktop = _context(browser, DESKTOP, "fr-FR")
    guide = _context(browser, PHONE, "ar")
    try:
        read_tour_page(phone, site, "ar", resident, workshop)
        read_tour_page(desktop, site, "fr", resident, workshop)
        check_kit(site, resident, workshop)
        before = public_answers(site)
        # A story for "this site only" is on its pages and API, never in a file anyone may
        # take away: the kit, the GeoJSON and the GPX (docs/geojson-profile.md).
        assert _holding(before, resident.needles) == set(before) - {"kit", "geojson", "gpx"}
        assert _holding(before, (workshop.marker,)) == set(before)
        guide_page = guide.new_page()
        log_in(guide_page, site.url, GUIDE)
        walk = _arabic_walk(site)
        seen = check_guide_console(guide_page, site, walk, resident)
        assert _holding(seen, (resident.marker,)) == {"walk", "script"}
        # Before: the searches find the story in the database (the tour's versions too),
        # on disk, and its files.
        held = rows_holding(site.engine, resident.needles)
        assert set(held) == set(resident.needles)
        assert "tour_versions.document" in held[resident.marker], held
        assert resident.marker in _everywhere_on_disk(site, resident.needles)
        files = media_files(site)
        for path, piece in zip(files.paths, files.pieces, strict=True):
            found = files_with_bytes(site.disk, piece)
            inside = [f for f in found if path in (site.disk / f, *(site.disk / f).parents)]
            assert found and inside == found, (path, found)  # in its own file only

        withdraw_from_the_email(phone.new_page(), site)

        # At once: nothing of it in the database, history included…
        assert rows_holding(site.engine, resident.needles) == {}
        assert rows_holding(site.engine, [workshop.marker]), "the search finds nothing at all"
        # …nor on disk: no file holds its words, its photo or its recording…
        assert _everywhere_on_disk(site, resident.needles) == {}
        assert workshop.marker in _everywhere_on_disk(site, [workshop.marker])
        for path, piece in zip(files.paths, files.pieces, strict=True):
            assert not path.exists(), path
            for folder in site.folders():
                assert files_with_bytes(folder, piece) == [], path
        # …nor in any public answer, all of them cached before…
        after = public_answers(site)
        assert _holding(after, resident.needles) == set()
        assert _holding(after, (workshop.marker,)) == set(after)
        # …nor in the guide console.
        seen = guide_pages(guide_page, site, walk)
        assert _holding(seen, resident.needles) == set()
        assert workshop.marker in seen["walk"]
        assert seen["script-status"] == "404", "the stop held only the story: it is gone"
    finally:
        for context in (phone, desktop, guide):
            context.close()
    assert time.monotonic() - started < 90
