"""Plain records passed in and out of the engine (no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

OFFER = "offer"
WANT = "want"


@dataclass(frozen=True, slots=True)
class ListingRecord:
    """One active listing as the engine sees it.

    ``amount_per_year`` is the canonical amount in ``canonical_unit`` (see
    ``quantity.canonical_amount``); ``None`` when the firm gave no quantity.
    """

    id: int
    kind: str  # OFFER or WANT
    title: str
    lat: float
    lon: float
    max_km: float
    description: str = ""
    category: str = ""  # material category slug (data/material_categories.csv) or ""
    ewc_code: str = ""  # six digits, no spaces, or ""
    amount_per_year: float | None = None
    canonical_unit: str = ""  # "t", "m3", "MWh", "unit" or ""
    density_t_per_m3: float | None = None
    available_from: date | None = None
    available_until: date | None = None
    hazardous: bool = False  # offers: the material is hazardous
    accepts_hazardous: bool = False  # wants: the taker is permitted to take hazardous input
    physical_state: str = ""  # solid, liquid, sludge, gas, energy or ""
    temperature_c: float | None = None
    company_id: int | None = None  # a firm's own offer and want are never matched
    sector: str = ""  # the firm's NACE Rev. 2 code ("23.51", "23.5", "23") or ""


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """A scored offer/want pair with its components and one-line explanation."""

    offer_id: int
    want_id: int
    score: float
    distance_km: float
    components: dict[str, float] = field(default_factory=dict)
    explanation: str = ""
