/* Trawl: the graph of a dataset's correspondents, drawn by Cytoscape.js (vendored, MIT)
   from the page's own JSON API (the same edges, filters and access decision as the table).
   The table works without it; this adds a picture of who wrote to whom. Labels are drawn
   on a canvas, never put in the page as HTML. No request goes anywhere but this server. */
(function () {
  "use strict";

  function elements(edges) {
    var nodes = {}, out = [];
    edges.forEach(function (e, i) {
      [e.from, e.to].forEach(function (name) {
        nodes[name] = (nodes[name] || 0) + e.messages;
      });
      out.push({ group: "edges", data: {
        id: "e" + i, source: e.from, target: e.to, messages: e.messages,
        width: 1 + Math.log(e.messages) * 1.5 } });
    });
    Object.keys(nodes).forEach(function (name) {
      out.push({ group: "nodes", data: { id: name, label: name,
        size: 12 + Math.min(40, Math.sqrt(nodes[name]) * 4) } });
    });
    return out;
  }

  function draw(panel, found) {
    var box = panel.querySelector(".graph-canvas");
    if (!found.edges.length || typeof window.cytoscape !== "function") {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    var cy = window.cytoscape({
      container: box,
      elements: elements(found.edges),
      layout: { name: "cose", animate: false, nodeDimensionsIncludeLabels: true },
      style: [
        { selector: "node", style: { "label": "data(label)", "width": "data(size)",
          "height": "data(size)", "font-size": 9, "background-color": "#2f6f9f",
          "color": "#222", "text-valign": "bottom", "text-margin-y": 2 } },
        { selector: "edge", style: { "width": "data(width)", "line-color": "#9db3c8",
          "target-arrow-color": "#9db3c8", "target-arrow-shape": "triangle",
          "curve-style": "bezier", "loop-direction": "0deg", "loop-sweep": "-45deg" } }
      ],
      wheelSensitivity: 0.3
    });
    // What was drawn, for a reader's tools and the browser test.
    panel.setAttribute("data-nodes", String(cy.nodes().length));
    panel.setAttribute("data-edges", String(cy.edges().length));
  }

  function setup() {
    var panel = document.getElementById("correspondents-graph");
    if (!panel) return;
    fetch(panel.getAttribute("data-api"), { credentials: "same-origin",
                                            headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { edges: [] }; })
      .then(function (found) { draw(panel, found); })
      .catch(function () { panel.hidden = true; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
