// A patrol's track on the map: the grids counted, each stretch of walking as a line with its start and end, and the
// points the rules set aside (poor accuracy, impossible speed) as grey dots.
(function () {
  "use strict";
  var holder = document.getElementById("gw-map");
  if (!holder || !window.L || !window.GridworkMap) { return; }
  var config = JSON.parse(document.getElementById("gw-map-config").textContent);
  var map = GridworkMap.make(holder, config);
  fetch(config.trackUrl, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var byKind = function (kind) {
        return { type: "FeatureCollection", features: data.features.filter(function (f) { return f.properties.kind === kind; }) };
      };
      var grids = GridworkMap.grids(map, byKind("grid"));
      var stretches = L.geoJSON(byKind("stretch"), {
        style: { color: "#1f6feb", weight: 4 },
        pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, { radius: 4, color: "#1f6feb" }); }
      }).addTo(map);
      L.geoJSON(byKind("discarded"), {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, { radius: 3, color: "#7b8794", fillOpacity: 0.6, weight: 1 });
        }
      }).addTo(map);
      var first = null, last = null;
      stretches.eachLayer(function (layer) {
        var points = layer.getLatLngs ? layer.getLatLngs() : [layer.getLatLng()];
        if (!first) { first = points[0]; }
        last = points[points.length - 1];
      });
      if (first) { L.circleMarker(first, { radius: 7, color: "#fff", weight: 2, fillColor: "#2f855a", fillOpacity: 1 }).addTo(map).bindTooltip(holder.dataset.start); }
      if (last) { L.circleMarker(last, { radius: 7, color: "#fff", weight: 2, fillColor: "#c53030", fillOpacity: 1 }).addTo(map).bindTooltip(holder.dataset.end); }
      var bounds = stretches.getLayers().length ? stretches.getBounds() : grids.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [16, 16] }); }
      holder.dataset.ready = "true";
      holder.dataset.stretches = String(stretches.getLayers().length);
    });
})();
