"""Emission factors from ``data/emission_factors.csv``, keyed to the listing categories.

Every number comes from the data file, which names the source, year and reference of each
row (provenance in ``data/EMISSION_FACTORS.md``). This module only chooses which row stands
for a material category, and states every factor per canonical unit (t, MWh, m3; tonne-km
for transport) so that ``quantity × factor`` needs no further conversion.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

# Category slug (data/material_categories.csv) → the ``item`` of the factor row standing for
# what its delivery replaces. A category missing here inherits its parent's row; a category
# with neither has no factor (no avoided CO2e is claimed, the screens say so).
CATEGORY_ITEMS: dict[str, str] = {
    # Mineral residues: the by-product replaces the primary material it is used as.
    "ash": "Fly ash replacing CEM I Portland cement (1:1 by mass): CEM I (0.95 kgCO2e/kg) "
           "minus fly ash (0.008 kgCO2/kg, no allocation)",
    "slag": "GGBS replacing CEM I Portland cement (1:1 by mass): CEM I (0.95 kgCO2e/kg) "
            "minus GGBS (0.083 kgCO2/kg, economic allocation)",
    "gypsum": "Plasterboard: primary minus closed-loop source",
    "aggregates": "Aggregates: primary minus closed-loop source",
    # Metals: the DESNZ mixed-metals row is the conservative default for unsorted scrap.
    "metals": "Metals: primary minus closed-loop source",
    "ferrous-metals": "Steel, general: virgin minus recycled",
    "non-ferrous-metals": "Metals: primary minus closed-loop source",
    "wood": "Wood: primary minus re-used",
    "paper-fibre": "Paper and board: mixed: primary minus closed-loop source",
    "plastics": "Plastics: average plastics: primary minus closed-loop source",
    "rubber": "Tyres: primary minus re-used",
    "oils": "Mineral oil: primary minus closed-loop source",
    "glass": "Glass: primary minus closed-loop source",
    # Energy and water: what the recovered flow replaces (rows added for this app).
    "heat": "District heat, Finland, combined heat and power areas (benefit-sharing method)",
    "steam": "District heat and steam (UK)",
    "fuel-gas": "Natural gas, stationary combustion (energy industries), CO2",
    "water": "Water supply (UK)",
    # Not a listing category: an energy kind callers may ask for.
    "electricity": "Electricity, Finland, average production (five-year rolling mean)",
}

# The canonical unit a factor's row is expressed per, from the row's ``unit`` text.
_PER_UNIT = (
    ("per tonne-km", "tkm"),
    ("per tonne", "t"),
    ("per mwh", "MWh"),
    ("per m3", "m3"),
)


@dataclass(frozen=True)
class Factor:
    """One emission factor in kg CO2e (or kg CO2 where the source gives only CO2) per
    canonical unit ``per`` (``t``, ``MWh``, ``m3`` or ``tkm``)."""

    value: float
    unit: str
    per: str
    item: str
    source: str
    year: int
    reference: str
    notes: str = ""

    @property
    def label(self) -> str:
        """Short form for formula texts: ``'942 kg CO2e/t (ICE v2.0, 2011)'``."""
        gas = "kg CO2" if self.unit.startswith("kg CO2 ") else "kg CO2e"
        return f"{self.value:g} {gas}/{self.per} ({self.short_source}, {self.year})"

    @property
    def short_source(self) -> str:
        text = self.source
        for marker in (",", " - ", " as "):
            if marker in text:
                text = text.split(marker)[0]
        return text.strip()


def _per(unit_text: str) -> str | None:
    text = unit_text.lower().replace("m³", "m3")
    for marker, per in _PER_UNIT:
        if marker in text:
            return per
    return None


@lru_cache(maxsize=1)
def factor_rows() -> dict[str, Factor]:
    """Every row of the data file that is per a canonical unit, by its ``item``."""
    path = Path(settings.DATA_DIR) / "emission_factors.csv"
    rows: dict[str, Factor] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            per = _per(row["unit"])
            if per is None or not row["value"].strip():
                continue
            rows[row["item"]] = Factor(
                value=float(row["value"]), unit=row["unit"], per=per, item=row["item"],
                source=row["source"], year=int(row["source_year"]),
                reference=row["source_ref"], notes=row.get("notes", ""),
            )
    return rows


@lru_cache(maxsize=1)
def category_parents() -> dict[str, str]:
    path = Path(settings.DATA_DIR) / "material_categories.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["slug"]: row["parent"] for row in csv.DictReader(handle)}


def factor_item_for(*, category: str) -> str | None:
    """The factor row's ``item`` standing for a category (its own, else its parent's)."""
    parents = category_parents()
    slug = category or ""
    while slug:
        if slug in CATEGORY_ITEMS:
            return CATEGORY_ITEMS[slug]
        slug = parents.get(slug, "")
    return None


def avoided_factor(*, category: str, unit: str) -> Factor | None:
    """Avoided CO2e per canonical ``unit`` (t, MWh, m3) of what a delivery of ``category``
    replaces; None when the data file has no factor for it in that unit."""
    item = factor_item_for(category=category)
    if item is None:
        return None
    factor = factor_rows().get(item)
    if factor is None or factor.per != unit:
        return None
    return factor


# Road freight is the default mode: well-to-wheel (DESNZ "freighting goods" tank-to-wheel
# plus its well-to-tank row), the GLEC / ISO 14083 basis.
TRANSPORT_ITEMS = (
    "Road HGV (diesel), all HGVs, average laden",
    "Road HGV (diesel), all HGVs, average laden - WTT",
)


def transport_factor() -> Factor:
    """kg CO2e per tonne-km of road freight by an average laden HGV, well-to-wheel."""
    rows = factor_rows()
    parts = [rows[item] for item in TRANSPORT_ITEMS]
    first = parts[0]
    return Factor(
        value=round(sum(p.value for p in parts), 6), unit="kg CO2e per tonne-km", per="tkm",
        item="Road HGV (diesel), all HGVs, average laden, well-to-wheel",
        source=first.source, year=first.year,
        reference=" + ".join(p.reference.split(" |")[0] for p in parts),
        notes="tank-to-wheel " + " + well-to-tank ".join(f"{p.value:g}" for p in parts),
    )
