// The display board (叫号屏): asks the server every 3 s (backing off to 30 s while the network is down, keeping the
// last picture), and speaks each new call once with the browser's speech synthesis in a zh-CN voice ("请 A012 号
// 到 3 号窗口办理", twice). Calls already on the board when it opens are not spoken again.
(function () {
  "use strict";
  var device = window.HallDevice;
  var live = document.getElementById("board-live");
  var button = document.getElementById("board-sound");
  var STORE = "hall-board-sound";
  var soundOn = false;
  var lastSpoken = highest(live);
  var queue = [];
  var speaking = false;

  function highest(root) {
    var top = 0;
    root.querySelectorAll("[data-call-id]").forEach(function (node) {
      top = Math.max(top, parseInt(node.getAttribute("data-call-id"), 10) || 0);
    });
    return top;
  }

  function voice() {
    if (!window.speechSynthesis) { return null; }
    var voices = window.speechSynthesis.getVoices();
    return voices.filter(function (v) { return /^zh[-_]CN/i.test(v.lang); })[0]
      || voices.filter(function (v) { return /^zh/i.test(v.lang); })[0] || null;
  }

  function paintButton() {
    button.textContent = button.getAttribute(soundOn ? "data-on" : "data-off");
    button.classList.toggle("on", soundOn);
  }

  function next() {
    if (speaking || !queue.length || !soundOn || !window.speechSynthesis) { return; }
    var text = queue.shift();
    var utterance = new SpeechSynthesisUtterance(text + "，" + text);
    utterance.lang = "zh-CN";
    utterance.rate = 0.9;
    var chosen = voice();
    if (chosen) { utterance.voice = chosen; }
    speaking = true;
    utterance.onend = function () { speaking = false; setTimeout(next, 600); };
    utterance.onerror = function (event) {
      speaking = false;
      if (event.error === "not-allowed") { soundOn = false; paintButton(); }  // needs a tap on this screen first
      setTimeout(next, 600);
    };
    window.speechSynthesis.speak(utterance);
  }

  function announce(root) {
    var fresh = [];
    root.querySelectorAll("[data-call-id]").forEach(function (node) {
      var id = parseInt(node.getAttribute("data-call-id"), 10) || 0;
      if (id > lastSpoken) { fresh.push({ id: id, text: node.getAttribute("data-speech") }); }
    });
    fresh.sort(function (a, b) { return a.id - b.id; });
    fresh.forEach(function (call) { queue.push(call.text); lastSpoken = Math.max(lastSpoken, call.id); });
    if (fresh.length) {
      var now = live.querySelector(".board-now");
      if (now) { now.classList.add("fresh"); }
      body().setAttribute("data-announced", String(lastSpoken));
    }
    next();
  }

  function body() { return document.body; }

  device.poll(body().getAttribute("data-live-url"), function (html, status) {
    if (status !== 200) { return; }
    live.innerHTML = html;
    announce(live);
  }, 3000, 30000);

  button.addEventListener("click", function () {
    soundOn = !soundOn;
    try { window.localStorage.setItem(STORE, soundOn ? "on" : "off"); } catch (e) { /* private mode */ }
    paintButton();
    if (soundOn && window.speechSynthesis) { window.speechSynthesis.cancel(); next(); }
  });
  try { soundOn = window.localStorage.getItem(STORE) === "on"; } catch (e) { soundOn = false; }
  if (window.speechSynthesis) { window.speechSynthesis.onvoiceschanged = function () { voice(); }; }
  paintButton();
  body().setAttribute("data-announced", String(lastSpoken));
  body().setAttribute("data-ready", "true");
})();
