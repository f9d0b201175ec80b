"""Plain records passed in and out of the engine (no Django)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from operator import attrgetter

import numpy as np

OFFER = "offer"
WANT = "want"

# The most of a listing's title and description the engine reads. Inference and the text
# model cost more than linearly in a text's length (a 1 MB description took over ten
# minutes), so whatever is stored, one listing's cost stays bounded. The app refuses longer
# texts with these limits (``Listing`` field validators); older rows are cut here.
MAX_TITLE_CHARS = 200
MAX_DESCRIPTION_CHARS = 5000


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
    # Quality (score.quality_fit): an offer's are what it is, a want's what it requires
    # (the most moisture, the least calorific value, the largest particle, contaminants
    # it refuses, certificates it requires). None or "": not stated.
    moisture_pct: float | None = None
    calorific_mj_per_kg: float | None = None  # net (lower) heating value as received
    particle_size_mm: float | None = None
    contaminants: str = ""
    certificates: str = ""  # comma list of score.quality_fit.CERTIFICATE_CODES

    @property
    def energy_mwh_per_t(self) -> float | None:
        """The energy content the calorific value states (1 MJ/kg = 1/3.6 MWh/t), for
        comparing an amount in tonnes with one in MWh; None when not stated."""
        value = self.calorific_mj_per_kg
        return None if value is None else float(value) / 3.6


def record_problem(record: ListingRecord) -> str | None:
    """Why the engine cannot process ``record``, or None when it can.

    Validators compare with < and >, which NaN passes; a NaN or infinite coordinate would
    stop a whole rematch (the radius trees refuse it), so such a record is left out of
    the fit and its listing marked instead."""
    lat, lon, max_km = record.lat, record.lon, record.max_km
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return f"the site's position ({lat}, {lon}) is not a valid latitude and longitude"
    if max_km is None or not 0 < max_km < math.inf:
        return f"the transport distance {max_km} km is not a positive number"
    for name in ("amount_per_year", "density_t_per_m3", "temperature_c", "moisture_pct",
                 "calorific_mj_per_kg", "particle_size_mm"):
        value = getattr(record, name)
        if value is not None and not math.isfinite(value):
            return f"{name} is {value}, not a finite number"
    return None


def pack_records(records: Sequence[ListingRecord]) -> tuple[list, ...]:
    """The records as one list per field, for pickling (``unpack_records`` undoes it).

    A frozen dataclass pickles through a Python call per record each way: 100k records
    took 0.9 s to pickle, as lists of their fields 0.45 s."""
    return tuple(list(map(attrgetter(name), records)) for name in _RECORD_FIELDS)


def unpack_records(columns: Sequence[list]) -> tuple[ListingRecord, ...]:
    """The records ``pack_records`` was given."""
    if len(columns) != len(_RECORD_FIELDS):
        raise ValueError("packed records have other fields than ListingRecord")
    return tuple(map(ListingRecord, *columns))


_RECORD_FIELDS = tuple(f.name for f in fields(ListingRecord))


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """A scored offer/want pair with its components and one-line explanation."""

    offer_id: int
    want_id: int
    score: float
    distance_km: float
    components: dict[str, float] = field(default_factory=dict)
    explanation: str = ""


@dataclass(frozen=True)
class MatchColumns:
    """Scored pairs as parallel columns, for writing many matches at once.

    ``components`` maps each component name to one value per pair, in the order a
    ``MatchRecord`` lists them.
    """

    offer_id: np.ndarray
    want_id: np.ndarray
    score: np.ndarray
    distance_km: np.ndarray
    components: dict[str, np.ndarray]
    explanation: list[str]

    def __len__(self) -> int:
        return len(self.explanation)

    def records(self) -> list[MatchRecord]:
        names = list(self.components)
        values = [self.components[name].tolist() for name in names]
        return [
            MatchRecord(
                offer_id=o,
                want_id=w,
                score=score,
                distance_km=distance,
                components=dict(zip(names, row, strict=True)),
                explanation=explanation,
            )
            for o, w, score, distance, explanation, *row in zip(
                self.offer_id.tolist(), self.want_id.tolist(), self.score.tolist(),
                self.distance_km.tolist(), self.explanation, *values, strict=True,
            )
        ]

    @classmethod
    def from_records(cls, records: Sequence[MatchRecord]) -> MatchColumns:
        """Columns of records that all carry the same components, in the same order."""
        names = list(records[0].components) if records else []
        if any(list(m.components) != names for m in records):
            raise ValueError("match records carry different components")
        return cls(
            offer_id=np.array([m.offer_id for m in records], dtype=np.int64),
            want_id=np.array([m.want_id for m in records], dtype=np.int64),
            score=np.array([m.score for m in records], dtype=np.float64),
            distance_km=np.array([m.distance_km for m in records], dtype=np.float64),
            components={
                name: np.array([m.components[name] for m in records], dtype=np.float64)
                for name in names
            },
            explanation=[m.explanation for m in records],
        )
