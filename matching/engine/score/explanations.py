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
from matching.engine.infer import TEXT_STOP_WORDS
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


# Words every listing uses: sharing them says nothing about the material.
GENERIC_WORDS = frozenset(TEXT_STOP_WORDS) | {
    "waste", "wastes", "material", "materials", "product", "products", "residue",
    "residues", "stream", "streams", "industrial", "process", "available", "need", "needed",
    "offer", "offered", "want", "wanted", "use", "used", "per", "year", "month", "week",
    "day", "tonnes", "tons", "kg", "approx", "ca", "mixed", "various", "quality",
}


def telling_terms(terms: Sequence[str]) -> list[str]:
    """Shared words worth naming: none holding a digit ("70", "2mm"), none made only of
    stop words or words every listing uses ("waste")."""
    out = []
    for term in terms:
        tokens = term.split()
        if not tokens or any(ch.isdigit() for ch in term):
            continue
        if all(token.lower() in GENERIC_WORDS for token in tokens):
            continue
        out.append(term)
    return out


def _material_reason(
    offer: ListingRecord,
    want: ListingRecord,
    components: Mapping[str, float],
    knowledge: Knowledge,
    shared_terms: Sequence[str],
) -> str:
    shared_terms = telling_terms(shared_terms)
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
    quantity_note: str = "quantity unknown",
) -> str:
    """One line: why the material fits, how far, how much of the need it covers.

    e.g. ``"fly ash → clinker substitute (EU cement BREF 2013), 12 km, covers 80% of the
    need"``; ``knowledge_reason`` (from ``knowledge_reason``) names the pathway or the
    materials when they are the main reason; ``quantity_note`` says why the fit is unknown
    (``quantity.unknown_text``).
    """
    return _explanation(
        knowledge_reason or _material_reason(offer, want, components, knowledge, shared_terms),
        distance_km,
        quantity_fit,
        offer.hazardous if offer_hazardous is None else offer_hazardous,
        offer_max_km=offer.max_km,
        want_max_km=want.max_km,
        quantity_note=quantity_note,
    )


OFFERER, TAKER = "the offerer's", "the taker's"


def range_note(distance_km: float, offer_max_km: float | None, want_max_km: float | None
               ) -> str:
    """Whose transport range covers the distance, when only one side's does:
    ``" (within the offerer's 60 km range; beyond the taker's 20 km)"``; else ``""``.

    The disclosure layer says "your" for the viewer's own side.
    """
    if offer_max_km is None or want_max_km is None:
        return ""
    if want_max_km < distance_km <= offer_max_km:
        wide, wide_km, short, short_km = OFFERER, offer_max_km, TAKER, want_max_km
    elif offer_max_km < distance_km <= want_max_km:
        wide, wide_km, short, short_km = TAKER, want_max_km, OFFERER, offer_max_km
    else:
        return ""
    return (f" (within {wide} {_distance_text(wide_km)} range;"
            f" beyond {short} {_distance_text(short_km)})")


def coverage_text(quantity_fit: float) -> str:
    """The share of the need an offer covers, in whole percent, floored (a 99.6 % fit
    never reads as the whole need); a sliver reads "under 1%", never "0%"."""
    percent = math.floor(quantity_fit * 100 + 1e-9)
    if percent < 1:
        return "covers under 1% of the need"
    return f"covers {percent:d}% of the need"


def explanation_lines(
    reasons: Sequence[str], distance_km: np.ndarray, quantity_fit: np.ndarray,
    hazardous: np.ndarray, *, offer_max_km: np.ndarray | None = None,
    want_max_km: np.ndarray | None = None, quantity_notes: Sequence[str] | None = None,
) -> list[str]:
    """``_explanation`` of many pairs (``quantity_fit`` NaN when unknown), the same text.

    ``quantity_notes`` say, per pair, why an unknown fit is unknown ("quantity unknown"
    by default); ``offer_max_km``/``want_max_km`` (broadcast) give the range notes.
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
    if offer_max_km is not None and want_max_km is not None and n:
        o_km = np.broadcast_to(np.asarray(offer_max_km, dtype=np.float64), (n,))
        w_km = np.broadcast_to(np.asarray(want_max_km, dtype=np.float64), (n,))
        # The note depends on which side's range falls short and on the two ranges only:
        # each distinct one is worded once (ranges take a few values; pairs, millions).
        offer_short = (distance_km > o_km) & (distance_km <= w_km)
        want_short = (distance_km > w_km) & (distance_km <= o_km)
        noted = np.flatnonzero(offer_short | want_short)
        if len(noted):
            keys = np.stack([offer_short[noted].astype(np.float64), o_km[noted], w_km[noted]],
                            axis=1)
            distinct, inverse = np.unique(keys, axis=0, return_inverse=True)
            notes = np.array([
                # A distance between the two ranges picks the side; any such one will do.
                range_note((o if short else w) + 0.5 * abs(w - o), o, w)
                for short, o, w in distinct.tolist()], dtype=object)
            distances[noted] = distances[noted] + notes[inverse.reshape(-1)]
    quantities = np.full(n, "quantity unknown", dtype=object)
    if quantity_notes is not None:
        quantities[:] = list(quantity_notes) if n else []
    known = ~np.isnan(quantity_fit)
    # The same float operations as coverage_text's math.floor(fit * 100 + 1e-9).
    percent = np.floor(quantity_fit[known] * 100 + 1e-9)
    quantities[known] = _int_texts(np.maximum(percent, 0), "covers {:d}% of the need")
    sliver = np.flatnonzero(known)[percent < 1]
    quantities[sliver] = "covers under 1% of the need"
    hazard = np.where(np.asarray(hazardous, dtype=bool), ", hazardous (taker permitted)", "")
    return list(map("{}, {}, {}{}".format, reasons, distances.tolist(), quantities.tolist(),
                    hazard.tolist()))


def _int_texts(values: np.ndarray, template: str) -> np.ndarray:
    """``template`` of each whole-number value, each distinct value formatted once."""
    distinct, inverse = np.unique(values.astype(np.int64), return_inverse=True)
    texts = np.array([template.format(v) for v in distinct.tolist()] or [""], dtype=object)
    return texts[inverse.reshape(-1)] if len(values) else np.empty(0, dtype=object)


def _explanation(
    reason: str, distance_km: float, quantity_fit: float | None, hazardous: bool, *,
    offer_max_km: float | None = None, want_max_km: float | None = None,
    quantity_note: str = "quantity unknown",
) -> str:
    parts = [reason, _distance_text(distance_km)
             + range_note(distance_km, offer_max_km, want_max_km)]
    parts.append(quantity_note if quantity_fit is None else coverage_text(quantity_fit))
    if hazardous:
        parts.append("hazardous (taker permitted)")
    return ", ".join(parts)
