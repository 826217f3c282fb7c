/* Tremplin: progressive enhancement for every page (navigation, confirmations, live badge).
   No inline scripts (CSP): pages opt in through data- attributes. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.body.classList.add("js");

  // Mobile navigation toggle.
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // <select data-autosubmit> submits its form on change (language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // <form data-confirm="..."> asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  }, true);

  // Live notification badge (members only): one shared socket for the whole page.
  function setUnread(count) {
    var badge = document.getElementById("notification-count");
    if (!badge) { return; }
    badge.firstChild.nodeValue = String(count);
    badge.hidden = !count;
    var bell = badge.closest(".bell");
    if (bell) { bell.setAttribute("data-unread", String(count)); }
  }
  // Count badges (navigation, channel lists): hidden at zero. Shared with chat.js.
  function setBadge(el, n) { if (el) { el.textContent = String(n); el.hidden = !n; } }
  function bumpBadge(el) { if (el) { setBadge(el, (parseInt(el.textContent, 10) || 0) + 1); } }
  function navBadge(endpoint) { return document.querySelector('[data-nav-badge="' + endpoint + '"]'); }
  window.Tremplin = window.Tremplin || {};
  window.Tremplin.setUnread = setUnread;
  window.Tremplin.setBadge = setBadge;
  window.Tremplin.bumpBadge = bumpBadge;
  window.Tremplin.navBadge = navBadge;
  if (document.body.getAttribute("data-member") === "1" && typeof window.io === "function") {
    var socket = window.io({ transports: ["websocket", "polling"] });
    window.Tremplin.socket = socket;
    socket.on("notifications:count", function (data) { setUnread(data.unread || 0); });
    socket.on("connect", function () { document.body.setAttribute("data-socket", "connected"); });
    socket.on("disconnect", function () { document.body.setAttribute("data-socket", "disconnected"); });
    liveNavBadges(socket);
  }

  // Unread messages in the navigation (groups, conversations) stay true on every page; the
  // chat pages (chat.js, [data-chat]) keep them themselves, with the room they show.
  function liveNavBadges(socket) {
    var me = parseInt(document.body.getAttribute("data-user-id"), 10);
    function onChatPage() { return !!document.querySelector("[data-chat]"); }
    function totals(counts) {
      if (!counts) { return; }
      setBadge(navBadge("groups.index"), counts.channels_total || 0);
      setBadge(navBadge("groups.conversations"), counts.conversations_total || 0);
    }
    if (!navBadge("groups.index") && !navBadge("groups.conversations")) { return; }
    function subscribe() {
      if (onChatPage()) { return; }
      socket.emit("chat:subscribe", {}, function (answer) {
        if (answer && answer.ok) { totals(answer.unread); }
      });
    }
    socket.on("connect", subscribe);
    socket.on("unread:bump", function (data) {
      if (!onChatPage() && data.author_id !== me) { bumpBadge(navBadge("groups.index")); }
    });
    socket.on("message:new", function (msg) {
      if (!onChatPage() && msg.conversation_id && msg.author && msg.author.id !== me) {
        bumpBadge(navBadge("groups.conversations"));
      }
    });
    socket.on("unread:sync", function (counts) { if (!onChatPage()) { totals(counts); } });
  }
})();
