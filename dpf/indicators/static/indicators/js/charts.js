// Draws the indicator charts with ECharts (aria on). The tables on the page hold the same
// numbers, so the page is complete without JavaScript or without the charts.
(function () {
  "use strict";
  function draw() {
    if (typeof window.echarts === "undefined") { return; }
    var source = document.getElementById("chart-data");
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var lang = document.documentElement.lang || "zh-Hans";
    var common = { aria: { enabled: true }, animation: false, textStyle: { fontSize: 14 } };
    var bars = document.getElementById("chart-bars");
    if (bars && data.regions.length) {
      var chart = window.echarts.init(bars, null, { renderer: "svg", locale: lang.indexOf("en") === 0 ? "EN" : "ZH" });
      chart.setOption(Object.assign({}, common, {
        title: { text: data.title, left: "center", textStyle: { fontSize: 16 } },
        grid: { left: 120, right: 40, top: 40, bottom: 30 },
        xAxis: { type: "value", name: data.unit },
        yAxis: { type: "category", data: data.regions, inverse: true },
        series: [{
          type: "bar", data: data.values, itemStyle: { color: "#1f5f99" },
          label: { show: true, position: "right" },
          markLine: { symbol: "none", data: [{ xAxis: data.target, name: "target" }], lineStyle: { type: "dashed", color: "#8b0000" } }
        }]
      }));
    }
    var trend = document.getElementById("chart-trend");
    if (trend && data.trend_dates.length) {
      var line = window.echarts.init(trend, null, { renderer: "svg" });
      line.setOption(Object.assign({}, common, {
        grid: { left: 60, right: 30, top: 30, bottom: 40 },
        xAxis: { type: "category", data: data.trend_dates },
        yAxis: { type: "value", name: data.unit },
        series: [{ type: "line", data: data.trend_values, symbol: "circle", symbolSize: 8, lineStyle: { width: 3, color: "#1f5f99" } }]
      }));
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
