/* Tremplin investor clubs: small progressive enhancements, no inline script (CSP).
   Every page works without this file. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
