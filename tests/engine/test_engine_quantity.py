"""Units, canonical per-year amounts and quantity fit."""

from __future__ import annotations

import pytest

from matching.engine import FREQUENCIES, UNITS, canonical_amount, format_amount, quantity_fit


@pytest.mark.parametrize(
    ("quantity", "unit", "frequency", "expected"),
    [
        (500, "kg", "yearly", (0.5, "t")),
        (10, "t", "daily", (3650.0, "t")),
        (2, "t", "weekly", (104.0, "t")),
        (3, "t", "monthly", (36.0, "t")),
        (1500, "l", "yearly", (1.5, "m3")),
        (36, "GJ", "yearly", (10.0, "MWh")),
        (2500, "kWh", "monthly", (30.0, "MWh")),
        (7, "unit", "weekly", (364.0, "unit")),
        # A one-off batch counts once, as the amount itself.
        (120, "t", "one-off", (120.0, "t")),
        # Continuous: the quantity is an hourly rate.
        (2, "MW", "continuous", (17520.0, "MWh")),
        (500, "kW", "continuous", (4380.0, "MWh")),
        (1, "t", "continuous", (8760.0, "t")),
        (3, "m3", "continuous", (26280.0, "m3")),
    ],
)
def test_canonical_amount(quantity, unit, frequency, expected):
    amount, canonical = canonical_amount(quantity=quantity, unit=unit, frequency=frequency)
    assert canonical == expected[1]
    assert amount == pytest.approx(expected[0])


def test_continuous_mw_is_8760_times():
    amount, unit = canonical_amount(quantity=1.0, unit="MW", frequency="continuous")
    assert (amount, unit) == (8760.0, "MWh")


def test_unit_and_frequency_spelling_is_forgiving():
    assert canonical_amount(quantity=1, unit="mwh", frequency="Yearly") == (1.0, "MWh")
    assert canonical_amount(quantity=1, unit="m³", frequency="one_off") == (1.0, "m3")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantity": 1, "unit": "barrel", "frequency": "yearly"}, "Unknown unit"),
        ({"quantity": 1, "unit": "t", "frequency": "hourly"}, "Unknown frequency"),
        ({"quantity": -1, "unit": "t", "frequency": "yearly"}, "negative"),
        ({"quantity": float("nan"), "unit": "t", "frequency": "yearly"}, "finite"),
    ],
)
def test_canonical_amount_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        canonical_amount(**kwargs)


@pytest.mark.parametrize("frequency", [f for f in FREQUENCIES if f != "continuous"])
@pytest.mark.parametrize("unit", ["MW", "kW"])
def test_power_needs_continuous(unit, frequency):
    with pytest.raises(ValueError, match="continuous"):
        canonical_amount(quantity=1, unit=unit, frequency=frequency)


def test_units_table_shape():
    assert set(UNITS) == {"t", "kg", "m3", "l", "MWh", "kWh", "GJ", "MW", "kW", "unit"}
    assert UNITS["GJ"][0] == "energy" and UNITS["GJ"][1] == pytest.approx(1 / 3.6)
    assert set(FREQUENCIES) == {"one-off", "daily", "weekly", "monthly", "yearly", "continuous"}


def test_fit_share_of_need():
    fit = quantity_fit(offer_amount=800, offer_unit="t", want_amount=1000, want_unit="t")
    assert fit == pytest.approx(0.8)
    assert quantity_fit(offer_amount=5000, offer_unit="t", want_amount=1000, want_unit="t") == 1.0
    assert quantity_fit(offer_amount=0, offer_unit="t", want_amount=1000, want_unit="t") == 0.0


def test_fit_converts_within_a_dimension():
    fit = quantity_fit(offer_amount=500, offer_unit="kg", want_amount=1, want_unit="t")
    assert fit == pytest.approx(0.5)


def test_fit_mass_vs_volume_needs_density():
    args = {"offer_amount": 10, "offer_unit": "m3", "want_amount": 20, "want_unit": "t"}
    assert quantity_fit(**args) is None
    # 10 m3 at 1.5 t/m3 = 15 t of a 20 t need.
    assert quantity_fit(**args, offer_density=1.5) == pytest.approx(0.75)
    assert quantity_fit(**args, want_density=1.5) == pytest.approx(0.75)
    # The offer's density describes the material moved; it wins over the want's.
    assert quantity_fit(**args, offer_density=1.0, want_density=3.0) == pytest.approx(0.5)


def test_fit_unknown_cases():
    assert quantity_fit(offer_amount=None, offer_unit="t", want_amount=1, want_unit="t") is None
    assert quantity_fit(offer_amount=1, offer_unit="t", want_amount=None, want_unit="t") is None
    assert quantity_fit(offer_amount=1, offer_unit="", want_amount=1, want_unit="t") is None
    assert quantity_fit(offer_amount=1, offer_unit="MWh", want_amount=1, want_unit="t") is None
    assert quantity_fit(offer_amount=1, offer_unit="t", want_amount=0, want_unit="t") is None


def test_fit_rejects_unknown_unit():
    with pytest.raises(ValueError):
        quantity_fit(offer_amount=1, offer_unit="bags", want_amount=1, want_unit="t")


@pytest.mark.parametrize(
    ("amount", "unit", "text"),
    [
        (1250.4, "t", "1,250 t"),
        (12.5, "m3", "12.5 m³"),
        (3, "unit", "3 units"),
        (1, "unit", "1 unit"),
        (0.25, "MWh", "0.25 MWh"),
        (None, "t", "unknown amount"),
    ],
)
def test_format_amount(amount, unit, text):
    assert format_amount(amount, unit) == text
