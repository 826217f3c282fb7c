/* Tremplin chat: live channels and conversations over the page's single Socket.IO
   connection (window.Tremplin.socket). Without JavaScript the page still works: the
   composer posts a form. Messages are stored before they are broadcast; on (re)connect
   the page fetches over HTTP whatever it missed (?after=<last id>). No inline scripts:
   everything comes from data- attributes. */
(function () {
  "use strict";
  var root = document.querySelector("[data-chat]");
  var T = window.Tremplin || {};
  var socket = T.socket;
  if (!root || !socket) { return; }

  var kind = root.getAttribute("data-room-kind");
  var roomId = parseInt(root.getAttribute("data-room-id"), 10);
  var roomKey = kind === "channel" ? "channel_id" : "conversation_id";
  var userId = parseInt(root.getAttribute("data-user-id"), 10);
  var groupId = root.hasAttribute("data-group-id") ? parseInt(root.getAttribute("data-group-id"), 10) : null;
  var canModerate = root.getAttribute("data-can-moderate") === "1";
  var historyUrl = root.getAttribute("data-history-url");
  var list = root.querySelector("[data-messages]");
  var log = root.querySelector("[data-chat-log]");
  var template = document.getElementById("message-template");
  var composer = root.querySelector("[data-composer]");
  var textarea = composer ? composer.querySelector("textarea") : null;
  var errorBox = composer ? composer.querySelector("[data-composer-error]") : null;
  var statusBox = root.querySelector("[data-chat-status]");
  var typingBox = root.querySelector("[data-typing]");
  var viewingOlder = /[?&]before=/.test(window.location.search);
  var canWrite = root.getAttribute("data-can-write") === "1";
  var panel = root.querySelector("[data-thread-panel]");
  var openRoot = null;  // the id of the thread shown in the panel

  function label(name) { return root.getAttribute("data-label-" + name) || ""; }

  var timeFormat;
  try {
    timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || "fr", {
      day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris"
    });
  } catch (e) { timeFormat = null; }

  function roomData(extra) {
    var data = {};
    data[roomKey] = roomId;
    Object.keys(extra || {}).forEach(function (key) { data[key] = extra[key]; });
    return data;
  }

  function renderAttachment(a, msg) {
    var img;
    if (a.kind === "audio") {
      var figure = document.createElement("figure");
      figure.className = "msg__voice";
      var audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "metadata";
      audio.src = a.url;
      audio.setAttribute("aria-label", label("voice-by").replace("{name}", msg.author.name));
      var caption = document.createElement("figcaption");
      caption.className = "msg__voice-duration";
      caption.textContent = label("voice-duration").replace("{duration}", a.duration);
      figure.appendChild(audio);
      figure.appendChild(caption);
      return figure;
    }
    var link = document.createElement("a");
    link.href = a.url;
    if (a.kind === "document") {
      link.className = "msg__document";
      link.setAttribute("download", "");
      if (a.thumbnail_url) {
        img = document.createElement("img");
        img.className = "msg__document-thumb";
        img.src = a.thumbnail_url;
        img.alt = "";
        img.loading = "lazy";
        link.appendChild(img);
      } else {
        var icon = document.createElement("span");
        icon.className = "msg__document-icon";
        icon.setAttribute("aria-hidden", "true");
        icon.textContent = a.type_label;
        link.appendChild(icon);
      }
      var name = document.createElement("span");
      name.className = "msg__document-name";
      name.textContent = a.name;
      var meta = document.createElement("span");
      meta.className = "msg__document-meta";
      meta.textContent = label("document").replace("{type}", a.type_label).replace("{size}", a.size);
      link.appendChild(name);
      link.appendChild(meta);
      return link;
    }
    link.className = "msg__photo";
    img = document.createElement("img");
    img.src = a.thumbnail_url;
    img.alt = label("photo-by").replace("{name}", msg.author.name);
    img.loading = "lazy";
    link.appendChild(img);
    return link;
  }

  // --- badges -------------------------------------------------------------------------
  var setBadge = T.setBadge, bump = T.bumpBadge, navBadge = T.navBadge;

  // --- rendering ----------------------------------------------------------------------
  function lastId() {
    var items = list.querySelectorAll("[data-message-id]");
    var max = 0;
    for (var i = 0; i < items.length; i++) {
      var id = parseInt(items[i].getAttribute("data-message-id"), 10);
      if (id > max) { max = id; }
    }
    return max;
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  }
  function scrollToBottom() { log.scrollTop = log.scrollHeight; }

  function placeholder(text) {
    var p = document.createElement("p");
    p.className = "msg__placeholder";
    p.textContent = text;
    return p;
  }

  function repliesLabel(n) {
    return n === 1 ? label("replies-one") : label("replies-many").replace("{n}", n);
  }

  function renderReactions(bar, msg) {
    bar.textContent = "";
    (msg.reactions || []).forEach(function (r) {
      var mine = r.user_ids.indexOf(userId) !== -1;
      var el = document.createElement(canWrite ? "button" : "span");
      el.className = "reaction" + (mine ? " reaction--mine" : "");
      el.title = r.names.join(", ");
      el.setAttribute("aria-label", r.emoji + " : " + r.names.join(", "));
      if (canWrite) {
        el.type = "button";
        el.setAttribute("aria-pressed", mine ? "true" : "false");
        el.setAttribute("data-react", r.emoji);
      }
      el.appendChild(document.createTextNode(r.emoji + " "));
      var count = document.createElement("span");
      count.className = "reaction__count";
      count.textContent = r.count;
      el.appendChild(count);
      bar.appendChild(el);
    });
  }

  function render(msg, prefix) {
    var li = template.content.firstElementChild.cloneNode(true);
    var own = msg.author.id === userId;
    var visible = !msg.deleted && !msg.hidden;
    li.id = (prefix || "m") + msg.id;
    li.setAttribute("data-message-id", msg.id);
    li.setAttribute("data-author-id", msg.author.id);
    if (own) { li.classList.add("msg--own"); }
    if (msg.deleted) { li.classList.add("msg--deleted"); }
    if (msg.hidden) { li.classList.add("msg--hidden"); }
    if (msg.pinned) { li.classList.add("msg--pinned"); }
    if ((msg.mentions || []).indexOf(userId) !== -1) { li.classList.add("msg--mentions-me"); }

    var avatar = li.querySelector(".avatar");
    if (msg.author.avatar_url) {
      var img = document.createElement("img");
      img.className = "avatar avatar--sm";
      img.alt = "";
      img.src = msg.author.avatar_url;
      avatar.replaceWith(img);
    } else {
      avatar.textContent = msg.author.initial || "?";
    }
    var author = li.querySelector(".msg__author");
    if (msg.author.url) {
      var a = document.createElement("a");
      a.className = "msg__author";
      a.href = msg.author.url;
      a.textContent = msg.author.name;
      author.replaceWith(a);
    } else {
      author.textContent = msg.author.name;
    }
    var time = li.querySelector(".msg__time");
    time.setAttribute("datetime", msg.created_at);
    time.textContent = timeFormat ? timeFormat.format(new Date(msg.created_at)) : msg.created_at;
    li.querySelector(".msg__edited").hidden = !(msg.edited && visible);
    li.querySelector(".msg__pin").hidden = !msg.pinned;

    var body = li.querySelector(".msg__body");
    if (msg.deleted) { body.appendChild(placeholder(label("deleted"))); }
    else if (msg.hidden) { body.appendChild(placeholder(label("hidden"))); }
    else { body.innerHTML = msg.html; }  // sanitised by the server (nh3)
    var photos = li.querySelector("[data-attachments]");
    if (visible && msg.attachments && msg.attachments.length) {
      msg.attachments.forEach(function (a) { photos.appendChild(renderAttachment(a, msg)); });
    } else { photos.remove(); }
    var bar = li.querySelector("[data-reactions]");
    if (visible) { renderReactions(bar, msg); } else { bar.remove(); }
    var threadLink = li.querySelector("[data-thread-link]");
    if (msg.thread_root_id || !msg.reply_count || prefix === "t") { threadLink.remove(); }
    else {
      threadLink.hidden = false;
      threadLink.textContent = repliesLabel(msg.reply_count);
      threadLink.href = threadLink.href.replace("/0/", "/" + msg.id + "/");
    }

    var menu = li.querySelector(".msg__menu");
    if (!visible) {
      menu.remove();
    } else {
      var shown = 0;
      menu.querySelectorAll("[data-when]").forEach(function (item) {
        var when = item.getAttribute("data-when");
        var keep = (when === "own" && own) || (when === "other" && !own) ||
          (when === "moderator" && canModerate) || (when === "writer" && canWrite) ||
          (when === "root" && canWrite && !msg.thread_root_id && prefix !== "t");
        if (!keep) { item.remove(); return; }
        shown++;
        var targets = [item].concat(Array.prototype.slice.call(item.querySelectorAll("form")));
        targets.forEach(function (target) { ["href", "action"].forEach(function (attr) {
          var value = target.getAttribute(attr);
          if (value) {
            value = value.replace("/0/", "/" + msg.id + "/");
            if (msg.pinned) { value = value.replace("/epingler", "/desepingler"); }
            target.setAttribute(attr, value);
          }
        }); });
        if (msg.pinned && item.action && /desepingler/.test(item.action)) {
          item.querySelector("button").textContent = label("unpin");
        }
      });
      if (!shown) { menu.remove(); }
    }
    return li;
  }

  function upsert(msg) {
    if (msg.thread_root_id) { return false; }  // replies live in their thread
    var existing = document.getElementById("m" + msg.id);
    var stick = nearBottom() || msg.author.id === userId;
    var el = render(msg);
    if (existing) {
      existing.replaceWith(el);
      return false;
    }
    if (viewingOlder) { return false; }  // a page of old messages stays as it is
    // Keep the thread in order even if a late fetch and a live event cross.
    var next = null;
    var items = list.querySelectorAll("[data-message-id]");
    for (var i = items.length - 1; i >= 0; i--) {
      if (parseInt(items[i].getAttribute("data-message-id"), 10) > msg.id) { next = items[i]; } else { break; }
    }
    list.insertBefore(el, next);
    var empty = root.querySelector("[data-chat-empty]");
    if (empty) { empty.remove(); }
    if (stick) { scrollToBottom(); }
    return true;
  }

  // --- status -------------------------------------------------------------------------
  function showStatus(text) {
    if (!statusBox) { return; }
    statusBox.textContent = text || "";
    statusBox.hidden = !text;
  }
  function showError(text) {
    if (!errorBox) { return; }
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
    if (textarea) { textarea.setAttribute("aria-invalid", text ? "true" : "false"); }
  }

  // --- read markers -------------------------------------------------------------------
  var readTimer = null;
  function markRead() {
    if (viewingOlder || document.visibilityState !== "visible") { return; }
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      var id = lastId();
      if (id) { socket.emit("read", roomData({ message_id: id })); }
    }, 800);
  }
  document.addEventListener("visibilitychange", markRead);

  // --- catching up ----------------------------------------------------------------------
  function fetchMissed() {
    if (viewingOlder) { return; }
    var after = lastId();
    var url = historyUrl + "?after=" + after + "&limit=200";
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var added = false;
        data.messages.forEach(function (msg) { added = upsert(msg) || added; });
        if (data.has_more) { fetchMissed(); } else if (added) { markRead(); }
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  function onConnect() {
    showStatus("");
    socket.emit("chat:subscribe", groupId ? { group_id: groupId } : {}, function (answer) {
      if (answer && answer.ok && answer.unread) { applyUnread(answer.unread); }
      if (answer && answer.online) { showOnline(answer.online); }
    });
    var joinEvent = kind === "channel" ? "channel:join" : "conversation:join";
    socket.emit(joinEvent, roomData({}), function (answer) {
      if (answer && answer.ok) { fetchMissed(); markRead(); }
      else if (answer && answer.error) { showStatus(answer.error); }
    });
  }
  socket.on("connect", onConnect);
  socket.on("disconnect", function () { showStatus(label("offline")); });
  if (socket.connected) { onConnect(); }

  // --- live events ----------------------------------------------------------------------
  function inThisRoom(msg) {
    return kind === "channel" ? msg.channel_id === roomId : msg.conversation_id === roomId;
  }

  socket.on("message:new", function (msg) {
    if (inThisRoom(msg) && msg.thread_root_id) {
      if (msg.thread_root_id === openRoot) { upsertReply(msg); }
      return;
    }
    if (inThisRoom(msg)) {
      if (upsert(msg) && msg.author.id !== userId) { markRead(); }
      clearTyping(msg.author.id);
    } else if (msg.conversation_id && msg.author.id !== userId) {
      bump(navBadge("groups.conversations"));
    }
  });
  ["message:edit", "message:delete", "message:update"].forEach(function (name) {
    socket.on(name, function (msg) {
      if (!inThisRoom(msg)) { return; }
      if (document.getElementById("m" + msg.id)) { upsert(msg); }
      if (document.getElementById("t" + msg.id)) { upsertReply(msg); }
    });
  });

  socket.on("message:reactions", function (data) {
    if (!inThisRoom(data)) { return; }
    ["m", "t"].forEach(function (prefix) {
      var li = document.getElementById(prefix + data.id);
      var bar = li && li.querySelector("[data-reactions]");
      if (bar) { renderReactions(bar, data); }
    });
  });

  // --- reactions ------------------------------------------------------------------------
  function react(messageId, emoji, on) {
    socket.emit("reaction:set", { message_id: messageId, emoji: emoji, on: on }, function (answer) {
      if (!answer || !answer.ok) { showStatus((answer && answer.error) || label("error")); }
    });
  }
  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-react]");
    if (!button || !socket.connected) { return; }
    event.preventDefault();
    var li = button.closest("[data-message-id]");
    react(parseInt(li.getAttribute("data-message-id"), 10), button.getAttribute("data-react"),
      button.getAttribute("aria-pressed") !== "true");
  });
  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("data-action") !== "react" || !socket.connected) { return; }
    event.preventDefault();
    var li = form.closest("[data-message-id]");
    var id = parseInt(li.getAttribute("data-message-id"), 10);
    var emoji = form.querySelector("input[name=emoji]").value;
    var mine = li.querySelector('[data-react="' + emoji + '"][aria-pressed="true"]');
    var menu = form.closest("details");
    if (menu) { menu.open = false; }
    react(id, emoji, !mine);
  }, true);

  // --- threads --------------------------------------------------------------------------
  var threadRootList = panel ? panel.querySelector("[data-thread-root]") : null;
  var threadReplies = panel ? panel.querySelector("[data-thread-replies]") : null;
  var threadComposer = panel ? panel.querySelector("[data-thread-composer]") : null;
  var threadArea = threadComposer ? threadComposer.querySelector("textarea") : null;
  var threadError = panel ? panel.querySelector("[data-thread-error]") : null;

  function upsertReply(msg) {
    if (!panel || msg.thread_root_id !== openRoot && msg.id !== openRoot) { return; }
    var el = render(msg, "t");
    var existing = document.getElementById("t" + msg.id);
    if (existing) { existing.replaceWith(el); return; }
    if (msg.id === openRoot) { threadRootList.appendChild(el); return; }
    threadReplies.appendChild(el);
    threadReplies.scrollTop = threadReplies.scrollHeight;
  }

  function openThread(id) {
    if (!panel) { return false; }
    openRoot = id;
    threadRootList.textContent = "";
    threadReplies.textContent = "";
    panel.hidden = false;
    root.classList.add("chat--with-thread");
    socket.emit("thread:history", { message_id: id }, function (answer) {
      if (!answer || !answer.ok) { showStatus((answer && answer.error) || label("error")); return; }
      upsertReply(answer.root);
      answer.replies.forEach(upsertReply);
      (threadArea || panel).focus();
    });
    return true;
  }
  function closeThread() {
    if (!panel) { return; }
    var was = openRoot;
    openRoot = null;
    panel.hidden = true;
    root.classList.remove("chat--with-thread");
    var li = was && document.getElementById("m" + was);
    var back = li && (li.querySelector("[data-thread-link]:not([hidden])") || li.querySelector(".msg__menu-toggle"));
    if (back) { back.focus(); }
  }
  root.addEventListener("click", function (event) {
    var link = event.target.closest("[data-action=thread], [data-thread-link]");
    if (!link || !socket.connected || !panel || link.closest("[data-thread-panel]")) { return; }
    var li = link.closest("[data-message-id]");
    event.preventDefault();
    var menu = link.closest("details");
    if (menu) { menu.open = false; }
    openThread(parseInt(li.getAttribute("data-message-id"), 10));
  });
  if (panel) {
    panel.querySelector("[data-thread-close]").addEventListener("click", closeThread);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.defaultPrevented) { closeThread(); }
    });
  }
  if (threadComposer) {
    threadComposer.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!openRoot) { return; }
      var button = threadComposer.querySelector("button[type=submit]");
      button.disabled = true;
      socket.emit("message:send", roomData({ body: threadArea.value, thread_root_id: openRoot }), function (answer) {
        button.disabled = false;
        if (answer && answer.ok) {
          threadArea.value = "";
          threadError.hidden = true;
          upsertReply(answer.message);
        } else {
          threadError.textContent = (answer && answer.error) || label("error");
          threadError.hidden = false;
        }
        threadArea.focus();
      });
    });
    threadArea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.defaultPrevented &&
          threadArea.getAttribute("data-expanded") !== "true") {
        event.preventDefault();
        threadComposer.requestSubmit ? threadComposer.requestSubmit() : threadComposer.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
  }

  socket.on("unread:bump", function (data) {
    if (data.author_id === userId) { return; }
    if (kind === "channel" && data.channel_id === roomId && !viewingOlder) { return; }
    bump(document.querySelector('[data-channel-unread="' + data.channel_id + '"]'));
    bump(navBadge("groups.index"));
  });

  function applyUnread(counts) {
    document.querySelectorAll("[data-channel-unread]").forEach(function (el) {
      var id = el.getAttribute("data-channel-unread");
      var n = (kind === "channel" && parseInt(id, 10) === roomId) ? 0 : (counts.channels[id] || 0);
      setBadge(el, n);
    });
    var current = kind === "channel" ? (counts.channels[String(roomId)] || 0) : 0;
    setBadge(navBadge("groups.index"), Math.max(0, counts.channels_total - current));
    var currentConversation = kind === "conversation" ? (counts.conversations[String(roomId)] || 0) : 0;
    setBadge(navBadge("groups.conversations"), Math.max(0, counts.conversations_total - currentConversation));
  }
  socket.on("unread:sync", applyUnread);

  // --- presence -----------------------------------------------------------------------
  var presenceList = document.querySelector("[data-presence-list]");
  var presenceEmpty = document.querySelector("[data-presence-empty]");
  function setOnline(user, online) {
    if (!presenceList || user.id === userId) { return; }
    var item = presenceList.querySelector('[data-user-id="' + user.id + '"]');
    if (online && !item) {
      item = document.createElement("li");
      item.setAttribute("data-user-id", user.id);
      var dot = document.createElement("span");
      dot.className = "presence-dot";
      dot.setAttribute("aria-hidden", "true");
      item.appendChild(dot);
      item.appendChild(document.createTextNode(user.name));
      presenceList.appendChild(item);
    } else if (!online && item) {
      item.remove();
    }
    if (presenceEmpty) { presenceEmpty.hidden = presenceList.children.length > 0; }
  }
  function showOnline(people) {  // the server's view when (re)subscribing
    if (!presenceList) { return; }
    var ids = people.map(function (p) { return String(p.id); });
    Array.prototype.slice.call(presenceList.children).forEach(function (item) {
      if (ids.indexOf(item.getAttribute("data-user-id")) === -1) { item.remove(); }
    });
    people.forEach(function (p) { setOnline(p, true); });
    if (presenceEmpty) { presenceEmpty.hidden = presenceList.children.length > 0; }
  }
  var presenceTimer = null;
  socket.on("presence", function (data) {
    if (data.group_id !== groupId) { return; }
    setOnline(data.user, data.online);
    // Comings and goings announced from different threads may cross: settle on the
    // server's current list shortly after.
    clearTimeout(presenceTimer);
    presenceTimer = setTimeout(function () {
      socket.emit("presence:list", { group_id: groupId }, function (answer) {
        if (answer && answer.ok) { showOnline(answer.online); }
      });
    }, 400);
  });

  // --- @-autocomplete (a listbox of suggestions under the composers) ----------------------------------
  var mentionsUrl = root.getAttribute("data-mentions-url");
  var suggestCount = 0;
  function attachMentions(area) {
    if (!area || !mentionsUrl) { return; }
    var box = document.createElement("ul");
    var boxId = area.id + "-suggestions";
    box.id = boxId;
    box.className = "mention-suggestions";
    box.setAttribute("role", "listbox");
    box.setAttribute("aria-label", label("suggestions"));
    box.hidden = true;
    area.parentNode.insertBefore(box, area.nextSibling);
    // A textarea keeps its own role (textbox): axe refuses role="combobox" on it; it
    // announces the list with aria-autocomplete/aria-controls and the active option with
    // aria-activedescendant, and keeps the open state in data-expanded for the Enter key.
    area.setAttribute("aria-autocomplete", "list");
    area.setAttribute("data-expanded", "false");
    area.setAttribute("aria-controls", boxId);
    var active = -1, items = [], start = -1, pending = 0;

    function close() {
      box.hidden = true;
      box.textContent = "";
      items = [];
      active = -1;
      area.setAttribute("data-expanded", "false");
      area.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      active = index;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      if (index >= 0) { area.setAttribute("aria-activedescendant", items[index].id); }
    }
    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      var name = item.getAttribute("data-name");
      var caret = area.selectionStart;
      area.value = area.value.slice(0, start) + "@" + name + " " + area.value.slice(caret);
      var at = start + name.length + 2;
      area.setSelectionRange(at, at);
      close();
      area.focus();
    }
    function query() {
      var caret = area.selectionStart;
      var before = area.value.slice(0, caret);
      var match = /(^|\s)@([^\s@]{0,30}(?: [^\s@]{0,30})?)$/.exec(before);
      if (!match) { close(); return; }
      start = caret - match[2].length - 1;
      var ticket = ++pending;
      var url = mentionsUrl + "?" + roomKey + "=" + roomId + "&q=" + encodeURIComponent(match[2]);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (ticket !== pending) { return; }
          box.textContent = "";
          items = [];
          if (!data || !data.members.length) { close(); return; }
          data.members.forEach(function (member, i) {
            var li = document.createElement("li");
            li.id = boxId + "-" + (++suggestCount);
            li.setAttribute("role", "option");
            li.setAttribute("data-name", member.name);
            li.textContent = member.name;
            li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
            box.appendChild(li);
            items.push(li);
          });
          box.hidden = false;
          area.setAttribute("data-expanded", "true");
          highlight(0);
        })
        .catch(close);
    }
    area.addEventListener("input", query);
    area.addEventListener("blur", function () { setTimeout(close, 150); });
    area.addEventListener("keydown", function (event) {
      if (box.hidden || !items.length) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % items.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); choose(active); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
  }
  attachMentions(textarea);
  attachMentions(threadArea);

  // --- typing -------------------------------------------------------------------------
  var typers = {};
  function renderTyping() {
    var names = Object.keys(typers).map(function (id) { return typers[id].name; });
    if (!typingBox) { return; }
    if (!names.length) { typingBox.textContent = ""; }
    else if (names.length === 1) { typingBox.textContent = label("typing-one").replace("{name}", names[0]); }
    else { typingBox.textContent = label("typing-many"); }
  }
  function clearTyping(id) {
    if (typers[id]) { clearTimeout(typers[id].timer); delete typers[id]; renderTyping(); }
  }
  socket.on("typing", function (data) {
    var here = kind === "channel" ? data.channel_id === roomId : data.conversation_id === roomId;
    if (!here || data.user.id === userId) { return; }
    clearTyping(data.user.id);
    typers[data.user.id] = { name: data.user.name, timer: setTimeout(function () { clearTyping(data.user.id); }, 5000) };
    renderTyping();
  });
  var lastTyping = 0;
  if (textarea) {
    textarea.addEventListener("input", function () {
      showError("");
      var now = Date.now();
      if (now - lastTyping > 3000 && textarea.value.trim()) {
        lastTyping = now;
        socket.emit("typing", roomData({}));
      }
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.defaultPrevented &&
          textarea.getAttribute("data-expanded") !== "true") {
        event.preventDefault();
        composer.requestSubmit ? composer.requestSubmit() : composer.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
  }

  // --- sending ------------------------------------------------------------------------
  if (composer) {
    composer.addEventListener("submit", function (event) {
      if (!socket.connected) { return; }  // the form posts as without JavaScript
      var withFiles = Array.prototype.some.call(composer.querySelectorAll("[data-composer-file]"),
        function (input) { return input.files && input.files.length; });
      if (withFiles) { return; }  // photos, documents, voice go with the form (multipart)
      event.preventDefault();
      var body = textarea.value;
      var button = composer.querySelector("button[type=submit]");
      button.disabled = true;
      socket.emit("message:send", roomData({ body: body }), function (answer) {
        button.disabled = false;
        if (answer && answer.ok) {
          textarea.value = "";
          showError("");
          lastTyping = 0;
          upsert(answer.message);
          scrollToBottom();
        } else {
          showError((answer && answer.error) || label("error"));
        }
        textarea.focus();
      });
    });
  }

  // --- editing and deleting one's own messages -------------------------------------------
  list.addEventListener("click", function (event) {
    var link = event.target.closest("[data-action=edit]");
    if (!link || !socket.connected) { return; }
    event.preventDefault();
    var li = link.closest("[data-message-id]");
    var id = parseInt(li.getAttribute("data-message-id"), 10);
    var menu = li.querySelector(".msg__menu");
    if (menu) { menu.open = false; }
    if (li.querySelector(".msg__editor")) { return; }
    fetch(historyUrl + "?after=" + (id - 1) + "&limit=1", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var msg = data.messages[0];
        if (!msg || msg.id !== id) { return; }
        var form = document.createElement("form");
        form.className = "msg__editor";
        var area = document.createElement("textarea");
        area.className = "input";
        area.rows = 3;
        area.value = msg.body;
        area.setAttribute("aria-label", label("edit"));
        var error = document.createElement("p");
        error.className = "field__error";
        error.setAttribute("role", "alert");
        error.hidden = true;
        var row = document.createElement("div");
        row.className = "button-row";
        var save = document.createElement("button");
        save.type = "submit";
        save.className = "button button--small";
        save.textContent = label("save");
        var cancel = document.createElement("button");
        cancel.type = "button";
        cancel.className = "button button--ghost button--small";
        cancel.textContent = label("cancel");
        row.appendChild(save);
        row.appendChild(cancel);
        form.appendChild(area);
        form.appendChild(error);
        form.appendChild(row);
        li.querySelector(".msg__main").appendChild(form);
        area.focus();
        cancel.addEventListener("click", function () { form.remove(); });
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          socket.emit("message:edit", { message_id: id, body: area.value }, function (answer) {
            if (answer && answer.ok) { upsert(answer.message); }
            else { error.textContent = (answer && answer.error) || label("error"); error.hidden = false; }
          });
        });
      });
  });

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.getAttribute("data-action") !== "delete" || !socket.connected) { return; }
    event.preventDefault();
    var li = form.closest("[data-message-id]");
    var id = parseInt(li.getAttribute("data-message-id"), 10);
    socket.emit("message:delete", { message_id: id }, function (answer) {
      if (!answer || !answer.ok) { showStatus((answer && answer.error) || label("error")); }
    });
  });

  // Start at the newest message (unless a link points at a given one).
  if (!window.location.hash && !viewingOlder) { scrollToBottom(); }
})();
