/* The guide console in the browser: offline copy, check-in queue, "next stop" memory.
 *
 * Check-ins are queued in localStorage, each with its own idempotency key, and sent when
 * the network allows; the server stores a key once, so a mark sent twice counts once.
 * Each mark names the account that made it and is sent only by that account's session:
 * another account logged in on the same phone neither sends nor sees it.
 * No inline scripts: the page's Content-Security-Policy allows only files from this site.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var QUEUE_KEY = "bidean-console-check-ins";
  var CACHE_NAME = "bidean-console-v1";
  var ACCOUNT = (script && script.dataset.account) || "";

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator) || !script || !script.dataset.sw) return;
    navigator.serviceWorker.register(script.dataset.sw).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // Keep this page and everything it loaded, so it opens again without a network.
      var urls = [location.pathname + location.search];
      document.querySelectorAll("script[src], link[href], img[src]").forEach(function (el) {
        var url = el.getAttribute("src") || el.getAttribute("href");
        if (url && url.charAt(0) === "/" && url.charAt(1) !== "/") urls.push(url);
      });
      if (registration.active) registration.active.postMessage({ type: "cache", urls: urls });
    }).catch(function () { /* no offline copy: the page still works online */ });
  }

  function showConnection() {
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = navigator.onLine;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; }
  }
  function saveQueue(queue) { localStorage.setItem(QUEUE_KEY, JSON.stringify(queue)); }
  function mine(item) { return ACCOUNT !== "" && item.account === ACCOUNT; }

  function setupDeparture(departure) {
    var departureId = departure.dataset.departure;
    var checkInUrl = departure.dataset.checkInUrl;
    var pending = document.getElementById("pending");
    var flushing = false;
    var again = false;  // a flush was asked for while one ran

    function bookingRow(id) { return departure.querySelector('.booking[data-booking="' + id + '"]'); }

    function showState(row, state) {
      if (!row) return;
      row.dataset.state = state;
      var label = row.querySelector(".booking-state");
      label.textContent = state === "arrived" ? label.dataset.arrived : (state === "no_show" ? label.dataset.noShow : "");
      row.querySelectorAll("button[name=state]").forEach(function (button) {
        button.setAttribute("aria-pressed", button.value === state ? "true" : "false");
      });
    }

    function recount() {
      var arrived = 0;
      departure.querySelectorAll(".booking").forEach(function (row) {
        if (row.dataset.state === "arrived") arrived += parseInt(row.dataset.party, 10) || 0;
      });
      document.getElementById("count-arrived").textContent = String(arrived);
      var waiting = loadQueue().filter(function (item) { return mine(item) && item.departure === departureId; });
      pending.hidden = waiting.length === 0;
      pending.textContent = pending.dataset.template.replace("{n}", String(waiting.length));
    }

    function forget(key) {
      saveQueue(loadQueue().filter(function (item) { return item.key !== key; }));
    }

    function flushed() {
      departure.dataset.flushed = "yes";  // the queue was looked at (tests wait for it)
    }

    function flush() {
      // Asked while a try is on its way (the phone came back online while an offline try
      // had not yet failed): try again when that one ends, or the marks wait for a reload.
      if (flushing) { again = true; return; }
      if (!loadQueue().some(mine)) { recount(); flushed(); return; }
      flushing = true;
      again = false;
      fetch(script.dataset.csrfUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var chain = Promise.resolve();
          loadQueue().filter(mine).forEach(function (item) {
            chain = chain.then(function () {
              return fetch(item.url, {
                method: "POST",
                credentials: "same-origin",
                headers: { "Content-Type": "application/json", "X-CSRFToken": data.token },
                body: JSON.stringify({ booking_id: item.booking, state: item.state, key: item.key })
              }).then(function (response) {
                // Stored (or refused for good): either way it must not be sent again.
                if (response.ok || response.status === 400 || response.status === 404) forget(item.key);
                else throw new Error("not sent: " + response.status);
              });
            });
          });
          return chain.then(function () { return true; });
        })
        .catch(function () { /* offline or logged out: the queue waits for the next try */ })
        .then(function (sent) {
          flushing = false;
          recount();
          flushed();
          // Marks made while these were on their way go now, not at the next page load.
          if ((sent || again) && loadQueue().some(mine)) flush();
        });
    }

    departure.querySelectorAll("form.check-in").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var state = event.submitter ? event.submitter.value : "arrived";
        var booking = form.querySelector("input[name=booking_id]").value;
        var queue = loadQueue();
        var waiting = queue.filter(function (item) {
          return mine(item) && item.departure === departureId && item.booking === booking;
        });
        // A double tap (or the same mark again) while one waits to be sent adds nothing;
        // another mark replaces the waiting one, as only the newest counts.
        if (waiting.some(function (item) { return item.state === state; })) return;
        queue = queue.filter(function (item) { return waiting.indexOf(item) < 0; });
        queue.push({ account: ACCOUNT, departure: departureId, url: checkInUrl, booking: booking, state: state, key: newKey() });
        saveQueue(queue);
        showState(form.closest(".booking"), state);
        recount();
        flush();
      });
    });

    // Marks still waiting from an earlier visit show as made.
    loadQueue().forEach(function (item) {
      if (mine(item) && item.departure === departureId) showState(bookingRow(item.booking), item.state);
    });
    departure.querySelectorAll(".booking").forEach(function (row) {
      if (row.dataset.state) showState(row, row.dataset.state);
    });
    recount();
    window.addEventListener("online", flush);
    flush();

    setupStops(departureId);
  }

  function setupStops(departureId) {
    var stops = document.querySelectorAll(".stop[data-stop-index]");
    var position = document.getElementById("stop-position");
    if (!stops.length || !position) return;
    var key = "bidean-console-stop-" + departureId;
    var current = Math.min(parseInt(localStorage.getItem(key) || "0", 10) || 0, stops.length - 1);

    function show(index, move) {
      current = Math.max(0, Math.min(index, stops.length - 1));
      localStorage.setItem(key, String(current));
      stops.forEach(function (stop, i) { stop.classList.toggle("current", i === current); });
      position.textContent = position.dataset.template.replace("{n}", String(current + 1)).replace("{t}", String(stops.length));
      if (move) {
        stops[current].scrollIntoView({ block: "start" });
        stops[current].focus({ preventScroll: true });
      }
    }
    document.getElementById("next-stop").addEventListener("click", function () { show(current + 1, true); });
    document.getElementById("prev-stop").addEventListener("click", function () { show(current - 1, true); });
    show(current, current > 0);
  }

  document.querySelectorAll("form[action$='/logout']").forEach(function (form) {
    form.addEventListener("submit", function () {
      // Bookers' data kept for offline use leaves the phone with the guide's session.
      if (window.caches) caches.delete(CACHE_NAME);
    });
  });

  registerServiceWorker();
  showConnection();
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  var departure = document.getElementById("departure");
  if (departure) setupDeparture(departure);
})();
