// The report page: the browser's location or a tap on the map fills the hidden lon/lat fields.
(function () {
  "use strict";
  function start() {
    var form = document.querySelector(".report-form");
    var holder = document.getElementById("report-map");
    if (!form || !holder || !window.L) { return; }
    var config = JSON.parse(document.getElementById("report-map-config").textContent);
    var lon = form.querySelector("input[name=lon]");
    var lat = form.querySelector("input[name=lat]");
    var text = document.getElementById("location-text");
    var map = L.map(holder, { zoomSnap: 0.5 });
    var tiles = document.body.dataset.tileUrl;
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    map.setView([config.lat, config.lon], 13);
    var marker = null;
    function place(y, x, label) {
      lat.value = y.toFixed(6);
      lon.value = x.toFixed(6);
      if (marker) { marker.setLatLng([y, x]); } else { marker = L.circleMarker([y, x], { radius: 9, color: "#c0392b", fillOpacity: 0.8 }).addTo(map); }
      text.textContent = label + " " + x.toFixed(5) + ", " + y.toFixed(5);
      holder.dataset.placed = "true";
    }
    if (lon.value && lat.value) { place(parseFloat(lat.value), parseFloat(lon.value), ""); map.setView([parseFloat(lat.value), parseFloat(lon.value)], 15); }
    fetch(config.outlineUrl).then(function (r) { return r.json(); }).then(function (data) {
      var layer = L.geoJSON(data, { interactive: false, style: function () { return { color: "#243b53", weight: 1.5, fillOpacity: 0.04 }; } }).addTo(map);
      if (layer.getLayers().length && !marker) { map.fitBounds(layer.getBounds()); }
      holder.dataset.ready = "true";
    });
    map.on("click", function (event) { place(event.latlng.lat, event.latlng.lng, holder.getAttribute("aria-label") + ":"); });
    document.getElementById("locate").addEventListener("click", function () {
      if (!navigator.geolocation) { text.textContent = "—"; return; }
      navigator.geolocation.getCurrentPosition(function (position) {
        place(position.coords.latitude, position.coords.longitude, "GPS:");
        map.setView([position.coords.latitude, position.coords.longitude], 16, { animate: false });
      }, function (error) { text.textContent = error.message; }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
