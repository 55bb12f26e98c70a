// A work order's place on a small map.
(function () {
  "use strict";
  function start() {
    var holder = document.getElementById("order-map");
    if (!holder || !window.L) { return; }
    var at = [parseFloat(holder.dataset.lat), parseFloat(holder.dataset.lon)];
    var map = L.map(holder, { zoomControl: false, zoomAnimation: false });
    var tiles = document.body.dataset.tileUrl;
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    var outline = JSON.parse((document.getElementById("order-grid") || {}).textContent || "null");
    if (outline && outline.geometry) {
      // the grid the order lies in, so the dot has a place around it even without map tiles
      var grid = L.geoJSON(outline, { interactive: false, style: { color: "#243b53", weight: 1.5, fillColor: "#9fb3c8", fillOpacity: 0.15 } }).addTo(map);
      map.fitBounds(grid.getBounds().extend(at), { padding: [24, 24], maxZoom: 17 });
      var box = grid.getBounds();  // the name above the grid, where it never hides the dot
      L.tooltip({ permanent: true, direction: "top", className: "region-label" }).setLatLng([box.getNorth(), box.getCenter().lng]).setContent(outline.properties.name).addTo(map);
    }
    else { map.setView(at, 16); }
    L.circleMarker(at, { radius: 9, color: "#c0392b", fillOpacity: 0.8 }).addTo(map);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
