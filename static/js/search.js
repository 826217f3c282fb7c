/* Tremplin: instant search in the navigation box.
   The form works without JavaScript (GET /recherche). This turns its input into an ARIA 1.2
   combobox: results arrive while typing (debounced), arrow keys move through them, Enter
   opens the chosen one (or the results page), Escape closes the list then clears the box.
   No inline script or style (CSP); every text comes from data- attributes (translated). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-search-suggest]");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("[role=combobox]");
  var listbox = document.getElementById(input.getAttribute("aria-controls"));
  var status = form.querySelector("[data-search-status]");
  var endpoint = form.getAttribute("data-search-suggest");
  var DELAY = 200, MIN_CHARS = 2;
  var timer = null, controller = null, sequence = 0, active = -1, options = [];

  function label(name, values) {
    var text = form.getAttribute("data-label-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }

  function announce(text) {
    // Re-set the text so a repeated message is announced again.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 30);
  }

  function setActive(index) {
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      option.classList.toggle("is-active", i === index);
    });
    active = index;
    if (index >= 0 && options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open() {
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }

  function clearList() {
    listbox.textContent = "";
    options = [];
    active = -1;
  }

  function option(id, url, parts) {
    var li = document.createElement("li");
    li.id = id;
    li.className = "nav-search__option";
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    li.setAttribute("data-url", url);
    parts.forEach(function (part) {
      var span = document.createElement("span");
      span.className = part[0];
      span.textContent = part[1];
      li.appendChild(span);
    });
    li.addEventListener("mousedown", function (event) { event.preventDefault(); });
    li.addEventListener("click", function () { go(li); });
    return li;
  }

  function render(data, query) {
    clearList();
    (data.results || []).forEach(function (item, i) {
      var parts = [["nav-search__type", item.type_label], ["nav-search__title", item.title || ""]];
      if (item.subtitle) { parts.push(["nav-search__subtitle", item.subtitle]); }
      listbox.appendChild(option("nav-search-option-" + i, item.url, parts));
    });
    if (!data.results || !data.results.length) {
      var none = document.createElement("li");
      none.className = "nav-search__empty";
      none.setAttribute("role", "presentation");
      none.textContent = label("empty");
      listbox.appendChild(none);
    }
    if (data.more_url) {
      listbox.appendChild(option("nav-search-option-all", data.more_url,
        [["nav-search__all", label("all", { q: data.query || query })]]));
    }
    options = Array.prototype.slice.call(listbox.querySelectorAll("[role=option]"));
    open();
    var n = (data.results || []).length;
    announce(n === 0 ? label("empty") : n === 1 ? label("one") : label("many", { n: String(n) }));
  }

  function fetchResults() {
    var query = input.value.trim();
    if (query.length < MIN_CHARS) { clearList(); close(); return; }
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var mine = ++sequence;
    fetch(endpoint + "?q=" + encodeURIComponent(query), {
      headers: { "Accept": "application/json" }, credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      if (mine === sequence && input.value.trim() === query) { render(data, query); }
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      if (mine === sequence) { clearList(); close(); announce(label("error")); }
    });
  }

  function go(li) {
    var url = li && li.getAttribute("data-url");
    if (url) { close(); window.location.assign(url); }
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(fetchResults, DELAY);
  });

  input.addEventListener("keydown", function (event) {
    var expanded = !listbox.hidden && options.length > 0;
    switch (event.key) {
      case "ArrowDown":
        if (!expanded) { if (options.length) { open(); } else { fetchResults(); } event.preventDefault(); return; }
        setActive(active + 1 >= options.length ? 0 : active + 1);
        event.preventDefault();
        break;
      case "ArrowUp":
        if (!expanded) { return; }
        setActive(active <= 0 ? options.length - 1 : active - 1);
        event.preventDefault();
        break;
      case "Enter":
        if (expanded && active >= 0) { event.preventDefault(); go(options[active]); }
        break;  // otherwise the form submits: the results page
      case "Escape":
        if (!listbox.hidden) { close(); } else if (input.value) { input.value = ""; clearList(); }
        event.preventDefault();
        break;
      case "Tab":
        close();
        break;
      default:
        break;
    }
  });

  input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  input.addEventListener("focus", function () {
    if (options.length && input.value.trim().length >= MIN_CHARS) { open(); }
  });
  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) { close(); }
  });
})();
