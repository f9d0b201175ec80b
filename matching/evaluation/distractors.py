"""Realistic distractor listings: the crowd a real region puts around every true pair.

Drawn, deterministically by seed, from the whole European List of Waste (offers of any
entry, wants for the material of any entry) and the NACE sectors that produce or use
them, plus energy and water flows (heat and steam at many temperatures and pressures, CO2,
fuel gases, process, cooling and recycled water) offered and wanted, so that no kind of
flow faces an empty field. Wording varies: several title and description templates,
process phrases, quantities in any unit or none at all.

Nothing here is derived from a benchmark file: the texts come from the List of Waste,
the NACE titles and the generic phrases below.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from matching.engine import EARTH_RADIUS_KM, Knowledge
from matching.evaluation.benchmark import OFFER, WANT, BenchListing

# Shares of a generated crowd. Energy and water are a minority in real registers but
# present everywhere; offers outnumber wants, as on every published platform.
ENERGY_WATER_SHARE = 0.18
WANT_SHARE = 0.4

# List of Waste chapter → NACE divisions whose firms produce such waste.
CHAPTER_SECTORS: dict[str, tuple[str, ...]] = {
    "01": ("05", "07", "08"),
    "02": ("01", "02", "03", "10", "11"),
    "03": ("16", "17", "31"),
    "04": ("13", "14", "15"),
    "05": ("19", "35"),
    "06": ("20",),
    "07": ("20", "21", "22"),
    "08": ("18", "20", "23"),
    "09": ("74", "86"),
    "10": ("35", "24", "23"),
    "11": ("24", "25"),
    "12": ("25", "28", "29", "30"),
    "13": ("19", "49", "50", "52"),
    "14": ("20", "25", "96"),
    "15": ("46", "47", "52", "10"),
    "16": ("45", "38", "29", "20"),
    "17": ("41", "42", "43"),
    "18": ("86", "75", "72"),
    "19": ("36", "37", "38"),
    "20": ("38", "56", "47", "84"),
}
# List of Waste chapter → NACE divisions whose firms could take such material as input.
CHAPTER_TAKERS: dict[str, tuple[str, ...]] = {
    "01": ("08", "23", "42"),
    "02": ("01", "10", "35", "38"),
    "03": ("16", "17", "35"),
    "04": ("13", "15", "38"),
    "05": ("19", "20", "35"),
    "06": ("20", "38"),
    "07": ("20", "22", "38"),
    "08": ("20", "38"),
    "09": ("20", "38"),
    "10": ("23", "24", "42", "38"),
    "11": ("20", "24", "38"),
    "12": ("24", "25", "22"),
    "13": ("19", "35", "38"),
    "14": ("20", "38"),
    "15": ("17", "22", "38"),
    "16": ("24", "38", "45"),
    "17": ("23", "42", "38"),
    "18": ("38",),
    "19": ("01", "23", "35", "38"),
    "20": ("35", "38", "17", "22"),
}
TAKER_DIVISIONS = (
    "01", "10", "11", "13", "16", "17", "19", "20", "22", "23", "24", "25", "35", "36",
    "38", "41", "42", "43",
)  # fmt: skip

_NOISE = re.compile(
    r"\s*\((except|excluding)[^)]*\)|\s*(other than (the wastes |those )?mentioned in|except)\b.*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Flow:
    """An energy or water flow kind with its wording."""

    kind: str
    offer_titles: tuple[str, ...]
    offer_sources: tuple[str, ...]
    want_titles: tuple[str, ...]
    want_purposes: tuple[str, ...]
    units: tuple[str, ...]
    offer_sectors: tuple[str, ...]
    want_sectors: tuple[str, ...]


FLOWS: tuple[_Flow, ...] = (
    _Flow(
        "heat",
        (
            "Waste heat {t} °C",
            "Surplus heat",
            "Residual heat as hot water",
            "Low-grade heat",
            "Hot water {t} °C",
            "Warm exhaust air",
            "Heat from flue-gas condensation",
            "Excess heat from cooling",
            "Recoverable heat {t} °C",
        ),
        (
            "from compressor cooling",
            "from our refrigeration plant",
            "from the kiln exhaust",
            "from the drying hall",
            "from server cooling",
            "from the paper machine hood",
            "from condensers of the cooling circuit",
            "from the furnace cooling loop",
            "from pasteurisers",
            "from process cooling towers",
        ),
        (
            "Heat for {p}",
            "Low-temperature heat",
            "Hot water supply",
            "Heat supply",
            "Space heating energy",
            "Process heat {t} °C",
        ),
        (
            "our greenhouse",
            "timber drying kilns",
            "space heating of our halls",
            "the local district heating network",
            "preheating boiler feed water",
            "fish farming tanks",
            "washing lines",
            "sludge drying",
            "swimming pool water",
        ),
        ("MWh", "GJ"),
        ("35.11", "10.51", "17.12", "23.51", "24.10", "63.11", "20.14", "10.11", "24.42"),
        ("01.13", "35.30", "16.10", "03.22", "10.13", "93.11", "55.10", "10.89"),
    ),
    _Flow(
        "steam",
        (
            "Surplus steam {b} bar",
            "Low-pressure steam",
            "Medium-pressure steam {b} bar",
            "Exhaust steam from turbine",
            "Flash steam",
            "Excess process steam",
        ),
        (
            "from our waste-heat boiler",
            "from the recovery boiler",
            "from the CHP plant",
            "from the incinerator",
            "from sulphuric acid production",
            "from the back-pressure turbine",
        ),
        ("Steam {b} bar for {p}", "Process steam", "Saturated steam", "Steam supply"),
        (
            "sterilisation",
            "evaporators",
            "cooking and blanching",
            "heating reactors",
            "our paper machine",
            "distillation",
            "autoclaves",
            "tank heating",
        ),
        ("t", "MWh"),
        ("35.11", "38.21", "20.13", "17.11", "24.42", "19.20"),
        ("10.51", "10.83", "17.12", "20.14", "21.10", "11.05", "10.81"),
    ),
    _Flow(
        "co2",
        (
            "CO2 from fermentation",
            "CO2-rich flue gas",
            "Captured carbon dioxide",
            "Carbon dioxide off-gas",
            "Biogenic CO2 from biogas upgrading",
        ),
        (
            "from the fermentation tanks",
            "from the boiler stack",
            "from the lime kiln",
            "from biogas upgrading",
            "from the ammonia unit",
            "from the hydrogen plant",
        ),
        ("CO2 for {p}", "Carbon dioxide", "Food-grade CO2", "Liquid CO2"),
        (
            "beverage carbonation",
            "greenhouse enrichment",
            "pH control of wastewater",
            "dry ice production",
            "precipitated calcium carbonate",
            "concrete curing",
        ),
        ("t",),
        ("11.05", "11.01", "35.21", "20.15", "23.52", "37.00", "35.11"),
        ("11.07", "01.13", "37.00", "20.11", "17.12", "23.63", "10.13"),
    ),
    _Flow(
        "fuel-gas",
        (
            "Off-gas with fuel value",
            "Surplus biogas",
            "Hydrogen-rich off-gas",
            "Landfill gas",
            "Tail gas from synthesis",
        ),
        (
            "from the digester",
            "from the coke ovens",
            "from chlor-alkali electrolysis",
            "from the landfill",
            "from the refinery units",
        ),
        ("Gaseous fuel for {p}", "Fuel gas", "Biogas or natural gas substitute"),
        ("our boilers", "drying ovens", "a gas engine", "kiln burners", "hot water boilers"),
        ("MWh", "m3"),
        ("37.00", "19.10", "20.13", "38.21", "19.20", "35.21"),
        ("23.32", "10.51", "35.11", "23.62", "35.30"),
    ),
    _Flow(
        "process-water",
        (
            "Treated process water",
            "Recycled water",
            "Clean condensate",
            "Rinse water",
            "Treated effluent",
            "Reverse-osmosis reject water",
            "Surplus well water",
        ),
        (
            "from our wastewater treatment plant",
            "from evaporators",
            "from rinsing lines",
            "from the membrane plant",
            "from the paper mill clarifier",
            "from quarry dewatering",
        ),
        ("Process water for {p}", "Non-potable water", "Water for {p}", "Make-up water"),
        (
            "washing",
            "concrete mixing",
            "dust suppression",
            "boiler feed",
            "irrigation",
            "cooling tower make-up",
            "aggregate washing",
        ),
        ("m3", "l"),
        ("37.00", "36.00", "17.12", "10.51", "11.05", "08.12", "21.10"),
        ("23.63", "08.12", "35.11", "01.13", "10.39", "42.11"),
    ),
    _Flow(
        "cooling-water",
        (
            "Cooling water return",
            "Warm cooling water {t} °C",
            "Used cooling water",
            "Once-through cooling water",
        ),
        (
            "from the condenser",
            "from compressors",
            "from the rolling mill",
            "from the power station",
            "from the data hall",
        ),
        ("Cooling water for {p}", "Cooling capacity", "Cold water"),
        ("our condensers", "injection moulding machines", "process cooling", "chillers"),
        ("m3",),
        ("35.11", "24.10", "63.11", "20.14", "19.20"),
        ("22.29", "24.51", "10.51", "20.16", "25.50"),
    ),
)

QUANTITY_FREQUENCIES = ("yearly", "yearly", "monthly", "weekly", "daily", "one-off")
PER_YEAR = {"yearly": 1, "monthly": 12, "weekly": 52, "daily": 365, "one-off": 4}

OFFER_TITLE = (
    "{m}",
    "{m}",
    "Surplus {ml}",
    "{m} available",
    "By-product: {ml}",
    "{m} for recovery",
)
OFFER_DESCRIPTION = (
    "{m} from our {activity} site. {amount}{logistics}",
    "We generate {ml} in {activity}. {amount}{logistics}",
    "{m}, arising from {activity} ({sub}). {amount}{logistics}",
    "Regular stream of {ml} ({sub}). {amount}{logistics}",
)
WANT_TITLE = (
    "{m} wanted",
    "Secondary {ml}",
    "Looking for {ml}",
    "{m} as input",
    "Recovered {ml}",
    "Supply of {ml}",
)
WANT_DESCRIPTION = (
    "We are looking for {ml} as a secondary raw material for {activity}. {amount}",
    "Input needed for {activity}: {ml}. {amount}",
    "Our plant ({activity}) could take {ml} if the quality is stable. {amount}",
    "Seeking a regular supply of {ml} to replace virgin material in {activity}. {amount}",
)
LOGISTICS = (
    "Collected by tanker.",
    "Loaded into skips.",
    "Stored in a silo.",
    "In big bags.",
    "Bulk, tipper loads.",
    "Pipeline connection possible.",
    "",
    "",
    "",
)


def _clean(description: str) -> str:
    text = _NOISE.sub("", description).strip().rstrip(",;")
    return text or description


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].islower():
        return text[0].lower() + text[1:]
    return text


class DistractorGenerator:
    """Deterministic by seed: the same seed and data give the same listings."""

    def __init__(self, *, knowledge: Knowledge, nace: Mapping[str, str]) -> None:
        self.knowledge = knowledge
        self.codes = sorted(knowledge.ewc)
        self.nace = nace
        self.classes_by_division: dict[str, list[str]] = {}
        for code in sorted(nace):
            if re.fullmatch(r"\d{2}\.\d{2}", code):
                self.classes_by_division.setdefault(code[:2], []).append(code)

    def generate(
        self,
        n: int,
        *,
        seed: int,
        anchors: Sequence[tuple[float, float]] = ((55.68, 11.09),),
        radius_km: float = 40.0,
    ) -> list[BenchListing]:
        """``n`` listings placed within ``radius_km`` of anchors drawn from ``anchors``."""
        rng = random.Random(seed)
        listings = []
        for _ in range(n):
            lat, lon = random_point(rng, rng.choice(list(anchors)), radius_km)
            if rng.random() < ENERGY_WATER_SHARE:
                listing = self._flow(rng)
            elif rng.random() < WANT_SHARE:
                listing = self._material_want(rng)
            else:
                listing = self._material_offer(rng)
            listings.append(_place(listing, lat, lon))
        return listings

    # --- materials from the List of Waste -------------------------------------------

    def _entry(self, rng: random.Random) -> tuple[str, str, str]:
        code = rng.choice(self.codes)
        entry = self.knowledge.ewc[code]
        material = _clean(entry.description)
        sub = self.knowledge.sub_chapters.get(entry.sub_chapter, "")
        return code, material, _lower_first(_clean(sub))

    def _sector(self, rng: random.Random, divisions: Sequence[str]) -> tuple[str, str]:
        options = [c for d in divisions for c in self.classes_by_division.get(d, [])]
        if not options:
            return "", ""
        code = rng.choice(options)
        return code, self.nace.get(code, "")

    def _amount(self, rng: random.Random, units: Sequence[str]) -> tuple[float | None, str, str]:
        if rng.random() < 0.35:
            return None, "", ""
        unit = rng.choice(list(units))
        frequency = rng.choice(QUANTITY_FREQUENCIES)
        per_year = 10 ** rng.uniform(1.0, 5.0) * (1000.0 if unit in ("kg", "l") else 1.0)
        quantity = per_year / PER_YEAR[frequency]
        # Two significant figures, as firms give estimates.
        digits = 1 - int(math.floor(math.log10(quantity)))
        return float(round(quantity, digits)), unit, frequency

    def _material_offer(self, rng: random.Random) -> BenchListing:
        code, material, sub = self._entry(rng)
        sector, sector_name = self._sector(rng, CHAPTER_SECTORS.get(code[:2], TAKER_DIVISIONS))
        quantity, unit, frequency = self._amount(rng, ("t", "t", "t", "kg", "m3"))
        words = {
            "m": material,
            "ml": _lower_first(material),
            "sub": sub,
            "activity": _lower_first(sector_name) or "production",
            "amount": _amount_text(quantity, unit, frequency),
            "logistics": (" " + rng.choice(LOGISTICS)).rstrip(),
        }
        return BenchListing(
            kind=OFFER,
            title=rng.choice(OFFER_TITLE).format(**words)[:200],
            description=rng.choice(OFFER_DESCRIPTION).format(**words).strip(),
            sector=sector,
            sector_name=sector_name,
            # Half the firms give their code, as on real platforms; hazardous waste always
            # carries it (it cannot be consigned without), which marks the offer hazardous.
            ewc_code=code if self.knowledge.is_hazardous(code) or rng.random() < 0.5 else "",
            quantity=quantity,
            unit=unit,
            frequency=frequency,
        )

    def _material_want(self, rng: random.Random) -> BenchListing:
        code, material, _sub = self._entry(rng)
        takers = CHAPTER_TAKERS.get(code[:2], TAKER_DIVISIONS)
        sector, sector_name = self._sector(rng, takers if rng.random() < 0.7 else TAKER_DIVISIONS)
        quantity, unit, frequency = self._amount(rng, ("t", "t", "m3"))
        words = {
            "m": material,
            "ml": _lower_first(material),
            "activity": _lower_first(sector_name) or "our production",
            "amount": _amount_text(quantity, unit, frequency),
        }
        return BenchListing(
            kind=WANT,
            title=rng.choice(WANT_TITLE).format(**words)[:200],
            description=rng.choice(WANT_DESCRIPTION).format(**words).strip(),
            sector=sector,
            sector_name=sector_name,
            # A taker of hazardous waste names its code (its permit lists it): the harness
            # reads a starred code on a want as "accepts hazardous input".
            ewc_code=code if self.knowledge.is_hazardous(code) else "",
            quantity=quantity,
            unit=unit,
            frequency=frequency,
        )

    # --- energy and water -------------------------------------------------------------

    def _flow(self, rng: random.Random) -> BenchListing:
        flow = rng.choice(FLOWS)
        offer = rng.random() >= WANT_SHARE
        sectors = flow.offer_sectors if offer else flow.want_sectors
        sector = rng.choice(sectors)
        sector_name = self.nace.get(sector, "")
        temperature = rng.choice((25, 30, 35, 40, 45, 55, 60, 70, 80, 90, 95, 120, 150, 180))
        fill = {
            "t": temperature,
            "b": rng.choice((2, 3, 4, 6, 10, 16, 25, 40)),
            "p": rng.choice(flow.want_purposes),
        }
        quantity, unit, frequency = self._amount(rng, flow.units)
        amount = _amount_text(quantity, unit, frequency)
        if offer:
            title = rng.choice(flow.offer_titles).format(**fill)
            source = rng.choice(flow.offer_sources)
            detail = f"around {temperature} °C" if flow.kind in ("heat", "cooling-water") else ""
            description = " ".join(
                part
                for part in (
                    f"{title} {source}{', ' + detail if detail else ''}.",
                    f"Site: {_lower_first(sector_name)}." if sector_name else "",
                    amount,
                    rng.choice(
                        (
                            "Available all year.",
                            "Mainly in winter.",
                            "Mostly in summer.",
                            "Connection cost can be shared.",
                            "",
                        )
                    ),
                )
                if part
            )
        else:
            title = rng.choice(flow.want_titles).format(**fill)
            description = " ".join(
                part
                for part in (
                    f"We need {_lower_first(title)} for {fill['p']}.",
                    f"Site: {_lower_first(sector_name)}." if sector_name else "",
                    amount,
                )
                if part
            )
        return BenchListing(
            kind=WANT if not offer else OFFER,
            title=title[:200],
            description=description,
            sector=sector,
            sector_name=sector_name,
            quantity=quantity,
            unit=unit,
            frequency=frequency,
        )


def _amount_text(quantity: float | None, unit: str, frequency: str) -> str:
    if quantity is None:
        return ""
    per = {
        "yearly": "per year",
        "monthly": "per month",
        "weekly": "per week",
        "daily": "per day",
        "one-off": "as a one-off batch",
    }.get(frequency, "")
    return f"About {quantity:,.6g} {unit} {per}."


def _place(listing: BenchListing, lat: float, lon: float) -> BenchListing:
    description = re.sub(r"\s+", " ", listing.description).strip()
    return replace(listing, description=description, lat=lat, lon=lon)


def random_point(
    rng: random.Random, centre: tuple[float, float], radius_km: float
) -> tuple[float, float]:
    """A point uniformly distributed over the disc of ``radius_km`` around ``centre``."""
    distance = radius_km * math.sqrt(rng.random())
    bearing = rng.uniform(0.0, 2.0 * math.pi)
    return destination(centre, distance, bearing)


def destination(
    centre: tuple[float, float], distance_km: float, bearing: float
) -> tuple[float, float]:
    """The point ``distance_km`` from ``centre`` along a great circle at ``bearing`` (rad)."""
    lat1, lon1 = math.radians(centre[0]), math.radians(centre[1])
    delta = distance_km / EARTH_RADIUS_KM
    lat2 = math.asin(
        math.sin(lat1) * math.cos(delta) + math.cos(lat1) * math.sin(delta) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(delta) * math.cos(lat1),
        math.cos(delta) - math.sin(lat1) * math.sin(lat2),
    )
    lon_deg = (math.degrees(lon2) + 540.0) % 360.0 - 180.0
    return math.degrees(lat2), lon_deg
