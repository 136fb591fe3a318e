// The lineage picture: fetches {nodes, edges} for a node and draws them with cytoscape.
// A click on a node opens its page; the depth and direction controls redraw the graph.
(function () {
  "use strict";
  var COLOURS = { dataset: "#1f4f9c", version: "#2c6e49", run: "#a15c00", model: "#7b2cbf", member: "#5b6678" };
  var SHAPES = { dataset: "round-rectangle", version: "ellipse", run: "diamond", model: "hexagon", member: "round-triangle" };
  window.lineageGraphs = window.lineageGraphs || [];

  function setup(section) {
    var canvas = section.querySelector("[data-lineage-canvas]");
    var depthInput = section.querySelector("[data-lineage-depth]");
    var depthValue = section.querySelector("[data-lineage-depth-value]");
    var directionInput = section.querySelector("[data-lineage-direction]");
    var status = section.querySelector("[data-lineage-status]");
    var list = section.querySelector("[data-lineage-list]");
    var root = section.dataset.node;
    var cy = cytoscape({
      container: canvas,
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: {
            "label": "data(label)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 4,
            "background-color": function (n) { return COLOURS[n.data("type")] || "#888"; },
            "shape": function (n) { return SHAPES[n.data("type")] || "ellipse"; },
            "width": 22, "height": 22 } },
        { selector: "node.root", style: { "border-width": 4, "border-color": "#f0b400" } },
        { selector: "edge", style: {
            "width": 1.5, "line-color": "#aab2c0", "target-arrow-color": "#aab2c0",
            "target-arrow-shape": "triangle", "curve-style": "bezier",
            "label": "data(kind)", "font-size": 8, "color": "#5b6678", "text-rotation": "autorotate" } }
      ]
    });
    window.lineageGraphs.push(cy);
    cy.on("tap", "node", function (evt) {
      var url = evt.target.data("url");
      if (url) { window.location.assign(url); }
    });

    function load() {
      var params = new URLSearchParams({ node: root, depth: depthInput.value, direction: directionInput.value });
      section.dataset.state = "loading";
      status.textContent = "Loading…";
      fetch(section.dataset.url + "?" + params.toString(), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (!res.ok) { throw new Error(res.body.detail || "The lineage could not be loaded."); }
          draw(res.body);
        })
        .catch(function (err) { status.textContent = err.message; section.dataset.state = "error"; });
    }

    function draw(graph) {
      var elements = graph.nodes.map(function (n) {
        return { group: "nodes", data: { id: n.id, label: n.label, type: n.type, url: n.url }, classes: n.id === root ? "root" : "" };
      }).concat(graph.edges.map(function (e) {
        return { group: "edges", data: { id: e.source + ">" + e.target + ":" + e.kind, source: e.source, target: e.target, kind: e.kind } };
      }));
      cy.elements().remove();
      cy.add(elements);
      cy.layout({ name: "breadthfirst", directed: true, spacingFactor: 1.1, padding: 20 }).run();
      list.replaceChildren.apply(list, graph.nodes.map(function (n) {
        var li = document.createElement("li");
        var a = document.createElement(n.url ? "a" : "span");
        if (n.url) { a.href = n.url; }
        a.textContent = n.type + ": " + n.label;
        li.appendChild(a);
        return li;
      }));
      status.textContent = graph.nodes.length + " nodes, " + graph.edges.length + " edges" + (graph.notice ? " — " + graph.notice : "");
      section.dataset.nodeCount = String(graph.nodes.length);
      section.dataset.state = "ready";
    }

    depthInput.addEventListener("input", function () { depthValue.textContent = depthInput.value; });
    depthInput.addEventListener("change", load);
    directionInput.addEventListener("change", load);
    load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-lineage]").forEach(setup);
  });
})();
