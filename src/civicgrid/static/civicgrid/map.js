// The region map: boundaries from a GeoJSON URL, a click on a grid loads its card into #grid-card.
(function () {
  "use strict";
  function start() {
    var holder = document.getElementById("map");
    var config = JSON.parse(document.getElementById("map-config").textContent);
    if (!holder || !window.L) { return; }
    var map = L.map(holder, { zoomSnap: 0.25, preferCanvas: false, attributionControl: !!config.tileUrl });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.tileAttribution || "" }).addTo(map);
    }
    var palette = ["#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#2c3e50",
      "#f39c12", "#7f8c8d", "#e84393", "#0984e3", "#00b894", "#6c5ce7"];
    var colours = {};
    function colourOf(feature) {
      var key = feature.properties.colour_key || feature.properties.code;
      if (!(key in colours)) { colours[key] = palette[Object.keys(colours).length % palette.length]; }
      return colours[key];
    }
    var selected = null;
    function style(feature) {
      var dedicated = feature.properties.kind === "dedicated";
      return { color: colourOf(feature), weight: 1, fillOpacity: dedicated ? 0.45 : 0.18, dashArray: dedicated ? "4 3" : null };
    }
    fetch(config.geojsonUrl, { credentials: "same-origin", headers: { "Accept": "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var grids = data.features.filter(function (f) { return !f.properties.outline; });
        var outlines = data.features.filter(function (f) { return f.properties.outline; });
        var layer = L.geoJSON({ type: "FeatureCollection", features: grids }, {
          style: style,
          onEachFeature: function (feature, item) {
            item.bindTooltip(feature.properties.name, { sticky: true });
            item.on("click", function () {
              if (selected) { selected.setStyle(style(selected.feature)); }
              selected = item;
              item.setStyle({ weight: 3, fillOpacity: 0.5 });
              if (feature.properties.card_url && window.htmx) {
                htmx.ajax("GET", feature.properties.card_url, { target: "#grid-card", swap: "innerHTML" });
              }
            });
          }
        }).addTo(map);
        L.geoJSON({ type: "FeatureCollection", features: outlines }, {
          interactive: false,
          style: function () { return { color: "#243b53", weight: 2.5, fill: false, opacity: 0.7 }; },
          onEachFeature: function (feature, item) {
            item.bindTooltip(feature.properties.name, { permanent: true, direction: "center", className: "region-label" });
          }
        }).addTo(map);
        if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
        else { map.setView([config.lat || 32.06, config.lon || 118.77], 13); }
        holder.dataset.ready = "true";
        holder.dataset.features = String(layer.getLayers().length);
      });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
