// A work order's place on a small map.
(function () {
  "use strict";
  function start() {
    var holder = document.getElementById("order-map");
    if (!holder || !window.L) { return; }
    var at = [parseFloat(holder.dataset.lat), parseFloat(holder.dataset.lon)];
    var map = L.map(holder, { zoomControl: false }).setView(at, 16);
    var tiles = document.body.dataset.tileUrl;
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    L.circleMarker(at, { radius: 9, color: "#c0392b", fillOpacity: 0.8 }).addTo(map);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
