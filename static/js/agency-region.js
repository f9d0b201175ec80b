// Region form. Shows only the inputs of the chosen shape (towns or boundary); without
// JavaScript both stay visible and the server uses the one the radio button names.
// With the vendored Leaflet it also draws the region's sites and the shape as typed
// (circles around "Town: lat, lon" lines, or the GeoJSON boundary), and lets a manager
// draw a boundary by clicking its corners: the polygon is written into the GeoJSON
// textarea, which the server checks as if it had been pasted.
(function () {
  "use strict";
  var form = document.getElementById("region-form");
  if (!form) return;
  var text = form.querySelector("textarea[name=boundary]");
  var townsInput = form.querySelector("textarea[name=towns]");
  var radiusInput = form.querySelector("input[name=radius_km]");

  function chosenShape() {
    var chosen = form.querySelector("input[name=shape]:checked");
    return chosen ? chosen.value : "towns";
  }
  function sync() {
    var shape = chosenShape();
    form.querySelectorAll("[data-shape]").forEach(function (group) {
      group.hidden = group.getAttribute("data-shape") !== shape;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "shape") sync();
  });
  // An uploaded file's text goes into the textarea, so the author sees what is sent.
  var file = form.querySelector("input[name=boundary_file]");
  if (file && text && window.FileReader) {
    file.addEventListener("change", function () {
      if (!file.files.length) return;
      var reader = new FileReader();
      reader.onload = function () { text.value = reader.result; text.dispatchEvent(new Event("input")); };
      reader.readAsText(file.files[0]);
    });
  }
  sync();

  var box = document.getElementById("region-map");
  var source = document.getElementById("region-map-data");
  if (!box || !source || typeof L === "undefined") return;
  document.getElementById("region-map-card").hidden = false;
  var data = JSON.parse(source.textContent);
  // A view first: circles measure their bounds through the map's projection.
  var map = L.map(box, { scrollWheelZoom: false }).setView([61.5, 22.5], 7);
  var tiles = box.getAttribute("data-tile-url");
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 18, attribution: box.getAttribute("data-tile-attribution") || "" }).addTo(map);
  }
  var sites = L.featureGroup().addTo(map);
  data.sites.forEach(function (p) {
    L.circleMarker(p, { radius: 3, weight: 0, fillColor: "#33453d", fillOpacity: 0.75 }).addTo(sites);
  });
  var shape = L.featureGroup().addTo(map);
  var style = { color: "#1b6b52", weight: 2, fillColor: "#23805f", fillOpacity: 0.12 };

  function townLines() {
    var out = [];
    (townsInput ? townsInput.value : "").split("\n").forEach(function (line) {
      var m = line.match(/^\s*([^:]+?)\s*:\s*(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)\s*$/);
      if (m) out.push({ name: m[1], lat: parseFloat(m[2]), lon: parseFloat(m[3]) });
    });
    // Towns typed by name are located by the server: a preview sends them back.
    if (!out.length && data.towns) {
      data.towns.forEach(function (t) { out.push({ name: t.name, lat: t.latitude, lon: t.longitude }); });
    }
    return out;
  }
  function drawShape() {
    shape.clearLayers();
    if (chosenShape() === "polygon") {
      try { L.geoJSON(JSON.parse(text.value), { style: style }).addTo(shape); } catch (e) { /* the server says what is wrong */ }
    } else {
      var km = parseFloat(radiusInput && radiusInput.value);
      townLines().forEach(function (t) {
        if (km > 0) L.circle([t.lat, t.lon], Object.assign({ radius: km * 1000 }, style)).addTo(shape);
        L.circleMarker([t.lat, t.lon], { radius: 4, color: "#1b6b52", fillOpacity: 1 }).bindTooltip(t.name).addTo(shape);
      });
    }
  }
  function fit() {
    var bounds = shape.getLayers().length ? shape.getBounds() : sites.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 11, animate: false }); }
  }
  [text, townsInput, radiusInput].forEach(function (input) {
    if (input) input.addEventListener("input", drawShape);
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "shape") { drawShape(); fit(); }
  });
  drawShape();
  fit();

  // Drawing a boundary: click the corners, then finish (three corners at least).
  var tools = document.getElementById("draw-tools");
  if (!tools) { box.setAttribute("data-map-ready", "1"); return; }
  tools.hidden = false;
  var start = tools.querySelector("[data-draw=start]");
  var finish = tools.querySelector("[data-draw=finish]");
  var cancel = tools.querySelector("[data-draw=cancel]");
  var hint = tools.querySelector("[data-draw=hint]");
  var corners = [];
  var sketch = null;
  function setDrawing(on) {
    start.disabled = on; cancel.disabled = !on; finish.disabled = true;
    box.classList.toggle("drawing", on);
    hint.textContent = on ? hint.getAttribute("data-on") || "Click the corners on the map." : "";
    if (!on) { corners = []; if (sketch) { map.removeLayer(sketch); sketch = null; } }
  }
  map.on("click", function (event) {
    if (start.disabled !== true) return;
    corners.push([event.latlng.lat, event.latlng.lng]);
    if (sketch) map.removeLayer(sketch);
    sketch = L.polygon(corners, { color: "#b35c00", weight: 2, dashArray: "5 4", fillOpacity: 0.08 }).addTo(map);
    finish.disabled = corners.length < 3;
    hint.textContent = corners.length + (corners.length === 1 ? " corner" : " corners");
  });
  start.addEventListener("click", function () { setDrawing(true); });
  cancel.addEventListener("click", function () { setDrawing(false); });
  finish.addEventListener("click", function () {
    if (corners.length < 3) return;
    var ring = corners.map(function (c) { return [Math.round(c[1] * 1e5) / 1e5, Math.round(c[0] * 1e5) / 1e5]; });
    ring.push(ring[0]);
    text.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    setDrawing(false);
    drawShape();
  });
  box.setAttribute("data-map-ready", "1");
})();
