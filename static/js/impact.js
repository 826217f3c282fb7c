/* Impact dashboard: show only the period fields that apply; print button. */
(function () {
  "use strict";
  var select = document.getElementById("periode");
  function sync() {
    document.querySelectorAll("[data-period]").forEach(function (field) {
      field.hidden = field.getAttribute("data-period") !== select.value;
    });
  }
  if (select) { select.addEventListener("change", sync); sync(); }
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
