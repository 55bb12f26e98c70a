// The figures page's charts (ECharts, canvas): the trend, the sources, and the ranking of the table below, which
// htmx swaps when the user changes the grouping or the ranking figure; the ranking chart follows each swap.
(function () {
  "use strict";
  var COLOURS = ["#1f6feb", "#2f855a", "#b7791f", "#c0392b", "#6c5ce7", "#16a085", "#8e44ad", "#d35400"];
  var charts = {};

  function number(value) { return value === null || value === undefined ? "—" : Number(value).toLocaleString("zh-CN"); }
  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
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

  function drawTrend(data) {
    var target = chart("cmd-trend");
    if (!target) { return; }
    var t = data.trend;
    if (!t.labels.length) { empty(target, data.empty); return; }
    target.setOption({
      color: COLOURS,
      tooltip: { trigger: "axis", valueFormatter: number },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 28 },
      xAxis: { type: "category", data: t.labels },
      yAxis: [
        { type: "value", minInterval: 1, axisLabel: { formatter: function (v) { return number(v); } } },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } }
      ],
      series: [
        { name: t.names.reported, type: "bar", data: t.reported, barMaxWidth: 22 },
        { name: t.names.closed, type: "bar", data: t.closed, barMaxWidth: 22 },
        { name: t.names.due, type: "line", data: t.due, symbolSize: 5 },
        {
          name: t.names.closeRate, type: "line", yAxisIndex: 1, data: t.closeRate, connectNulls: false, symbolSize: 6,
          tooltip: { valueFormatter: function (v) { return v === null || v === undefined ? "—" : v.toFixed(1) + "%"; } }
        }
      ]
    }, true);
  }

  function drawSources(data) {
    var target = chart("cmd-sources");
    if (!target) { return; }
    if (!data.sources.length) { empty(target, data.empty); return; }
    target.setOption({
      color: COLOURS,
      tooltip: { trigger: "item", formatter: function (p) { return echarts.format.encodeHTML(p.name) + "：" + number(p.value) + "（" + p.percent.toFixed(1) + "%）"; } },
      legend: { bottom: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 11 } },
      series: [{
        type: "pie", radius: ["25%", "46%"], center: ["50%", "42%"], data: data.sources,
        minShowLabelAngle: 12,  // thin slices are named in the legend and the tooltip, not squeezed around the ring
        label: { formatter: "{b}\n{d}%", alignTo: "edge", edgeDistance: 4, overflow: "none" },
        labelLine: { length: 8, length2: 0 }
      }]
    }, true);
  }

  function drawRanking() {
    var data = read("cmd-ranking-data");
    var target = chart("cmd-ranking-chart");
    if (!target || !data) { return; }
    if (!data.values.length) { empty(target, data.empty); return; }
    // the first place at the top: ECharts draws a category axis from the bottom
    var labels = data.labels.slice().reverse();
    var values = data.values.slice().reverse();
    target.setOption({
      color: ["#1f6feb"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v.toFixed(1) + data.unit; } },
      grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", axisLabel: { formatter: "{value}" + data.unit } },
      yAxis: { type: "category", data: labels, axisLabel: { width: 140, overflow: "truncate" } },
      series: [{ name: data.name, type: "bar", data: values, barMaxWidth: 18, label: { show: true, position: "right", formatter: function (p) { return p.value.toFixed(1) + data.unit; } } }]
    }, true);
    target.getDom().style.height = Math.max(180, 28 * values.length + 24) + "px";
    target.resize();
  }

  function start() {
    // typing a date means a period of one's own: the preset must not override it
    var filters = document.getElementById("cmd-filters");
    if (filters) {
      filters.addEventListener("change", function (event) {
        if (event.target.name === "start" || event.target.name === "end") { filters.elements.preset.value = "custom"; }
      });
    }
    var data = read("cmd-charts-data");
    if (data) {
      drawTrend(data);
      drawSources(data);
    }
    drawRanking();
    document.body.addEventListener("htmx:afterSwap", drawRanking);
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    });
    document.body.dataset.chartsReady = "true";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
