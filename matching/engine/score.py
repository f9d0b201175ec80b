"""Pair scoring: components in [0, 1], hard rules, the combined score, the explanation.

Every rule lives here once, written over NumPy arrays (``score_arrays``) so the index can
score all candidates of a listing in one go; ``score_pair`` runs the very same code on one
pair, and both turn a scored pair into a ``MatchRecord`` with ``PairScores.record``, so the
fast path and any brute-force baseline agree.

Components
    text      cosine of the TF-IDF rows.
    ewc       List of Waste proximity: 1 same entry, 0.6 same sub-chapter, 0.3 same chapter.
    category  1 same material category, 0.5 same top-level group, else 0.
    material  text + 0.5 · max(0, max(ewc, category) − text). The text is the only signal
              every listing has (wants rarely carry an EWC code), so it is the floor;
              agreeing codes or categories pull it halfway towards their own proximity.
              A missing or different code never lowers it: firms code the same material
              differently (10 01 02 vs 10 01 17), and silence is not evidence.
    distance  1 − d / range, with range = max(offer.max_km, want.max_km).
    quantity  share of the need covered (``quantity.quantity_fit``); 0.5 when unknown, so
              a missing quantity is neither rewarded nor punished against a half-fit.
    timing    1 when the availability windows overlap (a missing bound is open), else 0.

Hard rules (rejected pairs get no match): distance beyond range; hazardous offer to a
want not permitted to take hazardous input (the offer's flag or a starred EWC code);
disjoint windows; material below ``MIN_MATERIAL``.

Score: ``material · timing · (0.6 + 0.25 · distance + 0.15 · quantity)``. Material
dominates: a perfect neighbour with the wrong material still scores nothing, while logistics
can move a right material by at most 40 %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import ArrayLike

from matching.engine.knowledge import (
    CATEGORY_SAME,
    EWC_SAME_CHAPTER,
    EWC_SAME_ENTRY,
    EWC_SAME_SUB_CHAPTER,
    Knowledge,
    category_proximity_keys,
    ewc_display,
    ewc_keys,
    ewc_proximity_keys,
)
from matching.engine.quantity import DIM_NONE, amount_dimension, fit_arrays
from matching.engine.records import OFFER, WANT, ListingRecord, MatchRecord

COMPONENTS = ("text", "ewc", "category", "material", "distance", "quantity", "timing")

MIN_MATERIAL = 0.05
STRUCTURE_PULL = 0.5
BASE_WEIGHT = 0.6
DISTANCE_WEIGHT = 0.25
QUANTITY_WEIGHT = 0.15
QUANTITY_UNKNOWN = 0.5


@dataclass(frozen=True, slots=True)
class ListingArrays:
    """Column view of listings, prepared once for vectorised scoring."""

    ids: np.ndarray  # int64
    lat: np.ndarray
    lon: np.ndarray
    max_km: np.ndarray
    ewc_entry: np.ndarray  # str: "100102" or ""
    ewc_sub: np.ndarray
    ewc_chap: np.ndarray
    category: np.ndarray  # str: slug or ""
    category_group: np.ndarray
    amount: np.ndarray  # canonical amount per year; NaN when unknown
    dim: np.ndarray  # quantity.DIM_* code
    density: np.ndarray  # t/m3; NaN when not stated
    start: np.ndarray  # date ordinal; -inf when open
    end: np.ndarray  # date ordinal; +inf when open
    hazardous: np.ndarray  # bool: offer material is hazardous
    accepts_hazardous: np.ndarray  # bool

    @classmethod
    def from_records(
        cls, records: Sequence[ListingRecord], *, knowledge: Knowledge
    ) -> ListingArrays:
        """Validate and convert records; ``ValueError`` names the offending listing."""
        columns: dict[str, list] = {name: [] for name in cls.__slots__}
        for record in records:
            try:
                row = _record_row(record, knowledge)
            except ValueError as exc:
                raise ValueError(f"listing {record.id}: {exc}") from None
            for name, value in row.items():
                columns[name].append(value)
        dtypes = {
            "ids": np.int64,
            "dim": np.int8,
            "hazardous": bool,
            "accepts_hazardous": bool,
            "ewc_entry": str,
            "ewc_sub": str,
            "ewc_chap": str,
            "category": str,
            "category_group": str,
        }
        return cls(
            **{
                name: np.asarray(values, dtype=dtypes.get(name, np.float64))
                for name, values in columns.items()
            }
        )

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, idx: np.ndarray) -> ListingArrays:
        """Rows ``idx`` as a new ``ListingArrays``."""
        return ListingArrays(**{name: getattr(self, name)[idx] for name in self.__slots__})


def _date_ordinal(value: date | None, open_value: float) -> float:
    return open_value if value is None else float(value.toordinal())


def _record_row(record: ListingRecord, knowledge: Knowledge) -> dict[str, object]:
    if record.kind not in (OFFER, WANT):
        raise ValueError(f"kind must be {OFFER!r} or {WANT!r}, not {record.kind!r}")
    lat, lon, max_km = float(record.lat), float(record.lon), float(record.max_km)
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90.0):
        raise ValueError(f"invalid coordinates ({record.lat!r}, {record.lon!r})")
    if not (math.isfinite(max_km) and max_km >= 0.0):
        raise ValueError(f"max_km must be a non-negative number, not {record.max_km!r}")
    dim, factor = amount_dimension(record.canonical_unit)
    amount = record.amount_per_year
    if amount is None or dim == DIM_NONE:
        amount_value = math.nan
    else:
        amount_value = float(amount) * factor
        if not (math.isfinite(amount_value) and amount_value >= 0.0):
            raise ValueError(f"amount_per_year must be a non-negative number, not {amount!r}")
    density = record.density_t_per_m3
    density_value = (
        float(density)
        if density is not None and math.isfinite(float(density)) and float(density) > 0
        else math.nan
    )
    entry, sub, chap = ewc_keys(record.ewc_code)
    return {
        "ids": int(record.id),
        "lat": lat,
        "lon": lon,
        "max_km": max_km,
        "ewc_entry": entry,
        "ewc_sub": sub,
        "ewc_chap": chap,
        "category": record.category or "",
        "category_group": knowledge.category_group(record.category or ""),
        "amount": amount_value,
        "dim": dim,
        "density": density_value,
        "start": _date_ordinal(record.available_from, -math.inf),
        "end": _date_ordinal(record.available_until, math.inf),
        # The starred code is a safety net behind the firm's own flag: a code from the
        # hazardous side of the list never reaches a taker without a permit.
        "hazardous": bool(record.hazardous) or knowledge.is_hazardous(record.ewc_code),
        "accepts_hazardous": bool(record.accepts_hazardous),
    }


# --- rules (one place each; scalars or arrays) -----------------------------------------


def transport_range(offer_max_km: ArrayLike, want_max_km: ArrayLike) -> np.ndarray:
    """How far a pair may be apart: either side's willingness to carry suffices."""
    return np.maximum(offer_max_km, want_max_km)


def within_range(distance_km: ArrayLike, offer_max_km: ArrayLike, want_max_km: ArrayLike):
    return np.asarray(distance_km) <= transport_range(offer_max_km, want_max_km)


def hazard_allowed(offer_hazardous: ArrayLike, want_accepts: ArrayLike):
    return ~np.asarray(offer_hazardous, dtype=bool) | np.asarray(want_accepts, dtype=bool)


def windows_overlap(
    offer_start: ArrayLike, offer_end: ArrayLike, want_start: ArrayLike, want_end: ArrayLike
):
    """Inclusive date windows (ordinals, ±inf when open) share at least one day."""
    return np.maximum(offer_start, want_start) <= np.minimum(offer_end, want_end)


def material_score(text: ArrayLike, ewc: ArrayLike, category: ArrayLike) -> np.ndarray:
    """Text evidence, pulled up halfway towards agreeing codes or categories."""
    text = np.asarray(text, dtype=np.float64)
    structured = np.maximum(ewc, category)
    return np.clip(text + STRUCTURE_PULL * np.maximum(0.0, structured - text), 0.0, 1.0)


def combine(components: Mapping[str, ArrayLike]) -> float | np.ndarray:
    """``material · timing · (0.6 + 0.25 · distance + 0.15 · quantity)``, in [0, 1]."""
    logistics = (
        BASE_WEIGHT
        + DISTANCE_WEIGHT * np.asarray(components["distance"], dtype=np.float64)
        + QUANTITY_WEIGHT * np.asarray(components["quantity"], dtype=np.float64)
    )
    timing = np.asarray(components.get("timing", 1.0), dtype=np.float64)
    score = np.clip(np.asarray(components["material"]) * timing * logistics, 0.0, 1.0)
    return float(score) if np.ndim(score) == 0 else score


@dataclass(frozen=True, slots=True)
class PairScores:
    """Scores of offer/want pairs (broadcast arrays)."""

    components: dict[str, np.ndarray]
    fit: np.ndarray  # raw quantity fit, NaN when unknown
    accepted: np.ndarray  # bool: passed every hard rule
    score: np.ndarray  # 0 where rejected
    distance_km: np.ndarray
    offer_hazardous: np.ndarray  # bool: the flag or a starred code

    def record(
        self,
        j: int,
        offer: ListingRecord,
        want: ListingRecord,
        *,
        knowledge: Knowledge,
        shared_terms: Sequence[str] = (),
    ) -> MatchRecord:
        """The ``MatchRecord`` of accepted pair ``j`` (``offer``/``want`` are its records)."""
        if not self.accepted[j]:
            raise ValueError(f"pair {offer.id}/{want.id} was rejected")
        components = {name: float(value[j]) for name, value in self.components.items()}
        fit = float(self.fit[j])
        distance_km = float(self.distance_km[j])
        return MatchRecord(
            offer_id=offer.id,
            want_id=want.id,
            score=float(self.score[j]),
            distance_km=distance_km,
            components=components,
            explanation=explain(
                offer,
                want,
                components=components,
                distance_km=distance_km,
                quantity_fit=None if math.isnan(fit) else fit,
                offer_hazardous=bool(self.offer_hazardous[j]),
                knowledge=knowledge,
                shared_terms=shared_terms,
            ),
        )


def score_arrays(
    offers: ListingArrays,
    wants: ListingArrays,
    *,
    text_sim: ArrayLike,
    distance_km: ArrayLike,
) -> PairScores:
    """Score pairs ``offers[i]`` × ``wants[i]`` (length-1 sides broadcast)."""
    distance_km = np.asarray(distance_km, dtype=np.float64)
    text = np.clip(np.nan_to_num(np.asarray(text_sim, dtype=np.float64)), 0.0, 1.0)
    ewc = ewc_proximity_keys(
        offers.ewc_entry,
        offers.ewc_sub,
        offers.ewc_chap,
        wants.ewc_entry,
        wants.ewc_sub,
        wants.ewc_chap,
    )
    category = category_proximity_keys(
        offers.category, offers.category_group, wants.category, wants.category_group
    )
    material = material_score(text, ewc, category)
    reach = transport_range(offers.max_km, wants.max_km)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.where(reach > 0, 1.0 - distance_km / reach, 1.0)
    distance = np.clip(distance, 0.0, 1.0)
    fit = fit_arrays(
        offer_amount=offers.amount,
        offer_dim=offers.dim,
        want_amount=wants.amount,
        want_dim=wants.dim,
        offer_density=offers.density,
        want_density=wants.density,
    )
    quantity = np.where(np.isnan(fit), QUANTITY_UNKNOWN, fit)
    overlap = windows_overlap(offers.start, offers.end, wants.start, wants.end)
    timing = overlap.astype(np.float64)
    components = {
        "text": text,
        "ewc": ewc,
        "category": category,
        "material": material,
        "distance": distance,
        "quantity": quantity,
        "timing": timing,
    }
    shape = np.broadcast_shapes(*(np.shape(value) for value in components.values()))
    components = {name: np.broadcast_to(value, shape) for name, value in components.items()}
    accepted = (
        within_range(distance_km, offers.max_km, wants.max_km)
        & hazard_allowed(offers.hazardous, wants.accepts_hazardous)
        & overlap
        & (material >= MIN_MATERIAL)
        & (offers.ids != wants.ids)
    )
    accepted = np.broadcast_to(accepted, shape)
    score = np.where(accepted, combine(components), 0.0)
    return PairScores(
        components=components,
        fit=np.broadcast_to(fit, shape),
        accepted=accepted,
        score=score,
        distance_km=np.broadcast_to(distance_km, shape),
        offer_hazardous=np.broadcast_to(offers.hazardous, shape),
    )


def score_pair(
    offer: ListingRecord,
    want: ListingRecord,
    *,
    text_sim: float,
    distance_km: float,
    knowledge: Knowledge,
    shared_terms: Sequence[str] = (),
) -> MatchRecord | None:
    """Score one offer/want pair; ``None`` when a hard rule rejects it.

    ``shared_terms`` (words both texts use) only feed the explanation.
    """
    if offer.kind != OFFER or want.kind != WANT:
        raise ValueError("score_pair takes an offer and a want, in that order")
    offers = ListingArrays.from_records([offer], knowledge=knowledge)
    wants = ListingArrays.from_records([want], knowledge=knowledge)
    scored = score_arrays(offers, wants, text_sim=[text_sim], distance_km=[distance_km])
    if not scored.accepted[0]:
        return None
    return scored.record(0, offer, want, knowledge=knowledge, shared_terms=shared_terms)


# --- explanation ------------------------------------------------------------------------


def _material_reason(
    offer: ListingRecord,
    want: ListingRecord,
    components: Mapping[str, float],
    knowledge: Knowledge,
    shared_terms: Sequence[str],
) -> str:
    text, ewc, category = components["text"], components["ewc"], components["category"]
    if max(ewc, category) > 0 and max(ewc, category) >= text:
        code = offer.ewc_code
        if ewc >= category:
            if ewc >= EWC_SAME_ENTRY:
                return f"same EWC entry {ewc_display(code)}"
            if ewc >= EWC_SAME_SUB_CHAPTER:
                return f"same EWC sub-chapter {ewc_display(ewc_keys(code)[1])}"
            if ewc >= EWC_SAME_CHAPTER:
                return f"same EWC chapter {ewc_keys(code)[2]}"
        if category >= CATEGORY_SAME:
            return f"same category: {knowledge.category_name(offer.category)}"
        return (
            f"related categories: {knowledge.category_name(offer.category)}"
            f" and {knowledge.category_name(want.category)}"
        )
    if shared_terms:
        return "similar wording: " + ", ".join(shared_terms)
    return "similar wording"


def _distance_text(distance_km: float) -> str:
    if distance_km < 10:
        return f"{distance_km:.1f} km"
    return f"{distance_km:,.0f} km"


def explain(
    offer: ListingRecord,
    want: ListingRecord,
    *,
    components: Mapping[str, float],
    distance_km: float,
    quantity_fit: float | None,
    knowledge: Knowledge,
    offer_hazardous: bool | None = None,
    shared_terms: Sequence[str] = (),
) -> str:
    """One line: why the material fits, how far, how much of the need it covers.

    e.g. ``"same EWC sub-chapter 10 01, 12 km, covers 80% of the need"``.
    """
    parts = [
        _material_reason(offer, want, components, knowledge, shared_terms),
        _distance_text(distance_km),
    ]
    if quantity_fit is None:
        parts.append("quantity unknown")
    else:
        # Floor, so a 99.6 % fit never reads as the whole need.
        parts.append(f"covers {math.floor(quantity_fit * 100 + 1e-9):d}% of the need")
    hazardous = offer.hazardous if offer_hazardous is None else offer_hazardous
    if hazardous:
        parts.append("hazardous (taker permitted)")
    return ", ".join(parts)
