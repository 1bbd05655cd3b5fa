/* Record a story in one's own voice, into a form's file input.
 *
 * Progressive enhancement of <input type="file" accept="audio/*" name="audio" data-recorder>:
 * where the browser can record (MediaRecorder, getUserMedia, DataTransfer) the input gets
 * Record / Stop / Record again buttons, the time recorded, and a player to listen back.
 * The recording is put INTO the file input, so the form posts it as if it were an uploaded
 * file, and the input stays usable for uploading a file instead.  Without the browser's
 * support, or without this script, the plain file input remains.
 *
 * No words here: every label comes from the input's data attributes, which the template
 * translates: data-record, data-stop, data-again, data-recording, data-recorded,
 * data-limit (said when the recording stopped at the limit), data-denied (the microphone
 * was refused), data-unavailable (no microphone, or recording failed).  data-max-seconds
 * is the limit (600 unless it says otherwise).  No request leaves the page.
 */
(function () {
  "use strict";

  // What the server's audio store reads, best first: Ogg Opus (Firefox), WebM Opus
  // (Chromium), MP4 (Safari's AAC, Chromium's Opus): see webapp/media/audio.py.
  var TYPES = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/mp4"];
  var EXTENSIONS = { "audio/ogg": "ogg", "audio/webm": "webm", "audio/mp4": "m4a" };
  var BITS_PER_SECOND = 64000; // ten minutes in under 5 MB
  var TICK_MS = 250;
  // Stopped a second before the limit: the server refuses a recording even 0.1 s over it.
  var MARGIN_SECONDS = 1;

  function supported() {
    return !!(window.MediaRecorder && window.DataTransfer && window.File &&
      navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function chooseType() {
    if (!MediaRecorder.isTypeSupported) return "";
    for (var i = 0; i < TYPES.length; i++) {
      if (MediaRecorder.isTypeSupported(TYPES[i])) return TYPES[i];
    }
    return "";
  }

  function clock(seconds) {
    var whole = Math.floor(seconds);
    var rest = whole % 60;
    return Math.floor(whole / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  function attach(input) {
    var data = input.dataset;
    var limit = parseInt(data.maxSeconds, 10) || 600;
    var box = element("div", "recorder");
    var record = element("button", "button secondary recorder-record", data.record);
    var stop = element("button", "button recorder-stop", data.stop);
    var time = element("span", "recorder-time", clock(0) + " / " + clock(limit));
    var status = element("p", "recorder-status");
    var player = element("audio", "recorder-preview");
    var stream = null;
    var recorder = null;
    var chunks = [];
    var started = 0;
    var ticker = null;
    var previewUrl = null;
    var filling = false;
    var atLimit = false;
    var submitAfter = false;

    record.type = stop.type = "button";
    stop.hidden = true;
    time.setAttribute("role", "timer");
    status.setAttribute("role", "status");
    player.controls = true;
    player.preload = "metadata";
    player.hidden = true;
    box.append(record, stop, time, status, player);
    input.insertAdjacentElement("afterend", box);
    input.classList.add("recorder-input");

    function say(text, isError) {
      status.textContent = text || "";
      status.classList.toggle("field-error", !!isError);
    }

    function preview(blob) {
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = blob ? URL.createObjectURL(blob) : null;
      player.hidden = !blob;
      if (blob) player.src = previewUrl;
      else player.removeAttribute("src");
    }

    function release() {
      if (ticker) clearInterval(ticker);
      ticker = null;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      record.hidden = false;
      stop.hidden = true;
      box.classList.remove("recording");
    }

    function elapsed() {
      return (performance.now() - started) / 1000;
    }

    function tick() {
      var seconds = Math.min(elapsed(), limit);
      time.textContent = clock(seconds) + " / " + clock(limit);
      if (seconds >= limit - MARGIN_SECONDS) finish(true);
    }

    function recording() {
      return !!recorder && recorder.state !== "inactive";
    }

    function finish(limited) {
      if (!recording()) return;
      atLimit = limited;
      recorder.stop();
    }

    function keep(current) {
      var type = (current.mimeType || chunks.length && chunks[0].type || "").split(";")[0];
      var blob = new Blob(chunks, { type: type });
      chunks = [];
      release();
      if (!blob.size) {
        submitAfter = false;
        say(data.unavailable, true);
        return;
      }
      var file = new File([blob], "recording." + (EXTENSIONS[type] || "webm"), { type: type });
      var transfer = new DataTransfer();
      transfer.items.add(file);
      filling = true;
      input.files = transfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      filling = false;
      preview(blob);
      record.textContent = data.again || data.record;
      say(atLimit ? data.limit : data.recorded, false);
      if (submitAfter && input.form) {
        submitAfter = false;
        input.form.requestSubmit();
      }
    }

    function failed(error) {
      release();
      recorder = null;
      submitAfter = false;
      var refused = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
      say(refused ? data.denied : data.unavailable, true);
    }

    function begin() {
      say("", false);
      atLimit = false;
      record.disabled = true;
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (media) {
        stream = media;
        var type = chooseType();
        var options = { audioBitsPerSecond: BITS_PER_SECOND };
        if (type) options.mimeType = type;
        var current = new MediaRecorder(media, options);
        recorder = current;
        chunks = [];
        current.ondataavailable = function (event) {
          if (event.data && event.data.size) chunks.push(event.data);
        };
        current.onstop = function () { keep(current); };
        current.onerror = function (event) { failed(event.error); };
        current.start(1000);
        started = performance.now();
        ticker = setInterval(tick, TICK_MS);
        tick();
        record.hidden = true;
        stop.hidden = false;
        box.classList.add("recording");
        say(data.recording, false);
        stop.focus();
      }).catch(failed).then(function () {
        record.disabled = false;
      });
    }

    record.addEventListener("click", begin);
    // Sending the form while recording sends the recording: stopped first, then sent.
    if (input.form) {
      input.form.addEventListener("submit", function (event) {
        if (!recording()) return;
        event.preventDefault();
        submitAfter = true;
        finish(false);
      });
    }
    stop.addEventListener("click", function () {
      finish(false);
      record.focus();
    });
    // A file chosen by hand replaces the recording: listen to it in the same player.
    input.addEventListener("change", function () {
      if (filling) return;
      var file = input.files && input.files[0];
      preview(file || null);
      say("", false);
      record.textContent = data.record;
    });
  }

  function enhance() {
    if (!supported()) return;
    var inputs = document.querySelectorAll("input[type=file][data-recorder]");
    for (var i = 0; i < inputs.length; i++) {
      if (!inputs[i].dataset.recorderReady) {
        inputs[i].dataset.recorderReady = "1";
        attach(inputs[i]);
      }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhance);
  else enhance();
})();
