// The counter workstation: show the proxy fields only when someone applies on the resident's behalf.
(function () {
  "use strict";
  function toggle(select) {
    var target = document.getElementById(select.getAttribute("data-toggles"));
    if (target) { target.hidden = !select.value; }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-toggles]")) { toggle(event.target); }
  });
  document.querySelectorAll("select[data-toggles]").forEach(toggle);
})();
