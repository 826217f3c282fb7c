/* Opt-in to Web Push on this device, from the notification settings page. Without
   support (or JavaScript) the block stays hidden: in-app notices still work. */
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) { return; }
  var button = box.querySelector("[data-push-toggle]");
  var status = box.querySelector("[data-push-status]");
  var token = box.querySelector("input[name=csrf_token]").value;
  function say(name) { status.textContent = box.getAttribute("data-label-" + name) || ""; }
  function b64ToBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function post(url, fields) {
    var body = new FormData();
    body.append("csrf_token", token);
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" });
  }
  box.hidden = false;
  navigator.serviceWorker.register(box.getAttribute("data-worker")).then(function (reg) {
    return reg.pushManager.getSubscription().then(function (sub) {
      button.setAttribute("aria-pressed", sub ? "true" : "false");
      say(sub ? "on" : "off");
      button.addEventListener("click", function () {
        reg.pushManager.getSubscription().then(function (current) {
          if (current) {
            return post(box.getAttribute("data-unsubscribe"), { endpoint: current.endpoint })
              .then(function () { return current.unsubscribe(); })
              .then(function () { button.setAttribute("aria-pressed", "false"); say("off"); });
          }
          return fetch(box.getAttribute("data-key"), { credentials: "same-origin" })
            .then(function (r) { return r.json(); })
            .then(function (data) {
              return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(data.key) });
            })
            .then(function (sub) {
              var json = sub.toJSON();
              return post(box.getAttribute("data-subscribe"), { endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth });
            })
            .then(function () { button.setAttribute("aria-pressed", "true"); say("on"); })
            .catch(function () { say("denied"); });
        });
      });
    });
  }).catch(function () { box.hidden = true; });
})();
