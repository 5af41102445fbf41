/* clusterwatch report map: Leaflet over offline context layers (no tiles, no network).
   Data: <script type="application/json" id="ID-data"> with context {countries, states, counties, places},
   extent [w,s,e,n], circles [{id,label,status,colour,lat,lon,radius_km,n_firms,score,place,href}],
   points [[lat,lon,name,group,colour,detail]], cells (GeoJSON, properties {cell,n,label,colour}), legend. */
(function () {
  "use strict";
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function card(lines, href) {   // text only: names from the data never become markup
    var box = el("div");
    lines.forEach(function (line, i) { if (line) { box.appendChild(el(i === 0 ? "b" : "div", line)); } });
    if (href) { var a = el("a", "open the card"); a.href = href; box.appendChild(a); }
    return box;
  }
  function declutter(map, group, places) {
    group.clearLayers();
    var size = map.getSize(), boxes = [], shown = 0, zoom = map.getZoom();
    var limit = Math.max(12, Math.min(90, Math.round(size.x * size.y / 9000)));
    for (var i = 0; i < places.length && shown < limit; i++) {
      var p = places[i], pt = map.latLngToContainerPoint([p[1], p[2]]);
      if (pt.x < 0 || pt.y < 0 || pt.x > size.x || pt.y > size.y) { continue; }
      var w = 7 * p[0].length + 8, h = 16, box = [pt.x - w / 2, pt.y - h / 2, pt.x + w / 2, pt.y + h / 2], hit = false;
      for (var j = 0; j < boxes.length && !hit; j++) {
        var b = boxes[j];
        hit = !(box[2] < b[0] || box[0] > b[2] || box[3] < b[1] || box[1] > b[3]);
      }
      if (hit) { continue; }
      boxes.push(box); shown++;
      var icon = L.divIcon({className: "cw-place", html: "", iconSize: [w, h], iconAnchor: [w / 2, h / 2]});
      var m = L.marker([p[1], p[2]], {icon: icon, interactive: false, keyboard: false, pane: "cwLabels"});
      m.on("add", (function (name, big) { return function (ev) {
        var node = ev.target.getElement(); node.textContent = "";
        node.appendChild(el(big ? "b" : "span", name)); }; })(p[0], i < 8 || zoom > 11));
      group.addLayer(m);
    }
  }
  window.cwMap = function (id) {
    var d = JSON.parse(document.getElementById(id + "-data").textContent);
    var map = L.map(id, {minZoom: 2, maxZoom: 18, zoomSnap: 0.25, zoomDelta: 0.5, preferCanvas: false, attributionControl: true});
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution("Boundaries: Natural Earth, US Census; places: GeoNames, USPS ZIPs");
    [["cwLand", 200], ["cwLines", 250], ["cwCells", 350], ["cwCircles", 400], ["cwLabels", 640],
     ["cwCands", 650]].forEach(
      function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
    map.getPane("cwLabels").style.pointerEvents = "none";
    var ctx = d.context || {}, overlays = {};
    L.geoJSON(ctx.countries, {pane: "cwLand", interactive: false,
      style: {color: "#8a8a8a", weight: 1.2, fillColor: "#f5f4ef", fillOpacity: 1}}).addTo(map);
    if (ctx.counties && ctx.counties.features.length) {
      overlays["US counties"] = L.geoJSON(ctx.counties, {pane: "cwLines",
        style: {color: "#b5b5b5", weight: 0.6, fill: true, fillOpacity: 0},
        onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name + " County", {sticky: true}); }
      }).addTo(map);
    }
    if (ctx.states && ctx.states.features.length) {
      overlays["US states"] = L.geoJSON(ctx.states, {pane: "cwLines", interactive: false,
        style: {color: "#666", weight: 1.6, fill: false}}).addTo(map);
    }
    if (d.cells && d.cells.features.length) {
      overlays[d.cells_label || "H3 cells"] = L.geoJSON(d.cells, {pane: "cwCells",
        style: function (f) { return {color: f.properties.colour || "#6a3d9a", weight: 0.5,
          fillColor: f.properties.colour || "#6a3d9a", fillOpacity: f.properties.opacity || 0.35}; },
        onEachFeature: function (f, layer) { layer.bindPopup(card(f.properties.lines || [f.properties.cell])); }
      }).addTo(map);
    }
    var frame = null;
    if (d.circles && d.circles.length) {
      var areas = L.layerGroup();
      var centres = L.markerClusterGroup({maxClusterRadius: 36, showCoverageOnHover: false, clusterPane: "cwCands",
        iconCreateFunction: function (cluster) {
          var box = el("div", cluster.getChildCount() + " cand.", "cw-cand");
          box.style.cssText = "background:#333;width:46px";
          return L.divIcon({html: box.outerHTML, className: "", iconSize: [46, 18]}); }});
      d.circles.forEach(function (c) {
        var lines = c.lines || [c.id + " " + (c.label || ""), c.place,
                     c.status + (c.score !== null ? ", score " + c.score : ""),
                     c.n_firms + " firms within " + c.radius_km + " km"];
        var area = L.circle([c.lat, c.lon], {radius: Math.max(c.radius_km, 0.2) * 1000, pane: "cwCircles",
          color: c.colour, weight: 2, fillColor: c.colour, fillOpacity: d.circles.length > 20 ? 0.05 : 0.12});
        area.bindPopup(card(lines, c.href)); areas.addLayer(area);
        var icon = L.divIcon({className: "", html: "", iconSize: [30, 18], iconAnchor: [15, 9]});
        var m = L.marker([c.lat, c.lon], {icon: icon, title: c.id + " " + (c.label || ""), pane: "cwCands"});
        m.on("add", (function (cc) { return function (ev) { var n = ev.target.getElement(); n.textContent = "";
          var b = el("div", cc.id, "cw-cand"); b.style.background = cc.colour; n.appendChild(b); }; })(c));
        m.bindPopup(card(lines, c.href)); centres.addLayer(m);
        frame = frame ? frame.extend([c.lat, c.lon]) : L.latLngBounds([c.lat, c.lon], [c.lat, c.lon]);
      });
      overlays[d.circles_label || "candidates (circles)"] = areas.addTo(map);
      overlays[(d.circles_label || "candidates") + " (labels)"] = centres.addTo(map);
    }
    if (d.points && d.points.length) {
      var pts = L.markerClusterGroup({maxClusterRadius: 40, disableClusteringAtZoom: 15, chunkedLoading: true,
        showCoverageOnHover: false, iconCreateFunction: function (cluster) {
          var n = cluster.getChildCount(), size = Math.round(16 + 5 * Math.log10(n + 1) * 2);
          var box = el("div", n, "cw-count");
          box.style.cssText = "width:" + size + "px;height:" + size + "px;line-height:" + size + "px";
          return L.divIcon({html: box.outerHTML, className: "", iconSize: [size, size]}); }});
      d.points.forEach(function (p) {
        var icon = L.divIcon({className: "", html: "", iconSize: [8, 8]});
        var m = L.marker([p[0], p[1]], {icon: icon});
        m.on("add", (function (colour) { return function (ev) { var n = ev.target.getElement(); n.textContent = "";
          var dot = el("div", null, "cw-dot"); dot.style.cssText = "width:8px;height:8px;background:" + colour;
          n.appendChild(dot); }; })(p[4] || "#333"));
        m.bindPopup(card([p[2], p[3], p[5]]));
        pts.addLayer(m);
      });
      overlays[d.points_label || "firms"] = d.points_hidden ? pts : pts.addTo(map);
    }
    var labels = L.layerGroup().addTo(map);
    overlays["place names"] = labels;
    var places = ctx.places || [];
    map.on("zoomend moveend resize", function () { if (map.hasLayer(labels)) { declutter(map, labels, places); } });
    map.on("overlayadd", function (ev) { if (ev.layer === labels) { declutter(map, labels, places); } });
    L.control.layers(null, overlays, {collapsed: false}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    if (d.legend && d.legend.length) {
      var legend = L.control({position: "bottomleft"});
      legend.onAdd = function () { var box = el("div", null, "cw-legend");
        d.legend.forEach(function (item) { var row = el("div"); var dot = el("i"); dot.style.background = item[1];
          row.appendChild(dot); row.appendChild(document.createTextNode(item[0])); box.appendChild(row); });
        return box; };
      legend.addTo(map);
    }
    var e = d.extent;
    if (d.frame) {
      frame = L.latLngBounds([d.frame[1], d.frame[0]], [d.frame[3], d.frame[2]]);
    } else if (frame && d.circles.length) {
      var pad = d.circles.reduce(function (a, c) { return Math.max(a, c.radius_km); }, 0) / 111.0;
      frame = L.latLngBounds([frame.getSouth() - pad, frame.getWest() - pad * 1.4],
                             [frame.getNorth() + pad, frame.getEast() + pad * 1.4]);
    } else if (e) {
      frame = L.latLngBounds([e[1], e[0]], [e[3], e[2]]);
    }
    if (frame) { map.fitBounds(frame, {padding: [12, 12]}); } else { map.setView([20, 0], 2); }
    declutter(map, labels, places);
    document.getElementById(id).setAttribute("data-ready", "1");
    return map;
  };
})();
