/* Tremplin service worker: the shell (CSS, JS, logo, offline page) from the cache, pages
   from the network. Offline, a page falls back to the offline page, except the check-in
   page of a meetup, which is kept from its last visit so the door keeps working; its
   arrivals are queued by offline.js and sent when the network returns. Served by
   /sw.js with its version and shell list filled in. Never caches POSTs or other pages
   (members' data stays off the device). */
"use strict";
var VERSION = "__VERSION__";
var SHELL_CACHE = "tremplin-shell-" + VERSION;
var PAGE_CACHE = "tremplin-pages-v1";
var SHELL = ["__SHELL__"];
var OFFLINE_URL = SHELL[SHELL.length - 1];
var KEEP_OFFLINE = /^\/rencontres\/\d+\/accueil\/?$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("tremplin-shell-") === 0 && name !== SHELL_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  // Logging out clears the kept pages (offline.js posts this on the logout form).
  if (event.data === "forget-pages") { event.waitUntil(caches.delete(PAGE_CACHE)); }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }

  if (request.mode === "navigate") {
    var keep = KEEP_OFFLINE.test(url.pathname);
    event.respondWith(fetch(request).then(function (response) {
      if (keep && response.ok) {
        var copy = response.clone();
        caches.open(PAGE_CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return (keep ? caches.match(url.pathname, { cacheName: PAGE_CACHE }) : Promise.resolve(null))
        .then(function (page) { return page || caches.match(OFFLINE_URL); });
    }));
    return;
  }

  if (url.pathname.indexOf("/static/") === 0) {
    // The shell: cache first (its name changes with every deploy); other static files
    // from the network, the cache when offline.
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok && SHELL.indexOf(url.pathname) !== -1) {
          var copy = response.clone();
          caches.open(SHELL_CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
  }
});
