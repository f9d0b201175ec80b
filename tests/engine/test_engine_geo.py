"""Distances and the radius index."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.engine import EARTH_RADIUS_KM, haversine_km

lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)


def test_known_distance_helsinki_tallinn():
    # Helsinki (60.1699, 24.9384) to Tallinn (59.4370, 24.7536): about 82 km.
    assert haversine_km(60.1699, 24.9384, 59.4370, 24.7536) == pytest.approx(82.2, abs=0.5)


def test_quarter_meridian():
    assert haversine_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(math.pi / 2 * EARTH_RADIUS_KM)


def test_scalar_gives_float_and_arrays_broadcast():
    assert isinstance(haversine_km(1.0, 2.0, 3.0, 4.0), float)
    out = haversine_km(60.0, 24.0, np.array([60.0, 61.0]), np.array([24.0, 24.0]))
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    assert out[0] == 0.0 and out[1] == pytest.approx(111.2, abs=0.1)


@given(lats, lons, lats, lons)
def test_haversine_symmetric_and_bounded(lat1, lon1, lat2, lon2):
    d = haversine_km(lat1, lon1, lat2, lon2)
    assert d == haversine_km(lat2, lon2, lat1, lon1)
    assert 0.0 <= d <= math.pi * EARTH_RADIUS_KM + 1e-6


@given(lats, lons)
def test_haversine_zero_on_identical_points(lat, lon):
    assert haversine_km(lat, lon, lat, lon) == 0.0
