/* Bidean console service worker: the console keeps working without a network.
 * Pages are fetched from the network first and kept; offline, the kept copy is served.
 * Versioned assets never change, so they come from the cache first.  Never cached:
 * anything but GET, the login and set-password pages, and CSRF tokens.
 * Kept copies are looked up by URL alone (ignoreVary): pages vary on Accept-Language and
 * Cookie, and the request a phone makes offline need not carry the same headers as the
 * one that filled the cache (a reload, a changed interface language). */
"use strict";
const CACHE_NAME = "bidean-console-v1";
const BY_URL = { ignoreVary: true };
const SCOPE = {{ url_for('console.index') | tojson }};
const NEVER = [{{ url_for('console.login') | tojson }}, {{ url_for('console.csrf_token') | tojson }}, SCOPE + "set-password/"];

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "cache") return;
  event.waitUntil(caches.open(CACHE_NAME).then((cache) => Promise.all(
    event.data.urls.map((url) => fetch(url, { credentials: "same-origin" })
      .then((response) => (response.ok && !response.redirected ? cache.put(url, response) : null))
      .catch(() => null))
  )));
});

function offline() {
  return new Response("<!doctype html><meta charset=utf-8><title>Bidean</title><p>Offline.</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (NEVER.some((path) => url.pathname.startsWith(path))) return;
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
  if (url.pathname.startsWith(SCOPE) || url.pathname.startsWith("/guides/")) {
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE_NAME).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request, BY_URL).then((hit) => hit || offline())));
  }
});
