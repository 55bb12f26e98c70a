// The kiosk (取号机): group buttons with queue lengths (refreshed every 15 s), a priority ticket, appointment
// check-in on a keypad, and the ticket shown (and printed with ?print=1) for 20 seconds. Every press carries its own
// key: when the network drops mid-press the kiosk retries with the same key and the server makes one ticket.
(function () {
  "use strict";
  var device = window.HallDevice;
  var body = document.body;
  var panels = ["kiosk-home", "kiosk-reasons", "kiosk-keypad", "kiosk-wait", "kiosk-result"];
  var priority = "";
  var code = "";
  var busy = false;
  var countdown = null;

  function show(id) {
    panels.forEach(function (name) { document.getElementById(name).hidden = name !== id; });
    document.getElementById("kiosk-result-tools").hidden = id !== "kiosk-result";
  }

  function home() {
    if (countdown) { clearInterval(countdown); countdown = null; }
    priority = "";
    code = "";
    busy = false;
    renderCode();
    document.getElementById("kiosk-priority-banner").hidden = true;
    document.getElementById("kiosk-priority").setAttribute("aria-pressed", "false");
    show("kiosk-home");
  }

  function backHomeIn(seconds) {
    var left = seconds;
    var label = document.querySelector("[data-countdown-text]");
    function paint() { label.textContent = label.getAttribute("data-countdown-text").replace("%s", left); }
    paint();
    countdown = setInterval(function () {
      left -= 1;
      if (left <= 0) { home(); return; }
      paint();
    }, 1000);
  }

  function answer(result) {
    var box = document.getElementById("kiosk-result");
    box.innerHTML = result.html;
    show("kiosk-result");
    var ticket = box.querySelector("[data-ticket]");
    if (ticket && body.getAttribute("data-auto-print") === "1") { setTimeout(function () { window.print(); }, 300); }
    backHomeIn(ticket ? 20 : 8);
    busy = false;
  }

  function failed() {
    var box = document.getElementById("kiosk-result");
    box.innerHTML = "";
    var note = document.createElement("div");
    note.className = "kiosk-refusal";
    note.setAttribute("data-refusal", "");
    note.textContent = body.getAttribute("data-failed");
    box.appendChild(note);
    show("kiosk-result");
    backHomeIn(10);
    busy = false;
  }

  function press(url, data) {
    if (busy) { return; }
    busy = true;
    data.append("key", device.key());
    var text = document.querySelector("[data-wait-text]");
    var initial = text.textContent;
    show("kiosk-wait");
    device.send(url, data, 45000, function () { text.textContent = body.getAttribute("data-retrying"); })
      .then(answer, failed)
      .then(function () { text.textContent = initial; });
  }

  // group buttons (they are replaced every refresh: listen on the container)
  document.getElementById("kiosk-groups").addEventListener("click", function (event) {
    var button = event.target.closest("[data-group]");
    if (!button || button.disabled) { return; }
    var data = new FormData();
    data.append("group", button.getAttribute("data-group"));
    if (priority) { data.append("priority_reason", priority); }
    press(body.getAttribute("data-ticket-url"), data);
  });

  // priority: choose the reason, then the group
  document.getElementById("kiosk-priority").addEventListener("click", function () { show("kiosk-reasons"); });
  document.querySelectorAll("[data-reason]").forEach(function (button) {
    button.addEventListener("click", function () {
      priority = button.getAttribute("data-reason");
      document.querySelector("[data-priority-label]").textContent = button.textContent;
      document.getElementById("kiosk-priority-banner").hidden = false;
      document.getElementById("kiosk-priority").setAttribute("aria-pressed", "true");
      show("kiosk-home");
    });
  });
  document.querySelector("[data-priority-clear]").addEventListener("click", home);

  // appointment check-in on the keypad
  function renderCode() { document.getElementById("kiosk-code").textContent = code; }
  document.getElementById("kiosk-check-in").addEventListener("click", function () { code = ""; renderCode(); show("kiosk-keypad"); });
  document.querySelectorAll("[data-digit]").forEach(function (button) {
    button.addEventListener("click", function () {
      var digit = button.getAttribute("data-digit");
      if (digit === "del") { code = code.slice(0, -1); } else if (code.length < 8) { code += digit; }
      renderCode();
    });
  });
  document.querySelector("[data-check-in-submit]").addEventListener("click", function () {
    if (!code) { return; }
    var data = new FormData();
    data.append("code", code);
    press(body.getAttribute("data-check-in-url"), data);
  });

  document.querySelectorAll("[data-home]").forEach(function (button) { button.addEventListener("click", home); });

  // the queue lengths and opening state, every 15 s (back-off to 60 s while the network is down)
  device.poll(body.getAttribute("data-live-url"), function (html, status) {
    if (status !== 200) { return; }
    document.getElementById("kiosk-groups").innerHTML = html;
  }, 15000, 60000);

  // the clock in the corner, from this tablet's time
  var clock = document.querySelector("[data-clock]");
  setInterval(function () {
    var now = new Date();
    clock.textContent = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
  }, 10000);

  body.setAttribute("data-ready", "true");
})();
