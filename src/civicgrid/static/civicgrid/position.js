// "I am on duty": the phone's position goes with the form, so nearest-officer dispatch knows where the officer is.
(function () {
  "use strict";
  var form = document.getElementById("position-form");
  if (!form) { return; }
  var text = document.getElementById("position-text");
  form.addEventListener("submit", function (event) {
    if (form.dataset.located === "true") { return; }
    event.preventDefault();
    var button = event.submitter;
    if (!navigator.geolocation) { text.textContent = "—"; return; }
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector("input[name=lon]").value = position.coords.longitude.toFixed(6);
      form.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(6);
      form.dataset.located = "true";
      form.requestSubmit(button);
    }, function (error) { text.textContent = error.message; }, { enableHighAccuracy: true, timeout: 10000 });
  });
})();
