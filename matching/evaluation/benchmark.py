"""Pairs and distractor files (the format of ``../shared/benchmarks/README.md``).

Parsing is forgiving where the format allows nulls (sector, EWC code, quantity, unit,
frequency) and strict where a listing would be meaningless (no title, no coordinates).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OFFER, WANT = "offer", "want"


class BenchmarkError(ValueError):
    """The file is not in the benchmark format; the message says where."""


@dataclass(frozen=True, slots=True)
class BenchListing:
    """One side of a pair, or one distractor."""

    kind: str  # "offer" or "want"
    title: str
    description: str = ""
    sector: str = ""  # NACE Rev. 2 code as given, or ""
    sector_name: str = ""
    ewc_code: str = ""
    quantity: float | None = None
    unit: str = ""
    frequency: str = ""
    lat: float = 0.0
    lon: float = 0.0
    location_name: str = ""


@dataclass(frozen=True, slots=True)
class Pair:
    """A documented exchange: the offer and the want that really met."""

    id: str
    group: str
    offer: BenchListing
    want: BenchListing
    case: str = ""


@dataclass(frozen=True, slots=True)
class PairsFile:
    name: str
    pairs: tuple[Pair, ...]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _number(value: Any, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BenchmarkError(f"{where}: not a number: {value!r}") from None
    return number if math.isfinite(number) and number >= 0 else None


def parse_listing(data: Any, *, kind: str, where: str) -> BenchListing:
    """One listing object; ``kind`` is used when the object does not say."""
    if not isinstance(data, dict):
        raise BenchmarkError(f"{where}: expected an object")
    kind = _text(data.get("kind")) or kind
    if kind not in (OFFER, WANT):
        raise BenchmarkError(f"{where}: kind must be 'offer' or 'want', not {kind!r}")
    title = _text(data.get("title"))
    description = _text(data.get("description"))
    if not title and not description:
        raise BenchmarkError(f"{where}: a listing needs a title or a description")
    location = data.get("location") or {}
    if not isinstance(location, dict):
        raise BenchmarkError(f"{where}.location: expected an object")
    try:
        lat, lon = float(location["lat"]), float(location["lon"])
    except (KeyError, TypeError, ValueError):
        raise BenchmarkError(f"{where}: location needs numeric lat and lon") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BenchmarkError(f"{where}: location needs lat in [-90, 90] and lon in [-180, 180]")
    return BenchListing(
        kind=kind,
        title=(title or description)[:200],
        description=description,
        sector=_text(data.get("sector")),
        sector_name=_text(data.get("sector_name")),
        ewc_code="".join(ch for ch in _text(data.get("ewc_code")) if ch.isdigit()),
        quantity=_number(data.get("quantity"), f"{where}.quantity"),
        unit=_text(data.get("unit")),
        frequency=_text(data.get("frequency")),
        lat=lat,
        lon=lon,
        location_name=_text(location.get("name")),
    )


def _read_json(path: Path | str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise BenchmarkError(f"{path}: not valid JSON ({exc})") from None


def load_pairs(path: Path | str) -> PairsFile:
    """Read a pairs file; ``BenchmarkError`` on a malformed file."""
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("pairs"), list):
        raise BenchmarkError(f"{path}: expected an object with a 'pairs' list")
    pairs, seen = [], set()
    for i, item in enumerate(data["pairs"]):
        where = f"pairs[{i}]"
        if not isinstance(item, dict):
            raise BenchmarkError(f"{where}: expected an object")
        pair_id = _text(item.get("id")) or f"#{i + 1}"
        if pair_id in seen:
            raise BenchmarkError(f"{where}: duplicate id {pair_id!r}")
        seen.add(pair_id)
        pairs.append(
            Pair(
                id=pair_id,
                # A pair without a group is interchangeable with nothing but itself.
                group=_text(item.get("group")) or f"pair:{pair_id}",
                offer=parse_listing(item.get("offer"), kind=OFFER, where=f"{where}.offer"),
                want=parse_listing(item.get("want"), kind=WANT, where=f"{where}.want"),
                case=_text(item.get("case")),
            )
        )
    return PairsFile(name=_text(data.get("name")) or Path(path).stem, pairs=tuple(pairs))


def load_distractors(path: Path | str) -> list[BenchListing]:
    """Read a distractor file (``{"listings": [...]}`` with a ``kind`` on each)."""
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("listings"), list):
        raise BenchmarkError(f"{path}: expected an object with a 'listings' list")
    listings = []
    for i, item in enumerate(data["listings"]):
        kind = _text(item.get("kind")) if isinstance(item, dict) else ""
        if kind not in (OFFER, WANT):
            raise BenchmarkError(f"listings[{i}]: kind must be 'offer' or 'want'")
        listings.append(parse_listing(item, kind=kind, where=f"listings[{i}]"))
    return listings
