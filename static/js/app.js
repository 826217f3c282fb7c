/* Tremplin: progressive enhancement for every page (navigation, confirmations, live badge).
   No inline scripts (CSP): pages opt in through data- attributes. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.documentElement.classList.remove("no-js");
  document.body.classList.add("js");
  document.body.classList.remove("no-js");

  // Mobile navigation toggle.
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // <select data-autosubmit> submits its form when changed with a pointer. Arrow keys
  // change a closed select too: the page must not reload under the keyboard (WCAG 3.2.2),
  // so after a key the form's hidden button appears and applies the choice instead.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var keyed = false;
    select.addEventListener("keydown", function () { keyed = true; });
    select.addEventListener("pointerdown", function () { keyed = false; });
    select.addEventListener("change", function () {
      if (keyed) { select.form.classList.add("is-keyed"); return; }
      select.form.submit();
    });
  });

  // After a failed submit the error summary takes the focus (and the screen, on a phone).
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (target) {
        event.preventDefault();
        var input = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
        (input || target).focus();
        (input || target).scrollIntoView({ block: "center" });
      }
    });
  }

  // A table wider than the screen scrolls inside .table-wrap: keyboard users must reach
  // that scroll too, so the region takes the focus and is named after its table.
  function focusableScroll() {
    document.querySelectorAll(".table-wrap, .chart").forEach(function (wrap) {
      if (wrap.hasAttribute("tabindex") || wrap.scrollWidth <= wrap.clientWidth + 1) { return; }
      wrap.setAttribute("tabindex", "0");
      if (!wrap.hasAttribute("role")) { wrap.setAttribute("role", "region"); }
      if (!wrap.hasAttribute("aria-label") && !wrap.hasAttribute("aria-labelledby")) {
        var caption = wrap.querySelector("caption");
        var heading = wrap.closest("section") && wrap.closest("section").querySelector("h2, h3");
        var name = (caption && caption.textContent) || (heading && heading.textContent) || document.title;
        wrap.setAttribute("aria-label", name.trim());
      }
    });
  }
  focusableScroll();
  window.addEventListener("resize", focusableScroll);

  // Escape closes an open <details> menu ("⋯") and gives the focus back to its summary.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = event.target.closest && event.target.closest("details[open]");
    if (open) {
      open.open = false;
      var toggleEl = open.querySelector("summary");
      if (toggleEl) { toggleEl.focus(); }
    }
  });

  // Share buttons: the system share sheet (Web Share API) and "copy the link" where the
  // browser has them; the plain links work everywhere.
  document.querySelectorAll("[data-share]").forEach(function (box) {
    var url = box.getAttribute("data-share-url");
    var title = box.getAttribute("data-share-title");
    var status = box.querySelector("[data-share-status]");
    var native = box.querySelector("[data-share-native]");
    if (native && navigator.share) {
      native.parentNode.hidden = false;
      native.addEventListener("click", function () {
        navigator.share({ title: title, url: url }).catch(function () {});
      });
    }
    var copy = box.querySelector("[data-share-copy]");
    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.parentNode.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(url).then(function () {
          if (status) { status.textContent = copy.getAttribute("data-copied"); }
          copy.textContent = copy.getAttribute("data-copied");
        });
      });
    }
  });

  // <form data-confirm="..."> asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  }, true);

  // A second tap must not send the form twice: once a POST form really leaves (no script
  // took it over), its buttons are disabled and say they are busy. They come back if the
  // page is shown again from the history, or after a while (a download, a stopped load).
  var busyLabel = document.body.getAttribute("data-busy-label") || "…";
  function release(form) {
    form.querySelectorAll("button[data-busy]").forEach(function (b) {
      b.disabled = false;
      b.innerHTML = b.getAttribute("data-busy");
      b.removeAttribute("data-busy");
    });
    form.removeAttribute("aria-busy");
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post" || form.target) { return; }
    var submitter = event.submitter;
    window.setTimeout(function () {  // after the browser has read the submitter's value
      if (event.defaultPrevented) { return; }
      form.setAttribute("aria-busy", "true");
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        if (b.hasAttribute("data-busy")) { return; }
        b.setAttribute("data-busy", b.innerHTML);
        if (b === submitter || form.querySelectorAll("button").length === 1) {
          b.textContent = b.getAttribute("data-busy-label") || busyLabel;
        }
        b.disabled = true;
      });
      window.setTimeout(function () { release(form); }, 10000);
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { document.querySelectorAll("form[aria-busy]").forEach(release); }
  });

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
