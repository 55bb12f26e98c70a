// The command map: grids coloured by their open work orders, a marker per work order (colour by status, a red ring
// when overdue, a yellow or red badge when supervised), field officers on duty, and the same orders as a list beside
// the map. Every 15 seconds it asks live.json again with the filters on screen, updating markers in place so an open
// popup stays open. A popup of an order waiting in the user's queue dispatches it with one click.
(function () {
  "use strict";
  // the grid colours by open orders: 0, 1-2, 3-5, 6-10, more (the same as .cmd-c0 ... .cmd-c4 in app.css)
  var PALETTE = ["#f1f5f9", "#ffe8cc", "#ffc078", "#fd7e14", "#d9480f"];
  var STATUS_GROUP = {
    reported: "waiting", registered: "waiting", dispatched: "handling", signed: "handling",
    handled: "handled", closed: "closed", rated: "closed"
  };

  function shade(n) { return n <= 0 ? 0 : n <= 2 ? 1 : n <= 5 ? 2 : n <= 10 ? 3 : 4; }
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, key) { return key in values ? values[key] : whole; });
  }
  function element(tag, className, textContent) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (textContent !== undefined) { node.textContent = textContent; }
    return node;
  }
  function pinClass(p) {
    var name = "cmd-pin cmd-s-" + (STATUS_GROUP[p.status] || "other");
    if (p.overdue) { name += " cmd-overdue"; }
    if (p.supervision) { name += " cmd-sup-" + p.supervision; }
    if (p.queued) { name += " cmd-queued"; }
    return name;
  }
  function pin(p) {
    var node = element("span", pinClass(p));
    node.dataset.number = p.number;
    node.dataset.status = p.status;
    return node;
  }
  function urgency(p) { return (p.supervision === "red" ? 400 : p.supervision === "yellow" ? 300 : 0) + (p.overdue ? 200 : 0) + (p.queued ? 100 : 0); }

  function start() {
    var holder = document.getElementById("cmd-map");
    var configNode = document.getElementById("cmd-map-config");
    if (!holder || !configNode || !window.L) { return; }
    var config = JSON.parse(configNode.textContent);
    var text = config.text;
    var form = document.getElementById("cmd-map-form");
    var narrow = window.matchMedia("(max-width: 760px)").matches;
    if (narrow) { form.closest("details").open = false; }  // on a phone the map comes first; the filters fold away
    var list = document.getElementById("cmd-list");
    var shown = document.getElementById("cmd-shown");
    var updated = document.getElementById("cmd-updated");
    var map = L.map(holder, { zoomSnap: 0.25, attributionControl: !!config.tileUrl });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.tileAttribution || "" }).addTo(map);
    }
    map.setView([config.lat || 32.06, config.lon || 118.77], 13);
    var counts = {};
    var gridLayer = null;
    var markers = {};
    var markerLayer = L.layerGroup().addTo(map);
    var officerLayer = L.layerGroup().addTo(map);
    var openNumber = null;
    var flash = {};
    var timer = null;

    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = L.DomUtil.create("div", "cmd-legend-box");
      box.appendChild(document.getElementById("cmd-legend").content.cloneNode(true));
      // folded on a phone, where it would cover the map
      if (narrow) { box.querySelector("details").open = false; }
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    legend.addTo(map);

    function gridStyle(feature) {
      var n = counts[feature.properties.code] || 0;
      return { color: "#52606d", weight: 1, fillColor: PALETTE[shade(n)], fillOpacity: 0.6 };
    }
    // Leaflet puts a string tooltip in as HTML: names from the database go in as text
    function gridTip(feature) {
      var words = fill(text.gridTip || "%(name)s: %(n)s", { name: feature.properties.name, n: counts[feature.properties.code] || 0 });
      return element("span", "", words);
    }

    if (config.gridsUrl) {
      fetch(config.gridsUrl, { credentials: "same-origin", headers: { "Accept": "application/geo+json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var grids = data.features.filter(function (f) { return !f.properties.outline; });
          var outlines = data.features.filter(function (f) { return f.properties.outline; });
          gridLayer = L.geoJSON({ type: "FeatureCollection", features: grids }, {
            style: gridStyle,
            onEachFeature: function (feature, item) { item.bindTooltip(function () { return gridTip(feature); }, { sticky: true }); }
          }).addTo(map);
          gridLayer.bringToBack();
          L.geoJSON({ type: "FeatureCollection", features: outlines }, {
            interactive: false,
            style: function () { return { color: "#243b53", weight: 2.5, fill: false, opacity: 0.7 }; },
            onEachFeature: function (feature, item) {
              item.bindTooltip(element("span", "", feature.properties.name), { permanent: true, direction: "center", className: "region-label" });
            }
          }).addTo(map);
          if (gridLayer.getLayers().length) { map.fitBounds(gridLayer.getBounds(), { padding: [10, 10] }); }
          holder.dataset.grids = String(gridLayer.getLayers().length);
        });
    }

    function query() {
      var params = new URLSearchParams(new FormData(form));
      Array.from(params.keys()).forEach(function (key) { if (!params.get(key)) { params.delete(key); } });
      return params.toString();
    }

    function loadPopup(marker) {
      var p = marker.feature.properties;
      fetch(p.popupUrl, { credentials: "same-origin" })
        .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.text(); })
        .then(function (html) {
          var box = element("div", "cmd-popup-box");
          box.innerHTML = html;  // rendered and escaped by the server
          if (flash[p.number]) {
            box.insertBefore(element("p", "cmd-flash", flash[p.number]), box.firstChild);
            delete flash[p.number];
          }
          marker.setPopupContent(box);
        })
        .catch(function () { marker.setPopupContent(element("p", "error", text.failed)); });
    }

    function highlight(number, scroll) {
      Array.prototype.forEach.call(list.querySelectorAll("li.active"), function (li) { li.classList.remove("active"); });
      var row = list.querySelector('li[data-number="' + number + '"]');
      if (row) {
        row.classList.add("active");
        if (scroll) { row.scrollIntoView({ block: "nearest" }); }
      }
    }

    function focusOrder(number) {
      var marker = markers[number];
      if (!marker) { return; }
      var zoom = Math.max(map.getZoom(), 16);
      if (map.getZoom() === zoom && map.getBounds().pad(-0.2).contains(marker.getLatLng())) { marker.openPopup(); return; }
      // open once the map has arrived, so the popup pans into view from where it ends up
      map.once("moveend", function () { marker.openPopup(); });
      map.setView(marker.getLatLng(), zoom);
    }

    function makeMarker(feature) {
      var p = feature.properties;
      var at = [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
      var marker = L.marker(at, {
        icon: L.divIcon({ className: "cmd-pin-wrap", html: pin(p), iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -9] }),
        zIndexOffset: urgency(p),
        keyboard: true,
        title: p.number + " " + p.kind + " " + p.statusLabel
      });
      marker.feature = feature;
      var room = holder.clientWidth - 120;  // a phone's map is narrow: the popup must fit beside the zoom buttons
      marker.bindPopup(element("p", "muted", text.loading), {
        maxWidth: Math.min(320, room), minWidth: Math.min(240, room), autoPanPadding: [12, 12], autoPanPaddingTopLeft: [52, 12]
      });
      marker.on("popupopen", function () {
        openNumber = marker.feature.properties.number;
        highlight(openNumber, true);
        loadPopup(marker);
      });
      marker.on("popupclose", function () {
        if (openNumber === marker.feature.properties.number) { openNumber = null; }
        if (marker.stale) { markerLayer.removeLayer(marker); delete markers[marker.feature.properties.number]; }
      });
      marker.addTo(markerLayer);
      return marker;
    }

    function renderOrders(collection) {
      var seen = {};
      collection.features.forEach(function (feature) {
        var p = feature.properties;
        seen[p.number] = true;
        var marker = markers[p.number];
        if (!marker) {
          markers[p.number] = makeMarker(feature);
          return;
        }
        var before = marker.feature.properties;
        marker.feature = feature;
        marker.stale = false;
        if (pinClass(before) !== pinClass(p)) {
          marker.setIcon(L.divIcon({ className: "cmd-pin-wrap", html: pin(p), iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -9] }));
          marker.setZIndexOffset(urgency(p));
        }
        if (before.version !== p.version && openNumber === p.number) { loadPopup(marker); }
      });
      Object.keys(markers).forEach(function (number) {
        if (seen[number]) { return; }
        if (number === openNumber) { markers[number].stale = true; return; }  // keep the open popup until it is closed
        markerLayer.removeLayer(markers[number]);
        delete markers[number];
      });
    }

    function renderList(collection) {
      var rows = document.createDocumentFragment();
      collection.features.forEach(function (feature) {
        var p = feature.properties;
        var li = element("li");
        li.dataset.number = p.number;
        li.tabIndex = 0;
        li.appendChild(pin(p));
        var body = element("div");
        var head = element("div", "cmd-row-head");
        head.appendChild(element("b", "", p.number));
        head.appendChild(element("span", "tag status-" + p.status, p.statusLabel));
        if (p.overdue) { head.appendChild(element("span", "tag bad", text.overdue)); }
        if (p.supervision) { head.appendChild(element("span", "tag supervision-" + p.supervision, p.supervisionLabel)); }
        body.appendChild(head);
        body.appendChild(element("div", "small", p.kind + " · " + p.place));
        var when = p.age + (p.dueAt ? " · " + p.dueLabel + " " + p.dueAt : "");
        body.appendChild(element("div", "small muted", when));
        li.appendChild(body);
        rows.appendChild(li);
      });
      list.replaceChildren(rows);
      if (!collection.features.length) { list.appendChild(element("li", "muted cmd-empty", text.empty)); }
      if (openNumber) { highlight(openNumber, false); }
    }

    function renderOfficers(collection) {
      officerLayer.clearLayers();
      collection.features.forEach(function (feature) {
        var at = [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
        var badge = element("span", "cmd-officer", text.officerBadge);
        L.marker(at, {
          icon: L.divIcon({ className: "cmd-pin-wrap", html: badge, iconSize: [20, 20], iconAnchor: [10, 10] }),
          zIndexOffset: -100,
          keyboard: false
        }).bindTooltip(element("span", "", feature.properties.label + " · " + feature.properties.age))
          .addTo(officerLayer);
      });
    }

    function render(data) {
      counts = data.grids || {};
      if (gridLayer) { gridLayer.setStyle(gridStyle); }
      renderOrders(data.orders);
      renderList(data.orders);
      renderOfficers(data.officers);
      Object.keys(data.situation).forEach(function (key) {
        var node = document.querySelector('#cmd-situation [data-key="' + key + '"]');
        if (node) { node.textContent = Number(data.situation[key]).toLocaleString("zh-CN"); }
      });
      shown.textContent = fill(text.shown, { shown: data.shown.toLocaleString("zh-CN"), total: data.total.toLocaleString("zh-CN") });
      updated.textContent = fill(text.updated, { at: data.at });
      if (!config.gridsUrl && !holder.dataset.ready && markerLayer.getLayers().length) {
        map.fitBounds(L.featureGroup(markerLayer.getLayers()).getBounds(), { padding: [30, 30], maxZoom: 16 });
      }
      holder.dataset.ready = "true";
      holder.dataset.markers = String(data.orders.features.length);
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, (config.refreshSeconds || 15) * 1000);
    }

    function refresh() {
      clearTimeout(timer);
      if (document.hidden) { schedule(); return; }  // a hidden tab does not poll; it catches up when shown
      fetch(config.liveUrl + "?" + query(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
        .then(render)
        .catch(function () { updated.textContent = text.failed; })
        .then(schedule);
    }

    list.addEventListener("click", function (event) {
      var row = event.target.closest("li[data-number]");
      if (row) { focusOrder(row.dataset.number); }
    });
    list.addEventListener("keydown", function (event) {
      var row = event.target.closest("li[data-number]");
      if (row && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); focusOrder(row.dataset.number); }
    });

    form.addEventListener("change", function (event) {
      if (event.target.name === "region") { form.submit(); return; }  // another area: its grids, a new page
      history.replaceState(null, "", "?" + query());
      refresh();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      history.replaceState(null, "", "?" + query());
      refresh();
    });

    // one-click dispatch in a popup: post, say what happened, redraw the marker
    holder.addEventListener("submit", function (event) {
      var target = event.target;
      if (!target.classList || !target.classList.contains("cmd-dispatch")) { return; }
      event.preventDefault();
      var button = target.querySelector("button");
      var result = target.querySelector(".cmd-dispatch-result");
      var number = target.closest(".cmd-popup").dataset.number;
      target.querySelector("input[name=filters]").value = query();
      button.disabled = true;
      result.className = "cmd-dispatch-result small muted";
      result.textContent = text.dispatching;
      fetch(target.action, {
        method: "POST",
        body: new FormData(target),
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      })
        .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
        .then(function (answer) {
          result.className = "cmd-dispatch-result small " + (answer.ok ? "ok" : "error");
          result.textContent = answer.body.message;
          if (answer.ok) {
            flash[number] = answer.body.message;
            refresh();
          } else {
            button.disabled = false;
          }
        })
        .catch(function () {
          result.className = "cmd-dispatch-result small error";
          result.textContent = text.failed;
          button.disabled = false;
        });
    });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
    refresh();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
