"""The recorder widget (``webapp/static/js/recorder.js``) in Debian's Chromium.

Chromium records from a fake microphone fed with a WAV this test writes with ``wave``;
what MediaRecorder makes (WebM Opus, or fragmented MP4 Opus when WebM is not offered) is
put into the form's file input, posted like an upload, and must be taken by the real
audio store with its length within a second of the time recorded.  The page is a
test-only route on the real app (the site's layout, stylesheet and Content-Security-Policy)
served from this process.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Blueprint, jsonify, render_template_string, request
from werkzeug.serving import make_server

from tests.audio_support import (
    m4a_bytes,
    mp3_tagged,
    mp4_tags,
    ogg_opus_bytes,
    wav_bytes,
    wav_tagged,
    webm_bytes,
)
from tests.webapp.browser.axe import axe_violations
from tests.webapp.browser.chromium import launch_with_microphone
from tests.webapp.browser.conftest import LOCALE, PHONE
from webapp.media.audio import AudioError, AudioStore, audio_store

LABELS = {
    "record": "Grabar",
    "stop": "Parar",
    "again": "Grabar de nuevo",
    "recording": "Grabando…",
    "recorded": "Grabado: escúchalo antes de enviarlo.",
    "limit": "La grabación se paró al llegar al límite.",
    "denied": "No se permitió usar el micrófono: permítelo o sube un archivo.",
    "unavailable": "No se pudo grabar: sube un archivo.",
}
PAGE = """{% extends "base.html" %}
{% block title %}Grabadora{% endblock %}
{% block head %}<script src="{{ asset_url('app', 'js/recorder.js') }}" defer></script>{% endblock %}
{% block content %}
<h1>Grabadora</h1>
<form method="post" action="{{ url_for('recorder_test.upload') }}" enctype="multipart/form-data">
  <label for="audio">Tu historia, con tu voz</label>
  <input type="file" id="audio" name="audio" accept="audio/*" data-recorder
    {% for name, text in labels.items() %}data-{{ name }}="{{ text }}" {% endfor %}
    {% if max_seconds %}data-max-seconds="{{ max_seconds }}"{% endif %}>
  <button class="button" type="submit">Enviar</button>
</form>
{% endblock %}"""
FILE_BYTES = """() => {
  const file = document.getElementById("audio").files[0];
  return file.arrayBuffer().then((buffer) => {
    let text = "";
    new Uint8Array(buffer).forEach((byte) => { text += String.fromCharCode(byte); });
    return {name: file.name, type: file.type, data: btoa(text)};
  });
}"""
# What makes the widget choose MP4: MediaRecorder says it cannot write Ogg or WebM.
ONLY_MP4 = """(() => {
  const real = MediaRecorder.isTypeSupported.bind(MediaRecorder);
  MediaRecorder.isTypeSupported = (type) => !/ogg|webm/.test(type) && real(type);
})();"""


@pytest.fixture
def recorder_site(app) -> Iterator[str]:
    """The app with a test-only page holding the widget and a form target that stores the
    posted file in the real audio store; served on loopback from a thread."""
    pages = Blueprint("recorder_test", __name__)

    @pages.get("/test/recorder")
    def form():
        max_seconds = request.args.get("max", type=int)
        return render_template_string(PAGE, labels=LABELS, max_seconds=max_seconds)

    @pages.post("/test/recorder")
    def upload():
        sent = request.files["audio"]
        try:
            stored = audio_store(app).add(sent.read())
        except AudioError as error:
            return jsonify(code=error.code), 422
        return jsonify(
            name=sent.filename, key=stored.key, ext=stored.ext, seconds=stored.duration_seconds
        )

    app.register_blueprint(pages)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def fake_microphone(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("microphone") / "voice.wav"
    path.write_bytes(wav_bytes(3.0, rate=48_000, width=2))
    return str(path)


@pytest.fixture(scope="module")
def microphone_browser(browser, chromium_path, fake_microphone):
    launched = launch_with_microphone(browser, chromium_path, fake_microphone)
    yield launched
    launched.close()


@pytest.fixture
def phone(microphone_browser):
    context = microphone_browser.new_context(**{**PHONE, "locale": LOCALE})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _watch(page, origin: str) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"foreign": [], "errors": []}
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((origin + "/", "blob:", "data:"))
            else seen["foreign"].append(r.url)
        ),
    )
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on(
        "console",
        lambda m: (
            seen["errors"].append(m.text) if m.type == "error" and "favicon" not in m.text else None
        ),
    )
    return seen


def _record(page, seconds: float) -> None:
    page.get_by_role("button", name=LABELS["record"], exact=True).or_(
        page.get_by_role("button", name=LABELS["again"], exact=True)
    ).click()
    page.get_by_role("status").filter(has_text=LABELS["recording"]).wait_for()
    time.sleep(seconds)


def _input_file(page) -> tuple[dict, bytes]:
    found = page.evaluate(FILE_BYTES)
    return found, base64.b64decode(found.pop("data"))


def _post(page) -> dict:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Enviar").click()
    assert answer.value.status == 200, answer.value.text()
    return answer.value.json()


def test_a_recording_goes_into_the_file_input_and_the_store_takes_it(
    phone, recorder_site, app, tmp_path
):
    seen = _watch(phone, recorder_site)
    phone.goto(f"{recorder_site}/test/recorder")
    box = phone.locator(".recorder")
    assert box.get_by_role("timer").inner_text() == "0:00 / 10:00"
    assert not phone.locator(".recorder-preview").is_visible()

    _record(phone, 2.0)
    assert phone.get_by_role("button", name=LABELS["stop"]).is_visible()
    assert not phone.get_by_role("button", name=LABELS["record"], exact=True).is_visible()
    phone.get_by_role("button", name=LABELS["stop"]).click()
    phone.get_by_role("status").filter(has_text=LABELS["recorded"]).wait_for()
    # On a loaded machine the stop lands late: the recording is as long as the timer says.
    shown = box.get_by_role("timer").inner_text()
    assert shown.endswith(" / 10:00") and shown.startswith("0:0"), shown
    timer_seconds = int(shown.split(" ")[0].split(":")[1])
    assert timer_seconds >= 2, shown

    found, data = _input_file(phone)
    assert found == {"name": "recording.webm", "type": "audio/webm"}
    stored = AudioStore(tmp_path / "audio").add(data)
    assert (stored.ext, stored.mime) == ("webm", "audio/webm")
    assert abs(stored.duration_seconds - timer_seconds) < 1.0, (stored, shown)

    # The player plays the recording back from its blob: URL (the CSP's media-src allows it).
    preview = phone.locator(".recorder-preview")
    assert preview.is_visible() and preview.get_attribute("src").startswith("blob:")
    phone.wait_for_function("document.querySelector('.recorder-preview').readyState >= 1")
    assert phone.evaluate("document.querySelector('.recorder-preview').error") is None

    # Posted like an upload: the server stores the very bytes the input holds.
    sent = _post(phone)
    assert sent["key"] == stored.key and sent["name"] == "recording.webm"
    assert audio_store(app).path(stored.key).read_bytes() == data
    assert seen == {"foreign": [], "errors": []}


def test_recording_again_and_sending_while_recording_sends_the_new_recording(
    phone, recorder_site, app, tmp_path
):
    phone.goto(f"{recorder_site}/test/recorder")
    _record(phone, 1.0)
    phone.get_by_role("button", name=LABELS["stop"]).click()
    phone.get_by_role("button", name=LABELS["again"]).wait_for()
    first, first_data = _input_file(phone)
    assert first["name"] == "recording.webm"
    assert abs(AudioStore(tmp_path).add(first_data).duration_seconds - 1.0) < 1.0

    _record(phone, 3.0)
    sent = _post(phone)  # still recording: the widget stops, then the form is sent
    assert sent["ext"] == "webm" and abs(sent["seconds"] - 3.0) < 1.0, sent
    assert audio_store(app).path(sent["key"]).read_bytes() != first_data


def test_where_webm_is_not_offered_chromium_records_mp4_that_the_store_measures(
    phone, recorder_site, tmp_path
):
    phone.add_init_script(ONLY_MP4)
    phone.goto(f"{recorder_site}/test/recorder")
    _record(phone, 2.5)
    phone.get_by_role("button", name=LABELS["stop"]).click()
    phone.get_by_role("status").filter(has_text=LABELS["recorded"]).wait_for()
    found, data = _input_file(phone)
    assert found["name"] == "recording.m4a" and found["type"] == "audio/mp4"
    assert data[4:8] == b"ftyp" and b"moof" in data  # fragmented, as Chromium writes it
    stored = AudioStore(tmp_path).add(data)
    assert stored.ext == "m4a" and abs(stored.duration_seconds - 2.5) < 1.0, stored


def test_the_recording_stops_itself_before_the_limit(phone, recorder_site, tmp_path):
    phone.goto(f"{recorder_site}/test/recorder?max=4")
    assert phone.get_by_role("timer").inner_text() == "0:00 / 0:04"
    phone.get_by_role("button", name=LABELS["record"]).click()
    phone.get_by_role("status").filter(has_text=LABELS["limit"]).wait_for(timeout=10_000)
    assert phone.get_by_role("button", name=LABELS["again"]).is_visible()
    _, data = _input_file(phone)
    assert AudioStore(tmp_path).add(data).duration_seconds < 4.0


def test_a_refused_microphone_is_said_and_the_file_input_stays(
    browser, chromium_path, fake_microphone, recorder_site
):
    refusing = launch_with_microphone(browser, chromium_path, fake_microphone, ui="deny")
    try:
        page = refusing.new_context(**{**PHONE, "locale": LOCALE}).new_page()
        page.goto(f"{recorder_site}/test/recorder")
        page.get_by_role("button", name=LABELS["record"]).click()
        status = page.get_by_role("status").filter(has_text=LABELS["denied"])
        status.wait_for()
        assert "field-error" in status.get_attribute("class")
        assert page.get_by_role("button", name=LABELS["record"]).is_enabled()
        assert page.evaluate("document.getElementById('audio').files.length") == 0
        assert page.get_by_label("Tu historia, con tu voz").is_visible()
    finally:
        refusing.close()


def test_without_mediarecorder_the_plain_file_input_remains(phone, recorder_site):
    phone.add_init_script("delete window.MediaRecorder;")
    phone.goto(f"{recorder_site}/test/recorder")
    phone.wait_for_load_state("load")
    assert phone.locator(".recorder").count() == 0
    assert phone.get_by_label("Tu historia, con tu voz").is_visible()


def test_the_recorder_passes_axe_on_a_phone(phone, recorder_site):
    phone.goto(f"{recorder_site}/test/recorder")
    _record(phone, 1.0)
    assert axe_violations(phone) == []  # while recording
    phone.get_by_role("button", name=LABELS["stop"]).click()
    phone.get_by_role("status").filter(has_text=LABELS["recorded"]).wait_for()
    assert axe_violations(phone) == []  # with the player


PLAY = """async (url) => {
  const player = new Audio();
  player.preload = "auto";
  const ready = new Promise((resolve, reject) => {
    player.onloadedmetadata = () => resolve(player.duration);
    player.onerror = () => reject(new Error("cannot play " + url + ": " + player.error.code));
  });
  player.src = url;
  return await ready;
}"""


def test_chromium_plays_each_stored_format_from_the_route_in_ranges(phone, recorder_site, app):
    """Each file sent with tags, as the store keeps it without them."""
    text, place = "Amaia Zubiri, Zabalbide 47", "+43.26012-002.92534/"
    made = {
        "wav": wav_tagged(wav_bytes(2.0, rate=48_000, width=2), text, place),
        "mp3": mp3_tagged(2.0, text, place),
        "ogg": ogg_opus_bytes(2.0, comments=(f"TITLE={text}",), binary=b"\x01" + text.encode()),
        "webm": webm_bytes(2.0, tags=(text, place)),
        "m4a": m4a_bytes(2.0, tags=mp4_tags(text, place), created=0xE1A2B3C4),
    }
    ranges: list[str] = []
    phone.on(
        "request",
        lambda r: ranges.append(r.headers.get("range") or "") if "/media/audio/" in r.url else None,
    )
    phone.goto(f"{recorder_site}/test/recorder")
    for ext, data in made.items():
        stored = audio_store(app).add(data)
        kept = audio_store(app).path(stored.key).read_bytes()
        assert stored.ext == ext and text.encode() in data and text.encode() not in kept
        duration = phone.evaluate(PLAY, f"/media/audio/{stored.key}.{ext}")
        if ext == "webm":  # a live WebM has no Duration; the player learns it as it plays
            assert duration == float("inf") or abs(duration - 2.0) < 0.1
        else:
            assert abs(duration - stored.duration_seconds) < 0.1, (ext, duration)
    assert ranges and all(value.startswith("bytes=") for value in ranges), ranges
