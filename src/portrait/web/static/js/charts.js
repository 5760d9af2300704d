/* Portrait charts: draws every <canvas data-chart="…" data-source="ID"> from the JSON in
   <script type="application/json" id="ID">, with the locally served Chart.js. No inline
   scripts, so pages can run under a strict Content-Security-Policy. */
(function () {
  "use strict";
  var PALETTE = ["#1d5fa8", "#e07b39", "#2e9e6b", "#b3261e", "#7b5ea7", "#c9a227", "#4b9fb5", "#8a8a8a"];

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function percentTicks(d) {
    if (!d.percent) { return {}; }
    return { ticks: { callback: function (v) { return (v * 100).toFixed(d.percent_digits || 0) + "%"; } } };
  }

  function bar(canvas, d) {
    var value = d.horizontal ? "x" : "y", scales = {};
    scales[value] = percentTicks(d);
    return new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: [{ label: d.label, data: d.values,
        backgroundColor: d.colors || PALETTE[0] }] },
      options: { maintainAspectRatio: false, indexAxis: d.horizontal ? "y" : "x", scales: scales,
        plugins: { legend: { display: false } }, animation: false }
    });
  }

  function grouped(canvas, d) {
    return new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: d.datasets.map(function (s, i) {
        return { label: s.label, data: s.values, backgroundColor: PALETTE[i % PALETTE.length] };
      }) },
      options: { maintainAspectRatio: false, animation: false, indexAxis: d.horizontal ? "y" : "x" }
    });
  }

  /* Estimates with confidence intervals: a thin floating bar from low to high, and a point
     at the estimate. d.rows = [{label, value, low, high}] */
  function interval(canvas, d) {
    return new Chart(canvas, {
      type: "bar",
      data: { labels: d.rows.map(function (r) { return r.label; }), datasets: [
        { label: d.interval_label, data: d.rows.map(function (r) { return [r.low, r.high]; }),
          backgroundColor: "rgba(29,95,168,0.25)", borderColor: "#1d5fa8", borderWidth: 1,
          barPercentage: 0.25 },
        { type: "line", label: d.value_label, data: d.rows.map(function (r) { return r.value; }),
          showLine: false, pointRadius: 6, pointBackgroundColor: "#e07b39", borderColor: "#e07b39" }
      ] },
      options: { maintainAspectRatio: false, animation: false,
        scales: { y: Object.assign({ title: { display: !!d.axis, text: d.axis || "" } }, percentTicks(d)) } }
    });
  }

  var KINDS = { bar: bar, grouped: grouped, interval: interval };

  function init() {
    if (typeof Chart === "undefined") { return; }
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) {
      var c = canvases[i], d = data(c.getAttribute("data-source")), draw = KINDS[c.getAttribute("data-chart")];
      if (d && draw) { draw(c, d); }
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
