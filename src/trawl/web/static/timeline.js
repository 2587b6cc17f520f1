/* Trawl: the timeline of a search's results, drawn by uPlot (vendored, MIT) from the JSON
   block the page holds (web/timeline.py); the table of links beside it works without script.
   A click on a bar opens the search of that bar's dates, one interval finer (years ->
   months -> days); a drag across bars opens the search of the dates they cover. Every
   request is a plain page load of this site's search: nothing is fetched, nothing inline. */
(function () {
  "use strict";

  function seconds(day) {  // "2020-05-25" -> its UTC midnight, as uPlot's time axis counts
    return Date.parse(day + "T00:00:00Z") / 1000;
  }

  function withDates(base, from, to, histogram) {
    var url = new URL(base, window.location.href);
    url.searchParams.set("date_from", from);
    url.searchParams.set("date_to", to);
    if (histogram) url.searchParams.set("histogram", histogram);
    url.searchParams.delete("page");
    return url.pathname + url.search;
  }

  // The bar under a position (CSS pixels from the plot's left): the last whose start is at
  // or before it (uPlot's own nearest point would be the next bar past a bar's middle).
  function barAt(u, xs, left, count) {
    var value = u.posToVal(left, "x");
    var index = 0;
    while (index + 1 < count && xs[index + 1] <= value) index += 1;
    return index;
  }

  function draw(box, bars, options) {
    var xs = bars.map(function (b) { return seconds(b[0]); });
    var ys = bars.map(function (b) { return b[2]; });
    // Each bar is drawn from its start to the next one's: the scale ends where the last
    // bar does (the day after its last day), on a point with no value.
    xs.push(seconds(bars[bars.length - 1][1]) + 86400);
    ys.push(null);
    var dragged = false;
    var width = Math.max(box.clientWidth || 0, 240);
    var plot = new window.uPlot({
      width: width,
      height: options.height,
      tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      legend: { show: false },
      cursor: { drag: { x: options.drag, y: false, setScale: false }, points: { show: false } },
      select: { show: options.drag },
      scales: { x: { time: true },  // from zero, with room above the highest bar
                y: { range: function (u, min, max) { return [0, Math.max(max * 1.12, 1)]; } } },
      axes: options.axes ? [{}, { size: 50 }] : [{ show: options.small !== true }, { show: false }],
      series: [{}, {
        label: options.label,
        fill: "rgba(47, 111, 159, 0.55)",
        stroke: "#2f6f9f",
        width: 1,
        paths: window.uPlot.paths.bars({ size: [0.9, 60], align: 1 }),
        points: { show: false },
      }],
      hooks: {
        setSelect: [function (u) {
          if (!options.drag || u.select.width < 6) return;
          var first = barAt(u, xs, u.select.left, bars.length);
          var last = Math.max(first, barAt(u, xs, u.select.left + u.select.width, bars.length));
          dragged = true;
          window.location.assign(withDates(options.base, bars[first][0], bars[last][1], null));
        }],
      },
    }, [xs, ys], box);
    plot.over.addEventListener("click", function () {
      if (dragged) return;
      if (plot.cursor.left === undefined || plot.cursor.left < 0) return;
      var url = bars[barAt(plot, xs, plot.cursor.left, bars.length)][3];
      if (url) window.location.assign(url);
    });
    plot.over.classList.add("timeline-clickable");
    plot.root.setAttribute("role", "img");
    plot.root.setAttribute("aria-label", options.label);
    box.uplot = plot;  // for the browser tests, which click on a bar where uPlot drew it
    return plot;
  }

  function start() {
    var section = document.getElementById("timeline");
    var source = document.getElementById("timeline-data");
    if (!section || !source || typeof window.uPlot !== "function") return;
    var data = JSON.parse(source.textContent);
    var chart = document.getElementById("timeline-chart");
    if (data.bars.length) {
      chart.hidden = false;
      draw(chart, data.bars, { height: 160, drag: true, axes: true, base: data.base,
                               label: data.labels.documents });
      var table = section.querySelector('[data-timeline-table="all"]');
      if (table) table.hidden = true;
      chart.title = data.labels.drag;
    }
    var blocks = section.querySelectorAll(".timeline-source");
    data.sources.forEach(function (found, i) {
      var block = blocks[i];
      if (!block) return;
      var box = block.querySelector(".timeline-chart");
      box.hidden = false;
      draw(box, found.bars, { height: 70, drag: false, axes: false, small: true,
                              base: found.url, label: found.name });
      var table = block.querySelector(".timeline-table");
      if (table) table.hidden = true;
    });
    section.classList.add("timeline-drawn");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
