/* The agency dashboard's map: regions, sites and active exchanges from the page's GeoJSON
   (json_script "impact-map-data"), drawn with the vendored Leaflet. Tiles only when
   MAP_TILE_URL is set; without them (or when they fail to load) the vector layers still
   draw on the plain background. Without script, the server's SVG drawing stays. */
(function () {
  "use strict";
  var box = document.getElementById("impact-map");
  var source = document.getElementById("impact-map-data");
  if (!box || !source || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var map = L.map(box, { scrollWheelZoom: false, attributionControl: true });
  var tiles = box.getAttribute("data-tile-url");
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 18, attribution: box.getAttribute("data-tile-attribution") || "" }).addTo(map);
  }
  var text = function (value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span.innerHTML;
  };
  var layer = L.geoJSON(data, {
    style: function (feature) {
      var kind = feature.properties.kind;
      if (kind === "exchange") { return { color: "#d9822b", weight: 4, opacity: 0.9 }; }
      if (kind === "site") {
        return { radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#1b6b52", fillOpacity: 0.95 };
      }
      return { color: "#1b6b52", weight: 1.5, fillOpacity: 0.04, dashArray: "6 5" };
    },
    pointToLayer: function (feature, latlng) {
      var p = feature.properties;
      if (p.kind === "town") {
        return L.circle(latlng, { radius: (p.radius_km || 0) * 1000, color: "#1b6b52", weight: 1.5,
                                  fillOpacity: 0.05, dashArray: "4 4" });
      }
      return L.circleMarker(latlng, { radius: 6 });
    },
    onEachFeature: function (feature, item) {
      var p = feature.properties;
      if (p.kind === "site") {
        item.bindPopup("<strong>" + text(p.company) + "</strong><br>" + text(p.name) + ", " + text(p.city));
      } else if (p.kind === "exchange") {
        item.bindPopup("<strong>" + text(p.material) + "</strong><br>" + text(p.supplier) + " → " +
                       text(p.receiver) + "<br>" + text(p.quantity) + ", net " + text(p.co2e_net_t) + " t CO2e");
      } else if (p.name) {
        item.bindPopup(text(p.name));
      }
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [16, 16] });
  } else if (data.bbox) {
    map.fitBounds([[data.bbox[1], data.bbox[0]], [data.bbox[3], data.bbox[2]]]);
  } else {
    map.setView([61, 24], 5);
  }
  box.setAttribute("data-map-ready", String(layer.getLayers().length));
})();
