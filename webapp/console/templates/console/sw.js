/* Bidean console service worker: the console keeps working without a network.
 * Pages are fetched from the network first and kept; offline, the kept copy is served.
 * Versioned assets never change, so they come from the cache first.  Never kept:
 * anything but GET, the login and set-password pages, CSRF tokens, console answers that
 * are not pages (a roster's CSV).
 * Kept copies are looked up by URL alone (ignoreVary): pages vary on Accept-Language and
 * Cookie, and the request a phone makes offline need not carry the same headers as the
 * one that filled the cache (a reload, a changed interface language).
 * Kept pages hold bookers' names and phone numbers, so they go
 * - when the server answers without a session (header Bidean-Session: none; the login
 *   page every ended session is sent to carries it): a session ended by the idle timeout,
 *   a logout elsewhere or a disabled account leaves nothing behind, and no other account
 *   ever sees them;
 * - after the time a page names in Bidean-Keep-Until (a roster: the day after its walk). */
"use strict";
const CACHE_NAME = "bidean-console-v1";
const BY_URL = { ignoreVary: true };
const SCOPE = {{ url_for('console.index') | tojson }};
const NEVER = [{{ url_for('console.login') | tojson }}, {{ url_for('console.csrf_token') | tojson }}, SCOPE + "set-password/"];

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(
  Promise.all([self.clients.claim(), sweep()])));

function never(url) {
  const path = new URL(url, self.location.href).pathname;
  return NEVER.some((prefix) => path.startsWith(prefix));
}

self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "cache") return;
  event.waitUntil(Promise.all(event.data.urls.filter((url) => !never(url)).map((url) =>
    asked(url).then((answer) => note(url, answer), () => null))));
});

function offline() {
  return new Response("<!doctype html><meta charset=utf-8><title>Bidean</title><p>Offline.</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

/* forget() counts up: an answer to a request made before it is not kept, even when it
 * arrives after it (the page asked for while the session still held). */
let generation = 0;

function forget() {
  generation += 1;
  return caches.delete(CACHE_NAME);
}

function asked(request) {
  const since = generation;
  const options = typeof request === "string" ? { credentials: "same-origin" } : undefined;
  return fetch(request, options).then((response) => ({ response, since }));
}

function expired(response) {
  const until = Date.parse(response.headers.get("Bidean-Keep-Until") || "");
  return !Number.isNaN(until) && until <= Date.now();
}

/* Every expired copy goes, not only the ones asked for again. */
function sweep() {
  return caches.open(CACHE_NAME).then((cache) => cache.keys().then((requests) => Promise.all(
    requests.map((request) => cache.match(request).then((hit) =>
      (hit && expired(hit) ? cache.delete(request) : null))))));
}

function keepable(url, response) {
  if (!response.ok || response.redirected || expired(response)) return false;
  if (!new URL(url, self.location.href).pathname.startsWith(SCOPE)) return true;
  return (response.headers.get("Content-Type") || "").startsWith("text/html");
}

/* What an answer from the server means for the kept copies: none left without a
 * session; a page kept, or dropped when it is gone, no longer this account's or expired
 * (a passing server error leaves the kept copy for offline use). */
function note(request, { response, since }) {
  if (response.headers.get("Bidean-Session") === "none") return forget();
  const url = typeof request === "string" ? request : request.url;
  return caches.open(CACHE_NAME).then((cache) => {
    if (since !== generation) return null;
    if (keepable(url, response)) return cache.put(request, response);
    if (expired(response) || [403, 404, 410].includes(response.status)) return cache.delete(request, BY_URL);
    return null;
  });
}

function kept(request) {
  return caches.open(CACHE_NAME).then((cache) => cache.match(request, BY_URL).then((hit) => {
    if (!hit) return offline();
    if (!expired(hit)) return hit;
    return cache.delete(request, BY_URL).then(offline);
  }));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/assets/")) {
    event.respondWith(caches.match(request, BY_URL).then((hit) => hit || fetch(request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE_NAME).then((cache) => cache.put(request, copy));
      }
      return response;
    })));
    return;
  }
  if (!url.pathname.startsWith(SCOPE) && !url.pathname.startsWith("/guides/")) return;
  if (never(request.url)) {
    // Never kept; but the login page, where every ended session is sent, says so.
    if (request.mode === "navigate") event.respondWith(fetch(request).then((response) => {
      if (response.headers.get("Bidean-Session") === "none") event.waitUntil(forget());
      return response;
    }));
    return;
  }
  // Each page opened, online or not, drops every expired copy.
  if (request.mode === "navigate") event.waitUntil(sweep());
  const answer = asked(request).then(({ response, since }) => {
    event.waitUntil(note(request, { response: response.clone(), since }));
    return response;
  });
  event.respondWith(answer.catch(() => kept(request)));
});
