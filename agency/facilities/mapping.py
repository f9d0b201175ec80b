"""What a register facility's E-PRTR Annex I activity says: its NACE Rev. 2 sector and the
waste streams typical of it (the two mapping files in ``data/``, each row with its
reasoning), and the register row read into plain values (no database here).

- ``data/eprtr_annex1_nace.csv``: Annex I activity → NACE Rev. 2 code.
- ``data/eprtr_activity_streams.csv``: Annex I activity → the typical hazardous and
  non-hazardous waste it sends off site (material category, EWC entry of the chapter
  typical of the activity) and, for a few, a typical need (``want``). ``*`` rows are the
  fallback for activities without their own.

An activity is looked up as written, then by its parents: ``4(a)(viii)`` → ``4(a)`` →
``4``, so a sub-activity inherits what it does not state.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache

from django.conf import settings

NACE_FILE = "eprtr_annex1_nace.csv"
STREAMS_FILE = "eprtr_activity_streams.csv"
HAZARDOUS, NON_HAZARDOUS, WANT = "hazardous", "non_hazardous", "want"
FALLBACK = "*"
_ACTIVITY = re.compile(r"^\d{1,2}(\([a-z]\))?(\([ivx]+\))?$")
_PARENT = re.compile(r"\([^()]*\)$")


@dataclass(frozen=True)
class Stream:
    """A waste stream (or a need) typical of an activity."""

    activity: str
    listing: str  # HAZARDOUS, NON_HAZARDOUS or WANT
    category: str
    ewc_code: str
    physical_state: str
    title: str
    reasoning: str


def _path(name: str):
    return settings.DATA_DIR / name


@cache
def nace_table() -> dict[str, tuple[str, str]]:
    """activity code → (NACE code, reasoning)."""
    with open(_path(NACE_FILE), encoding="utf-8", newline="") as handle:
        return {row["eprtr_activity_code"]: (row["nace_code"], row["reasoning"])
                for row in csv.DictReader(handle)}


@cache
def stream_table() -> dict[str, dict[str, Stream]]:
    """activity code → {listing slot → Stream}."""
    out: dict[str, dict[str, Stream]] = {}
    with open(_path(STREAMS_FILE), encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            stream = Stream(activity=row["eprtr_activity_code"], listing=row["listing"],
                            category=row["category"], ewc_code=row["ewc_code"],
                            physical_state=row["physical_state"], title=row["title"],
                            reasoning=row["reasoning"])
            out.setdefault(stream.activity, {})[stream.listing] = stream
    return out


@cache
def mapping_digest() -> str:
    """A hash of both mapping files: a changed mapping makes every row "changed"."""
    digest = hashlib.sha256()
    for name in (NACE_FILE, STREAMS_FILE):
        digest.update(_path(name).read_bytes())
    return digest.hexdigest()


def normalise_activity(code: str) -> str:
    """' 4(A)(VIII) ' → '4(a)(viii)'."""
    return re.sub(r"\s+", "", (code or "")).lower()


def activity_chain(code: str) -> list[str]:
    """The code and its parents, most specific first: ['4(a)(viii)', '4(a)', '4']."""
    chain = [code]
    while _PARENT.search(chain[-1]):
        chain.append(_PARENT.sub("", chain[-1]))
    return chain


def is_activity(code: str) -> bool:
    return bool(_ACTIVITY.match(code))


def nace_for_activity(code: str) -> str:
    """The NACE Rev. 2 code of an Annex I activity (by its parents if need be), or ''."""
    table = nace_table()
    for candidate in activity_chain(normalise_activity(code)):
        if candidate in table:
            return table[candidate][0]
    return ""


def streams_for_activity(code: str) -> dict[str, Stream]:
    """The typical streams of an activity: its own, then its parents', then the fallback
    for a hazardous or non-hazardous stream none of them names (wants never fall back)."""
    table = stream_table()
    found: dict[str, Stream] = {}
    for candidate in [*activity_chain(normalise_activity(code)), FALLBACK]:
        for slot, stream in table.get(candidate, {}).items():
            if candidate == FALLBACK and slot == WANT:
                continue
            found.setdefault(slot, stream)
    return found


# --- a register row as plain values ----------------------------------------------------


@dataclass
class FacilityRow:
    """The values of one register row the import uses, checked."""

    facility_id: str
    name: str
    street: str
    postcode: str
    town: str
    country: str
    lat: float
    lon: float
    activity_code: str
    activity_name: str
    status: str
    year: int
    hazardous_t: Decimal | None
    non_hazardous_t: Decimal | None
    hw_recovery_t: Decimal | None
    hw_disposal_t: Decimal | None
    nonhw_recovery_t: Decimal | None
    nonhw_disposal_t: Decimal | None
    short_id: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def operating(self) -> bool:
        return self.status in ("", "functional")

    def fingerprint(self) -> str:
        """What the profile is made of: these values and the mapping files."""
        parts = [self.facility_id, self.name, self.street, self.postcode, self.town,
                 self.country, f"{self.lat:.6f}", f"{self.lon:.6f}", self.activity_code,
                 self.activity_name, self.status, str(self.year)]
        parts += [str(v) if v is not None else "" for v in (
            self.hazardous_t, self.non_hazardous_t, self.hw_recovery_t, self.hw_disposal_t,
            self.nonhw_recovery_t, self.nonhw_disposal_t)]
        parts.append(mapping_digest())
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


TONNE_COLUMNS = ("hazardous_t", "non_hazardous_t", "hw_recovery_t", "hw_disposal_t",
                 "nonhw_recovery_t", "nonhw_disposal_t")
MAX_TONNES = Decimal("100000000")  # 100 Mt a year: beyond any single site


def _tonnes(values: dict[str, str], column: str, errors: dict[str, list[str]]
            ) -> Decimal | None:
    text = (values.get(column) or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[column] = [f"“{text}” is not a number of tonnes."]
        return None
    if not value.is_finite() or value < 0 or value > MAX_TONNES:
        errors[column] = [f"{text} t is not a yearly amount a site reports."]
        return None
    return value.quantize(Decimal("0.001"))


def _coordinate(values: dict[str, str], column: str, low: float, high: float,
                errors: dict[str, list[str]]) -> float:
    text = (values.get(column) or "").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        errors[column] = ["Give the coordinate as a decimal number (WGS84)." if text
                          else "Required: the register gives every site's coordinates."]
        return 0.0
    if math.isnan(value) or not low <= value <= high:
        errors[column] = [f"{text} is outside {low:g}…{high:g}."]
    return value


def facility_row_read(values: dict[str, str]) -> FacilityRow:
    """A register row (every cell a stripped string) read and checked; ``errors`` keyed by
    column, empty when the row is good."""
    errors: dict[str, list[str]] = {}
    get = lambda column: (values.get(column) or "").strip()  # noqa: E731
    facility_id = get("facility_id")
    if not facility_id:
        errors["facility_id"] = ["Required: the register's facility id is the import's key."]
    elif len(facility_id) > 255:
        errors["facility_id"] = ["At most 255 characters."]
    name = get("name")
    if not name:
        errors["name"] = ["Required."]
    town = get("town")
    if not town:
        errors["town"] = ["Required: the site's town."]
    country = get("country").upper() or "FI"
    if not re.match(r"^[A-Z]{2}$", country):
        errors["country"] = ["A two-letter ISO country code."]
    lat = _coordinate(values, "lat", -90, 90, errors)
    lon = _coordinate(values, "lon", -180, 180, errors)
    activity = normalise_activity(get("eprtr_activity_code"))
    if not activity:
        errors["eprtr_activity_code"] = ["Required: the E-PRTR Annex I activity, e.g. 1(c)."]
    elif not is_activity(activity) or not nace_for_activity(activity):
        errors["eprtr_activity_code"] = [
            f"“{get('eprtr_activity_code')}” is not an E-PRTR Annex I activity code "
            "(such as 1(c), 5(d) or 4(a)(viii))."]
    year_text = get("year")
    year = 0
    if not year_text.isdigit() or not 2001 <= int(year_text) <= 2100:
        errors["year"] = ["The reporting year, e.g. 2023." if year_text else "Required."]
    else:
        year = int(year_text)
    street = " ".join(p for p in (get("street"), get("building_number")) if p)
    row = FacilityRow(
        facility_id=facility_id, name=name[:200], street=street[:200],
        postcode=get("postcode")[:20], town=town[:120], country=country, lat=lat, lon=lon,
        activity_code=activity, activity_name=get("activity_name"),
        status=get("facility_status"), year=year,
        **{column: _tonnes(values, column, errors) for column in TONNE_COLUMNS},
        short_id=get("facility_short_id"), errors=errors,
    )
    return row
