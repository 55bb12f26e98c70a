// The live patrol on the grid worker's phone. Positions from the browser's geolocation go into a queue kept in
// localStorage; every few seconds the queue becomes a batch with its own id and is sent to the API. A batch stays
// in the queue until the server has it: when the network drops the queue keeps growing and is sent when the phone
// is back online, and a batch sent twice (the answer was lost) is recognised by its id and counted once. Start and
// stop wait in the queue as well, with the moment they were pressed.
(function () {
  "use strict";
  var root = document.getElementById("patrol");
  var holder = document.getElementById("gw-map");
  if (!root || !holder || !window.L || !window.GridworkMap) { return; }
  var config = JSON.parse(document.getElementById("gw-map-config").textContent);
  var texts = JSON.parse(document.getElementById("gw-patrol-texts").textContent);
  var KEY = "civicgrid.patrol." + config.user;
  var startButton = document.getElementById("patrol-start");
  var stopButton = document.getElementById("patrol-stop");
  var status = document.getElementById("gw-status");

  var map = GridworkMap.make(holder, config);
  GridworkMap.grids(map, config.grids);
  var line = L.polyline([], { color: "#1f6feb", weight: 4 }).addTo(map);
  var earlier = L.layerGroup().addTo(map);
  var here = null;
  holder.dataset.ready = "true";

  function fresh() {
    return { patrol: null, startKey: null, startedAt: null, stopAt: null, pending: [], outbox: [], line: [],
      figures: { seconds: 0, distance: 0, points: 0 } };
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (error) { return null; }
  }
  var state = load() || fresh();
  if (!state.outbox) { state = fresh(); }
  function save() { localStorage.setItem(KEY, JSON.stringify(state)); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  // ---- what the page shows
  function duration(seconds) {
    seconds = Math.round(seconds || 0);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var pad = m < 10 ? "0" + m : String(m);
    if (h) { return texts.hours.replace("%(h)d", h).replace("%(m)02d", pad); }
    if (m) { return texts.minutes.replace("%(m)d", m); }
    return texts.seconds.replace("%(s)d", s);
  }
  var baseToday = Math.max((config.secondsToday || 0) - (config.patrolSeconds || 0), 0);
  function queued() {
    return state.pending.length + state.outbox.reduce(function (n, batch) { return n + batch.points.length; }, 0);
  }
  function mode() {
    if (state.stopAt) { return "stopping"; }
    if (state.patrol) { return "active"; }
    if (state.startKey) { return "starting"; }
    return "idle";
  }
  function render(message, kind) {
    var now = mode();
    root.dataset.state = now;
    root.dataset.queued = String(queued());
    startButton.hidden = now !== "idle";
    stopButton.hidden = now === "idle";
    stopButton.disabled = now === "stopping";
    stopButton.textContent = now === "stopping" ? texts.stopping : texts.stop;
    document.getElementById("live-seconds").textContent = duration(state.figures.seconds);
    document.getElementById("live-distance").textContent = (state.figures.distance / 1000).toFixed(2);
    document.getElementById("live-points").textContent = String(state.figures.points);
    var today = baseToday + state.figures.seconds;
    document.getElementById("today-seconds").textContent = duration(today);
    var bar = document.getElementById("today-bar");
    bar.style.width = Math.min(100, Math.round(100 * today / config.dailySeconds)) + "%";
    bar.parentNode.classList.toggle("met", today >= config.dailySeconds);
    var waiting = queued();
    if (message) {
      status.textContent = message;
      status.className = "gw-net " + (kind || "");
    } else if (!navigator.onLine) {
      status.textContent = texts.offline.replace("%(n)s", waiting);
      status.className = "gw-net offline";
    } else if (now !== "idle") {
      status.textContent = waiting ? texts.sending.replace("%(n)s", waiting) : texts.synced;
      status.className = "gw-net";
    } else {
      status.textContent = texts.ready;
      status.className = "gw-net";
    }
  }
  function draw() {
    line.setLatLngs(state.line);
    var last = state.line[state.line.length - 1];
    if (last) {
      if (here) { here.setLatLng(last); } else {
        here = L.circleMarker(last, { radius: 7, color: "#fff", weight: 2, fillColor: "#1f6feb", fillOpacity: 1 }).addTo(map);
        map.setView(last, Math.max(map.getZoom(), 16));  // the first fix: show the streets around the worker
      }
    }
  }
  function showFigures(patrol) {
    if (!patrol || patrol.id !== state.patrol) { return; }
    state.figures = { seconds: patrol.seconds_in_grid, distance: patrol.distance_m, points: patrol.point_count };
  }

  // ---- the server
  function send(method, url, body, headers) {
    var options = { method: method, credentials: "same-origin",
      headers: Object.assign({ "Content-Type": "application/json", "X-CSRFToken": config.csrf }, headers || {}) };
    if (body !== undefined) { options.body = JSON.stringify(body); }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }
  var busy = false;
  var refused = null;
  function trouble(answer) {
    // what cannot get better by sending again: show it and drop it; anything else waits in the queue
    if (answer.status === 401 || answer.status === 403) { refused = texts.login; return "stop"; }
    if ([404, 409, 413, 422].indexOf(answer.status) >= 0) { refused = answer.data.detail || texts.error; return "drop"; }
    return "retry";
  }

  function start() {
    if (!state.startKey || state.patrol) { return Promise.resolve(); }
    return send("POST", config.api, { started_at: state.startedAt }, { "Idempotency-Key": state.startKey })
      .then(function (answer) {
        if (answer.status === 200 || answer.status === 201) {
          state.patrol = answer.data.id;
          showFigures(answer.data);
        } else if (answer.status === 409 && answer.data.errors && answer.data.errors.open_patrol) {
          state.patrol = Number(answer.data.errors.open_patrol[0]);  // started on this phone before: carry on
        } else if (trouble(answer) !== "retry") {
          state = Object.assign(fresh(), { outbox: state.outbox });
          stopWatching();
        }
        save();
      });
  }

  function batchUp() {
    if (!state.patrol || !state.pending.length) { return; }
    while (state.pending.length) {
      state.outbox.push({ id: uuid(), patrol: state.patrol, points: state.pending.splice(0, config.batchPoints) });
    }
    save();
  }

  function deliver() {
    var batch = state.outbox[0];
    if (!batch) { return Promise.resolve(true); }
    var points = batch.points.map(function (p) {
      return { at: new Date(p[0]).toISOString(), lon: p[1], lat: p[2], accuracy: p[3] };
    });
    return send("POST", config.api + "/" + batch.patrol + "/points", { batch_id: batch.id, points: points })
      .then(function (answer) {
        var outcome = answer.status === 200 ? "done" : trouble(answer);
        if (outcome === "done" || outcome === "drop") {
          state.outbox.shift();
          if (answer.status === 200) { showFigures(answer.data.patrol); }
          save();
          return deliver();
        }
        return false;
      });
  }

  function finish() {
    if (!state.stopAt || !state.patrol || state.pending.length || state.outbox.length) { return Promise.resolve(); }
    var patrolId = state.patrol;
    return send("POST", config.api + "/" + patrolId + "/stop", { ended_at: state.stopAt }).then(function (answer) {
      if (answer.status === 200 || trouble(answer) === "drop") {
        state = fresh();
        save();
        window.location.href = config.detailUrl.replace("/0/", "/" + patrolId + "/");
      }
    });
  }

  function flush() {
    if (busy) { return; }
    busy = true;
    refused = null;
    start()
      .then(function () { batchUp(); return deliver(); })
      .then(function () { return finish(); })
      .catch(function () { /* offline or the server away: the queue keeps everything for the next try */ })
      .then(function () {
        busy = false;
        render(refused, refused ? "error" : "");
      });
  }

  // ---- the phone's position
  var watch = null;
  function keepAwake() {
    if (navigator.wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").catch(function () { /* not offered: the worker keeps the screen on */ });
    }
  }
  function startWatching() {
    if (watch !== null) { return; }
    if (!navigator.geolocation) { render(texts.noGeolocation, "error"); return; }
    keepAwake();
    watch = navigator.geolocation.watchPosition(function (position) {
      var c = position.coords;
      var time = position.timestamp || Date.now();
      var last = state.pending[state.pending.length - 1];
      if (last && last[0] === time) { return; }
      state.pending.push([time, Number(c.longitude.toFixed(7)), Number(c.latitude.toFixed(7)), Math.round(c.accuracy * 10) / 10]);
      if (c.accuracy <= config.maxAccuracy) {
        state.line.push([c.latitude, c.longitude]);
        if (state.line.length > 5000) { state.line.splice(0, state.line.length - 5000); }
      }
      save();
      draw();
      if (state.pending.length >= config.batchPoints) { flush(); } else { render(); }
    }, function (error) {
      render(texts.geoError + " " + error.message, "error");
    }, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
  }
  function stopWatching() {
    if (watch !== null) { navigator.geolocation.clearWatch(watch); watch = null; }
  }

  startButton.addEventListener("click", function () {
    state = Object.assign(fresh(), { outbox: state.outbox, startKey: uuid(), startedAt: new Date().toISOString() });
    save();
    startWatching();
    flush();
    render();
  });
  stopButton.addEventListener("click", function () {
    if (!window.confirm(texts.confirmStop)) { return; }
    stopWatching();
    state.stopAt = new Date().toISOString();
    save();
    flush();
    render();
  });

  // ---- where the page starts from: the server's open patrol, and what this phone still holds
  if (config.patrol && state.patrol !== config.patrol && !state.stopAt) {
    state = Object.assign(fresh(), { outbox: state.outbox, patrol: config.patrol, startKey: "server",
      startedAt: config.startedAt });
    state.figures.seconds = config.patrolSeconds || 0;
    save();
  }
  if (state.patrol && !state.stopAt && !config.patrol && !state.outbox.length) {
    state = fresh();  // ended elsewhere (another phone, or closed after 16 hours): nothing to resume
    save();
  }
  if (state.patrol) {
    // what the server already has of this patrol (from before a reload, or another phone), drawn lighter
    send("GET", config.api + "/" + state.patrol + "/track").then(function (answer) {
      if (answer.status !== 200) { return; }
      L.geoJSON({ type: "FeatureCollection", features: answer.data.features.filter(function (f) {
        return f.properties.kind === "stretch";
      }) }, { style: { color: "#1f6feb", weight: 3, opacity: 0.45 } }).addTo(earlier);
    }).catch(function () {});
  }
  if ((state.patrol || state.startKey) && !state.stopAt) { startWatching(); }
  draw();
  render();
  flush();
  window.setInterval(flush, 10000);
  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { render(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && watch !== null) { keepAwake(); flush(); }
  });
})();
