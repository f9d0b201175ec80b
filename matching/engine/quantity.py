"""Units, canonical per-year amounts and how much of a need an offer covers.

The one place for unit conversions: forms, CSV import, impact figures and the matcher all
go through ``canonical_amount``. Canonical units are t (mass), m3 (volume), MWh (energy)
and unit (count); power (MW, kW) is a rate and only becomes an amount as a continuous flow.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

HOURS_PER_YEAR = 8760.0

# code → (dimension, factor to the dimension's canonical unit, display label)
UNITS: dict[str, tuple[str, float, str]] = {
    "t": ("mass", 1.0, "t"),
    "kg": ("mass", 1e-3, "kg"),
    "m3": ("volume", 1.0, "m³"),
    "l": ("volume", 1e-3, "l"),
    "MWh": ("energy", 1.0, "MWh"),
    "kWh": ("energy", 1e-3, "kWh"),
    "GJ": ("energy", 1.0 / 3.6, "GJ"),  # 1 MWh = 3.6 GJ
    "MW": ("power", 1.0, "MW"),  # MW sustained for an hour = 1 MWh
    "kW": ("power", 1e-3, "kW"),
    "unit": ("count", 1.0, "units"),
}

# dimension → canonical unit of a per-year amount
CANONICAL_UNITS: dict[str, str] = {
    "mass": "t",
    "volume": "m3",
    "energy": "MWh",
    "power": "MWh",
    "count": "unit",
}

# code → (multiplier to a per-year amount, label). A one-off batch counts once: the firm
# offers (or needs) that amount in total, which is what a taker compares against.
# ``continuous`` means the quantity is an hourly rate (t/h, m3/h, MWh/h, MW).
FREQUENCIES: dict[str, tuple[float, str]] = {
    "one-off": (1.0, "one-off batch"),
    "daily": (365.0, "per day"),
    "weekly": (52.0, "per week"),
    "monthly": (12.0, "per month"),
    "yearly": (1.0, "per year"),
    "continuous": (HOURS_PER_YEAR, "continuous, per hour"),
}

# Dimension codes for vectorised work (0 = no usable amount).
DIM_NONE, DIM_MASS, DIM_VOLUME, DIM_ENERGY, DIM_COUNT = 0, 1, 2, 3, 4
_DIM_CODES = {"mass": DIM_MASS, "volume": DIM_VOLUME, "energy": DIM_ENERGY, "count": DIM_COUNT}

_UNIT_ALIASES = {code.lower(): code for code in UNITS} | {
    "m³": "m3",
    "units": "unit",
    "tonne": "t",
    "tonnes": "t",
}


def normalise_unit(unit: str) -> str:
    """Return the unit's code (``'mwh'`` → ``'MWh'``); ``ValueError`` when unknown."""
    text = (unit or "").strip()
    code = text if text in UNITS else _UNIT_ALIASES.get(text.lower())
    if code is None:
        known = ", ".join(UNITS)
        raise ValueError(f"Unknown unit {unit!r}; use one of: {known}.")
    return code


def normalise_frequency(frequency: str) -> str:
    """Return the frequency's code (``'One_off'`` → ``'one-off'``); ``ValueError`` when unknown."""
    text = (frequency or "").strip().lower().replace("_", "-").replace(" ", "-")
    if text not in FREQUENCIES:
        known = ", ".join(FREQUENCIES)
        raise ValueError(f"Unknown frequency {frequency!r}; use one of: {known}.")
    return text


# The period after the slash of a rate as firms write it ("t/month", "kg/h") → frequency.
_RATE_PERIODS: dict[str, str] = {
    "h": "continuous", "hr": "continuous", "hour": "continuous",
    "d": "daily", "day": "daily",
    "wk": "weekly", "week": "weekly",
    "mo": "monthly", "month": "monthly",
    "a": "yearly", "y": "yearly", "yr": "yearly", "year": "yearly",
}
RATE_EXAMPLES = "t/month, t/week, m3/day, MWh/year, kg/h"


def split_rate(unit: str) -> tuple[str, str | None]:
    """A unit as firms write it → (unit code, frequency code or None when none is implied).

    ``'t/month'`` → ``('t', 'monthly')``, ``'kg/h'`` → ``('kg', 'continuous')``, a plain
    ``'MWh'`` → ``('MWh', None)``. Power (MW, kW) is already a rate and takes no period.
    ``ValueError`` naming the accepted forms otherwise.
    """
    text = (unit or "").strip()
    if "/" not in text:
        try:
            return normalise_unit(text), None
        except ValueError:
            raise ValueError(_unit_help(unit)) from None
    amount, _slash, period = text.partition("/")
    frequency = _RATE_PERIODS.get(period.strip().lower())
    try:
        code = normalise_unit(amount)
    except ValueError:
        code = None
    if code is None or frequency is None or UNITS[code][0] == "power":
        raise ValueError(_unit_help(unit))
    return code, frequency


def _unit_help(unit: str) -> str:
    return (
        f"Unknown unit {unit!r}. Give a unit ({', '.join(UNITS)}) with a frequency, or a "
        f"rate: a unit per h, day, week, month or year, e.g. {RATE_EXAMPLES}."
    )


def _check_quantity(value: float, what: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, not {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, not {value!r}.")
    if number < 0:
        raise ValueError(f"{what} cannot be negative ({value!r}).")
    return number


def canonical_amount(*, quantity: float, unit: str, frequency: str) -> tuple[float, str]:
    """Amount per year in the canonical unit, e.g. ``(3650.0, "t")`` for 10 t daily.

    Raises ``ValueError`` for an unknown unit or frequency, a negative quantity, or a power
    unit (MW, kW) with any frequency but ``continuous``.
    """
    code = normalise_unit(unit)
    freq = normalise_frequency(frequency)
    number = _check_quantity(quantity, "Quantity")
    dimension, factor, _label = UNITS[code]
    if dimension == "power" and freq != "continuous":
        raise ValueError(
            f"{code} is a power (a rate); give it with frequency 'continuous', "
            "or give an energy amount in MWh, kWh or GJ."
        )
    multiplier, _ = FREQUENCIES[freq]
    return number * factor * multiplier, CANONICAL_UNITS[dimension]


def amount_dimension(unit: str) -> tuple[int, float]:
    """(dimension code, factor to canonical) of an amount's unit; ``''`` gives DIM_NONE.

    Power is a rate, not an amount, so it is refused here: convert it with
    ``canonical_amount`` first.
    """
    if not unit:
        return DIM_NONE, 1.0
    code = normalise_unit(unit)
    dimension, factor, _label = UNITS[code]
    if dimension == "power":
        raise ValueError(f"{code} is a power, not an amount; convert it with canonical_amount.")
    return _DIM_CODES[dimension], factor


def _to_tonnes(amount: np.ndarray, dim: np.ndarray, density: np.ndarray,
               energy: np.ndarray) -> np.ndarray:
    """Canonical amounts as tonnes where the dimension and the stated factors allow; NaN
    elsewhere. Volume × density (t/m3); energy ÷ energy content (MWh/t)."""
    good_density = np.isfinite(density) & (density > 0)
    good_energy = np.isfinite(energy) & (energy > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.select(
            [dim == DIM_MASS, (dim == DIM_VOLUME) & good_density,
             (dim == DIM_ENERGY) & good_energy],
            [amount, amount * density, amount / energy],
            np.nan,
        )


def _stated(offer: ArrayLike, want: ArrayLike) -> np.ndarray:
    """The offer's factor where stated (it describes the material that moves), else the
    want's."""
    o = np.asarray(offer, dtype=np.float64)
    return np.where(np.isfinite(o) & (o > 0), o, np.asarray(want, dtype=np.float64))


def fit_arrays(
    *,
    offer_amount: ArrayLike,
    offer_dim: ArrayLike,
    want_amount: ArrayLike,
    want_dim: ArrayLike,
    offer_density: ArrayLike,
    want_density: ArrayLike,
    offer_energy: ArrayLike = np.nan,
    want_energy: ArrayLike = np.nan,
) -> np.ndarray:
    """Vectorised ``quantity_fit`` on canonical amounts; NaN where the fit is unknown.

    Amounts are canonical (NaN = not given), dimensions are DIM_* codes, densities in t/m3
    and energy contents in MWh/t (NaN = not stated). Arrays broadcast.
    """
    oa = np.asarray(offer_amount, dtype=np.float64)
    wa = np.asarray(want_amount, dtype=np.float64)
    od = np.asarray(offer_dim)
    wd = np.asarray(want_dim)
    density = _stated(offer_density, want_density)
    energy = _stated(offer_energy, want_energy)
    same = (od == wd) & (od != DIM_NONE)
    # Across dimensions compare in tonnes, through the stated density or energy content.
    o_val = np.where(same, oa, _to_tonnes(oa, od, density, energy))
    w_val = np.where(same, wa, _to_tonnes(wa, wd, density, energy))
    valid = np.isfinite(o_val) & np.isfinite(w_val) & (w_val > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.minimum(o_val, w_val) / w_val
    return np.where(valid, np.clip(share, 0.0, 1.0), np.nan)


# Why a pair's fit is unknown (``unknown_reasons``).
KNOWN, NOT_STATED, NEEDS_DENSITY, NEEDS_ENERGY, NOT_CONVERTIBLE, ZERO_NEED = 0, 1, 2, 3, 4, 5
_DIM_LABELS = {DIM_MASS: "t", DIM_VOLUME: "m³", DIM_ENERGY: "MWh", DIM_COUNT: "units"}


def unknown_reasons(
    *,
    fit: ArrayLike,
    offer_amount: ArrayLike,
    offer_dim: ArrayLike,
    want_amount: ArrayLike,
    want_dim: ArrayLike,
) -> np.ndarray:
    """For each pair: ``KNOWN`` when ``fit`` is a number, else why not: a side gave no
    amount, the need is zero, or both gave amounts in units only a density (mass against
    volume), an energy content (energy against mass or volume) or nothing (counts) could
    make comparable."""
    fit = np.asarray(fit, dtype=np.float64)
    od, wd = np.asarray(offer_dim), np.asarray(want_dim)
    stated = (np.isfinite(np.asarray(offer_amount, dtype=np.float64)) & (od != DIM_NONE)
              & np.isfinite(np.asarray(want_amount, dtype=np.float64)) & (wd != DIM_NONE))
    energy = (od == DIM_ENERGY) | (wd == DIM_ENERGY)
    count = (od == DIM_COUNT) | (wd == DIM_COUNT)
    zero = np.asarray(want_amount, dtype=np.float64) == 0
    reason = np.select(
        [~np.isnan(fit), ~stated, zero, od == wd, count, energy],
        [KNOWN, NOT_STATED, ZERO_NEED, NOT_STATED, NOT_CONVERTIBLE, NEEDS_ENERGY],
        NEEDS_DENSITY,
    )
    return reason.astype(np.int8)


def unknown_text(reason: int, offer_dim: int, want_dim: int) -> str:
    """The explanation's words for an unknown fit (``unknown_reasons``)."""
    if reason == NOT_STATED or reason == KNOWN:
        return "quantity unknown"
    if reason == ZERO_NEED:
        return "no share: the need is given as zero"
    offered, needed = (_DIM_LABELS.get(int(d), "?") for d in (offer_dim, want_dim))
    units = f"{offered} offered, {needed} needed"
    why = {NEEDS_DENSITY: "no density stated", NEEDS_ENERGY: "no energy content stated",
           NOT_CONVERTIBLE: "a count and an amount"}[int(reason)]
    return f"quantities not comparable ({units}: {why})"


def quantity_fit(
    *,
    offer_amount: float | None,
    offer_unit: str,
    want_amount: float | None,
    want_unit: str,
    offer_density: float | None = None,
    want_density: float | None = None,
    offer_energy: float | None = None,
    want_energy: float | None = None,
) -> float | None:
    """Share of the want's need the offer covers, ``min(offer, want) / want`` in [0, 1].

    ``None`` (unknown) when an amount or unit is missing, the need is zero, or the
    dimensions differ and no stated factor links them. Mass and volume are compared
    through a stated density (t per m3), energy and mass (or volume) through a stated
    energy content (MWh per t), the offer's preferred: guessing one would invent a fit.
    """
    if offer_amount is None or want_amount is None or not offer_unit or not want_unit:
        return None
    o_dim, o_factor = amount_dimension(offer_unit)
    w_dim, w_factor = amount_dimension(want_unit)
    o_amt = _check_quantity(offer_amount, "Offer amount") * o_factor
    w_amt = _check_quantity(want_amount, "Want amount") * w_factor
    nan = float("nan")

    def given(value: float | None) -> float:
        return nan if value is None else float(value)

    fit = fit_arrays(
        offer_amount=o_amt,
        offer_dim=o_dim,
        want_amount=w_amt,
        want_dim=w_dim,
        offer_density=given(offer_density),
        want_density=given(want_density),
        offer_energy=given(offer_energy),
        want_energy=given(want_energy),
    )
    value = float(fit)
    return None if math.isnan(value) else value


def format_amount(amount: float | None, unit: str) -> str:
    """Human-readable amount for explanations: ``'1,250 t'``, ``'12.5 m³'``, ``'3 units'``."""
    if amount is None or not math.isfinite(amount):
        return "unknown amount"
    code = _UNIT_ALIASES.get((unit or "").strip().lower(), unit)
    label = UNITS[code][2] if code in UNITS else unit
    size = abs(amount)
    if size >= 100 or size == int(size):
        text = f"{amount:,.0f}"
    elif size >= 1:
        text = f"{amount:,.1f}".rstrip("0").rstrip(".")
    else:
        text = f"{amount:.2g}"
    if code == "unit" and text == "1":
        label = "unit"
    return f"{text} {label}".strip()
