"""Plain geometry for regions: GeoJSON polygons and towns with a radius, no GIS library.

Municipal boundaries are not available offline, so a region is either a GeoJSON polygon
(drawn on the map or uploaded) or a list of towns with a radius. Coordinates in GeoJSON
are (longitude, latitude); everything else here takes (latitude, longitude).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

EARTH_RADIUS_KM = 6371.0088
MAX_VERTICES = 20_000  # bounds the work of one containment test

BBox = tuple[float, float, float, float]  # min_lat, max_lat, min_lon, max_lon


class GeometryError(ValueError):
    """A boundary or town list that cannot describe a region; the message says why."""


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _polygons(geometry: dict[str, Any]) -> list[list[list[Sequence[float]]]]:
    """The polygons (each a list of rings) of a Polygon, MultiPolygon, Feature or
    FeatureCollection."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "Feature":
        return _polygons(geometry.get("geometry") or {})
    if kind == "FeatureCollection":
        return [p for f in geometry.get("features") or [] for p in _polygons(f)]
    if kind == "Polygon":
        return [geometry.get("coordinates") or []]
    if kind == "MultiPolygon":
        return list(geometry.get("coordinates") or [])
    raise GeometryError(
        "The boundary must be a GeoJSON Polygon or MultiPolygon (or a Feature of one)."
    )


def boundary_clean(geometry: Any) -> dict[str, Any]:
    """Check a GeoJSON boundary and return it as a MultiPolygon; raise GeometryError."""
    if not isinstance(geometry, dict):
        raise GeometryError("The boundary must be a GeoJSON object.")
    polygons = _polygons(geometry)
    if not polygons:
        raise GeometryError("The boundary holds no polygon.")
    count = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise GeometryError("Every polygon needs at least one ring.")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise GeometryError("Every ring needs at least four positions (closed).")
            for position in ring:
                if (
                    not isinstance(position, (list, tuple))
                    or len(position) < 2
                    or not all(isinstance(v, (int, float)) for v in position[:2])
                ):
                    raise GeometryError("Every position must be [longitude, latitude].")
                lon, lat = position[0], position[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise GeometryError(
                        "Positions are [longitude, latitude] within ±180 and ±90 degrees."
                    )
            count += len(ring)
    if count > MAX_VERTICES:
        raise GeometryError(f"The boundary may have at most {MAX_VERTICES:,} positions.")
    return {
        "type": "MultiPolygon",
        "coordinates": [
            [[[float(p[0]), float(p[1])] for p in ring] for ring in polygon]
            for polygon in polygons
        ],
    }


def _in_ring(ring: Sequence[Sequence[float]], lat: float, lon: float) -> bool:
    # Ray casting along the latitude line; edges are (lon, lat) pairs.
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def boundary_contains(geometry: dict[str, Any], lat: float, lon: float) -> bool:
    """Whether the point lies inside the boundary (outer ring in, no hole around it)."""
    for polygon in _polygons(geometry):
        if polygon and _in_ring(polygon[0], lat, lon) and not any(
            _in_ring(hole, lat, lon) for hole in polygon[1:]
        ):
            return True
    return False


def boundary_bbox(geometry: dict[str, Any]) -> BBox:
    """The bounding box of the outer rings."""
    lats = [p[1] for polygon in _polygons(geometry) for p in polygon[0]]
    lons = [p[0] for polygon in _polygons(geometry) for p in polygon[0]]
    return min(lats), max(lats), min(lons), max(lons)


def towns_clean(towns: Any, radius_km: Any) -> list[dict[str, Any]]:
    """Check a town list ([{name, latitude, longitude}]) and its radius; raise GeometryError."""
    if not isinstance(towns, list) or not towns:
        raise GeometryError("List at least one town.")
    try:
        radius = float(radius_km)
    except (TypeError, ValueError):
        raise GeometryError("Give the radius around the towns in kilometres.") from None
    if not 0 < radius <= 500:
        raise GeometryError("The radius must be more than 0 and at most 500 km.")
    clean = []
    for town in towns:
        try:
            name = str(town["name"]).strip()
            lat, lon = float(town["latitude"]), float(town["longitude"])
        except (KeyError, TypeError, ValueError):
            raise GeometryError("Every town needs a name, a latitude and a longitude.") from None
        if not name or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise GeometryError(f"Town {name or '?'}: a name and coordinates in range.")
        clean.append({"name": name[:120], "latitude": lat, "longitude": lon})
    return clean


def towns_contain(
    towns: Iterable[dict[str, Any]], radius_km: float, lat: float, lon: float
) -> bool:
    """Whether the point lies within ``radius_km`` of any of the towns."""
    return any(
        haversine_km(t["latitude"], t["longitude"], lat, lon) <= radius_km for t in towns
    )


def towns_bbox(towns: Iterable[dict[str, Any]], radius_km: float) -> BBox:
    """A box holding every town's circle (generous near the poles, never too small)."""
    towns = list(towns)
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    boxes = []
    for t in towns:
        coslat = max(math.cos(math.radians(min(89.0, abs(t["latitude"]) + dlat))), 0.01)
        dlon = min(180.0, dlat / coslat)
        boxes.append((t["latitude"] - dlat, t["latitude"] + dlat,
                      t["longitude"] - dlon, t["longitude"] + dlon))
    return (
        max(-90.0, min(b[0] for b in boxes)),
        min(90.0, max(b[1] for b in boxes)),
        max(-180.0, min(b[2] for b in boxes)),
        min(180.0, max(b[3] for b in boxes)),
    )
