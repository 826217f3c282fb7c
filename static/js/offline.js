/* Tremplin offline: registers the service worker, and keeps the door's arrivals when the
   network drops. meetups.js calls Tremplin.queueCheckin(form, row) when a check-in cannot
   be sent; the queue lives in localStorage (it survives a reload or a closed tab) and is
   sent, in order, as soon as the network returns. Each entry says the state wanted
   ("arrived" or "not arrived"), so sending it twice changes nothing: the server answers
   "already checked in", which counts as done. No arrival lost, none counted twice. */
(function () {
  "use strict";
  var T = window.Tremplin = window.Tremplin || {};

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.action && /\/deconnexion$/.test(form.action) && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage("forget-pages");
      }
    }, true);
  }

  var door = document.querySelector("[data-checkin]");
  if (!door) { return; }
  var KEY = "tremplin:door:" + (door.getAttribute("data-meetup-id") || "");
  var status = door.querySelector("[data-checkin-status]");
  var banner = document.querySelector("[data-offline-banner]");
  var sending = false;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function save(queue) {
    try { window.localStorage.setItem(KEY, JSON.stringify(queue)); } catch (e) { /* full */ }
    door.setAttribute("data-pending", String(queue.length));
    if (banner) {
      banner.hidden = !queue.length && navigator.onLine;
      var text = banner.querySelector("[data-offline-text]");
      if (text) {
        text.textContent = (door.getAttribute(queue.length ? "data-label-pending" : "data-label-offline") || "")
          .replace("%n", queue.length);
      }
    }
  }
  function say(message) { if (status && message) { status.textContent = message; } }

  function markPending(row, wantIn) {
    if (!row) { return; }
    row.classList.toggle("is-in", wantIn);
    row.classList.add("is-pending");
    var inForm = row.querySelector("[data-checkin-action=in]");
    var outForm = row.querySelector("[data-checkin-action=out]");
    if (inForm) { inForm.hidden = wantIn; }
    if (outForm) { outForm.hidden = !wantIn; }
  }

  T.queueCheckin = function (form, row) {
    var wantIn = form.getAttribute("data-checkin-action") === "in";
    var fields = {};
    new FormData(form).forEach(function (value, key) { if (key !== "csrf_token") { fields[key] = value; } });
    var rowId = row ? row.id : "";
    // One entry per person: the last state wanted replaces an earlier one.
    var queue = load().filter(function (item) { return !rowId || item.row !== rowId; });
    queue.push({ url: form.action, fields: fields, row: rowId, wantIn: wantIn });
    save(queue);
    markPending(row, wantIn);
    var name = row ? (row.getAttribute("data-display") || "") : "";
    say((door.getAttribute(wantIn ? "data-label-queued-in" : "data-label-queued-out") || "").replace("%name", name));
    return true;
  };

  function freshToken() {
    // The page may have been opened hours ago (the CSRF token expires): take a new one.
    return fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { if (!response.ok) { throw new Error("page"); } return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var input = doc.querySelector("input[name=csrf_token]");
        if (!input) { throw new Error("token"); }
        return input.value;
      });
  }

  function flush() {
    var queue = load();
    if (sending || !queue.length || !navigator.onLine) { return Promise.resolve(); }
    sending = true;
    return freshToken().then(function (token) {
      var next = function () {
        var items = load();
        if (!items.length) { return null; }
        var item = items[0];
        var data = new FormData();
        data.set("csrf_token", token);
        Object.keys(item.fields).forEach(function (k) { data.set(k, item.fields[k]); });
        return fetch(item.url, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (payload) {
            var done = response.ok || (response.status === 409 && payload.checked_in === item.wantIn);
            var rest = load().filter(function (other) { return other !== item && !(other.row === item.row && other.url === item.url && other.wantIn === item.wantIn); });
            save(rest);
            var row = item.row && document.getElementById(item.row);
            if (row) {
              row.classList.remove("is-pending");
              if (typeof payload.checked_in === "boolean") { markPending(row, payload.checked_in); row.classList.remove("is-pending"); }
            }
            if (typeof payload.present === "number") {
              document.querySelectorAll("[data-present]").forEach(function (el) { el.textContent = payload.present; });
            }
            if (!done && payload.message) { say(payload.message); }
            return next();
          });
        });
      };
      return next();
    }).then(function () {
      sending = false;
      if (!load().length) { say(door.getAttribute("data-label-synced")); }
      save(load());
    }, function () { sending = false; save(load()); });
  }

  T.flushCheckins = flush;
  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { save(load()); });
  load().forEach(function (item) {  // reopened offline: show what is still waiting
    markPending(item.row && document.getElementById(item.row), item.wantIn);
  });
  save(load());
  flush();
})();
