// The printable documents: the toolbar's print button (inline handlers are not allowed by the page's CSP).
(function () {
  "use strict";
  document.querySelectorAll("[data-print-now]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
