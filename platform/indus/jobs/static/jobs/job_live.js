// The job page, live: draws the metric charts from the job's JSON and, while the job is not
// finished, polls admin/jobs/job/<id>/live/ every second to refresh the progress bar, the
// timing, the charts and the events. When the job finishes the page reloads once, so that its
// buttons and links fit the final state.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var WIDTH = 420, HEIGHT = 200;
  var PAD = {left: 64, right: 16, top: 12, bottom: 34};
  var series = {};  // metric name -> [[step, value], ...] in step order

  function number(value) {
    var size = Math.abs(value);
    if (size !== 0 && (size < 1e-3 || size >= 1e5)) return value.toExponential(2);
    return String(Number(value.toPrecision(4)));
  }

  function svgElement(name, attributes, text) {
    var element = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function drawChart(svg, points) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var steps = points.map(function (p) { return p[0]; });
    var values = points.map(function (p) { return p[1]; });
    var xMin = Math.min.apply(null, steps), xMax = Math.max.apply(null, steps);
    var yMin = Math.min.apply(null, values), yMax = Math.max.apply(null, values);
    var xSpan = xMax - xMin || 1, ySpan = yMax - yMin || Math.abs(yMax) || 1;
    var left = PAD.left, right = WIDTH - PAD.right, top = PAD.top, bottom = HEIGHT - PAD.bottom;
    function x(step) { return left + (xMax === xMin ? (right - left) / 2 : (step - xMin) / xSpan * (right - left)); }
    function y(value) { return bottom - (yMax === yMin ? 0.5 : (value - yMin) / ySpan) * (bottom - top); }

    svg.appendChild(svgElement("line", {"class": "axis", x1: left, y1: bottom, x2: right, y2: bottom}));
    svg.appendChild(svgElement("line", {"class": "axis", x1: left, y1: top, x2: left, y2: bottom}));
    svg.appendChild(svgElement("text", {"class": "y-max", x: left - 6, y: top + 4, "text-anchor": "end"}, number(yMax)));
    svg.appendChild(svgElement("text", {"class": "y-min", x: left - 6, y: bottom, "text-anchor": "end"}, number(yMin)));
    svg.appendChild(svgElement("text", {"class": "x-min", x: left, y: bottom + 14, "text-anchor": "start"}, String(xMin)));
    svg.appendChild(svgElement("text", {"class": "x-max", x: right, y: bottom + 14, "text-anchor": "end"}, String(xMax)));
    svg.appendChild(svgElement("text", {"class": "x-label", x: (left + right) / 2, y: HEIGHT - 4, "text-anchor": "middle"}, "step"));
    if (points.length === 1) {
      svg.appendChild(svgElement("circle", {"class": "series", cx: x(steps[0]), cy: y(values[0]), r: 3}));
    } else {
      svg.appendChild(svgElement("polyline", {
        "class": "series",
        points: points.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join(" ")
      }));
    }
    svg.setAttribute("data-points", String(points.length));
  }

  function merge(metrics) {
    Object.keys(metrics || {}).forEach(function (name) {
      var byStep = {};
      (series[name] || []).forEach(function (p) { byStep[p[0]] = p[1]; });
      metrics[name].forEach(function (p) { byStep[p[0]] = p[1]; });  // a step recorded again replaces
      series[name] = Object.keys(byStep).map(Number).sort(function (a, b) { return a - b; })
        .map(function (step) { return [step, byStep[step]]; });
    });
  }

  function lastStep() {
    var last = null;
    Object.keys(series).forEach(function (name) {
      var points = series[name];
      if (points.length && (last === null || points[points.length - 1][0] > last)) last = points[points.length - 1][0];
    });
    return last;
  }

  function drawCharts() {
    var box = document.getElementById("metric-charts");
    if (!box) return;
    var names = Object.keys(series).filter(function (name) { return series[name].length; }).sort();
    var empty = document.getElementById("metric-charts-empty");
    if (empty) empty.hidden = names.length > 0;
    var figures = {};
    Array.prototype.forEach.call(box.querySelectorAll("figure.metric-figure"), function (figure) {
      figures[figure.getAttribute("data-metric")] = figure;
    });
    names.forEach(function (name) {
      var figure = figures[name];
      if (!figure) {
        figure = document.createElement("figure");
        figure.className = "metric-figure";
        figure.setAttribute("data-metric", name);
        figure.appendChild(document.createElement("figcaption"));
        figure.appendChild(svgElement("svg", {
          "class": "metric-chart", "data-metric": name, viewBox: "0 0 " + WIDTH + " " + HEIGHT,
          width: WIDTH, height: HEIGHT, role: "img", "aria-label": name + " by step"
        }));
        box.appendChild(figure);
      }
      var points = series[name], last = points[points.length - 1];
      figure.querySelector("figcaption").textContent = name + ": " + number(last[1]) + " at step " + last[0];
      drawChart(figure.querySelector("svg.metric-chart"), points);
    });
  }

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element) element.textContent = text;
  }

  function renderEvents(events) {
    var body = document.querySelector("#job-events tbody");
    if (!body || !events) return;
    var rows = document.createDocumentFragment();
    events.forEach(function (event) {
      var row = document.createElement("tr");
      row.className = "level-" + event.level;
      [event.time, event.level, event.attempt, event.message].forEach(function (value) {
        var cell = document.createElement("td");
        cell.textContent = String(value);
        row.appendChild(cell);
      });
      rows.appendChild(row);
    });
    body.replaceChildren(rows);
  }

  function update(data) {
    var bar = document.getElementById("job-progress");
    if (bar) bar.value = data.progress;
    setText("job-progress-text", data.progress_text);
    setText("job-progress-message", data.progress_message);
    setText("job-state", data.state);
    var state = document.getElementById("job-state");
    if (state) state.setAttribute("data-state", data.state);
    var requested = document.getElementById("job-cancel-requested");
    if (requested) requested.hidden = !data.cancel_requested || data.terminal;
    setText("job-started", data.started);
    setText("job-attempts", data.attempts);
    setText("job-elapsed", data.elapsed);
    setText("job-eta", data.eta);
    merge(data.metrics);
    drawCharts();
    renderEvents(data.events);
  }

  function poll(url) {
    var since = lastStep();
    // The step seen last is asked for again: a metric recorded later at that same step
    // (an evaluation after the training loss) is not missed.
    var query = since === null ? "" : "?since_step=" + (since - 1);
    fetch(url + query, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        update(data);
        if (data.terminal) {
          window.location.reload();
        } else {
          window.setTimeout(function () { poll(url); }, 1000);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(url); }, 3000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var script = document.getElementById("job-live-data");
    var main = document.getElementById("content-main");
    if (!script || !main) return;
    var initial = JSON.parse(script.textContent);
    update(initial);
    if (!initial.terminal) window.setTimeout(function () { poll(main.getAttribute("data-live-url")); }, 1000);
  });
})();
