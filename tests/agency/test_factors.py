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
    mapped = []
    for slug, items in CATEGORY_ITEMS.items():
        if items is not None:
            mapped += [(slug, item) for item in ((items,) if isinstance(items, str) else items)]
    assert mapped
    assert [(slug, item) for slug, item in mapped if item not in rows] == []


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


# Organic materials and solid fuels: the factor each category finds, with its source and year.
@pytest.mark.parametrize(("category", "unit", "value", "source", "year"), [
    # Food residues digested: 405 kWh/t (Banks et al. 2011) × 201.96 kg CO2/MWh natural gas.
    ("food-residues", "t", 81.79, "Bioresource Technology 102 (2011)", 2011),
    # Animal by-products and the parent category inherit the food-residue row.
    ("animal-by-products", "t", 81.79, "Banks", 2011),
    ("organics", "t", 81.79, "Banks", 2011),
    # Manure: 0.6 kg readily available N/t (RB209) × 3.6 kg CO2e/kg N (AN at EU BAT, Yara).
    ("green-waste", "t", 2.16, "RB209", 2010),
    # Wood fuel replacing peat: 106 kg CO2/GJ (IPCC 2006) × 3.6 GJ/MWh, or × 15.6 GJ/t.
    ("solid-fuel", "MWh", 381.6, "2006 IPCC Guidelines", 2006),
    ("solid-fuel", "t", 1653.6, "2006 IPCC Guidelines", 2006),
])
def test_organic_and_solid_fuel_factors_name_source_and_year(category, unit, value, source,
                                                             year):
    factor = avoided_factor(category=category, unit=unit)
    assert factor.value == pytest.approx(value)
    assert factor.per == unit
    assert source in factor.source
    assert factor.year == year
    assert factor.notes.startswith("derived:")          # the conversion is written down


def test_organic_conversions_match_their_stated_inputs():
    """The derived rows equal the products their notes state, from the rows they cite."""
    gas = avoided_factor(category="fuel-gas", unit="MWh").value   # 56,100 kg/TJ × 0.0036
    assert avoided_factor(category="food-residues", unit="t").value == pytest.approx(
        0.405 * gas, abs=0.005)
    assert avoided_factor(category="green-waste", unit="t").value == pytest.approx(0.6 * 3.6)
    assert avoided_factor(category="solid-fuel", unit="MWh").value == pytest.approx(106 * 3.6)
    assert avoided_factor(category="solid-fuel", unit="t").value == pytest.approx(15.6 * 106)


def test_sludge_does_not_inherit_the_food_residue_factor():
    assert avoided_factor(category="sludge", unit="t") is None
    assert avoided_factor(category="food-residues", unit="MWh") is None
