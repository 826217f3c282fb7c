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
  // On a phone the chart scrolls sideways at a readable size: bring its latest figures
  // (the last month with a bar) into view instead of an empty start of the year.
  document.querySelectorAll(".chart").forEach(function (chart) {
    if (chart.scrollWidth <= chart.clientWidth) { return; }
    var last = null;
    chart.querySelectorAll(".chart__bar").forEach(function (bar) {
      if (parseFloat(bar.getAttribute("height")) > 0) { last = bar; }
    });
    if (!last) { return; }
    var overflow = last.getBoundingClientRect().right - chart.getBoundingClientRect().right;
    if (overflow > 0) { chart.scrollLeft += overflow + 16; }
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
