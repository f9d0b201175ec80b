"""Why a pair matches, in one line: the knowledge base's reason or the material's, the
distance and how much of the need it covers (``explain``; ``explanation_lines`` for many).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from matching.engine.config import (
    CATEGORY_SAME,
    EWC_SAME_CHAPTER,
    EWC_SAME_ENTRY,
    EWC_SAME_SUB_CHAPTER,
    SEMANTIC_WEIGHT,
    TAXONOMY_WEIGHT,
    pathway_weight,
)
from matching.engine.knowledge import Knowledge, ewc_display, ewc_keys
from matching.engine.records import ListingRecord

if TYPE_CHECKING:
    from matching.engine.score.rules import PairScores


def knowledge_reasons(
    scores: PairScores, rows: np.ndarray, *, knowledge: Knowledge
) -> list[str | None]:
    """Why the knowledge base thinks each pair of ``rows`` fits, when it is the main reason.

    The strongest pathway ("fly ash → clinker substitute (EU cement BREF 2013)") or the
    closest materials ("same material: …", "related materials: …"); ``None`` when the
    text (or codes, or nothing) explains the match better.
    """
    out: list[str | None] = [None] * len(rows)
    offers, wants = scores.offers, scores.wants
    if (
        offers is None
        or wants is None
        or not knowledge.materials
        or offers.material.shape[1] == 0
        or not len(rows)
    ):
        return out
    model = knowledge.inference

    def column(name: str) -> np.ndarray:
        value = scores.components.get(name)
        return np.zeros(len(rows)) if value is None else np.asarray(value)[rows]

    o_rows = rows if len(offers) > 1 else np.zeros(len(rows), np.int64)
    w_rows = rows if len(wants) > 1 else np.zeros(len(rows), np.int64)
    text, taxonomy_raw = column("text"), column("taxonomy")
    # Each kind of evidence as much as it adds to the material score.
    pathway = pathway_weight(wants.material_confidence[w_rows]) * column("pathway")
    taxonomy = TAXONOMY_WEIGHT * taxonomy_raw
    structured = np.maximum(column("ewc"), column("category"))
    material = sp.csr_matrix(offers.material)
    has_material = np.diff(material.indptr)[o_rows] > 0
    open_ = has_material.copy()
    ask = open_ & (pathway > 0) & (pathway >= np.maximum(taxonomy, text))
    found, m, u = _strongest(material, o_rows[ask], sp.csr_matrix(wants.use), w_rows[ask],
                             model.pathway_dense)
    # A few thousand distinct pathways describe a million matches.
    described: dict[tuple[int, int], str] = {}
    for i, a, b in zip(np.flatnonzero(ask)[found].tolist(), m.tolist(), u.tolist(),
                       strict=True):
        said = described.get((a, b))
        if said is None:
            said = described[(a, b)] = model.describe_pathway(a, b)
        out[i] = said
        open_[i] = False
    ask = open_ & (taxonomy > 0) & (taxonomy >= text) & (structured < taxonomy_raw)
    found, m, w = _strongest(material, o_rows[ask], sp.csr_matrix(wants.material),
                             w_rows[ask], model.taxonomy_dense)
    for i, a, b in zip(np.flatnonzero(ask)[found].tolist(), m.tolist(), w.tolist(),
                       strict=True):
        out[i] = model.describe_materials(a, b)
    return out


def _strongest(
    a_matrix: sp.csr_matrix, a_rows: np.ndarray, b_matrix: sp.csr_matrix, b_rows: np.ndarray,
    table: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pair of rows: the (a, b) with the largest ``A[row, a] · table[a, b] ·
    B[row, b]``, when one is > 0 (the first such in row-major order of the stored entries
    wins ties). Returns (found mask, a of the found, b of the found).

    Profiles have a handful of entries: every pair's entries are laid out side by side.
    """
    a_lo = a_matrix.indptr[a_rows]
    b_lo = b_matrix.indptr[b_rows]
    na = a_matrix.indptr[a_rows + 1] - a_lo
    nb = b_matrix.indptr[b_rows + 1] - b_lo
    sizes = na * nb
    pair = np.repeat(np.arange(len(a_rows)), sizes)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    width = nb[pair]
    ai = a_lo[pair] + offset // np.maximum(width, 1)
    bi = b_lo[pair] + offset % np.maximum(width, 1)
    a, b = a_matrix.indices[ai], b_matrix.indices[bi]
    # One flat gather: several times faster than indexing the table by (a, b).
    weight = a_matrix.data[ai] * table.ravel()[a * table.shape[1] + b] * b_matrix.data[bi]
    positive = np.flatnonzero(weight > 0)
    best = np.zeros(len(a_rows))
    if len(positive):
        # ``pair`` is sorted: each pair's maximum is one reduction over its run (several
        # times faster than ``np.maximum.at``, and the same values).
        runs = np.flatnonzero(np.r_[True, np.diff(pair[positive]) != 0])
        best[pair[positive[runs]]] = np.maximum.reduceat(weight[positive], runs)
    top = positive[weight[positive] == best[pair[positive]]]
    first = top[np.r_[True, pair[top][1:] != pair[top][:-1]]] if len(top) else top
    found = np.zeros(len(a_rows), dtype=bool)
    found[pair[first]] = True
    return found, a[first], b[first]


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
        return _category_reason(offer.category, want.category, category >= CATEGORY_SAME,
                                knowledge)
    if components.get("semantic", 0.0) * SEMANTIC_WEIGHT > text:
        return "similar meaning" + (": " + ", ".join(shared_terms) if shared_terms else "")
    if shared_terms:
        return "similar wording: " + ", ".join(shared_terms)
    return "similar wording"


def _category_reason(offer: str, want: str, same: bool, knowledge: Knowledge) -> str:
    if same:
        return f"same category: {knowledge.category_name(offer)}"
    return (f"related categories: {knowledge.category_name(offer)}"
            f" and {knowledge.category_name(want)}")


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
    knowledge_reason: str | None = None,
) -> str:
    """One line: why the material fits, how far, how much of the need it covers.

    e.g. ``"fly ash → clinker substitute (EU cement BREF 2013), 12 km, covers 80% of the
    need"``; ``knowledge_reason`` (from ``knowledge_reason``) names the pathway or the
    materials when they are the main reason.
    """
    return _explanation(
        knowledge_reason or _material_reason(offer, want, components, knowledge, shared_terms),
        distance_km,
        quantity_fit,
        offer.hazardous if offer_hazardous is None else offer_hazardous,
    )


def explanation_lines(
    reasons: Sequence[str], distance_km: np.ndarray, quantity_fit: np.ndarray,
    hazardous: np.ndarray,
) -> list[str]:
    """``_explanation`` of many pairs (``quantity_fit`` NaN when unknown), the same text.

    Distances of 10 km or more and quantity shares are whole numbers: each distinct one is
    formatted once, and each line is joined by one format call (a full rematch explains
    millions).
    """
    n = len(reasons)
    distance_km = np.asarray(distance_km, dtype=np.float64)
    quantity_fit = np.asarray(quantity_fit, dtype=np.float64)
    distances = np.empty(n, dtype=object)
    near = distance_km < 10
    distances[near] = [_distance_text(d) for d in distance_km[near].tolist()]
    # f"{d:,.0f}" and np.rint both round the exact binary value half to even.
    distances[~near] = _int_texts(np.rint(distance_km[~near]), "{:,d} km")
    quantities = np.full(n, "quantity unknown", dtype=object)
    known = ~np.isnan(quantity_fit)
    # The same float operations as _explanation's math.floor(fit * 100 + 1e-9).
    quantities[known] = _int_texts(np.floor(quantity_fit[known] * 100 + 1e-9),
                                   "covers {:d}% of the need")
    hazard = np.where(np.asarray(hazardous, dtype=bool), ", hazardous (taker permitted)", "")
    return list(map("{}, {}, {}{}".format, reasons, distances.tolist(), quantities.tolist(),
                    hazard.tolist()))


def _int_texts(values: np.ndarray, template: str) -> np.ndarray:
    """``template`` of each whole-number value, each distinct value formatted once."""
    distinct, inverse = np.unique(values.astype(np.int64), return_inverse=True)
    texts = np.array([template.format(v) for v in distinct.tolist()] or [""], dtype=object)
    return texts[inverse.reshape(-1)] if len(values) else np.empty(0, dtype=object)


def _explanation(
    reason: str, distance_km: float, quantity_fit: float | None, hazardous: bool
) -> str:
    parts = [reason, _distance_text(distance_km)]
    if quantity_fit is None:
        parts.append("quantity unknown")
    else:
        # Floor, so a 99.6 % fit never reads as the whole need.
        parts.append(f"covers {math.floor(quantity_fit * 100 + 1e-9):d}% of the need")
    if hazardous:
        parts.append("hazardous (taker permitted)")
    return ", ".join(parts)
