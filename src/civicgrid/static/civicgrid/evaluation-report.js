// The report's charts (ECharts, SVG so they print sharp): scores with their 95 % margins, ranks with their
// bootstrap intervals, and the dimensions of every street as a heat map.
(function () {
  "use strict";
  var node = document.getElementById("eval-charts-data");
  if (!node || !window.echarts) { return; }
  var data = JSON.parse(node.textContent);
  var charts = [];
  function chart(id) {
    var holder = document.getElementById(id);
    if (!holder) { return null; }
    var made = echarts.init(holder, null, { renderer: "svg" });
    charts.push(made);
    return made;
  }
  function fixed(v, digits) { return v === null || v === undefined ? "—" : Number(v).toFixed(digits); }

  var scores = chart("eval-scores");
  if (scores) {
    var errors = data.scores.map(function (s, i) {
      return s === null ? null : [i, Math.max(0, s - (data.moe[i] || 0)), Math.min(100, s + (data.moe[i] || 0))];
    });
    scores.setOption({
      animation: false,
      color: ["#1f6feb", "#b7791f"],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 44, right: 12, top: 32, bottom: 64 },
      xAxis: { type: "category", data: data.names, axisLabel: { rotate: 35, fontSize: 11 } },
      yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 5)); }, max: 100 },
      series: [
        { name: data.labels.score, type: "bar", data: data.scores, barMaxWidth: 26,
          label: { show: true, position: "insideTop", fontSize: 10, color: "#fff", formatter: function (p) { return fixed(p.value, 1); } } },
        { name: data.labels.online, type: "scatter", data: data.online, symbolSize: 8 },
        { name: data.labels.moe, type: "custom", itemStyle: { color: "#102a43" }, data: errors.filter(Boolean), renderItem: function (params, api) {
            var low = api.coord([api.value(0), api.value(1)]), high = api.coord([api.value(0), api.value(2)]);
            var half = 6;
            return { type: "group", children: [
              { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: { stroke: "#102a43", lineWidth: 1.5 } },
              { type: "line", shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style: { stroke: "#102a43", lineWidth: 1.5 } },
              { type: "line", shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style: { stroke: "#102a43", lineWidth: 1.5 } }
            ] };
          }, z: 10 }
      ]
    });
  }

  var ranks = chart("eval-ranks");
  if (ranks) {
    var count = data.names.length;
    var intervals = data.ranks.map(function (r, i) { return r === null ? null : [i, data.rankLow[i], data.rankHigh[i], r]; }).filter(Boolean);
    ranks.setOption({
      animation: false,
      tooltip: { formatter: function (p) { return echarts.format.encodeHTML(data.names[p.value[0]]) + "：" + data.labels.rank + " " + p.value[3] + "（" + p.value[1] + "–" + p.value[2] + "）"; } },
      grid: { left: 44, right: 12, top: 16, bottom: 64 },
      xAxis: { type: "category", data: data.names, axisLabel: { rotate: 35, fontSize: 11 } },
      yAxis: { type: "value", inverse: true, min: 1, max: Math.max(count, 1), minInterval: 1, name: data.labels.rank },
      series: [{
        name: data.labels.interval, type: "custom", data: intervals, renderItem: function (params, api) {
          var low = api.coord([api.value(0), api.value(1)]), high = api.coord([api.value(0), api.value(2)]), at = api.coord([api.value(0), api.value(3)]);
          return { type: "group", children: [
            { type: "rect", shape: { x: low[0] - 7, y: Math.min(low[1], high[1]) - 4, width: 14, height: Math.abs(high[1] - low[1]) + 8, r: 7 }, style: { fill: "rgba(31,111,235,.25)" } },
            { type: "circle", shape: { cx: at[0], cy: at[1], r: 5 }, style: { fill: "#1f6feb" } }
          ] };
        }
      }]
    });
  }

  var heat = chart("eval-dimensions");
  if (heat) {
    var cells = [];
    data.dimensions.forEach(function (row, i) { row.forEach(function (v, j) { if (v !== null) { cells.push([j, i, Number(v.toFixed(1))]); } }); });
    var values = cells.map(function (c) { return c[2]; });
    heat.setOption({
      animation: false,
      tooltip: { formatter: function (p) { return echarts.format.encodeHTML(data.names[p.value[1]] + " · " + data.dimensionNames[p.value[0]]) + "：" + p.value[2]; } },
      grid: { left: 100, right: 16, top: 8, bottom: 56 },
      xAxis: { type: "category", data: data.dimensionNames },
      yAxis: { type: "category", data: data.names, inverse: true },
      visualMap: { min: values.length ? Math.floor(Math.min.apply(null, values)) : 0, max: 100, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120, calculable: false, inRange: { color: ["#fdecea", "#f6e05e", "#2f855a"] } },
      series: [{ type: "heatmap", data: cells, label: { show: true, fontSize: 11 } }]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
