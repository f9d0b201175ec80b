/* The agency's pair page: the two sites of a pair on the vendored Leaflet, from the page's
   JSON (json_script "pair-map-data"). Tiles only when MAP_TILE_URL is set; without them
   (or when they fail to load) the sites and the line between them still draw. Without
   script, or without Leaflet, the server's SVG drawing stays. */
(function () {
  "use strict";
  var box = document.getElementById("pair-map");
  var source = document.getElementById("pair-map-data");
  if (!box || !source || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var map = L.map(box, { scrollWheelZoom: false, attributionControl: true });
  var tiles = box.getAttribute("data-tile-url");
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 18, attribution: box.getAttribute("data-tile-attribution") || "" }).addTo(map);
  }
  var points = [];
  [["offer", "#1b6b52"], ["want", "#b35c00"]].forEach(function (side) {
    var site = data[side[0]];
    var latlng = [site.lat, site.lon];
    points.push(latlng);
    L.circleMarker(latlng, { radius: 7, color: "#ffffff", weight: 1.5, fillColor: side[1], fillOpacity: 1 })
      .bindTooltip(site.label, { permanent: true, direction: "right", offset: [8, 0] })
      .addTo(map);
  });
  L.polyline(points, { color: "#1b6b52", weight: 2, dashArray: "6 4" })
    .bindTooltip(data.km_text, { permanent: true, direction: "center", className: "pair-map-distance" })
    .addTo(map);
  map.fitBounds(points, { padding: [40, 40], maxZoom: 12 });
  box.setAttribute("data-map-ready", "2");
})();
