// The centre statistics' charts (ECharts, canvas): volume per row (tickets, applications) and the three rates. The
// table and its data are swapped by htmx when the grouping changes; the charts follow each swap.
(function () {
  "use strict";
  var COLOURS = ["#1f6feb", "#c0392b", "#2f855a", "#b7791f", "#6c5ce7"];
  var charts = {};

  function chart(id) {
    var holder = document.getElementById(id);
    if (!holder || !window.echarts) { return null; }
    if (charts[id] && charts[id].getDom() !== holder) { charts[id].dispose(); delete charts[id]; }
    charts[id] = charts[id] || echarts.init(holder, null, { renderer: "canvas" });
    return charts[id];
  }
  function empty(target, message) {
    target.setOption({ title: { text: message, left: "center", top: "middle", textStyle: { color: "#616e7c", fontSize: 14, fontWeight: "normal" } } }, true);
  }
  function axis(labels) {
    var many = labels.length > 6;
    return { type: "category", data: labels, axisLabel: { interval: 0, rotate: many ? 30 : 0, width: many ? 110 : 220, overflow: "truncate" } };
  }
  function percent(v) { return v === null || v === undefined ? "—" : v.toFixed(1) + "%"; }

  function draw() {
    var node = document.getElementById("hall-chart-data");
    if (!node) { return; }
    var data = JSON.parse(node.textContent);
    var volume = chart("hall-chart-volume");
    var rates = chart("hall-chart-rates");
    if (!volume || !rates) { return; }
    if (!data.labels.length) { empty(volume, data.empty); empty(rates, data.empty); return; }
    var bottom = data.labels.length > 6 ? 70 : 30;
    volume.setOption({
      color: COLOURS,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 34, bottom: bottom },
      xAxis: axis(data.labels),
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: data.names.wait, splitLine: { show: false } }],
      series: [
        { name: data.names.tickets, type: "bar", data: data.tickets, barMaxWidth: 26 },
        { name: data.names.applications, type: "bar", data: data.applications, barMaxWidth: 26 },
        { name: data.names.wait, type: "line", yAxisIndex: 1, data: data.wait, symbolSize: 6 }
      ]
    }, true);
    rates.setOption({
      color: [COLOURS[2], COLOURS[3], COLOURS[4]],
      tooltip: { trigger: "axis", valueFormatter: percent },
      legend: { top: 0 },
      grid: { left: 48, right: 20, top: 34, bottom: bottom },
      xAxis: axis(data.labels),
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      // a rate with nothing to divide (—) is left out, never drawn as 0

      series: [
        { name: data.names.onTime, type: "bar", data: data.onTime, barMaxWidth: 18 },
        { name: data.names.oneTrip, type: "bar", data: data.oneTrip, barMaxWidth: 18 },
        { name: data.names.satisfaction, type: "bar", data: data.satisfaction, barMaxWidth: 18 }
      ]
    }, true);
  }

  function start() {
    draw();
    document.body.addEventListener("htmx:afterSettle", draw);
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
