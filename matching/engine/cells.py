"""Geographic cells for a distributed rematch: who selects, and who may be selected.

A ``CellPlan`` cuts the plane of (latitude, longitude) into boxes by recursive median
splits of the sites, so cells hold about the same number of listings. Every listing lies
in exactly one cell (the outer boxes reach the poles and the date line).

Ownership: cell ``c`` computes the top ``k`` of exactly the listings inside it. Their
counterparts may lie outside, but never farther than the largest transport distance of
any listing (a pair's range is the larger of its two distances), so the cell's **pool**
is every listing inside the box widened by that margin. With the pool, a cell's top ``k``
are the same as in a single-process rematch, and the union over cells of the pairs their
listings select is the single-process result. A pair selected from both ends (its offer
in one cell, its want in another) comes out of both cells with identical numbers, and the
writer keeps one copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from matching.engine.geo import EARTH_RADIUS_KM


@dataclass(frozen=True)
class Cell:
    """A box [lat_lo, lat_hi) × [lon_lo, lon_hi) in degrees."""

    index: int
    lat_lo: float
    lat_hi: float
    lon_lo: float
    lon_hi: float

    def contains(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        lat, lon = np.asarray(lat), np.asarray(lon)
        # The northern and eastern edges of the outer boxes are closed.
        lat_ok = (lat >= self.lat_lo) & ((lat < self.lat_hi) | (self.lat_hi >= 90.0))
        lon_ok = (lon >= self.lon_lo) & ((lon < self.lon_hi) | (self.lon_hi >= 180.0))
        return lat_ok & lon_ok

    def near(self, lat: np.ndarray, lon: np.ndarray, margin_km: float) -> np.ndarray:
        """Points within the box widened by ``margin_km`` (a superset of those in reach)."""
        lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        angle = margin_km / EARTH_RADIUS_KM
        if angle >= math.pi / 2:
            return np.ones(lat.shape, dtype=bool)
        d_lat = math.degrees(angle)
        lo, hi = self.lat_lo - d_lat, self.lat_hi + d_lat
        lat_ok = (lat >= lo) & (lat <= hi)
        # Longitude reach of a point within ``angle`` of the box's most poleward latitude.
        pole = math.radians(min(90.0, max(abs(lo), abs(hi))))
        if math.sin(angle) >= math.cos(pole):
            return lat_ok
        d_lon = math.degrees(math.asin(math.sin(angle) / math.cos(pole)))
        width = self.lon_hi - self.lon_lo + 2 * d_lon
        if width >= 360.0:
            return lat_ok
        return lat_ok & (np.mod(lon - (self.lon_lo - d_lon), 360.0) <= width)


@dataclass(frozen=True)
class CellPlan:
    """Cells covering the sphere and the margin every cell's pool adds."""

    cells: tuple[Cell, ...]
    margin_km: float

    def __len__(self) -> int:
        return len(self.cells)

    def assign(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """The cell index of each point (every point has exactly one)."""
        lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        out = np.full(lat.shape, -1, dtype=np.int64)
        for cell in self.cells:
            out[cell.contains(lat, lon) & (out < 0)] = cell.index
        if np.any(out < 0):
            raise ValueError("a point lies outside every cell")
        return out

    def pool(self, cell: int, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Mask of the points a cell needs: inside it or within the margin of its box."""
        return self.cells[cell].near(lat, lon, self.margin_km)


def plan_cells(
    lat: np.ndarray, lon: np.ndarray, max_km: np.ndarray, *, cells: int
) -> CellPlan:
    """About ``cells`` boxes of equal listing counts (recursive median splits).

    The margin is the largest transport distance: no pair reaches farther.
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    margin = float(np.max(max_km)) if len(max_km) else 0.0
    boxes = [(-90.0, 90.0, -180.0, 180.0, np.arange(len(lat)))]
    while len(boxes) < max(1, cells):
        # Split the fullest box along its wider extent (in km) at the median.
        boxes.sort(key=lambda box: -len(box[4]))
        lat_lo, lat_hi, lon_lo, lon_hi, members = boxes[0]
        if len(members) < 2:
            break
        la, lo = lat[members], lon[members]
        height = (la.max() - la.min()) * 111.2
        width = (lo.max() - lo.min()) * 111.2 * math.cos(math.radians(float(np.median(la))))
        values = lo if width >= height else la
        cut = float(np.median(values))
        below = values < cut
        if not below.any() or below.all():
            break
        boxes.pop(0)
        if width >= height:
            boxes += [(lat_lo, lat_hi, lon_lo, cut, members[below]),
                      (lat_lo, lat_hi, cut, lon_hi, members[~below])]
        else:
            boxes += [(lat_lo, cut, lon_lo, lon_hi, members[below]),
                      (cut, lat_hi, lon_lo, lon_hi, members[~below])]
    boxes.sort(key=lambda box: (box[0], box[2]))
    return CellPlan(
        cells=tuple(
            Cell(index=i, lat_lo=b[0], lat_hi=b[1], lon_lo=b[2], lon_hi=b[3])
            for i, b in enumerate(boxes)
        ),
        margin_km=margin,
    )
