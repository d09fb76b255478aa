/* Draws the dashboard's charts with the vendored Chart.js from the page's JSON data island
   (<script type="application/json" id="dashboard-data">). Every chart also has a table under
   "表で見る", so the page stays complete without JavaScript. */
(function () {
  "use strict";
  var island = document.getElementById("dashboard-data");
  if (!island || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(island.textContent);
  var Chart = window.Chart;
  var css = window.getComputedStyle(document.documentElement);
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function color(name, fallback) {
    var value = css.getPropertyValue("--" + name).trim();
    return value || fallback;
  }
  // The phase colours the badges and the board use (app.css custom properties).
  function phaseColor(key) {
    if (key === "completed") { return color("ok", "#1e7b34"); }
    return color(key, color("brand", "#0b5cad"));
  }

  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = color("ink", "#1f2933");
  Chart.defaults.maintainAspectRatio = false;
  if (reduceMotion) { Chart.defaults.animation = false; }

  function withUnit(unit) {
    return function (context) {
      var value = context.chart.options.indexAxis === "y" ? context.parsed.x : context.parsed.y;
      var prefix = context.dataset.label ? context.dataset.label + ": " : "";
      return prefix + (value === null ? "－" : value.toLocaleString() + " " + unit);
    };
  }

  function countAxis() { return { beginAtZero: true, ticks: { precision: 0 } }; }

  function bar(canvas, series, unit, options) {
    options = options || {};
    var horizontal = options.horizontal === true;
    var valueAxis = options.decimals ? { beginAtZero: true } : countAxis();
    var scales = horizontal ? { x: valueAxis, y: {} } : { x: {}, y: valueAxis };
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [{
          data: series.values,
          backgroundColor: (series.keys || []).map(phaseColor),
          borderRadius: 4
        }]
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        scales: scales,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: withUnit(unit) } } }
      }
    });
  }

  var builders = {
    phases: function (canvas) { return bar(canvas, data.phases, data.units.cases); },
    funnel: function (canvas) { return bar(canvas, data.funnel, data.units.cases, { horizontal: true }); },
    durations: function (canvas) {
      return bar(canvas, data.durations, data.units.days, { decimals: true });
    },
    case_types: function (canvas) {
      var palette = ["brand", "planning", "solution", "review", "consultation", "on_hold", "closed"];
      var series = data.case_types;
      return new Chart(canvas, {
        type: "bar",
        data: {
          labels: series.labels,
          datasets: [{
            data: series.values,
            backgroundColor: series.values.map(function (_, i) { return color(palette[i % palette.length], "#0b5cad"); }),
            borderRadius: 4
          }]
        },
        options: {
          indexAxis: "y",
          scales: { x: countAxis(), y: {} },
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: withUnit(data.units.cases) } } }
        }
      });
    },
    departments: function (canvas) {
      var series = data.departments;
      return new Chart(canvas, {
        type: "bar",
        data: {
          labels: series.labels,
          datasets: series.datasets.map(function (set) {
            return { label: set.label, data: set.values, backgroundColor: phaseColor(set.key) };
          })
        },
        options: {
          indexAxis: "y",
          scales: { x: Object.assign(countAxis(), { stacked: true }), y: { stacked: true } },
          plugins: {
            legend: { position: "bottom" },
            tooltip: { callbacks: { label: withUnit(data.units.cases) } }
          }
        }
      });
    }
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var build = builders[canvas.getAttribute("data-chart")];
    if (build) { build(canvas); }
  });
})();
