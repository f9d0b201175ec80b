"""Great-circle distances and a radius index over site coordinates."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.neighbors import BallTree

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius

# BallTree and haversine_km evaluate the same formula in a different order; widen the tree's
# radius by a hair so a point exactly on the limit is never lost, then filter exactly.
_RADIUS_SLACK = 1e-9


def haversine_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> float | np.ndarray:
    """Great-circle distance in km between points given in degrees.

    Scalars give a ``float``; arrays broadcast and give an ``ndarray``. The result is exactly
    symmetric in its two points (differences enter through their absolute value).
    """
    phi1 = np.radians(np.asarray(lat1, dtype=np.float64))
    phi2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = np.abs(phi2 - phi1)
    lam1 = np.radians(np.asarray(lon1, dtype=np.float64))
    lam2 = np.radians(np.asarray(lon2, dtype=np.float64))
    dlam = np.abs(lam2 - lam1)
    # cos(a)*cos(b) is written as a product of the sorted pair so swapping points is exact.
    cos_lo = np.cos(np.minimum(phi1, phi2))
    cos_hi = np.cos(np.maximum(phi1, phi2))
    a = np.sin(dphi / 2.0) ** 2 + cos_lo * cos_hi * np.sin(dlam / 2.0) ** 2
    # Rounding can push ``a`` a hair outside [0, 1] for (near-)antipodal points.
    d = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def _check_coordinates(lat: np.ndarray, lon: np.ndarray) -> None:
    if lat.shape != lon.shape or lat.ndim != 1:
        raise ValueError("lat and lon must be 1-D arrays of the same length")
    if not (np.all(np.isfinite(lat)) and np.all(np.isfinite(lon))):
        raise ValueError("coordinates must be finite numbers")
    if np.any(np.abs(lat) > 90.0):
        raise ValueError("latitude must lie within [-90, 90] degrees")


class GeoIndex:
    """Points on the sphere, queried by radius in km (a haversine ``BallTree`` on radians)."""

    def __init__(self, lat: np.ndarray, lon: np.ndarray) -> None:
        self.lat = lat
        self.lon = lon
        self._tree = (
            BallTree(np.radians(np.column_stack([lat, lon])), metric="haversine")
            if len(lat)
            else None
        )

    @classmethod
    def build(cls, *, lat: ArrayLike, lon: ArrayLike) -> GeoIndex:
        """Index points given as latitude and longitude arrays in degrees."""
        lat_a = np.asarray(lat, dtype=np.float64).reshape(-1)
        lon_a = np.asarray(lon, dtype=np.float64).reshape(-1)
        _check_coordinates(lat_a, lon_a)
        return cls(lat_a, lon_a)

    def __len__(self) -> int:
        return len(self.lat)

    def query_radius(
        self, *, lat: float, lon: float, radius_km: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Points within ``radius_km`` (inclusive) of one point.

        Returns ``(indices, distances_km)`` with indices ascending; distances come from
        ``haversine_km`` so they agree exactly with a brute-force computation.
        """
        empty = (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64))
        if self._tree is None or not radius_km >= 0.0:
            return empty
        radius_rad = radius_km / EARTH_RADIUS_KM * (1.0 + _RADIUS_SLACK) + _RADIUS_SLACK
        point = np.radians(np.array([[lat, lon]], dtype=np.float64))
        idx = np.sort(self._tree.query_radius(point, r=radius_rad)[0]).astype(np.intp)
        dist = haversine_km(lat, lon, self.lat[idx], self.lon[idx])
        keep = dist <= radius_km
        return idx[keep], np.asarray(dist, dtype=np.float64)[keep]
