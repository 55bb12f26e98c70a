// The rating pad (评价器) at a counter: idle until the clerk serves someone, then the service to rate; 1-5 stars,
// quick reasons and a comment; thanks; back to idle. It asks the server every 3 s (backing off while the network is
// down) but never replaces the screen while a resident is rating; a rating that could not be sent is retried with
// back-off, and one that reached the server twice is thanked once (the server keeps the first).
(function () {
  "use strict";
  var device = window.HallDevice;
  var body = document.body;
  var live = document.getElementById("pad-live");
  var touched = 0;
  var holding = false;  // thanks or a message on screen
  var BUSY_MS = 60000;

  function screen() { return live.querySelector(".pad-screen"); }
  function key(root) {
    var node = root.querySelector(".pad-screen");
    return node ? node.getAttribute("data-state") + ":" + node.getAttribute("data-ticket") : "";
  }
  function rating() { var form = live.querySelector("[data-rating]"); return form && !form.hidden; }

  function wire() {
    var form = live.querySelector("[data-rating]");
    var now = live.querySelector("[data-rate-now]");
    if (now) {
      now.addEventListener("click", function () {
        live.querySelector("[data-serving]").hidden = true;
        form.hidden = false;
        touched = Date.now();
      });
    }
    if (!form) { return; }
    var stars = form.querySelectorAll("[data-star]");
    var words = form.querySelector("[data-score-words]");
    var submit = form.querySelector("button[type=submit]");
    stars.forEach(function (star) {
      star.addEventListener("click", function () {
        var score = parseInt(star.getAttribute("data-star"), 10);
        stars.forEach(function (other) {
          other.classList.toggle("lit", parseInt(other.getAttribute("data-star"), 10) <= score);
        });
        words.textContent = star.getAttribute("data-words");
        submit.disabled = false;
      });
    });
    form.addEventListener("input", function () { touched = Date.now(); });
    form.addEventListener("click", function () { touched = Date.now(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit.disabled = true;
      holding = true;
      device.send(body.getAttribute("data-rate-url"), new FormData(form), 60000).then(function (answer) {
        live.innerHTML = answer.html;
        setTimeout(idle, answer.status === 201 ? 6000 : 5000);
      }, function () {
        var note = document.createElement("p");
        note.className = "pad-message";
        note.textContent = body.getAttribute("data-failed");
        form.appendChild(note);
        submit.disabled = false;
        holding = false;
      });
    });
  }

  function idle() {
    holding = false;
    touched = 0;
    refresh.now();
  }

  function apply(html, status) {
    if (status === 404) { window.location.reload(); return; }  // the key was changed: show why on this pad
    if (status !== 200 || holding) { return; }
    var incoming = device.fragment(html);
    var busy = rating() && Date.now() - touched < BUSY_MS;
    if (busy || key(incoming) === key(live)) { return; }
    live.innerHTML = html;
    wire();
    var state = screen() ? screen().getAttribute("data-state") : "";
    body.setAttribute("data-state", state);
  }

  var refresh = device.poll(body.getAttribute("data-live-url"), apply, 3000, 30000);
  wire();
  body.setAttribute("data-state", screen() ? screen().getAttribute("data-state") : "");
  body.setAttribute("data-ready", "true");
})();
