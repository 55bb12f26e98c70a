// Grid work maps: the worker's grids (their own in red, a covered partner's grid dashed in purple), and on the
// problem form a point picked on the map or taken from the phone's position. The patrol and track pages use
// GridworkMap.make and GridworkMap.grids too.
(function () {
  "use strict";
  var OWN = { color: "#c0392b", weight: 2, fillOpacity: 0.08 };
  var COVERED = { color: "#6c5ce7", weight: 2, fillOpacity: 0.06, dashArray: "6 4" };

  function make(holder, config) {
    var map = L.map(holder, { zoomSnap: 0.25, attributionControl: !!config.tileUrl });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.tileAttribution || "" }).addTo(map);
    }
    return map;
  }

  function grids(map, collection) {
    var layer = L.geoJSON(collection, {
      style: function (feature) { return feature.properties.covering ? COVERED : OWN; },
      onEachFeature: function (feature, item) { item.bindTooltip(feature.properties.name); }
    }).addTo(map);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [12, 12] }); }
    else { map.setView([32.06, 118.77], 13); }
    return layer;
  }

  window.GridworkMap = { make: make, grids: grids };

  function start() {
    var holder = document.getElementById("gw-map");
    var source = document.getElementById("gw-map-config");
    if (!holder || !source || !window.L || holder.dataset.role === "patrol" || holder.dataset.role === "track") { return; }
    var config = JSON.parse(source.textContent);
    var map = make(holder, config);
    grids(map, config.grids);
    holder.dataset.ready = "true";
    var form = document.getElementById("problem-form");
    if (!form) { return; }
    // the problem form: a click on the map or the phone's position sets where the problem is
    var lon = form.querySelector("input[name=lon]");
    var lat = form.querySelector("input[name=lat]");
    var text = document.getElementById("location-text");
    var marker = null;
    function place(lngLat, label) {
      lon.value = lngLat.lng.toFixed(6);
      lat.value = lngLat.lat.toFixed(6);
      if (marker) { marker.setLatLng(lngLat); } else { marker = L.circleMarker(lngLat, { radius: 8, color: "#1f6feb" }).addTo(map); }
      text.textContent = label + " " + lon.value + ", " + lat.value;
    }
    map.on("click", function (event) { place(event.latlng, text.dataset.picked); });
    var locate = document.getElementById("locate");
    if (locate) {
      locate.addEventListener("click", function () {
        if (!navigator.geolocation) { text.textContent = text.dataset.unavailable; return; }
        navigator.geolocation.getCurrentPosition(function (position) {
          var here = L.latLng(position.coords.latitude, position.coords.longitude);
          place(here, text.dataset.located);
          map.setView(here, Math.max(map.getZoom(), 16));
        }, function (error) { text.textContent = error.message; }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
