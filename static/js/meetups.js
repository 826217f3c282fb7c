/* Tremplin meetups: check-in search and one-click arrivals, moving people between tables
   (select or drag and drop), the tables' timer. Progressive enhancement only: every
   action is a real form that works without this file. No inline scripts (CSP). */
(function () {
  "use strict";

  function fold(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  function post(form, extra) {
    var data = new FormData(form);
    Object.keys(extra || {}).forEach(function (key) { data.set(key, extra[key]); });
    return fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; }).then(function (payload) {
        payload.status = response.status;
        return payload;
      });
    });
  }

  // --- check-in ------------------------------------------------------------------------
  var checkin = document.querySelector("[data-checkin]");
  if (checkin) {
    var search = checkin.querySelector("[data-checkin-search]");
    var rows = Array.prototype.slice.call(checkin.querySelectorAll(".checkin-row"));
    var none = checkin.querySelector("[data-checkin-none]");
    var status = checkin.querySelector("[data-checkin-status]");
    var walkIn = checkin.querySelector("[data-walk-in]");
    var walkName = walkIn && walkIn.querySelector("input[name=name]");

    var say = function (message, isError) {
      if (!status) { return; }
      status.textContent = message || "";
      status.classList.toggle("checkin-status--error", !!isError);
    };

    var filter = function () {
      var words = fold(search.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var name = row.getAttribute("data-name") || "";
        var match = words.every(function (w) { return name.indexOf(w) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (none) { none.hidden = shown > 0; }
      if (walkName && shown === 0 && words.length) { walkName.value = search.value.trim(); }
    };
    if (search) {
      search.addEventListener("input", filter);
      search.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {  // Enter checks in the only person left, if any
          event.preventDefault();
          var visible = rows.filter(function (r) { return !r.hidden && !r.classList.contains("is-in"); });
          if (visible.length === 1) {
            var button = visible[0].querySelector("[data-checkin-action=in] button");
            if (button) { button.click(); }
          }
        }
      });
    }

    var setCounts = function (payload) {
      if (typeof payload.present === "number") {
        checkin.ownerDocument.querySelectorAll("[data-present]").forEach(function (el) { el.textContent = payload.present; });
      }
      if (typeof payload.expected === "number") {
        checkin.ownerDocument.querySelectorAll("[data-expected]").forEach(function (el) { el.textContent = payload.expected; });
      }
    };

    var markRow = function (row, isIn) {
      row.classList.toggle("is-in", isIn);
      row.querySelector("[data-checkin-action=in]").hidden = isIn;
      row.querySelector("[data-checkin-action=out]").hidden = !isIn;
    };

    // Several phones at the door: each sees the others' arrivals live.
    var meetupId = checkin.getAttribute("data-meetup-id");
    var socket = window.Tremplin && window.Tremplin.socket;
    if (socket && meetupId) {
      var join = function () { socket.emit("meetups:door", { meetup: meetupId }); };
      socket.on("connect", join);
      if (socket.connected) { join(); }
      socket.on("meetups:checkin", function (data) {
        setCounts(data);
        var row = document.getElementById("r" + data.id);
        if (row) {
          markRow(row, !!data.checked_in);
        } else if (data.checked_in) {
          say((checkin.getAttribute("data-label-elsewhere") || "").replace("%name", data.name));
        }
      });
    }

    checkin.addEventListener("submit", function (event) {
      var form = event.target;
      var action = form.getAttribute && form.getAttribute("data-checkin-action");
      if (!action || typeof window.fetch !== "function") { return; }
      event.preventDefault();
      var row = form.closest(".checkin-row");
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      post(form).then(function (payload) {
        buttons.forEach(function (b) { b.disabled = false; });
        setCounts(payload);
        say(payload.message, !payload.ok);
        if (payload.ok && row) {
          var isIn = !!payload.checked_in;
          var hadFocus = row.contains(document.activeElement) || document.activeElement === document.body;
          markRow(row, isIn);
          if (isIn && search && search.value) { search.value = ""; filter(); search.focus(); }
          else if (hadFocus) {
            // The button just pressed is now hidden: keep the keyboard in the same row.
            var other = row.querySelector("[data-checkin-action=" + (isIn ? "out" : "in") + "] button");
            if (other) { other.focus(); }
          }
        } else if (payload.walk_in && walkName && row) {
          walkName.value = row.getAttribute("data-display") || "";
          var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
          walkIn.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "center" });
          walkName.focus();
        }
      }).catch(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        // No network: keep the arrival on the phone and send it later (offline.js);
        // without that script, fall back to the plain form.
        if (window.Tremplin && window.Tremplin.queueCheckin && window.Tremplin.queueCheckin(form, row)) {
          var other = row && row.querySelector("[data-checkin-action=" + (action === "in" ? "out" : "in") + "] button");
          if (other) { other.focus(); }
          return;
        }
        form.submit();
      });
    });
  }

  // --- moving people between tables ------------------------------------------------------
  var grid = document.querySelector("[data-tables][data-can-move]");
  if (grid) {
    var refreshCounts = function () {
      grid.querySelectorAll(".proposal-table").forEach(function (table) {
        var n = table.querySelectorAll(".seat").length;
        var label = table.querySelector("[data-table-count]");
        if (label) {
          var word = grid.getAttribute(n > 1 ? "data-label-many" : "data-label-one") || "";
          label.textContent = word.replace("%n", n);
        }
      });
    };
    var moveSeat = function (seat, tableId) {
      var form = seat.querySelector("[data-move-form]");
      var target = grid.querySelector('.proposal-table[data-table-id="' + tableId + '"]');
      if (!form || !target || seat.closest(".proposal-table") === target) { return; }
      post(form, { table: tableId }).then(function (payload) {
        if (!payload.ok) { window.alert(payload.message || grid.getAttribute("data-label-error") || ""); return; }
        target.querySelector("[data-seat-list]").appendChild(seat);
        var select = form.querySelector("select");
        if (select) { select.value = String(tableId); }
        refreshCounts();
      });
    };
    grid.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute("data-move-form") || typeof window.fetch !== "function") { return; }
      event.preventDefault();
      moveSeat(form.closest(".seat"), form.querySelector("select").value);
    });
    var dragged = null;
    grid.addEventListener("dragstart", function (event) {
      dragged = event.target.closest && event.target.closest(".seat");
      if (dragged) {
        dragged.classList.add("is-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", dragged.getAttribute("data-seat-id"));
      }
    });
    grid.addEventListener("dragend", function () {
      if (dragged) { dragged.classList.remove("is-dragging"); }
      grid.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
      dragged = null;
    });
    grid.addEventListener("dragover", function (event) {
      var table = event.target.closest && event.target.closest(".proposal-table");
      if (dragged && table) {
        event.preventDefault();
        grid.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
        table.classList.add("is-drop-target");
      }
    });
    grid.addEventListener("drop", function (event) {
      var table = event.target.closest && event.target.closest(".proposal-table");
      if (dragged && table) {
        event.preventDefault();
        moveSeat(dragged, table.getAttribute("data-table-id"));
      }
    });
  }

  // --- the timer -------------------------------------------------------------------------
  document.querySelectorAll("[data-timer]").forEach(function (timer) {
    var value = timer.querySelector("[data-timer-value]");
    var label = timer.querySelector("[data-timer-label]");
    var alertBox = timer.querySelector("[data-timer-alert]");
    var offset = Date.now() - Date.parse(timer.getAttribute("data-now"));
    var endsAt = timer.getAttribute("data-ends-at") ? Date.parse(timer.getAttribute("data-ends-at")) : null;
    var minutes = parseInt(timer.getAttribute("data-minutes"), 10) || 20;
    var announced = false;
    var text = function (name) { return timer.getAttribute("data-label-" + name) || ""; };
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var render = function () {
      if (!endsAt) {
        value.textContent = pad(minutes) + ":00";
        label.textContent = text("ready");
        timer.classList.remove("timer--running", "timer--done", "timer--soon");
        return;
      }
      var left = Math.max(0, Math.round((endsAt - (Date.now() - offset)) / 1000));
      value.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
      timer.classList.toggle("timer--running", left > 0);
      timer.classList.toggle("timer--soon", left > 0 && left <= 120);
      timer.classList.toggle("timer--done", left === 0);
      label.textContent = left > 0 ? text("running") : text("done");
      if (left === 0 && !announced) {
        announced = true;
        if (alertBox) { alertBox.textContent = text("alert"); }
      }
      if (left > 0) { announced = false; }
    };
    render();
    window.setInterval(render, 1000);
    var url = timer.getAttribute("data-timer-url");
    if (url && typeof window.fetch === "function") {
      window.setInterval(function () {
        fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (state) {
            if (!state) { return; }
            offset = Date.now() - Date.parse(state.now);
            endsAt = state.ends_at ? Date.parse(state.ends_at) : null;
            minutes = state.minutes || minutes;
            render();
          }).catch(function () {});
      }, 10000);
    }
  });

  // --- small helpers ---------------------------------------------------------------------
  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  document.querySelectorAll("input[data-autosubmit-check]").forEach(function (box) {
    box.addEventListener("change", function () { box.form.submit(); });
  });
})();
