// The field surveyor's page: questionnaires shipped with the page, answers queued in localStorage and sent to the
// API whenever the phone is online. Each answer carries its own id (client_key), so a resend after a lost reply
// stores nothing twice (the server answers 200 with the first one). Refused answers stay listed with the reason.
(function () {
  "use strict";
  var root = document.getElementById("eval-field");
  if (!root) { return; }
  var campaigns = JSON.parse(document.getElementById("eval-field-data").textContent);
  var text = JSON.parse(document.getElementById("eval-field-text").textContent);
  var QUEUE = "cg-eval-queue", SENT = "cg-eval-sent", DEVICE = "cg-eval-device";
  var $ = function (id) { return document.getElementById(id); };
  var current = null, started = 0, sending = false;

  function load(key, fallback) { try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; } }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function id() { return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)).replace(/-/g, ""); }
  if (!localStorage.getItem(DEVICE)) { localStorage.setItem(DEVICE, id()); }
  function csrf() { var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }
  function option(select, value, label) { var o = document.createElement("option"); o.value = value; o.textContent = label; select.appendChild(o); }

  function counts() {
    $("eval-queue-count").textContent = load(QUEUE, []).length;
    $("eval-sent-count").textContent = load(SENT, 0);
    $("eval-net").textContent = navigator.onLine ? text.online : text.offline;
    $("eval-net").className = "tag" + (navigator.onLine ? "" : " bad");
  }

  function fillSetup() {
    var select = $("eval-campaign");
    if (!campaigns.length) { $("eval-setup").hidden = true; $("eval-sync-message").textContent = text.none; return; }
    campaigns.forEach(function (c, i) { option(select, i, c.name); });
    select.addEventListener("change", fillStreets);
    fillStreets();
  }
  function fillStreets() {
    var c = campaigns[$("eval-campaign").value];
    $("eval-street").innerHTML = ""; $("eval-group").innerHTML = "";
    c.streets.forEach(function (s) { option($("eval-street"), s.code, s.name); });
    c.questionnaires.forEach(function (q) { option($("eval-group"), q.group, q.groupLabel); });
  }

  function start(event) {
    event.preventDefault();
    var c = campaigns[$("eval-campaign").value];
    var q = c.questionnaires.filter(function (x) { return x.group === $("eval-group").value; })[0];
    var street = $("eval-street").value;
    current = { campaign: c.id, street: street, group: q.group, token: $("eval-token").value.trim(), questionnaire: q };
    started = Date.now();
    $("eval-title").textContent = q.title;
    var box = $("eval-questions"); box.innerHTML = "";
    $("eval-form").classList.toggle("eval-large", !!q.largeText);
    q.questions.filter(function (x) { return !x.street || x.street === street; }).forEach(function (question, n) {
      var set = document.createElement("fieldset"); set.className = "eval-question"; set.dataset.code = question.code;
      var legend = document.createElement("legend"); legend.textContent = (n + 1) + ". " + question.text; set.appendChild(legend);
      if (question.scored) {
        var scale = document.createElement("div"); scale.className = "eval-scale";
        question.labels.concat([text.dontKnow]).forEach(function (label, i) {
          var value = i < question.labels.length ? i + 1 : 0;
          var wrap = document.createElement("label"); wrap.className = "eval-choice";
          var input = document.createElement("input"); input.type = "radio"; input.name = "q-" + question.code; input.value = value;
          var span = document.createElement("span"); span.textContent = label;
          wrap.appendChild(input); wrap.appendChild(span); scale.appendChild(wrap);
        });
        set.appendChild(scale);
      } else {
        var area = document.createElement("textarea"); area.name = "q-" + question.code; area.rows = 3; area.maxLength = 500;
        set.appendChild(area);
      }
      box.appendChild(set);
    });
    $("eval-setup").hidden = true; $("eval-form").hidden = false; $("eval-form-error").textContent = "";
    window.scrollTo(0, 0);
  }

  function finish(event) {
    event.preventDefault();
    var answers = {}, missing = false;
    current.questionnaire.questions.forEach(function (question) {
      if (question.street && question.street !== current.street) { return; }
      var field = $("eval-form").elements["q-" + question.code];
      if (!field) { return; }
      if (question.scored) {
        var checked = $("eval-form").querySelector("input[name='q-" + question.code + "']:checked");
        if (checked) { answers[question.code] = Number(checked.value); } else if (question.required) { missing = true; }
      } else if (field.value.trim()) { answers[question.code] = field.value.trim(); }
    });
    if (missing) { $("eval-form-error").textContent = text.required; return; }
    var queue = load(QUEUE, []);
    queue.push({ campaign: current.campaign, body: {
      street: current.street, group: current.group, answers: answers, client_key: id(), token: current.token,
      device_id: localStorage.getItem(DEVICE), collected_at: new Date().toISOString(),
      duration: Math.round((Date.now() - started) / 1000) } });
    save(QUEUE, queue);
    $("eval-form").hidden = true; $("eval-setup").hidden = false; $("eval-token").value = "";
    $("eval-sync-message").textContent = text.saved;
    counts(); sync();
  }

  function sync() {
    if (sending || !navigator.onLine) { counts(); return; }
    var queue = load(QUEUE, []);
    if (!queue.length) { counts(); return; }
    sending = true;
    var item = queue[0];
    fetch(root.dataset.api + item.campaign + "/responses", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      var rest = load(QUEUE, []).filter(function (x) { return x.body.client_key !== item.body.client_key; });
      if (result.status === 200 || result.status === 201) {
        save(QUEUE, rest); save(SENT, load(SENT, 0) + 1);
        $("eval-sync-message").textContent = text.sent;
      } else if (result.status >= 400 && result.status < 500 && result.status !== 401 && result.status !== 403 && result.status !== 429) {
        save(QUEUE, rest);  // the server will never take it as it is: show why, keep the rest moving
        $("eval-sync-message").textContent = text.refused + (result.data.detail || result.status);
      } else {
        $("eval-sync-message").textContent = text.failed + (result.data.detail || result.status);
        sending = false; counts(); return;
      }
      sending = false; counts(); sync();
    }).catch(function () { sending = false; counts(); $("eval-sync-message").textContent = text.failed + text.offline; });
  }

  $("eval-setup").addEventListener("submit", start);
  $("eval-form").addEventListener("submit", finish);
  $("eval-cancel").addEventListener("click", function () { $("eval-form").hidden = true; $("eval-setup").hidden = false; });
  $("eval-sync").addEventListener("click", sync);
  window.addEventListener("online", sync);
  window.addEventListener("offline", counts);
  setInterval(sync, 30000);
  fillSetup(); counts(); sync();
})();
