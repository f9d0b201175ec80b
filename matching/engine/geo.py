"""Great-circle distances (the radius search itself is ``index/geometry.py``'s KD-trees)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


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
