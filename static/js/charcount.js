/* Live character counter for every field with a length limit (issue #21).
   The `field` macro prints data-maxlength instead of maxlength, so the browser never cuts
   a pasted text silently: this script shows "n / max" under the field and warns when the
   text is too long; the server refuses it with the same limit. Texts come from the
   script tag's data attributes (translated by the template). */
(function () {
  "use strict";
  var script = document.currentScript;
  var countText = (script && script.dataset.count) || "{n} / {max}";
  var tooLongText = (script && script.dataset.tooLong) || "{n} / {max}";
  var format = function (n) { return n.toLocaleString(document.documentElement.lang || "fr"); };

  function attach(input) {
    var max = parseInt(input.getAttribute("data-maxlength"), 10);
    if (!max || input.dataset.counterReady) { return; }
    input.dataset.counterReady = "1";
    var counter = document.createElement("p");
    counter.className = "field__counter";
    counter.id = (input.id || input.name) + "-counter";
    counter.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", counter);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    function update() {
      var n = input.value.length;
      var over = n > max;
      var template = over ? tooLongText : countText;
      counter.textContent = template.replace("{n}", format(n)).replace("{max}", format(max));
      counter.classList.toggle("field__counter--over", over);
      counter.hidden = !over && n < max * 0.5 && input.tagName !== "TEXTAREA";
      if (over) { input.setAttribute("aria-invalid", "true"); }
      else if (!input.closest(".field--error")) { input.removeAttribute("aria-invalid"); }
    }
    input.addEventListener("input", update);
    update();
  }

  function init() {
    document.querySelectorAll("[data-maxlength]").forEach(attach);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
