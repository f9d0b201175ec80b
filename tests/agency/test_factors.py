"""The emission factors: every category's row exists in the data file, in the right unit."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.conf import settings

from agency.impact.factors import (
    CATEGORY_ITEMS,
    avoided_factor,
    factor_rows,
    transport_factor,
)


def test_every_mapped_item_is_a_row_of_the_data_file():
    rows = factor_rows()
    missing = {slug: item for slug, item in CATEGORY_ITEMS.items() if item not in rows}
    assert missing == {}


def test_every_row_names_its_source_and_year():
    path = Path(settings.DATA_DIR) / "emission_factors.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert row["source"].strip(), row["item"]
            assert row["source_ref"].strip(), row["item"]
            assert 1990 < int(row["source_year"]) < 2100, row["item"]


def test_fly_ash_avoids_cement_per_tonne():
    factor = avoided_factor(category="ash", unit="t")
    assert factor.value == 942.0
    assert factor.per == "t"
    assert factor.year == 2011
    assert "ICE" in factor.source


@pytest.mark.parametrize(("category", "unit", "value"), [
    ("heat", "MWh", 183.0),
    ("steam", "MWh", 179.6),
    ("fuel-gas", "MWh", 201.96),
    ("cooling-water", "m3", 0.149),   # inherits the water row from its parent
    ("process-water", "m3", 0.149),
    ("ferrous-metals", "t", 2420.0),
])
def test_energy_water_and_material_factors_per_canonical_unit(category, unit, value):
    assert avoided_factor(category=category, unit=unit).value == pytest.approx(value)


def test_no_factor_in_another_unit_or_for_an_unmapped_category():
    assert avoided_factor(category="heat", unit="t") is None
    assert avoided_factor(category="solvents", unit="t") is None
    assert avoided_factor(category="", unit="t") is None


def test_transport_is_road_well_to_wheel():
    factor = transport_factor()
    assert factor.per == "tkm"
    assert factor.value == pytest.approx(0.09752 + 0.02359)
    assert factor.year == 2024
