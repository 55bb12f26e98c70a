// What the hall's unattended screens share (kiosk, board, rating pad): asking the server again and again with a
// back-off while the network is down, posting a press with retries, and a banner instead of a blank screen.
// Nothing here ever empties the screen: a failed request keeps the last picture and tries again later.
(function () {
  "use strict";
  var TIMEOUT_MS = 8000;
  var banner = null;
  var failures = 0;

  function offline(down) {
    banner = banner || document.getElementById("device-offline");
    if (banner) { banner.hidden = !down; }
    document.body.setAttribute("data-online", down ? "false" : "true");
  }

  function csrf() {
    var meta = document.querySelector("meta[name=csrf-token]");
    var token = meta ? meta.getAttribute("content") : "";
    var cookie = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return cookie ? decodeURIComponent(cookie[1]) : token;
  }

  function request(url, options) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    options = options || {};
    options.credentials = "same-origin";
    options.cache = "no-store";
    if (controller) { options.signal = controller.signal; }
    return fetch(url, options).then(function (response) {
      if (timer) { clearTimeout(timer); }
      return response.text().then(function (text) { return { status: response.status, html: text }; });
    }, function (error) {
      if (timer) { clearTimeout(timer); }
      throw error;
    });
  }

  // A server that is restarting or a proxy without it answers 5xx: like a network drop, try again later.
  function transient(status) { return status >= 500 || status === 408 || status === 0; }

  // Ask `url` every `every` ms; hand each answer (html, status) to `apply`. While it fails, wait 2, 4, 8 ... up to `most` ms.
  function poll(url, apply, every, most) {
    var delay = every;
    var stopped = false;
    var timer = null;
    var asking = false;
    function tick() {
      if (stopped || asking) { return; }
      asking = true;
      request(url, { headers: { "X-Requested-With": "device" } }).then(function (answer) {
        if (transient(answer.status)) { throw new Error("status " + answer.status); }
        failures = 0;
        offline(false);
        delay = every;
        apply(answer.html, answer.status);
      }).catch(function () {
        failures += 1;
        if (failures >= 2) { offline(true); }
        delay = Math.min(delay * 2, most);
      }).then(function () {
        asking = false;
        timer = setTimeout(tick, delay);
      });
    }
    // the device's network came back (Wi-Fi rejoined): ask at once instead of waiting out the back-off
    window.addEventListener("online", function () {
      delay = every;
      if (timer) { clearTimeout(timer); }
      tick();
    });
    timer = setTimeout(tick, every);
    return { stop: function () { stopped = true; }, now: function () { delay = every; } };
  }

  // Post a press, retrying network drops and 5xx with back-off for up to `patience` ms; the same form data (with
  // its key) goes each time, so the server makes one ticket however many attempts reach it.
  function send(url, data, patience, onRetry) {
    var started = Date.now();
    var wait = 1000;
    var attempt = 0;
    return new Promise(function (resolve, reject) {
      function go() {
        attempt += 1;
        var body = new URLSearchParams();
        data.forEach(function (value, key) { body.append(key, value); });
        request(url, {
          method: "POST",
          body: body,
          headers: { "X-CSRFToken": csrf(), "X-Requested-With": "device" }
        }).then(function (answer) {
          if (transient(answer.status)) { throw new Error("status " + answer.status); }
          offline(false);
          if (answer.status === 403 && answer.html.indexOf("data-refusal") === -1) {
            // the page's CSRF token went stale (a day-long session): fresh page, fresh token
            setTimeout(function () { window.location.reload(); }, 3000);
          }
          resolve(answer);
        }).catch(function () {
          if (Date.now() - started + wait > patience) { offline(true); reject(new Error("gave up")); return; }
          if (onRetry) { onRetry(attempt); }
          setTimeout(go, wait);
          wait = Math.min(wait * 2, 8000);
        });
      }
      go();
    });
  }

  function key() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function fragment(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    return holder;
  }

  window.HallDevice = { poll: poll, send: send, key: key, fragment: fragment, offline: offline };
})();
