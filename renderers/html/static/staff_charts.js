/* Staff dashboards: draw each <canvas data-chart='JSON'> as a bar chart from its JSON
   ({labels, datasets: [{label, data}], stacked}; an attribute, since the CSP allows no inline script).
   The table under each chart holds the same numbers: without this script the page still says it all. */
(function () {
  "use strict";
  var COLOURS = ["#0a5bc4", "#c98a00", "#8a1104", "#2e7d32"];   // blue, amber, dark red, green: apart in grey too
  function draw(canvas) {
    if (!window.Chart) { return; }
    var spec = JSON.parse(canvas.dataset.chart);
    var datasets = spec.datasets.map(function (set, i) {
      return { label: set.label, data: set.data, backgroundColor: COLOURS[i % COLOURS.length] };
    });
    var axis = { stacked: !!spec.stacked, ticks: { precision: 0 }, beginAtZero: true };
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: axis, y: { stacked: !!spec.stacked } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }
  function start() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
