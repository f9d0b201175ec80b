"""The hard rules and the score: one place each, over scalars or NumPy arrays alike
(``score_arrays`` for many pairs, ``score_pair`` for one, the same code).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from matching.engine.config import (
    BASE_WEIGHT,
    CATEGORY_SAME,
    DISTANCE_WEIGHT,
    EWC_SAME_CHAPTER,
    MIN_MATERIAL,
    PATHWAY,
    PATHWAY_WEIGHT,
    QUALITY_WEIGHT,
    QUANTITY_UNKNOWN,
    QUANTITY_WEIGHT,
    SEMANTIC,
    SEMANTIC_FLOOR,
    SEMANTIC_WEIGHT,
    TAXONOMY,
    TAXONOMY_WEIGHT,
    TEXT,
    pathway_weight,
)
from matching.engine.knowledge import Knowledge, category_proximity_keys, ewc_proximity_keys
from matching.engine.quantity import KNOWN, fit_arrays, unknown_reasons, unknown_text
from matching.engine.records import OFFER, WANT, ListingRecord, MatchRecord
from matching.engine.score.arrays import ListingArrays, blocks_meet, rowdot
from matching.engine.score.explanations import (
    _category_reason,
    _material_reason,
    explanation_lines,
    knowledge_reasons,
)
from matching.engine.score.quality_fit import (
    compared,
    energy_mwh_per_t,
    quality_fit,
    quality_phrase,
)

# --- rules (one place each; scalars or arrays) -----------------------------------------


def transport_range(offer_max_km: ArrayLike, want_max_km: ArrayLike) -> np.ndarray:
    """How far a pair may be apart: either side's willingness to carry suffices."""
    return np.maximum(offer_max_km, want_max_km)


def within_range(distance_km: ArrayLike, offer_max_km: ArrayLike, want_max_km: ArrayLike):
    return np.asarray(distance_km) <= transport_range(offer_max_km, want_max_km)


def different_firms(offer_company: ArrayLike, want_company: ArrayLike):
    """A firm's own offer and want are an internal matter, not a match."""
    offer_company = np.asarray(offer_company)
    return (offer_company < 0) | (offer_company != np.asarray(want_company))


def hazard_allowed(offer_hazardous: ArrayLike, want_accepts: ArrayLike):
    return ~np.asarray(offer_hazardous, dtype=bool) | np.asarray(want_accepts, dtype=bool)


def windows_overlap(
    offer_start: ArrayLike, offer_end: ArrayLike, want_start: ArrayLike, want_end: ArrayLike
):
    """Inclusive date windows (ordinals, ±inf when open) share at least one day."""
    return np.maximum(offer_start, want_start) <= np.minimum(offer_end, want_end)


def material_score(
    text: ArrayLike,
    taxonomy: ArrayLike = 0.0,
    pathway: ArrayLike = 0.0,
    semantic: ArrayLike = 0.0,
    *,
    pathway_weight: ArrayLike = PATHWAY_WEIGHT,
) -> np.ndarray:
    """Noisy-OR of the evidence: ``1 − (1 − text)·Π(1 − wᵢ·eᵢ)``, in [0, 1], ≥ text."""
    miss = 1.0 - np.clip(np.asarray(text, dtype=np.float64), 0.0, 1.0)
    for value, weight in (
        (taxonomy, TAXONOMY_WEIGHT),
        (pathway, pathway_weight),
        (semantic, SEMANTIC_WEIGHT),
    ):
        miss = miss * (1.0 - weight * np.clip(np.asarray(value, dtype=np.float64), 0.0, 1.0))
    return np.clip(1.0 - miss, 0.0, 1.0)


def combine(components: Mapping[str, ArrayLike]) -> float | np.ndarray:
    """``material · timing · (0.8 + 0.12 · distance + 0.08 · quantity) · (1 − 0.5 · (1 −
    quality))``, in [0, 1]; quality 1 (no field stated on both sides) leaves it exact."""
    logistics = (
        BASE_WEIGHT
        + DISTANCE_WEIGHT * np.asarray(components["distance"], dtype=np.float64)
        + QUANTITY_WEIGHT * np.asarray(components["quantity"], dtype=np.float64)
    )
    timing = np.asarray(components.get("timing", 1.0), dtype=np.float64)
    score = np.asarray(components["material"]) * timing * logistics
    quality = components.get("quality")
    if quality is not None:
        score = score * (1.0 - QUALITY_WEIGHT * (1.0 - np.asarray(quality, dtype=np.float64)))
    score = np.clip(score, 0.0, 1.0)
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
    offers: ListingArrays | None = None  # the scored rows, for explanations
    wants: ListingArrays | None = None

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
        rows = np.array([j])
        return MatchRecord(
            offer_id=offer.id,
            want_id=want.id,
            score=float(self.score[j]),
            distance_km=float(self.distance_km[j]),
            components={name: float(value[j]) for name, value in self.components.items()},
            explanation=self.explanations(
                [offer], [want], rows=rows, knowledge=knowledge,
                shared_terms=lambda _: shared_terms,
            )[0],
        )

    def explanations(
        self,
        offers: Sequence[ListingRecord],
        wants: Sequence[ListingRecord],
        *,
        knowledge: Knowledge,
        rows: np.ndarray | None = None,
        shared_terms: Callable[[int], Sequence[str]] | None = None,
    ) -> list[str]:
        """The one-line explanation (``explain``) of each accepted pair of ``rows`` (all by
        default); ``offers[i]``/``wants[i]`` are the records of ``rows[i]``, and
        ``shared_terms(i)`` its shared words (asked for only when the wording explains it).

        The knowledge reasons are found for all pairs at once: this runs for every stored
        match of a full rematch.
        """
        rows = np.arange(len(self.score)) if rows is None else np.asarray(rows, np.int64)
        rejected = np.flatnonzero(~self.accepted[rows])
        if len(rejected):
            i = int(rejected[0])
            raise ValueError(f"pair {offers[i].id}/{wants[i].id} was rejected")
        reasons = knowledge_reasons(self, rows, knowledge=knowledge)
        self._category_reasons(reasons, rows, knowledge)
        # What a material reason reads (the other components do not enter it).
        names = [n for n in ("text", "ewc", "category", "semantic") if n in self.components]
        columns = [self.components[name][rows].tolist() for name in names]
        for i, reason in enumerate(reasons):
            if reason is None:
                components = {name: column[i] for name, column in zip(names, columns,
                                                                      strict=True)}
                reasons[i] = _material_reason(offers[i], wants[i], components, knowledge,
                                              shared_terms(i) if shared_terms else ())
        lines = explanation_lines(
            reasons, self.distance_km[rows], self.fit[rows], self.offer_hazardous[rows],
            **self._sides(rows),
        )
        self._quality_phrases(lines, rows, offers, wants)
        return lines

    def _quality_phrases(self, lines: list[str], rows: np.ndarray,
                         offers: Sequence[ListingRecord],
                         wants: Sequence[ListingRecord]) -> None:
        """Add the quality phrase (``quality_fit.quality_phrase``) to the lines of pairs
        whose sides both state a quality field; found for all pairs at once, as few do."""
        if self.offers is None or self.wants is None or not len(rows):
            return
        on = compared(self.offers.quality, self.wants.quality)
        if on is None:
            return
        on = np.broadcast_to(on, self.score.shape)[rows]
        for i in np.flatnonzero(on).tolist():
            phrase = quality_phrase(offers[i], wants[i])
            if phrase:
                lines[i] = f"{lines[i]} {phrase}"

    def _sides(self, rows: np.ndarray) -> dict:
        """What the explanation reads of both listings: their transport ranges and why a
        quantity fit is unknown (``quantity.unknown_text``)."""
        offers, wants = self.offers, self.wants
        if offers is None or wants is None:
            return {}
        o_rows = rows if len(offers) > 1 else np.zeros(len(rows), np.int64)
        w_rows = rows if len(wants) > 1 else np.zeros(len(rows), np.int64)
        o_dim, w_dim = offers.dim[o_rows], wants.dim[w_rows]
        reasons = unknown_reasons(fit=self.fit[rows], offer_amount=offers.amount[o_rows],
                                  offer_dim=o_dim, want_amount=wants.amount[w_rows],
                                  want_dim=w_dim)
        # A handful of distinct (reason, dimensions): each worded once (a full rematch
        # explains millions of pairs).
        key = (reasons.astype(np.int64) * 100 + np.asarray(o_dim, np.int64) * 10
               + np.asarray(w_dim, np.int64))
        distinct, inverse = np.unique(key, return_inverse=True)
        texts = np.array([unknown_text(k // 100, k // 10 % 10, k % 10) if k // 100 != KNOWN
                          else "" for k in distinct.tolist()] or [""], dtype=object)
        notes = texts[inverse.reshape(-1)] if len(rows) else np.empty(0, dtype=object)
        return {"offer_max_km": offers.max_km[o_rows], "want_max_km": wants.max_km[w_rows],
                "quantity_notes": notes.tolist()}

    def _category_reasons(self, reasons: list[str | None], rows: np.ndarray,
                          knowledge: Knowledge) -> None:
        """Fill in the reasons ``_material_reason`` gives from the categories (most of
        those the knowledge base leaves open), found for all pairs at once; the others
        stay ``None``."""
        offers, wants = self.offers, self.wants
        if offers is None or wants is None or not len(rows):
            return
        parts = [self.components.get(n) for n in ("text", "ewc", "category")]
        if any(part is None for part in parts):
            return
        text, ewc, category = (np.asarray(part)[rows] for part in parts)
        strongest = np.maximum(ewc, category)
        # _material_reason's branches: structured evidence leads, and it is not an EWC's.
        by_category = ((strongest > 0) & (strongest >= text)
                       & ~((ewc >= category) & (ewc >= EWC_SAME_CHAPTER))
                       & np.fromiter((r is None for r in reasons), bool, len(reasons)))
        picked = np.flatnonzero(by_category)
        if not len(picked):
            return
        o_rows = rows[picked] if len(offers) > 1 else np.zeros(len(picked), np.int64)
        w_rows = rows[picked] if len(wants) > 1 else np.zeros(len(picked), np.int64)
        said: dict[tuple[str, str, bool], str] = {}
        for i, a, b, same in zip(picked.tolist(), offers.category[o_rows].tolist(),
                                 wants.category[w_rows].tolist(),
                                 (category[picked] >= CATEGORY_SAME).tolist(), strict=True):
            if not a or not b:
                continue  # a listing without a category: left to _material_reason
            reason = said.get((a, b, same))
            if reason is None:
                reason = said[(a, b, same)] = _category_reason(a, b, same, knowledge)
            reasons[i] = reason


def score_arrays(
    offers: ListingArrays,
    wants: ListingArrays,
    *,
    text_sim: ArrayLike,
    distance_km: ArrayLike,
    products: Mapping[str, ArrayLike] | None = None,
) -> PairScores:
    """Score pairs ``offers[i]`` × ``wants[i]`` (length-1 sides broadcast).

    The components counted are those of the configuration the arrays were prepared for.
    ``products`` holds the pairs' profile dot products when the caller computed them in
    bulk (the index, tile by tile): ``inferred`` (material_near · material), ``pathway``
    (use_potential · use) and, with embeddings on, ``cosine``; the arrays may then lack
    their profile matrices, and the pairs are taken to share a material block (the index
    only forms such pairs).
    """
    config = offers.config
    if wants.config != config:
        raise ValueError("offers and wants were prepared for different scoring configurations")
    on = config.on

    distance_km = np.asarray(distance_km, dtype=np.float64)
    n = max(len(offers), len(wants), int(np.size(distance_km)))
    text = np.clip(np.nan_to_num(np.asarray(text_sim, dtype=np.float64)), 0.0, 1.0)
    if not on(TEXT):
        text = np.zeros_like(text)
    zero = np.zeros(n)
    if on(TAXONOMY):
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
        inferred = np.clip(
            rowdot(offers.material_near, wants.material)
            if products is None
            else np.asarray(products["inferred"], dtype=np.float64),
            0.0,
            1.0,
        )
        taxonomy = np.maximum(np.maximum(ewc, category), inferred)
    else:
        ewc = category = taxonomy = zero
    if on(PATHWAY):
        raw = (
            rowdot(offers.use_potential, wants.use)
            if products is None
            else np.asarray(products["pathway"], dtype=np.float64)
        )
        pathway = np.clip(raw, 0.0, 1.0)
    else:
        pathway = zero
    if products is None:
        use_embeddings = on(SEMANTIC) and offers.embedding.shape[1]
        cosine = rowdot(offers.embedding, wants.embedding) if use_embeddings else None
    else:
        cosine = products.get("cosine")
    if on(SEMANTIC) and cosine is not None:
        cosine = np.asarray(cosine, dtype=np.float64)
        semantic = np.clip((cosine - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR), 0.0, 1.0)
    else:
        semantic = zero
    material = material_score(
        text,
        taxonomy,
        pathway,
        semantic,
        pathway_weight=pathway_weight(wants.material_confidence),
    )
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
        # Tonnes and MWh compare through the offer's calorific value (a want's is the
        # least it accepts, not what the material holds).
        offer_energy=energy_mwh_per_t(offers.quality),
    )
    quantity = np.where(np.isnan(fit), QUANTITY_UNKNOWN, fit)
    overlap = windows_overlap(offers.start, offers.end, wants.start, wants.end)
    timing = overlap.astype(np.float64)
    quality = quality_fit(offers.quality, wants.quality)
    components = {
        "text": text,
        "ewc": ewc,
        "category": category,
        "taxonomy": taxonomy,
        "pathway": pathway,
        "semantic": semantic,
        "material": material,
        "distance": distance,
        "quantity": quantity,
        "timing": timing,
        "quality": quality,
    }
    shape = np.broadcast_shapes(*(np.shape(value) for value in components.values()))
    components = {name: np.broadcast_to(value, shape) for name, value in components.items()}
    accepted = (
        within_range(distance_km, offers.max_km, wants.max_km)
        & hazard_allowed(offers.hazardous, wants.accepts_hazardous)
        & overlap
        & (material >= MIN_MATERIAL - 1e-12)
        & (offers.ids != wants.ids)
        & different_firms(offers.company, wants.company)
    )
    if products is None:
        accepted = accepted & blocks_meet(offers.block_matrix, wants.block_matrix)
    accepted = np.broadcast_to(accepted, shape)
    # The final score: the hand-set formula, or the learned ranker of the configuration
    # (score.learned), which orders accepted pairs only.
    hand_set = combine(components)
    ranker = config.ranker
    score = np.where(accepted, hand_set if ranker is None else ranker.score(components, hand_set),
                     0.0)
    return PairScores(
        components=components,
        fit=np.broadcast_to(fit, shape),
        accepted=accepted,
        score=score,
        distance_km=np.broadcast_to(distance_km, shape),
        offer_hazardous=np.broadcast_to(offers.hazardous, shape),
        offers=offers,
        wants=wants,
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
