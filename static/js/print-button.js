/* A button that prints the page (reports are laid out for print); printing opens every
   "How computed" so the formulas are on paper too. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.how").forEach(function (item) { item.open = true; });
  });
})();
